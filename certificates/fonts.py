"""Fonts of the certificate PDFs: small TrueType subsets of Noto Sans CJK SC, prepared once.

What makes CJK certificates small and fast (measured on the registration certificate, 2 cores,
medians of 10 renders; `python -m bench.certificates` prints the current figures):

| fonts                                                     | render  | PDF    |
|-----------------------------------------------------------|---------|--------|
| system "Noto Sans CJK SC" directly (naive)                | ~250 ms | 440 KB |
| GB 2312 subset kept as CFF (fontTools, desubroutinised)   | ~125 ms | 100 KB |
| GB 2312 subset converted to TrueType (this module)        | ~115 ms |  50 KB |
| Latin floor: same layout, DejaVu Sans, no CJK at all      | ~113 ms |  22 KB |

- Time: WeasyPrint subsets every embedded face at *every* render (HarfBuzz, twice); on the
  65,535-glyph CID-keyed CFF face of the 19 MB system TTC that is most of the naive cost. Its
  cost grows with the glyph count of the source face: on a small test page, a 7,800-glyph face
  (GB 2312 + Latin + punctuation) added ~3 ms over the Latin floor, all 22,000 BMP ideographs
  ~13 ms. Hence two tiers: the *common* face, always used, and an *extended* face of the other
  BMP ideographs (extension A, kana...), which a PDF embeds only when a name needs one of them.
  Characters outside both (e.g. 𠮷, extension B) fall back through the CSS font-family list to
  the full system face: correct, but as slow and big as the naive render.
- Size: WeasyPrint keeps glyph ids (its PDF fonts use CID = GID), so the embedded font keeps an
  empty slot for every glyph below the highest one used. In CFF each empty slot costs a
  CharStrings INDEX offset that grows by one per glyph, which deflate cannot compress (~35 KB
  per face for a few hundred glyphs used); in TrueType an empty glyph is a repeated `loca`
  offset and a zero `hmtx` entry, which deflate reduces to almost nothing. Converting the
  outlines to quadratic curves (cu2qu, max error 1/1000 em, invisible in print) halves the PDF.
  What remains is the outlines of the glyphs actually used (~100 bytes per ideograph).
- Hinting and OpenType layout tables are left out: WeasyPrint strips GSUB/GPOS from embedded
  fonts anyway, and PDF viewers ignore TrueType hinting. The subsets are drawn glyph by glyph
  into a new font (`build_subset`) rather than with fontTools' subsetter, whose CFF hint removal
  and closure took most of its time and are pointless before a conversion.
- Not fonts, but per document: WeasyPrint's default URL fetcher builds an SSL context (loading
  the CA store, ~20 ms) for each document. One restricted fetcher (file: and data: URLs only) is
  reused, which also guarantees that a certificate never fetches anything from the network.
- One `FontConfiguration` and one parsed font stylesheet per process: the @font-face files are
  registered with fontconfig once and Pango keeps its parsed faces between renders.

Invariants:

- Subsets derive from the system font and the charset recipe only; their file names carry a
  digest of both (source path, face, size, mtime, RECIPE_VERSION, characters), so a change of
  any of them builds new files instead of reusing stale ones. They are written under a
  temporary name and renamed: concurrent workers never read a half-written font.
- The subsets are renamed ("CertSans"): the SIL Open Font License does not let a modified font
  keep its Reserved Font Name, and a distinct family keeps fontconfig from ever answering the
  fallback "Noto Sans CJK SC" with a subset.
- Renders through the shared configuration are serialised by `render_lock` (Pango font maps
  are not thread-safe); a forked child process builds its own configuration.
"""

from __future__ import annotations

import atexit
import enum
import functools
import hashlib
import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = PROJECT_DIR / "templates" / "certificates"
# The PDF templates (base + rendering.TEMPLATES), whose characters join the common subset.
TEMPLATE_FILES = ("base.html", "registration.html")
FONT_DIR_ENV = "CERTIFICATE_FONT_DIR"
DEFAULT_FONT_DIR = PROJECT_DIR / "var" / "fonts"

SYSTEM_FAMILY = "Noto Sans CJK SC"
SYSTEM_MONO_FAMILY = "Noto Sans Mono CJK SC"
LATIN_FAMILY = "DejaVu Sans"
LATIN_MONO_FAMILY = "DejaVu Sans Mono"
SANS = "CertSans"
SANS_EXT = "CertSansExt"
MONO = "CertMono"
# Bump when the subsetting recipe changes: new file names, old files are simply ignored.
RECIPE_VERSION = 1
INSTALL_HINT = "install the Noto CJK fonts (Debian/Ubuntu: apt-get install fonts-noto-cjk)"

# Besides GB 2312: Latin for foreign names, and the punctuation and symbols a name or the
# certificate may use. Only code points the source face maps are kept.
COMMON_RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x017F),  # Latin-1 supplement, Latin extended-A
    (0x2000, 0x206F),  # general punctuation
    (0x20A0, 0x20BF),  # currency symbols
    (0x2100, 0x218F),  # letterlike symbols, number forms (№, ℃, Ⅻ)
    (0x2460, 0x24FF),  # enclosed alphanumerics (①)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFE10, 0xFE1F),  # vertical forms
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half-width and full-width forms
)
# Embedded only when a document uses one of them: the rest of the BMP ideographs.
EXTENDED_RANGES = (
    (0x2E80, 0x2FDF),  # radicals
    (0x3040, 0x30FF),  # kana (Japanese company names)
    (0x3100, 0x312F),  # bopomofo
    (0x31C0, 0x31EF),  # strokes
    (0x3400, 0x4DBF),  # CJK unified ideographs extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
)
MONO_RANGES = ((0x0020, 0x007E),)


class FontsUnavailable(RuntimeError):
    """The system CJK font the certificates are built from is not installed."""


class FontMode(enum.StrEnum):
    """How a certificate gets its fonts."""

    SUBSET = "subset"  # the prepared subsets, system font as fallback (production)
    SYSTEM = "system"  # the system CJK font directly (the naive baseline, for the benchmark)
    LATIN = "latin"  # a Latin-only font (the floor of the benchmark; no CJK can show)


@dataclass(frozen=True)
class SystemFace:
    path: Path
    index: int  # face number inside a TTC collection


@dataclass(frozen=True)
class PreparedFonts:
    regular: Path
    bold: Path
    extended: Path
    mono: Path


def font_dir(directory: Path | str | None = None) -> Path:
    """Where the subsets are cached: the argument, else $CERTIFICATE_FONT_DIR, else var/fonts."""
    if directory is not None:
        return Path(directory)
    return Path(os.environ.get(FONT_DIR_ENV) or DEFAULT_FONT_DIR)


@functools.lru_cache(maxsize=16)
def find_system_face(family: str = SYSTEM_FAMILY, style: str = "Regular") -> SystemFace:
    """Locate a system face through fontconfig (fc-match), refusing a substitute family."""
    try:
        result = subprocess.run(
            ["fc-match", "--format=%{file}\n%{index}\n%{family}", f"{family}:style={style}"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise FontsUnavailable(f"fc-match failed ({error}); {INSTALL_HINT}") from error
    path, index, families = [*result.stdout.split("\n"), "", "", ""][:3]
    if family not in families.split(","):
        raise FontsUnavailable(f"{family} {style} not found (got {families!r}); {INSTALL_HINT}")
    return SystemFace(Path(path), int(index or 0))


def gb2312_characters() -> set[int]:
    """Every character of GB 2312: 6,763 hanzi and 682 symbols (rows 1-9 and 16-87)."""
    characters = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                characters.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return characters


def template_characters(template_dir: Path = TEMPLATE_DIR) -> set[int]:
    paths = [template_dir / name for name in TEMPLATE_FILES]
    return {ord(c) for path in paths if path.exists() for c in path.read_text(encoding="utf-8")}


def _ranges(ranges: tuple[tuple[int, int], ...]) -> set[int]:
    return {code for first, last in ranges for code in range(first, last + 1)}


def common_characters() -> set[int]:
    return gb2312_characters() | _ranges(COMMON_RANGES) | template_characters()


def extended_characters() -> set[int]:
    return _ranges(EXTENDED_RANGES) - common_characters()


def _digest(face: SystemFace, characters: set[int]) -> str:
    stat = face.path.stat()
    key = f"{RECIPE_VERSION}|{face.path}|{face.index}|{stat.st_size}|{stat.st_mtime_ns}|"
    key += ",".join(map(str, sorted(characters)))
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def build_subset(face: SystemFace, characters: set[int], family: str, style: str, target: Path):
    """Write the glyphs of `characters` in `face` as a TrueType font named `family`.

    Draws each glyph once through cu2qu (CFF cubic to TrueType quadratic curves) into a new font
    with only cmap, metrics and outlines: no hinting, no layout tables, no glyph names. Takes
    ~0.5 ms a glyph (seconds per face), which is why the result is cached by the caller. Faster
    than fontTools' subsetter followed by a conversion: most of the subsetter's time goes into
    CFF hint removal and closure, which a conversion makes pointless."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont

    source = TTFont(face.path, fontNumber=face.index, lazy=True)
    cmap = {code: name for code, name in source.getBestCmap().items() if code in characters}
    order = [".notdef", *sorted(set(cmap.values()) - {".notdef"}, key=source.getGlyphID)]
    glyph_set = source.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        # CFF contours run counter-clockwise, TrueType ones clockwise.
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()

    builder = FontBuilder(source["head"].unitsPerEm, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(cmap)
    builder.setupGlyf(glyphs)
    advances = source["hmtx"].metrics
    builder.setupHorizontalMetrics(
        {name: (advances[name][0], getattr(glyphs[name], "xMin", 0)) for name in order}
    )
    hhea, os2 = source["hhea"], source["OS/2"]
    builder.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent, lineGap=hhea.lineGap)
    builder.setupOS2(
        version=4,
        usWeightClass=os2.usWeightClass,
        fsType=os2.fsType,
        fsSelection=os2.fsSelection,
        achVendID=os2.achVendID,
        sTypoAscender=os2.sTypoAscender,
        sTypoDescender=os2.sTypoDescender,
        sTypoLineGap=os2.sTypoLineGap,
        usWinAscent=os2.usWinAscent,
        usWinDescent=os2.usWinDescent,
        sxHeight=os2.sxHeight,
        sCapHeight=os2.sCapHeight,
        ulCodePageRange1=os2.ulCodePageRange1,
        ulCodePageRange2=os2.ulCodePageRange2,
    )
    source_names = source["name"]
    builder.setupNameTable(
        {
            "copyright": str(source_names.getDebugName(0) or ""),
            "familyName": family,
            "styleName": style,
            "uniqueFontIdentifier": f"{family}-{style};{RECIPE_VERSION}",
            "fullName": f"{family} {style}",
            "version": f"Version {RECIPE_VERSION}; subset of {SYSTEM_FAMILY}",
            "psName": f"{family}-{style}",
            "licenseDescription": str(source_names.getDebugName(13) or ""),
            "licenseInfoURL": str(source_names.getDebugName(14) or ""),
        },
        windows=True,
        mac=False,
    )
    builder.setupPost(keepGlyphNames=False)
    builder.font["head"].macStyle = source["head"].macStyle
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".tmp", delete=False) as temp:
        builder.save(temp)
    os.chmod(temp.name, 0o644)  # NamedTemporaryFile creates 0600; workers may run as others
    os.replace(temp.name, target)


_prepare_lock = threading.Lock()


def prepare_fonts(directory: Path | str | None = None) -> PreparedFonts:
    """Build the subsets that are missing from the cache directory and return their paths."""
    folder = font_dir(directory)
    common = common_characters()
    plan = {
        "regular": (find_system_face(style="Regular"), common, SANS, "Regular"),
        "bold": (find_system_face(style="Bold"), common, SANS, "Bold"),
        "extended": (find_system_face(style="Regular"), extended_characters(), SANS_EXT, "Regular"),
        "mono": (
            find_system_face(SYSTEM_MONO_FAMILY, "Regular"),
            _ranges(MONO_RANGES),
            MONO,
            "Regular",
        ),
    }
    paths = {}
    with _prepare_lock:
        for key, (face, characters, family, style) in plan.items():
            path = folder / f"{family}-{style}-{_digest(face, characters)}.ttf"
            if not path.exists():
                build_subset(face, characters, family, style, path)
            paths[key] = path
    return PreparedFonts(**paths)


def font_css(mode: FontMode, directory: Path | str | None = None) -> str:
    """The font part of the certificate stylesheet: the families of `html` and `.mono`.

    The templates name no font: this stylesheet decides, so that the three modes lay out the
    same document."""
    if mode is FontMode.LATIN:
        return (
            f'html {{ font-family: "{LATIN_FAMILY}", sans-serif; }}\n'
            f'.mono {{ font-family: "{LATIN_MONO_FAMILY}", monospace; }}\n'
        )
    if mode is FontMode.SYSTEM:
        return (
            f'html {{ font-family: "{SYSTEM_FAMILY}", sans-serif; }}\n'
            f'.mono {{ font-family: "{SYSTEM_MONO_FAMILY}", monospace; }}\n'
        )
    fonts = prepare_fonts(directory)
    faces = (
        (SANS, fonts.regular, 400),
        (SANS, fonts.bold, 700),
        (SANS_EXT, fonts.extended, 400),
        (MONO, fonts.mono, 400),
    )
    rules = [
        f'@font-face {{ font-family: "{family}"; src: url("{path.resolve().as_uri()}"); '
        f"font-weight: {weight}; }}"
        for family, path, weight in faces
    ]
    fallback = f'"{SANS}", "{SANS_EXT}", "{SYSTEM_FAMILY}", sans-serif'
    rules.append(f"html {{ font-family: {fallback}; }}")
    rules.append(f'.mono {{ font-family: "{MONO}", {fallback}; }}')
    return "\n".join(rules) + "\n"


_state: dict = {}


@atexit.register
def _release() -> None:
    # FontConfiguration removes its temporary folder in __del__, which fails when it runs
    # during interpreter shutdown (shutil already torn down): release it while modules live.
    _state.clear()


_state_lock = threading.RLock()
# Held around every render through the shared configuration (Pango font maps are not thread-safe).
render_lock = threading.RLock()


def _process_state() -> dict:
    """Per-process objects, created again in a forked child (fontconfig state is not shared)."""
    with _state_lock:
        if _state.get("pid") != os.getpid():
            _state.clear()
            _state.update(pid=os.getpid(), stylesheets={})
        return _state


def font_configuration():
    """The process's WeasyPrint FontConfiguration."""
    from weasyprint.text.fonts import FontConfiguration

    with _state_lock:
        state = _process_state()
        if "config" not in state:
            state["config"] = FontConfiguration()
        return state["config"]


def url_fetcher():
    """One restricted URL fetcher per process: local files (the fonts) and data: URLs only.

    Built once because WeasyPrint's default fetcher loads the CA store for every document."""
    from weasyprint.urls import URLFetcher

    with _state_lock:
        state = _process_state()
        if "fetcher" not in state:
            state["fetcher"] = URLFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)
        return state["fetcher"]


def font_stylesheet(mode: FontMode, directory: Path | str | None = None):
    """The process's parsed font stylesheet for `mode` (its @font-face rules registered once)."""
    from weasyprint import CSS

    with _state_lock:
        stylesheets = _process_state()["stylesheets"]
        key = (mode, str(font_dir(directory)))
        if key not in stylesheets:
            stylesheets[key] = CSS(
                string=font_css(mode, directory),
                font_config=font_configuration(),
                url_fetcher=url_fetcher(),
            )
        return stylesheets[key]


if __name__ == "__main__":
    # Build the cache ahead of the first certificate (deployment step):
    # python -m certificates.fonts [DIRECTORY]
    import sys

    prepared = prepare_fonts(sys.argv[1] if len(sys.argv) > 1 else None)
    for path in (prepared.regular, prepared.bold, prepared.extended, prepared.mono):
        print(path, f"{path.stat().st_size:,} bytes")
