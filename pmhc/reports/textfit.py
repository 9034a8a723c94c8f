"""How large a figure can be printed and still fit its box.

The one-pager printed a net cost avoidance of −$628,279 as "−$628,27…": a figure cut in
front of council is worse than a small one. The one-pager and the deck print every
figure at the largest size up to their design size at which the whole text fits the
width of its box on one line (`fit_size`), and only below a smallest size let it wrap.

The one-pager measures with the font it embeds. The deck names no font (the viewer's
theme font draws it, Calibri in PowerPoint, a substitute elsewhere), so it measures with
DejaVu Sans, wider than Calibri, Carlito, Arial or Liberation Sans: what fits in DejaVu
fits in any of them. Without the DejaVu files the core Helvetica widths are scaled up by
DEJAVU_OVER_HELVETICA to the same effect.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable

from fpdf import FPDF

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts"), Path.home() / ".fonts")
# DejaVu Sans Bold digits are 0.696 em wide, Helvetica Bold's 0.556 (1.25×); its comma 1.37×.
DEJAVU_OVER_HELVETICA = 1.3
# Characters outside Latin-1, measured as one of the same width when Helvetica stands in.
_LATIN1_STAND_IN = {"−": "+", "–": "-", "—": "M", "†": "+", "…": "...", "÷": "+", "×": "+"}


def dejavu() -> tuple[Path, Path] | None:
    """DejaVu Sans regular and bold, where the system has them."""
    for d in FONT_DIRS:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


@lru_cache(maxsize=1)
def _ruler() -> tuple[FPDF, bool]:
    pdf = FPDF(unit="pt")
    fonts = dejavu()
    if fonts is not None:
        pdf.add_font("DejaVu", "", str(fonts[0]))
        pdf.add_font("DejaVu", "B", str(fonts[1]))
    return pdf, fonts is not None


def width_pt(text: str, size: float, bold: bool = False) -> float:
    """Width of `text` in points at `size` pt, at least as wide as the deck's viewers draw it."""
    pdf, unicode = _ruler()
    if unicode:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        return pdf.get_string_width(text)
    pdf.set_font("Helvetica", "B" if bold else "", size)
    for a, b in _LATIN1_STAND_IN.items():
        text = text.replace(a, b)
    return pdf.get_string_width(text.encode("latin-1", "replace").decode("latin-1")) * DEJAVU_OVER_HELVETICA


def fit_size(text: str, width: float, size: float, smallest: float,
             measure: Callable[[str, float], float]) -> float:
    """The largest size up to `size` (in steps of 0.5 pt) at which `text`, measured by
    `measure(text, size)` in the unit of `width`, fits on one line; never below `smallest`
    (text that long wraps instead of being cut)."""
    full = measure(text, size)
    if full <= width:
        return size
    fitted = int(size * width / full * 2) / 2  # width grows in proportion to the size
    while fitted > smallest and measure(text, fitted) > width:
        fitted -= 0.5
    return max(smallest, fitted)
