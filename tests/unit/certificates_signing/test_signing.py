"""Signing a certificate PDF and checking it: the happy path and tampering."""

import asyncio
import datetime as dt
import io
import re

import pytest
from pyhanko.pdf_utils.generic import pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader

from certificates.signing import (
    CertificateSigningError,
    sha256_hex,
    sign_pdf,
    verify_pdf,
)
from tests.unit.certificates_signing.samples import CERTIFICATE_NUMBER, make_pdf

DEMO_CN = "天津数据资产登记评估中心 (demo)"


def byte_range(signed: bytes) -> tuple[int, int, int, int]:
    match = re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", signed)[-1]
    return tuple(int(value) for value in match)


def flip(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


def in_signed_range(signed: bytes, position: int) -> bool:
    start1, len1, start2, len2 = byte_range(signed)
    return start1 <= position < start1 + len1 or start2 <= position < start2 + len2


def test_signed_pdf_validates_against_the_registry_certificate(signed_pdf, registry_cert):
    # given a PDF signed with the registry's identity (fixture)
    before = dt.datetime.now(dt.UTC)

    # when
    check = verify_pdf(signed_pdf, registry_cert)

    # then
    assert check.signed
    assert check.intact
    assert check.valid
    assert check.covers_whole_document
    assert check.ok
    assert check.signer == DEMO_CN
    assert check.problem is None
    assert check.signed_at is not None
    assert check.signed_at.tzinfo is not None
    assert before - dt.timedelta(hours=1) < check.signed_at <= dt.datetime.now(dt.UTC)


def test_signature_is_an_incremental_update_keeping_the_original_bytes(sample_pdf, signed_pdf):
    # given the unsigned and the signed PDF (fixtures)

    # when
    start1, len1, start2, len2 = byte_range(signed_pdf)

    # then the original file is untouched at the start, the signature covers the whole file
    assert signed_pdf.startswith(sample_pdf)
    assert start1 == 0
    assert start2 + len2 == len(signed_pdf)
    assert signed_pdf[len1 : len1 + 1] == b"<"
    assert signed_pdf[start2 - 1 : start2] == b">"


def test_signed_pdf_is_readable_by_another_pdf_library(signed_pdf):
    # given the signed PDF (fixture)

    # when pypdf, an independent implementation, reads it
    reader = PdfReader(io.BytesIO(signed_pdf))
    field = reader.trailer["/Root"]["/AcroForm"]["/Fields"][0].get_object()
    signature = field["/V"].get_object()

    # then it sees one page, the PAdES signature field and the Chinese reason and location
    assert len(reader.pages) == 1
    assert CERTIFICATE_NUMBER.decode() in reader.pages[0].extract_text()
    assert field["/T"] == "RegistrySignature"
    assert field["/FT"] == "/Sig"
    assert signature["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature["/Reason"] == "数据资产登记证书"
    assert signature["/Location"] == "天津"


def test_signing_is_deterministic_in_layout(sample_pdf, registry_identity):
    # given the same PDF and identity

    # when it is signed twice
    first = sign_pdf(sample_pdf, registry_identity, reason="r", location="l")
    second = sign_pdf(sample_pdf, registry_identity, reason="r", location="l")

    # then the layout is the same (only the signing time and the ECDSA value differ)
    assert len(first) == len(second)
    assert byte_range(first) == byte_range(second)
    assert verify_pdf(first, registry_identity.cert_path).valid
    assert verify_pdf(second, registry_identity.cert_path).valid


def test_custom_field_name(sample_pdf, registry_identity):
    # given
    field_name = "Registrar2026"

    # when
    signed = sign_pdf(
        sample_pdf, registry_identity, reason="r", location="l", field_name=field_name
    )

    # then
    reader = PdfReader(io.BytesIO(signed))
    assert reader.trailer["/Root"]["/AcroForm"]["/Fields"][0].get_object()["/T"] == field_name
    assert verify_pdf(signed, registry_identity.cert_path).valid


def test_one_changed_byte_in_the_page_content_breaks_the_signature(signed_pdf, registry_cert):
    # given the certificate number in the page content, changed by one byte ("3" -> "2")
    position = signed_pdf.index(CERTIFICATE_NUMBER) + len(CERTIFICATE_NUMBER) - 1
    assert in_signed_range(signed_pdf, position)
    tampered = signed_pdf[:position] + b"2" + signed_pdf[position + 1 :]

    # when
    check = verify_pdf(tampered, registry_cert)

    # then
    assert check.signed
    assert not check.intact
    assert not check.valid
    assert not check.ok
    assert check.problem is not None
    assert "changed after signing" in check.problem


def test_one_changed_byte_in_the_middle_of_the_file_breaks_the_signature(signed_pdf, registry_cert):
    # given one bit flipped in the middle of the signed file
    position = len(signed_pdf) // 2
    assert in_signed_range(signed_pdf, position)
    tampered = flip(signed_pdf, position)

    # when
    check = verify_pdf(tampered, registry_cert)

    # then
    assert check.signed
    assert not check.intact
    assert not check.valid
    assert "changed after signing" in check.problem


@pytest.mark.parametrize(
    "where",
    [
        "pdf version in the header",
        "original xref table",
        "original trailer",
        "signature reason",
        "signature revision xref",
        "last byte of the file",
    ],
)
def test_one_changed_byte_anywhere_in_the_signed_range_is_detected(
    signed_pdf, registry_cert, where
):
    # given one bit flipped at a structurally interesting place
    original_end = signed_pdf.index(b"%%EOF")
    positions = {
        "pdf version in the header": 7,
        "original xref table": signed_pdf.index(b"0000000000 65535 f") + 3,
        "original trailer": signed_pdf.index(b"/Root", signed_pdf.index(b"trailer")) + 2,
        "signature reason": signed_pdf.index(b"/Reason") + 2,
        "signature revision xref": signed_pdf.index(b"xref", original_end) + 10,
        "last byte of the file": len(signed_pdf) - 1,
    }
    position = positions[where]
    assert in_signed_range(signed_pdf, position)
    tampered = flip(signed_pdf, position)

    # when
    check = verify_pdf(tampered, registry_cert)

    # then
    assert not check.valid
    assert not check.ok
    assert check.problem


def test_a_damaged_signature_dictionary_is_still_reported_as_signed(signed_pdf, registry_cert):
    # given the "[" of the /ByteRange array damaged so that the PDF no longer parses
    position = signed_pdf.index(b"[", signed_pdf.index(b"/ByteRange"))
    assert in_signed_range(signed_pdf, position)
    tampered = signed_pdf[:position] + b"!" + signed_pdf[position + 1 :]

    # when
    check = verify_pdf(tampered, registry_cert)

    # then
    assert check.signed
    assert not check.valid
    assert check.problem.startswith("damaged PDF")


def test_tampered_signature_value_is_detected(signed_pdf, registry_cert):
    # given one hex digit of the embedded signature container changed (outside the byte range)
    _, len1, start2, _ = byte_range(signed_pdf)
    contents = signed_pdf[len1 + 1 : start2 - 1]
    significant = len(contents.rstrip(b"0"))
    position = len1 + 1 + significant - 4  # inside the ECDSA signature value at the end
    digit = signed_pdf[position : position + 1]
    replacement = b"1" if digit != b"1" else b"2"
    tampered = signed_pdf[:position] + replacement + signed_pdf[position + 1 :]

    # when
    check = verify_pdf(tampered, registry_cert)

    # then
    assert check.signed
    assert not check.valid
    assert check.problem


def test_bytes_appended_after_signing_are_reported(signed_pdf, registry_cert):
    # given a few bytes appended after the signed %%EOF
    extended = signed_pdf + b"\n% appended later\n"

    # when
    check = verify_pdf(extended, registry_cert)

    # then the signed part is still valid, but it no longer covers the document
    assert check.signed
    assert check.intact
    assert check.valid
    assert not check.covers_whole_document
    assert not check.ok
    assert "18 bytes were added after the signature" in check.problem


def test_an_incremental_update_after_signing_is_reported(signed_pdf, registry_cert):
    # given a well-formed incremental update appended by someone else
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_pdf))
    writer.root["/Lang"] = pdf_string("en-GB")
    writer.update_root()
    output = io.BytesIO()
    writer.write(output)
    updated = output.getvalue()

    # when
    check = verify_pdf(updated, registry_cert)

    # then
    assert check.valid
    assert not check.covers_whole_document
    assert not check.ok
    assert "changed after signing" in check.problem


def test_a_lot_of_garbage_appended_after_signing_is_reported(signed_pdf, registry_cert):
    # given 4 KiB of garbage appended: the file has no readable end of file marker any more
    extended = signed_pdf + bytes(range(256)) * 16

    # when
    check = verify_pdf(extended, registry_cert)

    # then
    assert check.signed
    assert check.intact
    assert not check.valid
    assert not check.covers_whole_document
    assert "4096 bytes were added after the signature" in check.problem


def test_signature_by_an_untrusted_identity_is_not_valid(sample_pdf, other_identity, registry_cert):
    # given a PDF signed by another demo identity with the same common name
    signed = sign_pdf(sample_pdf, other_identity, reason="r", location="l")

    # when it is checked against the registry certificate
    check = verify_pdf(signed, registry_cert)

    # then
    assert check.signed
    assert check.intact
    assert not check.valid
    assert check.covers_whole_document
    assert check.signer == DEMO_CN
    assert "untrusted" in check.problem


def test_verify_inside_a_running_event_loop(signed_pdf, registry_cert):
    # given an async caller (pyHanko itself calls asyncio.run)
    async def caller():
        return verify_pdf(signed_pdf, registry_cert)

    # when
    check = asyncio.run(caller())

    # then
    assert check.valid


def test_sign_inside_a_running_event_loop(sample_pdf, registry_identity):
    # given an async caller
    async def caller():
        return sign_pdf(sample_pdf, registry_identity, reason="r", location="l")

    # when
    signed = asyncio.run(caller())

    # then
    assert verify_pdf(signed, registry_identity.cert_path).valid


def test_sign_a_weasyprint_pdf(registry_identity):
    # given a real, compressed PDF with embedded fonts
    weasyprint = pytest.importorskip("weasyprint")
    pdf = weasyprint.HTML(
        string="<h1>数据资产登记证书</h1><p>" + "Data asset certificate. " * 300 + "</p>"
    ).write_pdf()

    # when
    signed = sign_pdf(pdf, registry_identity, reason="数据资产登记证书", location="天津")

    # then it validates, and one flipped bit in the middle (a compressed stream) breaks it
    assert verify_pdf(signed, registry_identity.cert_path).ok
    middle = len(signed) // 2
    assert in_signed_range(signed, middle)
    check = verify_pdf(flip(signed, middle), registry_identity.cert_path)
    assert not check.valid
    assert "changed after signing" in check.problem


def test_signing_twice_keeps_both_signatures_and_checks_the_last(sample_pdf, registry_identity):
    # given a PDF already signed once
    once = sign_pdf(sample_pdf, registry_identity, reason="r", location="l", field_name="A")

    # when it is signed again in another field
    twice = sign_pdf(once, registry_identity, reason="r", location="l", field_name="B")

    # then the last signature covers everything
    check = verify_pdf(twice, registry_identity.cert_path)
    assert check.ok
    assert twice.startswith(once)


def test_signing_the_same_field_twice_is_refused(signed_pdf, registry_identity):
    # given a PDF whose RegistrySignature field is already signed (fixture)

    # when / then
    with pytest.raises(CertificateSigningError):
        sign_pdf(signed_pdf, registry_identity, reason="r", location="l")


@pytest.mark.parametrize("data", [b"", b"hello", b"<html></html>"])
def test_signing_something_that_is_not_a_pdf_is_refused(registry_identity, data):
    # given non-PDF bytes

    # when / then
    with pytest.raises(CertificateSigningError, match="not a PDF"):
        sign_pdf(data, registry_identity, reason="r", location="l")


def test_signing_a_broken_pdf_is_refused(registry_identity):
    # given a PDF cut in half
    broken = make_pdf()[:200]

    # when / then
    with pytest.raises(CertificateSigningError):
        sign_pdf(broken, registry_identity, reason="r", location="l")


def test_sha256_hex():
    # given
    data = b"abc"

    # when
    digest = sha256_hex(data)

    # then
    assert digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
