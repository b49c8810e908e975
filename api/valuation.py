"""Valuation API: compute-only previews (domain.md section 9); nothing is stored."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from api import schema_serializers as docs
from api.base import BaseApi
from api.permissions import IsRegistrarOrApiClient
from valuation.methods.appraise import appraise
from valuation.methods.quality_payload import grade_body, quality_response


class ValuationPreviewApi(BaseApi):
    """POST a method body (cost / income / market, or reconciled); get the value, its low / high
    range and the full breakdown. Amounts are decimal strings; errors name the field (400)."""

    permission_classes = [IsRegistrarOrApiClient]

    @extend_schema(
        tags=["valuation"],
        request=docs.VALUATION_PREVIEW_REQUEST,
        responses={200: docs.ValuationPreviewResponseSerializer},
    )
    def post(self, request):
        return Response(appraise(request.data).as_response())


class QualityPreviewApi(BaseApi):
    """POST GB/T 36344 measurements (and optional weights); get the score, grade and breakdown."""

    permission_classes = [IsRegistrarOrApiClient]

    @extend_schema(
        tags=["valuation"],
        request=docs.QualityPreviewRequestSerializer,
        responses={200: docs.QualityPreviewResponseSerializer},
    )
    def post(self, request):
        _inp, result = grade_body(request.data)
        return Response(quality_response(result))
