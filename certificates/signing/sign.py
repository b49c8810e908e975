"""Signing certificate PDFs (PAdES baseline B-B via pyHanko).

The registry signs every certificate PDF it issues with an invisible PAdES signature added as an
incremental update: :func:`sign_pdf` returns the signed bytes, the original bytes kept unchanged
at their start.

Only B-B is produced: no timestamp authority is reachable, so the signing time in the signature
is the time the signer claims.

The signer is loaded through :func:`certificates.signing.identity._load`, which reserves a fixed
signature size (one signature instead of pyHanko's dry run plus the real one); if that reservation
is ever too small, :func:`sign_pdf` signs again with pyHanko's own estimate. :func:`sign_pdf`
looks ``_load`` up in this module, so a test that replaces it patches
``certificates.signing.sign._load``.
"""

from __future__ import annotations

import hashlib
import io

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError

from certificates.signing.common import _PDF_HEADER, _outside_event_loop
from certificates.signing.identity import (
    CertificateSigningError,
    SigningConfigurationError,
    SigningIdentity,
    _load,
)

__all__ = ["sha256_hex", "sign_pdf"]

DIGEST_ALGORITHM = "sha256"


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data`` (document hashes)."""
    return hashlib.sha256(data).hexdigest()


def sign_pdf(
    pdf_bytes: bytes,
    identity: SigningIdentity,
    *,
    reason: str,
    location: str,
    field_name: str = "RegistrySignature",
) -> bytes:
    """Sign ``pdf_bytes`` with an invisible PAdES B-B signature added as an incremental update.

    The original bytes are kept unchanged at the start of the result. Raises
    :class:`SigningConfigurationError` for key problems and :class:`CertificateSigningError`
    when the input cannot be signed (not a PDF, field already signed, ...).
    """
    data = bytes(pdf_bytes)
    if _PDF_HEADER not in data[:1024]:
        raise CertificateSigningError("cannot sign: the input is not a PDF")
    loaded = _load(identity)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        md_algorithm=DIGEST_ALGORITHM,
        subfilter=fields.SigSeedSubFilter.PADES,
    )

    def _sign(bytes_reserved: int | None) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        pdf_signer = signers.PdfSigner(meta, signer=loaded.signer)
        return pdf_signer.sign_pdf(writer, bytes_reserved=bytes_reserved).getvalue()

    try:
        try:
            return _outside_event_loop(lambda: _sign(loaded.bytes_reserved))
        except PyHankoSigningError as exc:
            if "larger than expected" not in str(exc):
                raise
            # Our size estimate was too small (unusual certificate chain): let pyHanko measure.
            return _outside_event_loop(lambda: _sign(None))
    except SigningConfigurationError:
        raise
    except Exception as exc:
        raise CertificateSigningError(f"cannot sign the PDF: {exc}") from exc
