"""Digital signatures for certificate PDFs (PAdES baseline B-B via pyHanko).

The registry signs every certificate PDF it issues with an invisible PAdES signature added as an
incremental update, and anyone holding the registry certificate can check a PDF with
:func:`verify_pdf`.

* :class:`SigningIdentity` names the key and certificate files; :func:`load_signer` turns it into a
  pyHanko ``SimpleSigner`` (cached per process, reloaded when the files change).
* :func:`ensure_demo_identity` creates (once) a self-signed demo key pair for development and
  ``make run``; production configures a real key and certificate instead.
* :func:`sign_pdf` returns the signed bytes; :func:`verify_pdf` never raises on bad input and
  returns a :class:`SignatureCheck` with a human-readable ``problem``.

Only B-B is produced: no timestamp authority is reachable, so ``signed_at`` is the time the
signer claims, and the signature is checked against the current time (it stops validating when
the signing certificate expires).

pyHanko's synchronous entry points call ``asyncio.run``; the helpers below move that call to a
worker thread when they are used inside a running event loop (async views), so both sync and
async callers work.
"""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import datetime as dt
import fcntl
import functools
import hashlib
import io
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.generic_cms import (
    extract_certs_for_validation,
    extract_self_reported_ts,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import InvalidCertificateError
from pyhanko_certvalidator.registry import SimpleCertificateStore

__all__ = [
    "CertificateSigningError",
    "SignatureCheck",
    "SigningConfigurationError",
    "SigningIdentity",
    "ensure_demo_identity",
    "identity_from_settings",
    "load_signer",
    "sha256_hex",
    "sign_pdf",
    "verify_pdf",
]

DEMO_COMMON_NAME = "天津数据资产登记评估中心 (demo)"
DEMO_ORGANISATION = "天津数据资产登记评估中心"
DEMO_KEY_FILE = "key.pem"
DEMO_CERT_FILE = "cert.pem"
DEMO_VALIDITY = dt.timedelta(days=3652)  # 10 years

DIGEST_ALGORITHM = "sha256"
# Either bit is enough for a document signature (CAs issue both flavours).
_KEY_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)
_PDF_HEADER = b"%PDF-"
_CHANGED = "document changed after signing (the signed bytes do not match the signature)"


class CertificateSigningError(Exception):
    """Signing failed (bad input PDF, pyHanko error)."""


class SigningConfigurationError(CertificateSigningError):
    """The key or certificate files are missing, unreadable or do not belong together."""


# --- identities ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningIdentity:
    """Where the signing key and its certificate live (PEM or DER files)."""

    key_path: Path
    cert_path: Path
    passphrase: str | None = field(default=None, repr=False)
    # Intermediate CA certificates to embed next to the signer's (CA-issued production certs).
    chain_paths: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_path", Path(self.key_path))
        object.__setattr__(self, "cert_path", Path(self.cert_path))
        object.__setattr__(self, "chain_paths", tuple(Path(p) for p in self.chain_paths))


@dataclass(frozen=True)
class _LoadedSigner:
    signer: signers.SimpleSigner
    bytes_reserved: int


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def _load(identity: SigningIdentity) -> _LoadedSigner:
    # The modification times are part of the cache key: a rotated key is picked up without a
    # restart, and an unchanged one is read once per process.
    stamp = tuple(
        _mtime_ns(p) for p in (identity.key_path, identity.cert_path, *identity.chain_paths)
    )
    return _load_cached(identity, stamp)


@functools.lru_cache(maxsize=8)
def _load_cached(identity: SigningIdentity, _stamp: tuple[int, ...]) -> _LoadedSigner:
    try:
        key_bytes = identity.key_path.read_bytes()
        cert_bytes = identity.cert_path.read_bytes()
        chain_bytes = [p.read_bytes() for p in identity.chain_paths]
    except OSError as exc:
        raise SigningConfigurationError(f"cannot read signing key material: {exc}") from exc

    passphrase = identity.passphrase.encode() if identity.passphrase else None
    try:
        key = load_private_key_from_pemder_data(key_bytes, passphrase=passphrase)
    except (TypeError, ValueError) as exc:
        raise SigningConfigurationError(
            f"cannot load the signing key {identity.key_path} (wrong passphrase?): {exc}"
        ) from exc
    try:
        certs = list(load_certs_from_pemder_data(cert_bytes))
        chain = [c for data in chain_bytes for c in load_certs_from_pemder_data(data)]
    except ValueError as exc:
        raise SigningConfigurationError(f"cannot load the signing certificate: {exc}") from exc
    if len(certs) != 1:
        raise SigningConfigurationError(
            f"{identity.cert_path} must hold exactly one certificate, found {len(certs)}"
        )
    cert = certs[0]
    if _public_key_der(cert) != _private_key_public_der(key_bytes, passphrase):
        raise SigningConfigurationError(
            f"the key {identity.key_path} does not belong to the certificate {identity.cert_path}"
        )

    registry = SimpleCertificateStore()
    registry.register_multiple(chain)
    signer = signers.SimpleSigner(signing_cert=cert, signing_key=key, cert_registry=registry)
    # A fixed reservation avoids pyHanko's dry-run signature (one signature instead of two).
    # pyHanko counts hex digits: 2 per CMS byte. The CMS holds the certificates plus attributes
    # and the signature value (~0.5 KiB for EC, ~1 KiB for RSA-4096): 2 KiB spare is plenty, and
    # sign_pdf falls back to pyHanko's own estimate if it ever is not.
    cert_bytes_total = len(cert.dump()) + sum(len(c.dump()) for c in chain)
    reserved = 4096 + 2 * cert_bytes_total
    return _LoadedSigner(signer=signer, bytes_reserved=reserved)


def _public_key_der(cert: asn1_x509.Certificate) -> bytes:
    return (
        x509.load_der_x509_certificate(cert.dump())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _private_key_public_der(key_bytes: bytes, passphrase: bytes | None) -> bytes:
    loader = (
        serialization.load_pem_private_key
        if b"-----BEGIN" in key_bytes
        else serialization.load_der_private_key
    )
    return (
        loader(key_bytes, password=passphrase)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def load_signer(identity: SigningIdentity) -> signers.SimpleSigner:
    """The pyHanko signer for ``identity`` (cached per process until the files change).

    Raises :class:`SigningConfigurationError` when the files are missing, the passphrase is
    wrong or the key does not match the certificate.
    """
    return _load(identity).signer


def ensure_demo_identity(
    directory: Path,
    common_name: str = DEMO_COMMON_NAME,
    *,
    organisation: str = DEMO_ORGANISATION,
) -> SigningIdentity:
    """A self-signed demo identity in ``directory`` (``key.pem`` mode 0600 and ``cert.pem``).

    Creates an EC P-256 key and a 10-year certificate (digitalSignature + nonRepudiation) when
    the files are missing, reuses them otherwise. Safe against concurrent callers (file lock).
    A key without certificate gets a new certificate; a certificate without key is refused.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_path = directory / DEMO_KEY_FILE
    cert_path = directory / DEMO_CERT_FILE
    identity = SigningIdentity(key_path=key_path, cert_path=cert_path)
    if key_path.exists() and cert_path.exists():
        _tighten_key_mode(key_path)
        return identity

    with _directory_lock(directory):
        if key_path.exists() and cert_path.exists():  # another process was faster
            return identity
        if cert_path.exists():
            raise SigningConfigurationError(
                f"{cert_path} exists without its key {key_path}; remove it to create a new "
                "demo identity"
            )
        if key_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            _tighten_key_mode(key_path)
        else:
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            _write_atomically(key_path, pem, mode=0o600)
        cert = _self_signed_certificate(key, common_name, organisation)
        _write_atomically(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return identity


def _self_signed_certificate(key, common_name: str, organisation: str) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))  # tolerate clock skew
        .not_valid_after(now + DEMO_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # a.k.a. nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )


@contextlib.contextmanager
def _directory_lock(directory: Path):
    with open(directory / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # the umask must not widen or narrow it
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _tighten_key_mode(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)


def identity_from_settings() -> SigningIdentity:
    """The identity configured in Django settings, or the demo identity when none is configured.

    Uses ``CERTIFICATE_SIGNING_KEY``, ``CERTIFICATE_SIGNING_CERT``,
    ``CERTIFICATE_SIGNING_PASSPHRASE`` and ``CERTIFICATE_DEMO_SIGNING_DIR``.
    """
    from django.conf import settings

    key = getattr(settings, "CERTIFICATE_SIGNING_KEY", "")
    cert = getattr(settings, "CERTIFICATE_SIGNING_CERT", "")
    if key and cert:
        passphrase = getattr(settings, "CERTIFICATE_SIGNING_PASSPHRASE", "") or None
        return SigningIdentity(key_path=Path(key), cert_path=Path(cert), passphrase=passphrase)
    if key or cert:
        raise SigningConfigurationError(
            "set both CERTIFICATE_SIGNING_KEY and CERTIFICATE_SIGNING_CERT, or neither"
        )
    return ensure_demo_identity(Path(settings.CERTIFICATE_DEMO_SIGNING_DIR))


# --- signing -------------------------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data`` (document hashes)."""
    return hashlib.sha256(data).hexdigest()


def _outside_event_loop[T](function: Callable[[], T]) -> T:
    """Run ``function`` (which calls ``asyncio.run``) on a worker thread inside a running loop."""
    try:
        asyncio.get_running_loop()
        in_loop = True
    except RuntimeError:
        in_loop = False
    if not in_loop:
        return function()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


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


# --- verification --------------------------------------------------------------------------------


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


@functools.lru_cache(maxsize=8)
def _trust_root(path: Path, _stamp: int) -> asn1_x509.Certificate:
    try:
        certs = list(load_certs_from_pemder_data(path.read_bytes()))
    except (OSError, ValueError) as exc:
        raise SigningConfigurationError(
            f"cannot read the trusted certificate {path}: {exc}"
        ) from exc
    if len(certs) != 1:
        raise SigningConfigurationError(f"{path} must hold exactly one certificate")
    return certs[0]


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
