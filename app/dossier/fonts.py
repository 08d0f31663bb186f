"""A font that renders Chinese in generated PDFs, embedded so every viewer shows the same glyphs.

Noto Sans SC (SIL OFL) comes from the `justmytype-intl-cjk` wheel as a TrueType variable font, the
kind ReportLab can embed and subset (it cannot embed the CFF-based .otf files other packages ship).
ReportLab ignores the variation axes, so text comes out in the font's default instance, Thin;
`stroke` is the outline width (points) drawn around each glyph to bring it to a regular weight.
Without the package the PDF falls back to the Adobe CID font STSong-Light, which is not embedded and
relies on the viewer having a Chinese font.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib.resources import files

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

PACKAGE = "justmytype_intl_cjk"
NOTO_SANS_SC = "fonts/ofl/notosanssc/NotoSansSC[wght].ttf"
EMBEDDED_NAME = "NotoSansSC"
FALLBACK_NAME = "STSong-Light"


@dataclass(frozen=True)
class ChineseFont:
    name: str
    embedded: bool
    stroke: float  # outline width in points for fill+stroke rendering; 0 for plain fill


@functools.cache
def chinese_font() -> ChineseFont:
    """Register (once per process) and describe the font to set Chinese text in."""
    try:
        path = files(PACKAGE) / NOTO_SANS_SC
    except ModuleNotFoundError:
        path = None
    if path is not None and path.is_file():
        pdfmetrics.registerFont(TTFont(EMBEDDED_NAME, str(path)))
        return ChineseFont(EMBEDDED_NAME, embedded=True, stroke=0.3)
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_NAME))
    return ChineseFont(FALLBACK_NAME, embedded=False, stroke=0.0)
