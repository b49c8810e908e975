"""verify_pdf never raises on bad input; it says what is wrong."""

import random

import pytest

from certificates.signing import SigningConfigurationError, verify_pdf
from tests.unit.certificates_signing.samples import make_pdf

RANDOM = random.Random(20260525)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "not a PDF"),
        (b"hello world", "not a PDF"),
        (RANDOM.randbytes(4096), "not a PDF"),
        (b"%PDF-1.7\n" + RANDOM.randbytes(4096), "damaged PDF"),
        (b"%PDF-1.7\n%%EOF\n", "damaged PDF"),
        (make_pdf(), "no signature"),
        (make_pdf()[:250], "damaged PDF"),
    ],
    ids=[
        "empty",
        "text",
        "random bytes",
        "pdf header then random bytes",
        "header and eof only",
        "unsigned pdf",
        "truncated unsigned pdf",
    ],
)
def test_garbage_is_reported_not_raised(registry_cert, data, problem):
    # given bytes that are not a signed PDF

    # when
    check = verify_pdf(data, registry_cert)

    # then
    assert not check.signed
    assert not check.intact
    assert not check.valid
    assert not check.covers_whole_document
    assert not check.ok
    assert check.signer is None
    assert check.signed_at is None
    assert check.problem.startswith(problem)


def test_a_signed_pdf_cut_in_half_has_no_signature_left(signed_pdf, registry_cert):
    # given the first half of a signed PDF (the signature is in the appended revision)
    truncated = signed_pdf[: len(signed_pdf) // 2]

    # when
    check = verify_pdf(truncated, registry_cert)

    # then
    assert not check.signed
    assert not check.valid
    assert check.problem.startswith("damaged PDF")


@pytest.mark.parametrize("cut", [1, 7, 30, 200])
def test_a_signed_pdf_missing_its_last_bytes_is_not_valid(signed_pdf, registry_cert, cut):
    # given a signed PDF with its last bytes cut off
    truncated = signed_pdf[:-cut]

    # when
    check = verify_pdf(truncated, registry_cert)

    # then
    assert not check.valid
    assert not check.covers_whole_document
    assert check.problem


def test_memoryview_and_bytearray_inputs_are_accepted(signed_pdf, registry_cert):
    # given the signed PDF in other buffer types

    # when
    checks = [
        verify_pdf(bytearray(signed_pdf), registry_cert),
        verify_pdf(memoryview(signed_pdf), registry_cert),
    ]

    # then
    assert all(check.ok for check in checks)


def test_missing_trusted_certificate_is_a_configuration_error(signed_pdf, tmp_path):
    # given a trusted certificate path that does not exist

    # when / then
    with pytest.raises(SigningConfigurationError):
        verify_pdf(signed_pdf, tmp_path / "missing.pem")
