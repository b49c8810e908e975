from django.urls import path

from certificates import api

urlpatterns = [
    path(
        "certificates/<str:number>/verify/",
        api.CertificateVerifyApi.as_view(),
        name="certificate-verify-api",
    ),
]
