"""Certificate verification API: public, like the verification page; rate-limited per address
(per key or user when one is given), and logged when called with an API key.

Verification without disclosure (`certificates.verification`): by number alone the answer says
that the document exists, its kind, status and validity (`disclosure: "summary"`); the details
(`disclosure: "details"`) need the document's verification code (`?code=`, printed on it and in
its QR code) or an authorised caller (registrars; the holder's, the pledgee's or the search's
requester's users and API keys; `pledges.access`). A wrong code is answered as no code."""

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from api.base import ReadApi
from api.serializers import ErrorSerializer
from certificates.forms import DocumentUploadForm
from certificates.models import CertificateKind, CertificateStatus
from certificates.numbers import CertificateNumberError, normalise_certificate_number
from certificates.selectors import EFFECTIVE_EXPIRED, certificate_by_number
from certificates.verification import (
    check_document,
    code_matches,
    may_see_details,
    verification_record,
)
from pledges.access import can_view_private

EFFECTIVE_STATUSES = [*CertificateStatus.values, EFFECTIVE_EXPIRED]


# --- schema ------------------------------------------------------------------------------------
class CertificateSummarySerializer(serializers.Serializer):
    """What anyone may learn by number: existence, kind, status, validity."""

    number = serializers.CharField(help_text="17 digits.")
    kind = serializers.ChoiceField(choices=CertificateKind.values)
    status = serializers.ChoiceField(choices=CertificateStatus.values)
    effective_status = serializers.ChoiceField(
        choices=EFFECTIVE_STATUSES,
        help_text="The status, or `expired`/`revoked` when what it attests has ended.",
    )
    valid_from = serializers.DateField(
        allow_null=True, help_text="Registration or pledge registration date; null for a search."
    )
    valid_until = serializers.DateField(allow_null=True, help_text="Null for a search.")
    document_ready = serializers.BooleanField(help_text="The signed PDF is rendered and stored.")
    disclosure = serializers.ChoiceField(choices=["summary"])


class CertificateDetailsSerializer(serializers.Serializer):
    """The full record: with the document's verification code, or for an authorised caller."""

    number = serializers.CharField(help_text="17 digits.")
    kind = serializers.ChoiceField(choices=CertificateKind.values)
    status = serializers.ChoiceField(choices=CertificateStatus.values)
    effective_status = serializers.ChoiceField(choices=EFFECTIVE_STATUSES)
    issued_at = serializers.DateTimeField()
    status_changed_at = serializers.DateTimeField(allow_null=True)
    superseded_by = serializers.CharField(allow_null=True, help_text="The successor's number.")
    supersedes = serializers.CharField(allow_null=True)
    registration_status = serializers.CharField(
        allow_null=True, help_text="The asset's status (none for a search certificate)."
    )
    content = serializers.DictField(
        help_text="What the document prints (a search certificate: requester, time and the "
        "results' SHA-256 only)."
    )
    document_sha256 = serializers.CharField(allow_null=True)
    document_ready = serializers.BooleanField()
    signed = serializers.BooleanField()
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    disclosure = serializers.ChoiceField(choices=["details"])
    verification_code = serializers.CharField(help_text="The code printed on the document.")


RECORD = PolymorphicProxySerializer(
    component_name="CertificateVerification",
    serializers=[CertificateSummarySerializer, CertificateDetailsSerializer],
    resource_type_field_name=None,
)


@extend_schema_field(RECORD)
class RecordField(serializers.DictField):
    """A record shaped by `certificates.verification`: the summary or the details."""


class SignatureCheckSerializer(serializers.Serializer):
    signed = serializers.BooleanField()
    intact = serializers.BooleanField()
    valid = serializers.BooleanField()
    covers_whole_document = serializers.BooleanField()
    signer = serializers.CharField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    problem = serializers.CharField(allow_null=True)


class DocumentCheckSerializer(serializers.Serializer):
    number = serializers.CharField()
    verdict = serializers.ChoiceField(
        choices=["authentic_current", "authentic_not_current", "not_authentic"]
    )
    document_sha256 = serializers.CharField(help_text="Of the uploaded file.")
    matches_issued = serializers.BooleanField()
    current = serializers.BooleanField()
    signature = SignatureCheckSerializer()
    record = RecordField(
        help_text="The certificate's record: the details when the uploaded file is the issued "
        "document, the code is given or the caller is authorised; else the summary."
    )


class DocumentUploadSerializer(serializers.Serializer):
    document = serializers.FileField(help_text="The PDF to check.")


CODE_PARAMETER = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.QUERY,
    required=False,
    description="The verification code printed on the document (and in its QR code's link); "
    "case and dashes are ignored. With the right code the answer has the details; without it, "
    "or with a wrong one, the summary (no other difference).",
)
NUMBER_PARAMETER = OpenApiParameter(
    "number", str, OpenApiParameter.PATH, description="Certificate number, 17 digits."
)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


ERRORS = {
    400: _error("Malformed certificate number (or, on POST, no document)."),
    401: _error("An API key was sent, but it is unknown, revoked or expired."),
    404: _error("No certificate has this number."),
    429: _error("Rate limit reached; retry after `Retry-After` seconds."),
}


# --- the view ----------------------------------------------------------------------------------
def _certificate(number: str):
    try:
        canonical = normalise_certificate_number(number)
    except CertificateNumberError as exc:
        raise ValidationError({"number": [str(exc)]}) from exc
    certificate = certificate_by_number(canonical)
    if certificate is None:
        raise NotFound(f"No certificate has the number {canonical}.")
    return certificate


def _disclose(request, certificate) -> bool:
    code = request.query_params.get("code")
    return code_matches(certificate, code) or may_see_details(
        request.user, certificate, can_view_asset=can_view_private
    )


def _answer(body: dict, disclosed: bool) -> Response:
    response = Response(body)
    if disclosed:
        response["Cache-Control"] = "private, no-store"  # the details stay with this caller
    return response


class CertificateVerifyApi(ReadApi):
    """GET: the certificate's status, and its details with the code or for an authorised caller.
    POST (multipart `document`): whether that PDF is the one the registry issued, its signature
    valid, and the certificate current."""

    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["certificates"],
        parameters=[NUMBER_PARAMETER, CODE_PARAMETER],
        responses={
            200: OpenApiResponse(
                RECORD,
                description="`disclosure: summary` by number alone (or with a wrong code); "
                "`disclosure: details` with the document's code or for an authorised caller.",
            ),
            **ERRORS,
        },
    )
    def get(self, request, number: str):
        certificate = _certificate(number)
        disclose = _disclose(request, certificate)
        return _answer(verification_record(certificate, disclose=disclose), disclose)

    @extend_schema(
        tags=["certificates"],
        parameters=[NUMBER_PARAMETER, CODE_PARAMETER],
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={200: DocumentCheckSerializer, **ERRORS},
    )
    def post(self, request, number: str):
        certificate = _certificate(number)
        form = DocumentUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            raise ValidationError(
                {
                    field: [error["message"] for error in errors]
                    for field, errors in form.errors.get_json_data().items()
                }
            )
        check = check_document(certificate, form.cleaned_data["document"])
        signature = check.signature
        # Whoever holds the issued document holds its code: it opens the details too.
        disclose = check.matches_issued or _disclose(request, certificate)
        return _answer(
            {
                "number": certificate.number,
                "verdict": check.verdict,
                "document_sha256": check.sha256,
                "matches_issued": check.matches_issued,
                "current": check.current,
                "signature": {
                    "signed": signature.signed,
                    "intact": signature.intact,
                    "valid": signature.valid,
                    "covers_whole_document": signature.covers_whole_document,
                    "signer": signature.signer,
                    "signed_at": signature.signed_at.isoformat() if signature.signed_at else None,
                    "problem": signature.problem,
                },
                "record": verification_record(certificate, disclose=disclose),
            },
            disclose,
        )
