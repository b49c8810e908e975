from django.urls import path

from valuation import api

urlpatterns = [
    path("valuations/preview/", api.ValuationPreviewApi.as_view(), name="valuation-preview"),
    path("quality/preview/", api.QualityPreviewApi.as_view(), name="quality-preview"),
]
