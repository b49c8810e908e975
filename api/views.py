"""Views of the bank API: one per operation, each validating its input, calling one selector or
service, and answering through an output serializer. Reads are open to every authenticated caller
(the register is public; appraisal figures are shown only to those who may see them); pledge
writes are for API-key clients and registrars, and the service decides whether this caller is the
pledgee (403 otherwise). Errors use the envelope of `api.errors`.
"""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api import examples
from api import serializers as s
from api.authentication import ApiClient
from api.base import ApiPolicy, ReadApi, WriteApi
from api.filters import PublicAssetFilter
from api.permissions import IsRegistrarOrApiClient
from api.read_log import ReadLogMixin
from core import clock
from pledges import selectors as pledge_selectors
from pledges import services as pledge_services
from pledges.models import Pledge
from records import pledge_status, register
from registry.identifiers import IdentifierError, normalise_registration_number, normalise_uscc
from registry.models import Organisation


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=s.ErrorSerializer, description=description)


ERRORS = {
    400: _error("Invalid input: `errors` names each field (dotted paths into the body)."),
    401: _error("No API key (and no session), or an unknown, revoked or expired key."),
    429: _error("Rate limit of the API key reached; retry after `Retry-After` seconds."),
}
READ_ERRORS = {**ERRORS, 404: _error("No registered asset has this number.")}
WRITE_ERRORS = {
    **ERRORS,
    403: _error("This caller may not write this pledge (only its pledgee bank or a registrar)."),
    404: _error("Unknown registration or pledge number."),
    409: _error("The asset or the pledge does not allow the step now."),
}
NUMBER_PARAMETER = OpenApiParameter(
    "registration_number",
    str,
    OpenApiParameter.PATH,
    description="16 characters: YYYY SS T NNNNNNNN C (check character 0-9 or X).",
)
PLEDGE_NUMBER_PARAMETER = OpenApiParameter(
    "number", str, OpenApiParameter.PATH, description="Pledge number, e.g. ZY202600000042."
)


def _canonical_number(value: str, field: str = "registration_number") -> str:
    try:
        return normalise_registration_number(value)
    except IdentifierError as exc:
        raise ValidationError({field: [str(exc)]}) from exc


def _not_found(number: str) -> NotFound:
    return NotFound(pledge_status.not_found_message(number))


def _pledge_or_404(number: str) -> Pledge:
    pledge = pledge_selectors.pledge_by_number(number)
    if pledge is None:
        raise NotFound(f"No pledge has the number {number}.")
    return pledge


def _pledge_response(number: str, http_status: int = status.HTTP_200_OK) -> Response:
    """The pledge as it now stands (with its rank), read after the service's commit."""
    return Response(s.PledgeSerializer(_pledge_or_404(number)).data, status=http_status)


# --- assets ----------------------------------------------------------------------------------
class AssetCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        # DRF falls back to the default size for a value it cannot read; the API refuses it.
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        value = values[0]
        if len(values) > 1 or not (value.isascii() and value.isdigit()) or int(value) < 1:
            raise ValidationError({"page_size": ["A whole number from 1 upwards, given once."]})
        return min(int(value), self.max_page_size)

    def decode_cursor(self, request):
        # DRF checks the cursor's encoding, not its position: a position that is not an id would
        # reach the ORM (ValueError, a 500). Refuse it as DRF refuses any other invalid cursor.
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                int(cursor.position)
            except ValueError:
                raise NotFound(self.invalid_cursor_message) from None
        return cursor


@extend_schema(tags=["assets"], responses={200: s.AssetListItemSerializer, **ERRORS})
class AssetListApi(ReadLogMixin, ApiPolicy, generics.ListAPIView):
    """The public register: registered assets and those whose registration expired, was cancelled
    or revoked (never applications). Newest first, 50 per page (`page_size` up to 200), following
    the `next` cursor."""

    serializer_class = s.AssetListItemSerializer
    filterset_class = PublicAssetFilter
    pagination_class = AssetCursorPagination

    def get_queryset(self):
        return register.public_assets()


class AssetDetailApi(ReadApi):
    """The public record of one registered asset."""

    @extend_schema(
        tags=["assets"],
        parameters=[NUMBER_PARAMETER],
        responses={200: s.AssetDetailSerializer, **READ_ERRORS},
        examples=[examples.MALFORMED_NUMBER],
    )
    def get(self, request, registration_number: str):
        number = _canonical_number(registration_number)
        asset = register.public_asset(number)
        if asset is None:
            raise _not_found(number)
        return Response(s.AssetDetailSerializer(asset).data)


# --- pledge status ---------------------------------------------------------------------------
class AssetPledgeStatusApi(ReadApi):
    """Everything a lender must know before lending against the asset: its status and validity,
    every active pledge in priority order, the current certificate and grade, and (for the
    holder, registrars and pledgees) the latest appraisal."""

    @extend_schema(
        tags=["pledge status"],
        parameters=[NUMBER_PARAMETER],
        responses={200: s.PledgeStatusSerializer, **READ_ERRORS},
        examples=[examples.PLEDGE_STATUS, examples.MALFORMED_NUMBER],
    )
    def get(self, request, registration_number: str):
        # The hot path of the API: two precompiled queries and a hand-built body (same JSON as
        # PledgeStatusSerializer, which documents it).
        number = _canonical_number(registration_number)
        snapshot = pledge_status.pledge_status(number, viewer=request.user, as_of=clock.now())
        if snapshot is None:
            raise _not_found(number)
        return Response(s.pledge_status_data(snapshot))


class PledgeStatusBulkApi(ReadApi):
    """The pledge status of up to 1,000 registration numbers at once, one result per number sent
    and in the same order: the status, or an error (`malformed`: format or check character;
    `not_found`: no registered asset has it)."""

    logs_unsafe_methods = True  # a read sent as POST: the numbers do not fit in a URL

    @extend_schema(
        tags=["pledge status"],
        request=s.BulkPledgeStatusInputSerializer,
        responses={200: s.BulkPledgeStatusSerializer, **ERRORS},
        examples=[examples.BULK_REQUEST, examples.BULK_RESPONSE],
    )
    def post(self, request):
        body = s.BulkPledgeStatusInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        as_of = clock.now()
        lookups = pledge_status.pledge_status_bulk(
            body.validated_data["registration_numbers"], viewer=request.user, as_of=as_of
        )
        return Response(s.bulk_pledge_status_data(as_of, lookups))

    def read_log_summary(self, request) -> dict:
        numbers = (
            request.data.get("registration_numbers") if isinstance(request.data, dict) else None
        )
        if isinstance(numbers, list):
            return {"registration_numbers": numbers[: s.MAX_BULK_NUMBERS + 1]}
        return {"registration_numbers": None}


# --- pledges ---------------------------------------------------------------------------------
class PledgesApi(ReadApi):
    """GET: search by pledgor; POST: file a pledge. Two operations on one URL (the REST shape the
    API promises), so one class holds both; each method is as thin as a view of its own."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsRegistrarOrApiClient()]
        return [IsAuthenticated()]

    @extend_schema(
        tags=["pledges"],
        operation_id="pledges_search",
        parameters=[s.PledgeSearchInputSerializer],
        responses={200: s.PledgeSearchSerializer, **ERRORS},
        examples=[examples.SEARCH_RESPONSE],
    )
    def get(self, request):
        """Search the pledges by pledgor (USCC or name): `exact` matches, and `similar` names
        (ignoring case, spaces, parenthesised parts and legal-form suffixes such as 有限公司)."""
        query = s.PledgeSearchInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = pledge_selectors.pledges_by_pledgor(
            query.validated_data["pledgor"], status=query.validated_data.get("status")
        )
        result = {
            "query": found.query,
            "as_of": clock.now(),
            "exact": found.exact,
            "similar": found.similar,
        }
        return Response(s.PledgeSearchSerializer(result).data)

    @extend_schema(
        tags=["pledges"],
        operation_id="pledges_register",
        request=s.PledgeRegisterInputSerializer,
        responses={201: s.PledgeSerializer, **WRITE_ERRORS},
        examples=[examples.REGISTER_REQUEST, examples.PLEDGE_RESPONSE, examples.FORBIDDEN],
    )
    def post(self, request):
        """File (设立) a pledge: a bank's API key files for its own organisation, a registrar names
        the pledgee with `pledgee_uscc`. The rank follows every earlier active pledge."""
        body = s.PledgeRegisterInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        number = _canonical_number(data["registration_number"])
        asset = register.asset_by_number(number)
        if asset is None:
            raise _not_found(number)
        pledge = pledge_services.pledge_register(
            asset=asset,
            pledgee=_pledgee(request, data.get("pledgee_uscc")),
            actor=request.user,
            secured_amount=data["secured_amount"],
            debt_start=data["debt_start"],
            debt_end=data["debt_end"],
            registration_end=data.get("registration_end"),
        )
        return _pledge_response(pledge.number, status.HTTP_201_CREATED)


def _pledgee(request, uscc: str | None) -> Organisation:
    """The named pledgee, else the calling bank itself; the service checks the caller may file
    for it (a bank only for itself)."""
    if uscc:
        try:
            code = normalise_uscc(uscc)
        except IdentifierError as exc:
            raise ValidationError({"pledgee_uscc": [str(exc)]}) from exc
        pledgee = register.organisation_by_uscc(code)
        if pledgee is None:
            raise ValidationError({"pledgee_uscc": [f"No organisation has the USCC {code}."]})
        return pledgee
    if isinstance(request.user, ApiClient):
        return request.user.organisation
    raise ValidationError({"pledgee_uscc": ["A registrar must name the pledgee bank."]})


class PledgeReleaseApi(WriteApi):
    """Release (解除) a pledge once the debt is repaid: the pledgee bank or a registrar."""

    @extend_schema(
        tags=["pledges"],
        parameters=[PLEDGE_NUMBER_PARAMETER],
        request=s.PledgeReleaseInputSerializer,
        responses={200: s.PledgeSerializer, **WRITE_ERRORS},
    )
    def post(self, request, number: str):
        body = s.PledgeReleaseInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pledge = _pledge_or_404(number)
        pledge_services.pledge_release(
            pledge=pledge, actor=request.user, reason=body.validated_data["reason"]
        )
        return _pledge_response(pledge.number)


class PledgeAmendApi(WriteApi):
    """Amend (变更) the secured amount or the debt term; the priority is kept."""

    @extend_schema(
        tags=["pledges"],
        parameters=[PLEDGE_NUMBER_PARAMETER],
        request=s.PledgeAmendInputSerializer,
        responses={200: s.PledgeSerializer, **WRITE_ERRORS},
    )
    def post(self, request, number: str):
        body = s.PledgeAmendInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pledge = _pledge_or_404(number)
        pledge_services.pledge_amend(pledge=pledge, actor=request.user, **body.validated_data)
        return _pledge_response(pledge.number)


class PledgeExtendApi(WriteApi):
    """Extend (展期) the registration period, and the debt term with it if given."""

    @extend_schema(
        tags=["pledges"],
        parameters=[PLEDGE_NUMBER_PARAMETER],
        request=s.PledgeExtendInputSerializer,
        responses={200: s.PledgeSerializer, **WRITE_ERRORS},
    )
    def post(self, request, number: str):
        body = s.PledgeExtendInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pledge = _pledge_or_404(number)
        pledge_services.pledge_extend(pledge=pledge, actor=request.user, **body.validated_data)
        return _pledge_response(pledge.number)
