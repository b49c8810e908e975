"""Demo identities and loading key material."""

import datetime as dt
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certificates.signing import (
    SigningConfigurationError,
    SigningIdentity,
    ensure_demo_identity,
    identity_from_settings,
    load_signer,
    sign_pdf,
    verify_pdf,
)
from tests.unit.certificates_signing.samples import make_pdf


def load_cert(identity: SigningIdentity) -> x509.Certificate:
    return x509.load_pem_x509_certificate(identity.cert_path.read_bytes())


def test_demo_identity_is_created_with_private_key_file(tmp_path):
    # given an empty directory that does not exist yet
    directory = tmp_path / "var" / "signing"

    # when
    identity = ensure_demo_identity(directory)

    # then
    assert identity.key_path == directory / "key.pem"
    assert identity.cert_path == directory / "cert.pem"
    assert identity.passphrase is None
    assert stat.S_IMODE(identity.key_path.stat().st_mode) == 0o600
    assert identity.key_path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_demo_key_is_private_even_with_a_permissive_umask(tmp_path):
    # given a umask that would make new files world-readable
    previous = os.umask(0)
    try:
        # when
        identity = ensure_demo_identity(tmp_path)
    finally:
        os.umask(previous)

    # then
    assert stat.S_IMODE(identity.key_path.stat().st_mode) == 0o600


def test_demo_certificate_contents(tmp_path):
    # given / when
    identity = ensure_demo_identity(tmp_path, common_name="测试登记中心")
    cert = load_cert(identity)

    # then
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "测试登记中心"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    assert cert.issuer == cert.subject
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert usage.value.content_commitment  # nonRepudiation
    assert not usage.value.key_cert_sign
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert dt.timedelta(days=3650) <= lifetime <= dt.timedelta(days=3655)
    assert cert.not_valid_before_utc <= dt.datetime.now(dt.UTC) <= cert.not_valid_after_utc
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)


def test_demo_identity_is_reused(tmp_path):
    # given an existing demo identity
    first = ensure_demo_identity(tmp_path)
    cert_bytes = first.cert_path.read_bytes()
    key_bytes = first.key_path.read_bytes()

    # when
    second = ensure_demo_identity(tmp_path)

    # then
    assert second == first
    assert second.cert_path.read_bytes() == cert_bytes
    assert second.key_path.read_bytes() == key_bytes


def test_reused_key_file_is_made_private(tmp_path):
    # given a demo identity whose key file was made group/world readable
    identity = ensure_demo_identity(tmp_path)
    identity.key_path.chmod(0o644)

    # when
    ensure_demo_identity(tmp_path)

    # then
    assert stat.S_IMODE(identity.key_path.stat().st_mode) == 0o600


def test_a_key_without_certificate_gets_a_new_certificate(tmp_path):
    # given a directory where only the key survived
    identity = ensure_demo_identity(tmp_path)
    key_bytes = identity.key_path.read_bytes()
    old_cert = identity.cert_path.read_bytes()
    identity.cert_path.unlink()

    # when
    again = ensure_demo_identity(tmp_path)

    # then the key is kept and the new certificate matches it
    assert again.key_path.read_bytes() == key_bytes
    assert again.cert_path.read_bytes() != old_cert
    signed = sign_pdf(make_pdf(), again, reason="r", location="l")
    assert verify_pdf(signed, again.cert_path).ok


def test_a_certificate_without_key_is_refused(tmp_path):
    # given a directory where only the certificate survived
    identity = ensure_demo_identity(tmp_path)
    identity.key_path.unlink()

    # when / then
    with pytest.raises(SigningConfigurationError, match="without its key"):
        ensure_demo_identity(tmp_path)


def test_load_signer_is_cached(registry_identity):
    # given the registry identity (fixture)

    # when
    first = load_signer(registry_identity)
    second = load_signer(SigningIdentity(registry_identity.key_path, registry_identity.cert_path))

    # then
    assert first is second
    assert first.signing_cert.subject.native["common_name"] == "天津数据资产登记评估中心 (demo)"


def test_load_signer_picks_up_replaced_files(tmp_path):
    # given a loaded demo identity whose files are then replaced by a new identity
    identity = ensure_demo_identity(tmp_path)
    before = load_signer(identity)
    identity.key_path.unlink()
    identity.cert_path.unlink()
    ensure_demo_identity(tmp_path)

    # when
    after = load_signer(identity)

    # then
    assert after is not before
    assert after.signing_cert.dump() == load_cert(identity).public_bytes(serialization.Encoding.DER)


def test_missing_files_are_a_configuration_error(tmp_path):
    # given an identity pointing nowhere
    identity = SigningIdentity(tmp_path / "key.pem", tmp_path / "cert.pem")

    # when / then
    with pytest.raises(SigningConfigurationError):
        load_signer(identity)


def test_key_and_certificate_must_belong_together(registry_identity, other_identity):
    # given the registry's certificate with another key
    mixed = SigningIdentity(other_identity.key_path, registry_identity.cert_path)

    # when / then
    with pytest.raises(SigningConfigurationError, match="does not belong"):
        load_signer(mixed)


def encrypt_key(identity: SigningIdentity, passphrase: str, target) -> None:
    key = serialization.load_pem_private_key(identity.key_path.read_bytes(), password=None)
    target.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase.encode()),
        )
    )


def test_passphrase_protected_key(tmp_path, registry_identity):
    # given the registry key encrypted with a passphrase
    encrypted = tmp_path / "encrypted-key.pem"
    encrypt_key(registry_identity, "correct horse 电池", encrypted)
    identity = SigningIdentity(encrypted, registry_identity.cert_path, "correct horse 电池")

    # when
    signed = sign_pdf(make_pdf(), identity, reason="r", location="l")

    # then
    assert verify_pdf(signed, registry_identity.cert_path).ok
    assert "correct horse" not in repr(identity)


@pytest.mark.parametrize("passphrase", [None, "wrong"])
def test_wrong_or_missing_passphrase_is_a_configuration_error(
    tmp_path, registry_identity, passphrase
):
    # given an encrypted key and a wrong (or no) passphrase
    encrypted = tmp_path / "encrypted-key.pem"
    encrypt_key(registry_identity, "right", encrypted)
    identity = SigningIdentity(encrypted, registry_identity.cert_path, passphrase)

    # when / then
    with pytest.raises(SigningConfigurationError):
        sign_pdf(make_pdf(), identity, reason="r", location="l")


def test_identity_from_settings_falls_back_to_the_demo_identity(settings, tmp_path):
    # given no configured key
    settings.CERTIFICATE_SIGNING_KEY = ""
    settings.CERTIFICATE_SIGNING_CERT = ""
    settings.CERTIFICATE_DEMO_SIGNING_DIR = tmp_path / "demo"

    # when
    identity = identity_from_settings()

    # then
    assert identity.key_path == tmp_path / "demo" / "key.pem"
    assert identity.cert_path.exists()


def test_identity_from_settings_uses_the_configured_key(settings, registry_identity):
    # given a configured key, certificate and passphrase
    settings.CERTIFICATE_SIGNING_KEY = str(registry_identity.key_path)
    settings.CERTIFICATE_SIGNING_CERT = str(registry_identity.cert_path)
    settings.CERTIFICATE_SIGNING_PASSPHRASE = ""

    # when
    identity = identity_from_settings()

    # then
    assert identity == SigningIdentity(registry_identity.key_path, registry_identity.cert_path)


def test_identity_from_settings_refuses_half_a_configuration(settings, registry_identity):
    # given a key without certificate
    settings.CERTIFICATE_SIGNING_KEY = str(registry_identity.key_path)
    settings.CERTIFICATE_SIGNING_CERT = ""

    # when / then
    with pytest.raises(SigningConfigurationError, match="both"):
        identity_from_settings()
