"""Field validators shared by models, forms and serializers."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from registry.identifiers import IdentifierError, normalise_uscc, parse_registration_number

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def validate_uscc(value: str) -> None:
    try:
        canonical = normalise_uscc(value)
    except IdentifierError as exc:
        raise ValidationError(str(exc), code="invalid_uscc") from exc
    if canonical != value:
        raise ValidationError(
            _("Write the USCC in upper case without spaces: %(code)s"),
            code="invalid_uscc",
            params={"code": canonical},
        )


def validate_registration_number(value: str) -> None:
    try:
        parse_registration_number(value)
    except IdentifierError as exc:
        raise ValidationError(str(exc), code="invalid_registration_number") from exc


def validate_sha256_hex(value: str) -> None:
    if not _SHA256_RE.match(value or ""):
        raise ValidationError(
            _("Expected a SHA-256 digest: 64 lower-case hexadecimal characters."),
            code="invalid_sha256",
        )
