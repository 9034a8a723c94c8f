"""The one-page PDF summary for the chief: six figures, one trend, one page, always.

It is printed and handed around, so it must stand alone: what each figure counts, the
period and scope, that the savings figure is an estimate with a range, and where the
numbers come from. A figure is never shortened: it is set smaller until it fits its box
(pmhc.reports.textfit), and its change lines wrap. Prose that would not fit (a long
definition or note) is shortened rather than spilling onto a second page.
"""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from .. import charts
from . import images, textfit
from .content import Headline, ReportData, all_hidden, first_sentence

BLUE = (0, 114, 178)
INK = (34, 34, 34)
GREY = (102, 102, 102)
# Core PDF fonts only know Latin-1: characters the summary uses, spelled in Latin-1.
LATIN1 = {"−": "-", "–": "-", "—": "-", "÷": "/", "×": "x", "≥": ">=", "≤": "<=", "“": '"', "”": '"',
          "’": "'", "‘": "'", "…": "...", "→": "->", "·": "-"}
CHART_PX = (960, 400)


def trend_chart(data: ReportData):
    """BH calls and co-responded BH calls per month (the Overview's trend)."""
    title = "Behavioral-health calls and co-responded BH calls per month"
    subtitle = f"{data.period.label} · {data.scope}"
    if "bh_calls" in data.monthly.columns and all_hidden(data.monthly["bh_calls"]):
        return charts.empty(title, "Monthly counts are small and suppressed in the public release",
                            subtitle=subtitle)
    fig = charts.trend(data.monthly, "month",
                       {"bh_calls": "Behavioral-health calls", "co_responded_bh_calls": "Co-responded BH calls"},
                       title, "Calls per month", subtitle=subtitle)
    fig.update_layout(hovermode=False)
    return fig


class _Pdf(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="letter")
        self.set_auto_page_break(False)  # one page: nothing may flow onto a second
        self.set_margins(14, 12, 14)
        self.unicode = _add_unicode_font(self)

    def font(self, size: float, bold: bool = False, color=INK) -> None:
        family = "DejaVu" if self.unicode else "Helvetica"
        self.set_font(family, "B" if bold else "", size)
        self.set_text_color(*color)

    def clean(self, text: str) -> str:
        if self.unicode:
            return text
        for a, b in LATIN1.items():
            text = text.replace(a, b)
        return text.encode("latin-1", "replace").decode("latin-1")

    def fit_size(self, text: str, w: float, size: float, smallest: float, bold: bool = False) -> float:
        """The largest size up to `size` at which `text` fits on one line of a `w` mm wide
        multi_cell (inside its cell margins)."""
        def measure(t: str, s: float) -> float:
            self.font(s, bold)
            return self.get_string_width(self.clean(t))
        return textfit.fit_size(text, w - 2 * self.c_margin, size, smallest, measure)

    def block(self, x: float, y: float, w: float, text: str, size: float, max_lines: int, bold: bool = False,
              color=INK, line_h: float | None = None) -> float:
        """Wrapped text cut to `max_lines` (with an ellipsis); returns the height used."""
        line_h = line_h or size * 0.45
        self.font(size, bold, color)
        text = self.clean(text)
        lines = self.multi_cell(w, line_h, text, dry_run=True, output="LINES")
        if len(lines) > max_lines:
            lines = lines[:max_lines]
            last = lines[-1].rstrip()
            while last and self.get_string_width(last + "…" if self.unicode else last + "...") > w - 1:
                last = last[:-1]
            lines[-1] = last.rstrip(" ,;:") + ("…" if self.unicode else "...")
        self.set_xy(x, y)
        self.multi_cell(w, line_h, "\n".join(lines), new_x=XPos.LEFT, new_y=YPos.NEXT)
        return line_h * len(lines)


def _add_unicode_font(pdf: FPDF) -> bool:
    fonts = textfit.dejavu()
    if fonts is None:
        return False
    pdf.add_font("DejaVu", "", str(fonts[0]))
    pdf.add_font("DejaVu", "B", str(fonts[1]))
    return True


def build(data: ReportData) -> bytes:
    pdf = _Pdf()
    pdf.set_title(f"{data.cfg.program}: {data.period.label}")
    pdf.set_author(data.cfg.name)
    pdf.set_creation_date(data.generated_at)
    pdf.add_page()
    left, width = pdf.l_margin, pdf.w - pdf.l_margin - pdf.r_margin

    # Header
    pdf.set_fill_color(*BLUE)
    pdf.rect(0, 0, pdf.w, 30, style="F")
    pdf.block(left, 7, width, data.cfg.program, 17, 1, bold=True, color=(255, 255, 255), line_h=8)
    pdf.block(left, 16, width, f"{data.cfg.name} · {data.period_text} · {data.scope}", 10.5, 1,
              color=(255, 255, 255), line_h=5)
    pdf.block(left, 22, width, f"Summary prepared {data.date_text(data.generated_at)} · amounts in {data.money_text}",
              8.5, 1,
              color=(230, 240, 250), line_h=4.5)

    # Six figures, three per row
    y = 35.0
    gap = 4.0
    box_w = (width - 2 * gap) / 3
    box_h = 52.0
    for i, h in enumerate(data.headlines):
        col, row = i % 3, i // 3
        _figure_box(pdf, left + col * (box_w + gap), y + row * (box_h + gap), box_w, box_h, h)
    y += 2 * box_h + gap + 5

    # One trend
    png = images.png(trend_chart(data), *CHART_PX, scale=2)
    chart_h = width * CHART_PX[1] / CHART_PX[0]
    pdf.image(io.BytesIO(png), x=left, y=y, w=width, h=chart_h)
    y += chart_h + 3

    # Footnotes
    net = next((h for h in data.headlines if h.key == "net_cost_avoidance"), None)
    net_note = f" {net.note}" if net is not None and net.note and not net.suppressed else ""
    notes = [*data.notes,  # e.g. "the period runs outside the loaded data": first, so it is never cut
             *([data.evaluation] if data.evaluation else []),
             "Savings are estimates, not measured savings: net cost avoidance prices avoided jail bookings, "
             "ED transports and officer time with the agency's unit costs (each with its source and year) minus the "
             "program's cost, comparing co-responded BH calls with other BH calls in the same period (not a "
             f"randomised comparison); amounts in {data.money_text}." + net_note,
             "Changes: rates in percentage points, money as an amount, counts and hours in percent; left out when "
             "the other period is not fully loaded.",
             f"{data.privacy_text} Data loaded: {data.loaded_text}. Every figure is one named SQL query in "
             "queries/*.sql; full definitions on the dashboard's Methodology page."]
    bottom = pdf.h - 10
    for note in notes:
        if y >= bottom - 3:
            break
        lines = max(1, int((bottom - y) // 3.6))
        y += pdf.block(left, y, width, note, 7.5, min(lines, 6), color=GREY, line_h=3.6) + 1.2
    return bytes(pdf.output())


def _figure_box(pdf: _Pdf, x: float, y: float, w: float, h: float, fig: Headline) -> None:
    pdf.set_draw_color(200, 210, 220)
    pdf.set_line_width(0.3)
    pdf.rect(x, y, w, h)
    pad = 3.0
    inner = w - 2 * pad
    cy = y + pad
    cy += pdf.block(x + pad, cy, inner, fig.label, 9, 2, bold=True, color=GREY, line_h=4.2) + 0.5
    # The figure whole: smaller until it fits one line (never "−$628,27…"); wrapped only below 11 pt.
    size = pdf.fit_size(fig.display, inner, 22, 11, bold=True)
    one_line = pdf.get_string_width(pdf.clean(fig.display)) <= inner - 2 * pdf.c_margin
    cy += pdf.block(x + pad, cy, inner, fig.display, size, 3, bold=True, color=BLUE,
                    line_h=10 if one_line else size * 0.45) + 0.5
    changes = [c.line for c in fig.changes() if c.text]  # each comparison once (pmhc.present)
    if not changes and not fig.suppressed and fig.no_change_vs_previous:
        # Say why, once (a suppressed figure's own note says it already).
        changes.append(f"No change shown: {fig.no_change_vs_previous}")
    for line in changes:  # a change is a figure too: wrapped, never cut
        cy += pdf.block(x + pad, cy, inner, line, 7.5, 4, line_h=3.6)
    cy += 1.0
    remaining = int((y + h - pad - cy) // 3.6)
    if remaining > 0:
        pdf.block(x + pad, cy, inner, first_sentence(fig.definition), 7.5, remaining, color=INK, line_h=3.6)
