"""Trust problems other than a foreign key: expiry, key usage, odd certificate sizes."""

import dataclasses
import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import certificates.signing.sign as signing_module
from certificates.signing import SigningIdentity, sign_pdf, verify_pdf
from tests.unit.certificates_signing.samples import make_pdf


def make_identity(directory, *, not_before, not_after, document_signing=True) -> SigningIdentity:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "crafted")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.KeyUsage(
                digital_signature=document_signing,
                content_commitment=document_signing,
                key_encipherment=not document_signing,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_path = directory / "crafted-key.pem"
    cert_path = directory / "crafted-cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return SigningIdentity(key_path, cert_path)


def test_expired_registry_certificate_is_reported(tmp_path):
    # given a PDF signed with a certificate that expired in 2021
    identity = make_identity(
        tmp_path,
        not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        not_after=dt.datetime(2021, 1, 1, tzinfo=dt.UTC),
    )
    signed = sign_pdf(make_pdf(), identity, reason="r", location="l")

    # when
    check = verify_pdf(signed, identity.cert_path)

    # then
    assert check.intact
    assert not check.valid
    assert "expired" in check.problem


def test_certificate_without_signing_key_usage_is_reported(tmp_path):
    # given a PDF signed with a certificate meant for encryption only
    now = dt.datetime.now(dt.UTC)
    identity = make_identity(
        tmp_path,
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=30),
        document_signing=False,
    )
    signed = sign_pdf(make_pdf(), identity, reason="r", location="l")

    # when
    check = verify_pdf(signed, identity.cert_path)

    # then
    assert check.intact
    assert not check.valid
    assert "may not sign documents" in check.problem


def test_too_small_size_estimate_falls_back_to_pyhanko(monkeypatch, registry_identity):
    # given a size reservation far too small for the signature container (sign_pdf looks up
    # _load in certificates.signing.sign, so that is the module to patch)
    real_load = signing_module._load
    monkeypatch.setattr(
        signing_module,
        "_load",
        lambda identity: dataclasses.replace(real_load(identity), bytes_reserved=64),
    )

    # when
    signed = sign_pdf(make_pdf(), registry_identity, reason="r", location="l")

    # then
    assert verify_pdf(signed, registry_identity.cert_path).ok


def issue(subject_cn, issuer_name, issuer_key, public_key, *, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)]))
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )


def write_pem(path, cert: x509.Certificate):
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def ca_issued_identity(directory, *, with_chain: bool) -> tuple[SigningIdentity, object]:
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Registry Root CA")])
    root = issue("Registry Root CA", root_name, root_key, root_key.public_key(), ca=True)
    sub_key = ec.generate_private_key(ec.SECP256R1())
    sub = issue("Registry Issuing CA", root_name, root_key, sub_key.public_key(), ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = issue("Registry Signer 01", sub.subject, sub_key, leaf_key.public_key(), ca=False)
    key_path = directory / "leaf-key.pem"
    key_path.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    chain = (write_pem(directory / "sub.pem", sub),) if with_chain else ()
    identity = SigningIdentity(key_path, write_pem(directory / "leaf.pem", leaf), None, chain)
    return identity, write_pem(directory / "root.pem", root)


def test_ca_issued_signer_with_intermediate_validates_against_the_root(tmp_path):
    # given a signer certificate issued by an intermediate CA, which is embedded when signing
    identity, root_path = ca_issued_identity(tmp_path, with_chain=True)
    signed = sign_pdf(make_pdf(), identity, reason="r", location="l")

    # when
    check = verify_pdf(signed, root_path)

    # then
    assert check.ok
    assert check.signer == "Registry Signer 01"


def test_ca_issued_signer_without_its_intermediate_is_untrusted(tmp_path):
    # given the same set-up but the intermediate certificate is not embedded
    identity, root_path = ca_issued_identity(tmp_path, with_chain=False)
    signed = sign_pdf(make_pdf(), identity, reason="r", location="l")

    # when
    check = verify_pdf(signed, root_path)

    # then
    assert not check.valid
    assert "untrusted" in check.problem
