"""Public pages, included at "" before django.contrib.auth's `accounts/` URLs, so that the
throttled login below answers `accounts/login/` (same name, `login`, as LOGIN_URL expects)."""

from django.urls import path

from public import certificates, views

urlpatterns = [
    path("", views.home, name="public-home"),
    path("verify/", views.certificate_lookup, name="public-certificate-lookup"),
    path("assets/", views.asset_search, name="public-asset-search"),
    path("assets/<str:number>/", views.asset_detail, name="public-asset-detail"),
    path("publicity/", views.publicity_list, name="public-publicity-list"),
    path("publicity/<int:asset_id>/object/", views.objection_file, name="public-objection-file"),
    path(
        "publicity/<int:asset_id>/object/filed/",
        views.objection_filed,
        name="public-objection-filed",
    ),
    path("verify/<str:number>/", certificates.verify, name="certificate-verify"),
    # Signed PDFs: for the holder, registrars and active pledgees (checked in the view).
    path("certificates/<str:number>.pdf", certificates.download, name="certificate-download"),
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
]
