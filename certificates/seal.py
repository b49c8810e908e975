"""The registry's seal on certificates, drawn as vector art (SVG) from geometry and font outlines.

Not an image of a real seal: a red double ring, a five-pointed star in the centre, the registry's
name around the upper arc and a caption under the star, in the layout of a Chinese official
seal. The characters are drawn as outlines taken from a system CJK face (serif bold when
installed, else sans bold), so the seal looks the same whatever font the page text uses and adds
no font to the PDF. The seal is decoration: a certificate's authenticity rests on the public
verification page (and the document's published SHA-256), not on this drawing.

The outlines are computed once per (name, caption) and process (`functools.lru_cache`), ~0.2 s
(loading the face). WeasyPrint still parses the path data at every render: the seal costs
~25 ms a page, the same in every font mode, so it does not change the CJK / Latin ratio.
"""

from __future__ import annotations

import functools
import math
from xml.sax.saxutils import quoteattr

from certificates.fonts import FontsUnavailable, SystemFace, find_system_face

SEAL_RED = "#c8161d"
VIEWBOX = 200  # user units; the stylesheet decides the printed size
CENTRE = VIEWBOX / 2


def _seal_face() -> SystemFace:
    try:
        return find_system_face("Noto Serif CJK SC", "Bold")
    except FontsUnavailable:
        return find_system_face("Noto Sans CJK SC", "Bold")


def _star_points(radius: float) -> str:
    inner = radius * math.sin(math.radians(18)) / math.sin(math.radians(54))
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else inner
        angle = math.radians(-90 + 36 * i)
        points.append(f"{CENTRE + r * math.cos(angle):.2f},{CENTRE + r * math.sin(angle):.2f}")
    return " ".join(points)


class _Outlines:
    """Glyph outlines of one face, drawn into one SVG path with their placement baked in.

    One path of absolute coordinates (instead of one transformed path per character) keeps
    WeasyPrint's work per render down: it parses SVG path data in Python at every render."""

    def __init__(self, face: SystemFace):
        from fontTools.pens.svgPathPen import SVGPathPen
        from fontTools.ttLib import TTFont

        self.font = TTFont(face.path, fontNumber=face.index, lazy=True)
        self.cmap = self.font.getBestCmap()
        self.glyph_set = self.font.getGlyphSet()
        self.units = self.font["head"].unitsPerEm
        os2 = self.font["OS/2"]
        # Vertical centre of the ideographic em box (Noto CJK: descender -120, ascender 880).
        self.middle = (os2.sTypoAscender + os2.sTypoDescender) / 2
        self.pen = SVGPathPen(self.glyph_set, ntos=lambda n: f"{n:.1f}".rstrip("0").rstrip("."))

    def draw(self, character: str, placement, size: float) -> None:
        """Draw `character` `size` units tall, its em box centred on `placement`'s origin."""
        from fontTools.pens.transformPen import TransformPen

        glyph = self.glyph_set[self.cmap.get(ord(character), ".notdef")]
        scale = size / self.units
        # Font units point up, SVG ones down: flip y, then centre the em box on the origin.
        transform = placement.scale(scale, -scale).translate(-glyph.width / 2, -self.middle)
        glyph.draw(TransformPen(self.pen, transform))

    def path_data(self) -> str:
        return self.pen.getCommands()


@functools.lru_cache(maxsize=16)
def seal_svg(name: str, caption: str = "证书专用章", *, color: str = SEAL_RED) -> str:
    """An <svg> element of the seal, without width/height (the stylesheet sizes it).

    `name` runs clockwise along the upper arc, each character upright towards the rim; the arc
    widens with the number of characters, up to 250 degrees, as on official seals."""
    from fontTools.misc.transform import Transform

    outlines = _Outlines(_seal_face())
    characters = [c for c in name if not c.isspace()]
    count = len(characters)
    if count:
        size = 25.5 if count <= 12 else max(15.0, 25.5 * 12 / count)
        span = min(250.0, 20.0 * (count - 1) + 40) if count > 1 else 0.0
        step = span / (count - 1) if count > 1 else 0.0
        radius = 88.5 - 3.5 - size / 2  # glyph centres just inside the inner ring
        for i, character in enumerate(characters):
            angle = math.radians(-span / 2 + i * step)
            placement = (
                Transform()
                .translate(CENTRE, CENTRE)
                .rotate(angle)
                .translate(0, -radius)
                .scale(0.82, 1)  # seal lettering is condensed
            )
            outlines.draw(character, placement, size)
    size = 15
    advance = size * 0.95
    first = CENTRE - advance * (len(caption) - 1) / 2
    for i, character in enumerate(caption):
        outlines.draw(character, Transform().translate(first + i * advance, CENTRE + 49), size)
    ink = quoteattr(color)
    return (
        f'<svg class="seal" viewBox="0 0 {VIEWBOX} {VIEWBOX}" role="img" '
        f"aria-label={quoteattr(name)}>"
        f'<g fill={ink} opacity="0.9">'
        f'<circle cx="{CENTRE}" cy="{CENTRE}" r="95" fill="none" stroke={ink} stroke-width="5"/>'
        f'<circle cx="{CENTRE}" cy="{CENTRE}" r="88.5" fill="none" stroke={ink} '
        'stroke-width="1.2"/>'
        f'<polygon points="{_star_points(27)}"/>'
        f'<path d="{outlines.path_data()}"/>'
        "</g></svg>"
    )
