from django.urls import path

from api import certificates, search_certificates, valuation, views
from api.schema import ApiKeyAuthenticationScheme

# Imported for its side effect: drf-spectacular learns how to document the API-key scheme.
assert ApiKeyAuthenticationScheme

urlpatterns = [
    path("valuations/preview/", valuation.ValuationPreviewApi.as_view(), name="valuation-preview"),
    path("quality/preview/", valuation.QualityPreviewApi.as_view(), name="quality-preview"),
    path(
        "certificates/<str:number>/verify/",
        certificates.CertificateVerifyApi.as_view(),
        name="certificate-verify-api",
    ),
    path("assets/", views.AssetListApi.as_view(), name="api-asset-list"),
    path(
        "assets/<str:registration_number>/",
        views.AssetDetailApi.as_view(),
        name="api-asset-detail",
    ),
    path(
        "assets/<str:registration_number>/pledge-status/",
        views.AssetPledgeStatusApi.as_view(),
        name="api-asset-pledge-status",
    ),
    path(
        "pledge-status/bulk/",
        views.PledgeStatusBulkApi.as_view(),
        name="api-pledge-status-bulk",
    ),
    path("pledges/", views.PledgesApi.as_view(), name="api-pledges"),
    path(
        "pledges/<str:number>/release/", views.PledgeReleaseApi.as_view(), name="api-pledge-release"
    ),
    path("pledges/<str:number>/amend/", views.PledgeAmendApi.as_view(), name="api-pledge-amend"),
    path("pledges/<str:number>/extend/", views.PledgeExtendApi.as_view(), name="api-pledge-extend"),
    path(
        "search-certificates/",
        search_certificates.SearchCertificateCreateApi.as_view(),
        name="api-search-certificates",
    ),
    path(
        "search-certificates/<str:number>/",
        search_certificates.SearchCertificateDetailApi.as_view(),
        name="api-search-certificate",
    ),
    path(
        "search-certificates/<str:number>/document/",
        search_certificates.SearchCertificateDocumentApi.as_view(),
        name="api-search-certificate-document",
    ),
]
