from django.urls import path

from certificates import views

urlpatterns = [
    path("verify/<str:number>/", views.verify, name="certificate-verify"),
    path("certificates/<str:number>.pdf", views.download, name="certificate-download"),
]
