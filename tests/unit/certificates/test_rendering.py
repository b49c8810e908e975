"""Registration certificate PDF (domain.md section 5): every field printed, one A4 page, small,
QR code readable, names escaped and wrapped, rare characters drawn. No database: content in,
bytes out (Django templates only)."""

import dataclasses
import datetime as dt
import io
import re
import shutil
import subprocess

import pytest
from fontTools.pens.boundsPen import ControlBoundsPen
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from certificates.rendering import (
    TEMPLATES,
    CertificateData,
    CertificateLayoutError,
    render_certificate_pdf,
)

CERTIFICATE = CertificateData(
    certificate_number="20260612000000012",
    registration_number="2026011123456789X",
    asset_name="天津港集装箱物流运营数据集",
    holder_name="天津港数据服务有限公司",
    holder_uscc="91120116MA05JKP8X7",
    rights=("数据资源持有权", "数据加工使用权"),
    data_category="企业数据",
    data_format="结构化数据表",
    record_count=12_345_678,
    size_bytes=2_684_354_560,
    update_frequency="每日",
    quality_grade="B",
    registration_date=dt.date(2026, 6, 9),
    valid_until=dt.date(2029, 6, 8),
    evidence_sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    issued_on=dt.date(2026, 6, 12),
    version=2,
    verification_url="https://registry.example.cn/verify/20260612000000012",
)

# Chinese labels of every field of domain.md section 5, and the headings.
LABELS = [
    "天津数据资产登记评估中心",
    "数据资产登记证书",
    "证书编号",
    "版本",
    "登记号",
    "数据资产名称",
    "权利人",
    "统一社会信用代码",
    "登记权利",
    "数据类别",
    "数据规模",
    "更新频率",
    "质量等级",
    "登记日期",
    "有效期至",
    "存证哈希",
    "扫码查验",
    "登记机构",
    "发证日期",
    "验证网址",
]
VALUES = [
    "20260612000000012",
    "2026011123456789X",
    "天津港集装箱物流运营数据集",
    "天津港数据服务有限公司",
    "91120116MA05JKP8X7",
    "数据资源持有权",
    "数据加工使用权",
    "企业数据",
    "结构化数据表",
    "12,345,678条",
    "2.68GB",
    "每日",
    "B级",
    "2026年6月9日",
    "2029年6月8日",
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "2026年6月12日",
    "https://registry.example.cn/verify/20260612000000012",
    "SHA-256",
]


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _compact(text: str) -> str:
    """Without white space: letter-spaced headings come out of the PDF with spaces inside."""
    return re.sub(r"\s+", "", text)


def _pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _glyph_fonts(pdf: bytes, character: str) -> dict[str, bool]:
    """For each PDF font that shows `character`: whether its embedded glyph has an outline.

    WeasyPrint maps a missing glyph to a blank one yet keeps the character in the text layer,
    so the extracted text alone does not prove that the character is drawn."""
    found = {}
    code = character.encode("utf-16-be").hex()
    for font_ref in PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"].values():
        font = font_ref.get_object()
        cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
        glyph_ids = [
            int(gid, 16) for gid, text in re.findall(r"<(\w+)> <(\w+)>", cmap) if text == code
        ]
        if not glyph_ids:
            continue
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        program = (descriptor.get("/FontFile2") or descriptor.get("/FontFile3")).get_object()
        embedded = TTFont(io.BytesIO(program.get_data()))
        pen = ControlBoundsPen(embedded.getGlyphSet())
        embedded.getGlyphSet()[embedded.getGlyphOrder()[glyph_ids[0]]].draw(pen)
        found[str(font["/BaseFont"])] = pen.bounds is not None
    return found


def test_registration_certificate_prints_every_field_on_one_small_page():
    # given the certificate of a registered and graded asset

    # when it is rendered
    pdf = render_certificate_pdf(CERTIFICATE)

    # then one A4 page under 100 KB prints every label and value
    text = _compact(_text(pdf))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width) / 72 * 25.4), round(float(height) / 72 * 25.4)) == (210, 297)
    assert len(pdf) < 100_000
    missing = [value for value in LABELS + VALUES if _compact(value) not in text]
    assert missing == []
    assert "DATAASSETREGISTRATIONCERTIFICATE" in text.upper()
    assert reader.metadata.title == "数据资产登记证书 20260612000000012"


def test_an_ungraded_asset_has_no_quality_grade_row():
    # given an asset without a quality assessment
    ungraded = dataclasses.replace(CERTIFICATE, quality_grade="")

    # when its certificate is rendered
    text = _compact(_text(render_certificate_pdf(ungraded)))

    # then the grade row is left out, the rest is printed
    assert "质量等级" not in text
    assert "数据规模" in text


def test_the_qr_code_decodes_to_the_verification_url(tmp_path):
    # given the poppler and zbar command-line tools
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("pdftoppm (poppler-utils) and zbarimg (zbar-tools) are needed to scan the QR")
    document, page = tmp_path / "certificate.pdf", tmp_path / "page"
    document.write_bytes(render_certificate_pdf(CERTIFICATE))

    # when page 1 is rasterised at 150 dpi and scanned
    rasterise = [
        "pdftoppm",
        "-r",
        "150",
        "-png",
        "-f",
        "1",
        "-singlefile",
        str(document),
        str(page),
    ]
    subprocess.run(rasterise, check=True)
    scan = subprocess.run(
        ["zbarimg", "--raw", "-q", f"{page}.png"], capture_output=True, text=True, check=True
    )

    # then the only code found is the verification URL
    assert scan.stdout.splitlines() == [CERTIFICATE.verification_url]


def test_markup_in_names_is_printed_as_text():
    # given names that would break the page if inserted as HTML
    hostile = dataclasses.replace(
        CERTIFICATE,
        asset_name='<script>alert("x")</script></div></td></tr></table>数据集',
        holder_name="</div><div style='page-break-before:always'>恶意公司</div>&amp;",
    )

    # when the certificate is rendered
    pdf = render_certificate_pdf(hostile)

    # then the markup is shown literally and the certificate keeps its single page
    text = _compact(_text(pdf))
    assert _compact(hostile.asset_name) in text
    assert _compact(hostile.holder_name) in text
    assert _pages(pdf) == 1


@pytest.mark.parametrize(
    "name",
    [
        ("天津港集装箱物流运营数据集" * 16)[:200],
        "A" * 200,  # no break opportunity at all
        ("Tianjin port container logistics data " * 6)[:200],
    ],
    ids=["chinese", "unbreakable", "english"],
)
def test_a_200_character_name_wraps_within_the_single_page(name):
    # given an asset and a holder with 200-character names
    long_names = dataclasses.replace(CERTIFICATE, asset_name=name, holder_name=name[:120])

    # when the certificate is rendered
    pdf = render_certificate_pdf(long_names)

    # then the name is printed in full, over several lines, on the one page
    text = _text(pdf)
    assert _pages(pdf) == 1
    assert _compact(name) in _compact(text)
    assert not any(_compact(name) in _compact(line) for line in text.splitlines())


def test_content_that_cannot_fit_is_refused_rather_than_spread_over_two_pages():
    # given an absurdly long name
    oversized = dataclasses.replace(CERTIFICATE, asset_name="数据" * 1500)

    # when / then rendering refuses it
    with pytest.raises(CertificateLayoutError, match="pages instead of one"):
        render_certificate_pdf(oversized)


def test_characters_outside_the_common_subset_are_drawn():
    # given a holder with an extension-A character (extended subset) and an asset with an
    # extension-B one (outside both subsets: the full system font)
    rare = dataclasses.replace(
        CERTIFICATE, holder_name="刘䶮数据科技有限公司", asset_name="𠮷祥数据集"
    )

    # when the certificate is rendered
    pdf = render_certificate_pdf(rare)

    # then both are in the text and drawn by a font that has their outline
    text = _text(pdf)
    assert "刘䶮数据科技有限公司" in text
    assert "𠮷祥数据集" in text
    [(extended_font, extended_drawn)] = _glyph_fonts(pdf, "䶮").items()
    assert "+CertSansExt" in extended_font
    assert extended_drawn
    [(system_font, system_drawn)] = _glyph_fonts(pdf, "𠮷").items()
    assert "+Noto-Sans-CJK-SC" in system_font
    assert system_drawn
    assert len(pdf) < 400_000


def test_the_same_content_renders_to_the_same_bytes():
    # given one certificate content

    # when it is rendered twice
    first, second = render_certificate_pdf(CERTIFICATE), render_certificate_pdf(CERTIFICATE)

    # then the documents are identical (the published SHA-256 can be reproduced)
    assert first == second


def test_content_fixed_at_issue_builds_the_certificate_data():
    # given the JSON content stored with a certificate
    content = {
        **{
            field.name: getattr(CERTIFICATE, field.name)
            for field in dataclasses.fields(CERTIFICATE)
        },
        "rights": ["数据资源持有权", "数据加工使用权"],
        "registration_date": "2026-06-09",
        "valid_until": "2029-06-08",
        "issued_on": "2026-06-12",
        "data_format": None,
        "unknown_key": "ignored",
    }

    # when it is read back
    data = CertificateData.from_mapping(content)

    # then it equals the original content, with no data format
    assert data == dataclasses.replace(CERTIFICATE, data_format="")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"certificate_number": "2026061200000001"}, "certificate number must have 17 digits"),
        ({"evidence_sha256": "XYZ"}, "evidence hash must be 64 lowercase hexadecimal digits"),
        ({"kind": "permit"}, "unknown certificate kind 'permit'"),
    ],
)
def test_malformed_content_is_refused(change, message):
    # given / when / then
    with pytest.raises(ValueError, match=re.escape(message)):
        dataclasses.replace(CERTIFICATE, **change)


def test_every_certificate_template_is_scanned_for_the_font_subset():
    # given the fonts module's list of PDF templates
    from certificates.fonts import TEMPLATE_FILES

    # when / then it covers the base and every kind's template
    assert {"base.html"} | {name.split("/")[-1] for name in TEMPLATES.values()} <= set(
        TEMPLATE_FILES
    )
