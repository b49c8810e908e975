"""The registry's signing identity: where the key and certificate live, and loading them.

* :class:`SigningIdentity` names the key and certificate files; :func:`load_signer` turns it into a
  pyHanko ``SimpleSigner`` (cached per process, reloaded when the files change: the files'
  modification times are part of the cache key).
* :func:`ensure_demo_identity` creates (once) a self-signed demo key pair for development and
  ``make run``; production configures a real key and certificate instead. Creation holds a file
  lock in the directory, so concurrent callers end up with the same key pair; the key file is
  mode 0600.
* :func:`identity_from_settings` returns the identity configured in Django settings, or the demo
  identity when none is configured.
* Trust roots (the registry certificate a signed PDF is checked against) are read here as well,
  cached per process until the file changes.

This is the bottom of the package: ``sign`` and ``verify`` import from it, it imports neither.
The package's exceptions live here for the same reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

__all__ = [
    "CertificateSigningError",
    "SigningConfigurationError",
    "SigningIdentity",
    "ensure_demo_identity",
    "identity_from_settings",
    "load_signer",
]

DEMO_COMMON_NAME = "天津数据资产登记评估中心 (demo)"
DEMO_ORGANISATION = "天津数据资产登记评估中心"
DEMO_KEY_FILE = "key.pem"
DEMO_CERT_FILE = "cert.pem"
DEMO_VALIDITY = dt.timedelta(days=3652)  # 10 years


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


# --- trust roots ---------------------------------------------------------------------------------


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
