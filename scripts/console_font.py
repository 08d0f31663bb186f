"""Build the console's web font: Noto Sans SC at regular weight, cut to ASCII, GB2312 and CJK punctuation.

    .venv/bin/python -m scripts.console_font

The console names the machine's own Chinese fonts first and this one last, so a browser downloads it
only where no Chinese font is installed (e.g. a bare Linux desk, or the headless test browser). The
source is the variable Noto Sans SC in the `justmytype-intl-cjk` wheel (SIL Open Font License, copied
next to the output); the result (~1.5 MB WOFF) is committed, so no machine needs to build it.
"""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer

from app.dossier.fonts import NOTO_SANS_SC, PACKAGE

OUT = Path(__file__).resolve().parent.parent / "app" / "console" / "static" / "fonts"
NAME = "NotoSansSC-Regular-GB2312.woff"


def characters() -> set[int]:
    """Printable ASCII, every GB2312 character (the 6,763 common hanzi and its symbols), and a few extras."""
    found = set(range(0x20, 0x7F)) | {0xA0, 0x2014, 0x2026, 0x2018, 0x2019, 0x201C, 0x201D, 0x2192, 0x2190}
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes([high, low]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return found | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))


def build(out_dir: Path = OUT) -> Path:
    source = files(PACKAGE) / NOTO_SANS_SC
    font = instancer.instantiateVariableFont(TTFont(str(source)), {"wght": 400})
    options = subset.Options()
    options.flavor = "woff"
    options.hinting = False
    options.desubroutinize = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(characters()))
    subsetter.subset(font)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / NAME
    font.flavor = "woff"
    font.save(str(target))
    shutil.copyfile(str(files(PACKAGE) / Path(NOTO_SANS_SC).parent / "OFL.txt"), out_dir / "OFL.txt")
    return target


if __name__ == "__main__":
    path = build()
    print(f"{path} {path.stat().st_size:,} bytes")
