"""Fixtures for the certificate-signing tests: demo identities and small sample PDFs."""

from pathlib import Path

import pytest

from certificates.signing import SigningIdentity, ensure_demo_identity, sign_pdf
from tests.unit.certificates_signing.samples import make_pdf


@pytest.fixture(scope="session")
def registry_identity(tmp_path_factory) -> SigningIdentity:
    return ensure_demo_identity(tmp_path_factory.mktemp("registry-key"))


@pytest.fixture(scope="session")
def other_identity(tmp_path_factory) -> SigningIdentity:
    # Same default common name as the registry's: only the key tells them apart.
    return ensure_demo_identity(tmp_path_factory.mktemp("other-key"))


@pytest.fixture(scope="session")
def registry_cert(registry_identity) -> Path:
    return registry_identity.cert_path


@pytest.fixture(scope="session")
def sample_pdf() -> bytes:
    # ~9 KB of page content, so the middle of the signed file lies in the original revision.
    return make_pdf(lines=120)


@pytest.fixture(scope="session")
def signed_pdf(sample_pdf, registry_identity) -> bytes:
    return sign_pdf(sample_pdf, registry_identity, reason="数据资产登记证书", location="天津")
