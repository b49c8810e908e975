"""Certificate verification API: public, like the verification page; rate-limited per address
(per key or user when one is given), and logged when called with an API key."""

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from api.base import ReadApi
from certificates.forms import DocumentUploadForm
from certificates.numbers import CertificateNumberError, normalise_certificate_number
from certificates.selectors import certificate_by_number
from certificates.verification import check_document, public_record


def _certificate(number: str):
    try:
        canonical = normalise_certificate_number(number)
    except CertificateNumberError as exc:
        raise ValidationError({"number": [str(exc)]}) from exc
    certificate = certificate_by_number(canonical)
    if certificate is None:
        raise NotFound(f"No certificate has the number {canonical}.")
    return certificate


class CertificateVerifyApi(ReadApi):
    """GET: the certificate's status and public record. POST (multipart `document`): whether
    that PDF is the one the registry issued, its signature valid, and the certificate current."""

    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser]

    def get(self, request, number: str):
        return Response(public_record(_certificate(number)))

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
        return Response(
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
                "record": public_record(certificate),
            }
        )
