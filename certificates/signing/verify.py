"""Checking a signed certificate PDF against the registry certificate.

Anyone holding the registry certificate can check a PDF with :func:`verify_pdf`. It never raises
on bad input and returns a :class:`SignatureCheck` with a human-readable ``problem``; only an
unreadable trusted certificate (a configuration error) raises.

Only B-B signatures are produced (no timestamp authority is reachable), so ``signed_at`` is the
time the signer claims, and the signature is checked against the current time (it stops
validating when the signing certificate expires).

``valid`` never covers content appended after the signature: :attr:`SignatureCheck.ok` requires
``covers_whole_document`` as well. When pyHanko cannot read the file at all, :func:`_raw_check`
still compares the signed digest by hand, and never marks anything valid.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.generic_cms import (
    extract_certs_for_validation,
    extract_self_reported_ts,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import InvalidCertificateError

from certificates.signing.common import _PDF_HEADER, _outside_event_loop
from certificates.signing.identity import _mtime_ns, _trust_root

__all__ = ["SignatureCheck", "verify_pdf"]

# Either bit is enough for a document signature (CAs issue both flavours).
_KEY_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)
_CHANGED = "document changed after signing (the signed bytes do not match the signature)"


@dataclass(frozen=True)
class SignatureCheck:
    """Outcome of :func:`verify_pdf`.

    ``valid`` means: the signed bytes are unchanged, the signature is cryptographically valid
    and the signer chains to the trusted registry certificate. It does *not* cover content added
    after the signature (an incremental update may change what a viewer shows): check
    ``covers_whole_document`` as well, or use :attr:`ok` which requires both.
    """

    signed: bool
    intact: bool = False
    valid: bool = False
    covers_whole_document: bool = False
    signer: str | None = None
    signed_at: dt.datetime | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Valid, trusted and nothing was added after signing."""
        return self.valid and self.covers_whole_document


def verify_pdf(pdf_bytes: bytes, trusted_cert_path: Path) -> SignatureCheck:
    """Check the last signature of ``pdf_bytes`` against the registry certificate.

    Never raises because of the PDF bytes (empty, random, truncated, unsigned, tampered): the
    result carries a ``problem``. An unreadable ``trusted_cert_path`` is a configuration error
    and raises :class:`SigningConfigurationError`.
    """
    trusted_cert_path = Path(trusted_cert_path)
    root = _trust_root(trusted_cert_path, _mtime_ns(trusted_cert_path))
    try:
        data = bytes(pdf_bytes)
    except (TypeError, ValueError):
        return SignatureCheck(signed=False, problem="not a PDF")
    if not data:
        return SignatureCheck(signed=False, problem="not a PDF (empty document)")
    if _PDF_HEADER not in data[:1024]:
        return SignatureCheck(signed=False, problem="not a PDF")

    try:
        reader = PdfFileReader(io.BytesIO(data))
        signatures = reader.embedded_regular_signatures
    except Exception as exc:  # pyHanko raises many types on malformed files
        return _raw_check(data, f"damaged PDF ({_short(exc)})")
    if not signatures:
        return SignatureCheck(signed=False, problem="no signature")

    embedded = signatures[-1]
    try:
        context = ValidationContext(trust_roots=[root], allow_fetching=False)
        status = _outside_event_loop(
            lambda: validate_pdf_signature(
                embedded, context, key_usage_settings=_KEY_USAGE, skip_diff=True
            )
        )
    except Exception as exc:
        return _raw_check(data, f"the signature cannot be checked ({_short(exc)})")
    return _from_status(status, root, data, embedded.byte_range)


def _from_status(
    status: PdfSignatureStatus, root: asn1_x509.Certificate, data: bytes, byte_range
) -> SignatureCheck:
    intact = bool(status.intact)
    timestamps_ok = all(
        ts is None or (ts.intact and ts.valid and ts.trusted)
        for ts in (status.timestamp_validity, status.content_timestamp_validity)
    )
    # pyHanko trusts a signer certificate that *is* the trust root unconditionally (no validity
    # period, no key usage check): do those checks here, as for a CA-issued certificate.
    anchor_problem = (
        _anchor_problem(status.signing_cert)
        if status.trusted and status.signing_cert.dump() == root.dump()
        else None
    )
    trusted = status.trusted and anchor_problem is None
    valid = intact and bool(status.valid) and trusted and timestamps_ok
    covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE

    problem = None
    if not intact:
        problem = _CHANGED
    elif not status.valid:
        problem = "the signature is cryptographically invalid"
    elif anchor_problem:
        problem = anchor_problem
    elif not trusted:
        problem = _trust_problem(status, root)
    elif not timestamps_ok:
        problem = "the signature timestamp is not valid"
    elif not covers:
        problem = _coverage_problem(status.coverage, data, byte_range)

    return SignatureCheck(
        signed=True,
        intact=intact,
        valid=valid,
        covers_whole_document=covers,
        signer=_common_name(status.signing_cert),
        signed_at=status.signer_reported_dt,
        problem=problem,
    )


def _anchor_problem(cert: asn1_x509.Certificate) -> str | None:
    who = _common_name(cert) or "unknown signer"
    parsed = x509.load_der_x509_certificate(cert.dump())
    now = dt.datetime.now(dt.UTC)
    if now > parsed.not_valid_after_utc:
        return f"the signing certificate ({who}) has expired"
    if now < parsed.not_valid_before_utc:
        return f"the signing certificate ({who}) is not valid yet"
    try:
        _KEY_USAGE.validate(cert)
    except InvalidCertificateError:
        return f"the signing certificate ({who}) may not sign documents (key usage)"
    return None


def _trust_problem(status: PdfSignatureStatus, root: asn1_x509.Certificate) -> str:
    indication = status.trust_problem_indic
    who = _common_name(status.signing_cert) or "unknown signer"
    if status.revoked or indication in (
        AdESFailure.REVOKED,
        AdESIndeterminate.REVOKED_NO_POE,
        AdESIndeterminate.REVOKED_CA_NO_POE,
    ):
        return f"the signing certificate ({who}) has been revoked"
    if indication in (
        AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
        AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
        AdESIndeterminate.EXPIRED,
    ):
        return f"the signing certificate ({who}) has expired"
    if indication in (AdESFailure.NOT_YET_VALID, AdESIndeterminate.NOT_YET_VALID):
        return f"the signing certificate ({who}) is not valid yet"
    if indication in (
        AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE,
        AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
    ):
        return "the signature uses a disallowed (weak) algorithm"
    if status.signing_cert.dump() == root.dump():
        # The registry certificate itself, yet rejected: key usage or similar constraints.
        return f"the signing certificate ({who}) may not sign documents ({indication})"
    if who == _common_name(root):
        return f"signed by an untrusted certificate ({who}, but not the registry's key)"
    return f"signed by an untrusted certificate ({who})"


def _coverage_problem(coverage, data: bytes, byte_range) -> str:
    if coverage in (
        SignatureCoverageLevel.ENTIRE_REVISION,
        SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START,
    ):
        try:
            extra = len(data) - (int(byte_range[2]) + int(byte_range[3]))
        except (IndexError, TypeError, ValueError):
            extra = 0
        if extra > 0:
            return _appended_problem(extra)
        return "document changed after signing (content was added after the signature)"
    return "the signature does not cover the document in the standard way"


def _appended_problem(count: int) -> str:
    return f"document changed after signing ({count} bytes were added after the signature)"


def _common_name(cert: asn1_x509.Certificate | None) -> str | None:
    if cert is None:
        return None
    try:
        name = cert.subject.native.get("common_name")
    except Exception:
        name = None
    if isinstance(name, list | tuple):
        name = name[0] if name else None
    if name:
        return str(name)
    try:
        return cert.subject.human_friendly or None
    except Exception:
        return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def _raw_check(data: bytes, reason: str) -> SignatureCheck:
    """Best-effort check when pyHanko cannot read the file (damaged after signing, truncated).

    Finds the last ``/ByteRange`` and its ``/Contents`` by hand and compares the signed digest, so
    that a tampered signed file still reads "signed, changed after signing" instead of "no PDF".
    Never marks anything valid.
    """
    try:
        matches = list(_BYTE_RANGE.finditer(data))
        if not matches:
            if b"/ByteRange" in data:  # a signature dictionary, too damaged to read
                return SignatureCheck(signed=True, problem=f"{reason}; the signature is damaged")
            return SignatureCheck(signed=False, problem=reason)
        start1, len1, start2, len2 = (int(g) for g in matches[-1].groups())
        if start1 != 0 or start2 + len2 > len(data) or start2 < len1 + 2:
            return SignatureCheck(
                signed=True, problem=f"{reason}; the signed byte range lies outside the file"
            )
        if data[len1 : len1 + 1] != b"<" or data[start2 - 1 : start2] != b">":
            return SignatureCheck(signed=True, problem=f"{reason}; the signature data is damaged")
        hex_contents = re.sub(rb"\s", b"", data[len1 + 1 : start2 - 1])
        content_info = cms.ContentInfo.load(binascii.unhexlify(hex_contents), strict=False)
        signed_data = content_info["content"]
        signer_info = signed_data["signer_infos"][0]
        algorithm = signer_info["digest_algorithm"]["algorithm"].native
        expected = None
        for attribute in signer_info["signed_attrs"]:
            if attribute["type"].native == "message_digest":
                expected = attribute["values"][0].native
        digest = hashlib.new(algorithm, data[:len1] + data[start2 : start2 + len2]).digest()
        intact = expected is not None and digest == expected
    except Exception:
        return SignatureCheck(signed=True, problem=f"{reason}; the signature data is damaged")
    appended = len(data) - (start2 + len2)
    if not intact:
        problem = _CHANGED
    elif appended > 0:
        problem = _appended_problem(appended)
    else:
        problem = reason
    try:
        signer = _common_name(extract_certs_for_validation(signed_data).signer_cert)
    except Exception:
        signer = None
    return SignatureCheck(
        signed=True,
        intact=intact,
        valid=False,
        covers_whole_document=appended == 0,
        signer=signer,
        signed_at=_safe_signing_time(signer_info),
        problem=problem,
    )


def _safe_signing_time(signer_info) -> dt.datetime | None:
    try:
        return extract_self_reported_ts(signer_info)
    except Exception:
        return None
