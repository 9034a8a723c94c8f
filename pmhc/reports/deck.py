"""The council slide deck (.pptx): few, large, clearly defined figures.

One slide per headline figure — the number big, how it changed, one sentence saying what
it counts, and its monthly trend — then how the figures are made and what the savings
estimate assumes. The full definition of each figure is in the speaker notes, so the
chief can answer "what exactly does that count?" without leaving the slide.
"""

from __future__ import annotations

import io

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from .. import charts, definitions, present, progress
from . import images, textfit
from .content import AXIS_BY_KEY, CHART_AXIS, Headline, ReportData, all_hidden, first_sentence

WIDE = (Inches(13.333), Inches(7.5))
BLUE = RGBColor(0x00, 0x72, 0xB2)
INK = RGBColor(0x22, 0x22, 0x22)
GREY = RGBColor(0x66, 0x66, 0x66)
# Chart image size in CSS pixels (rendered at 2× for a sharp projector image).
CHART_PX = (1000, 600)


def figure_chart(data: ReportData, h: Headline):
    """The chart beside a headline figure: its monthly trend, drawn by the dashboard's own
    builder; for the savings estimate, where the estimate comes from (as on the Savings page)."""
    subtitle = f"{data.period.label} · {data.scope}"
    if h.key == "net_cost_avoidance":
        fig = savings_chart(data, subtitle)
    elif h.key not in data.monthly.columns:
        fig = charts.empty(f"{h.label} by month", subtitle=subtitle)
    elif all_hidden(data.monthly[h.key]):
        # Every month hidden by the release: say so, not "no data" (there are calls).
        fig = charts.empty(f"{h.label} by month", "Monthly values rest on small counts and are suppressed "
                                                  "in the public release", subtitle=subtitle)
    else:
        y_title = AXIS_BY_KEY.get(h.key, data.money_text if h.unit == "usd" else CHART_AXIS.get(h.unit, h.unit))
        fig = charts.trend(data.monthly, "month", {h.key: h.label}, f"{h.label} by month", y_title,
                           percent=h.unit == "rate", milestones=milestones(), subtitle=subtitle)
    # Read from the back of a council chamber: larger type than on screen.
    fig.update_layout(hovermode=False, font_size=16, title_font_size=20)
    return fig


def savings_chart(data: ReportData, subtitle: str):
    """The Savings page's waterfall (steps, title and total from pmhc.present)."""
    if present.steps_withheld(data.savings_parts):
        return charts.empty(present.SAVINGS_TITLE, present.SAVINGS_HIDDEN, subtitle=subtitle)
    return charts.waterfall(data.savings_parts, present.SAVINGS_TITLE, data.money_text,
                            total_label=present.SAVINGS_TOTAL, subtitle=subtitle)


def milestones():
    try:
        return charts.load_milestones()
    except ValueError:  # a broken milestones file must not stop the deck; the dashboard reports it
        return None


def build(data: ReportData, on_progress: progress.Listener | None = None) -> bytes:
    """The deck; `on_progress` hears each figure's chart drawn (the slow part, pmhc.progress)."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDE
    _title_slide(prs, data)
    track = progress.Tracker("deck chart", on_progress, stages=tuple(h.label for h in data.headlines))
    for h in data.headlines:
        with track.stage(h.label):
            _figure_slide(prs, data, h)
    if data.evaluation:
        _evaluation_slide(prs, data)
    _methodology_slide(prs, data)
    _assumptions_slide(prs, data)
    for i, slide in enumerate(prs.slides, start=1):
        if i > 1:
            _text(slide, Inches(12.2), Inches(7.0), Inches(0.9), Inches(0.35), str(i), 10, GREY, align=PP_ALIGN.RIGHT)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------ slides

def _blank(prs):
    return prs.slides.add_slide(prs.slide_layouts[6])


def _title_slide(prs, data: ReportData) -> None:
    s = _blank(prs)
    band = s.shapes.add_shape(1, 0, Inches(2.2), prs.slide_width, Inches(2.6))
    band.fill.solid()
    band.fill.fore_color.rgb = BLUE
    band.line.fill.background()
    _text(s, Inches(0.8), Inches(2.45), Inches(11.7), Inches(1.1), data.cfg.program, 36, RGBColor(255, 255, 255),
          bold=True)
    _text(s, Inches(0.8), Inches(3.5), Inches(11.7), Inches(0.6), data.cfg.name, 22, RGBColor(255, 255, 255))
    _text(s, Inches(0.8), Inches(4.05), Inches(11.7), Inches(0.6), f"{data.period_text} · {data.scope}", 18,
          RGBColor(255, 255, 255))
    _text(s, Inches(0.8), Inches(5.3), Inches(11.7), Inches(1.4),
          [f"Prepared {data.date_text(data.generated_at)}. Data loaded: {data.loaded_text}.", data.privacy_text,
           *data.notes], 13, GREY)
    s.notes_slide.notes_text_frame.text = (
        f"Figures for {data.period_text}, {data.scope}, from the {data.cfg.program} dashboard. "
        "Every figure is defined on its slide (one sentence) and in these notes (in full).")


def _figure_slide(prs, data: ReportData, h: Headline) -> None:
    s = _blank(prs)
    _text(s, Inches(0.5), Inches(0.35), Inches(12.3), Inches(0.8), h.label, 30, INK, bold=True)
    _text(s, Inches(0.5), Inches(1.05), Inches(12.3), Inches(0.4), f"{data.period_text} · {data.scope}", 14, GREY)
    # Left: the number, its changes and what it counts.
    _text(s, Inches(0.5), Inches(1.7), Inches(4.6), Inches(1.3), h.display, _figure_size(h.display, Inches(4.6)),
          BLUE, bold=True)
    if h.suppressed:  # one line, not two saying the same
        lines = ["No change shown: this figure is suppressed for privacy"]
    else:
        lines = [c.line for c in h.changes()]
    _text(s, Inches(0.5), Inches(3.05), Inches(4.6), Inches(1.0), lines, 15, INK)
    _text(s, Inches(0.5), Inches(4.2), Inches(4.6), Inches(1.6), first_sentence(h.definition), 16, INK)
    if h.note:
        _text(s, Inches(0.5), Inches(5.8), Inches(4.6), Inches(1.0), h.note, 12, GREY, italic=True)
    # Right: the monthly trend.
    png = images.png(figure_chart(data, h), *CHART_PX, scale=2)
    left, top, width = Inches(5.3), Inches(1.65), Inches(7.6)
    s.shapes.add_picture(io.BytesIO(png), left, top, width=width, height=Emu(int(width * CHART_PX[1] / CHART_PX[0])))
    _text(s, Inches(0.5), Inches(7.0), Inches(11.5), Inches(0.35),
          f"Source: {h.location} · {data.cfg.name}", 10, GREY)
    fig = definitions.by_key(data.cfg.repeat_windows_days, data.cfg.repeat_min_contacts).get(h.key)
    notes = [f"{h.label}: {h.display}.", f"Definition: {h.definition}"]
    if fig is not None:
        if fig.numerator:
            notes.append(f"Numerator: {fig.numerator}. Denominator: {fig.denominator}.")
        if fig.counting_unit:
            notes.append(f"Counted per {fig.counting_unit}.")
        if fig.exclusions:
            notes.append(f"Exclusions: {fig.exclusions}")
    if h.note:
        notes.append(h.note)
    notes.append("Changes: rates in percentage points, money as an amount, counts and hours in percent; "
                 "a change is left out when the other period is not fully loaded or a figure is suppressed.")
    s.notes_slide.notes_text_frame.text = "\n".join(notes)


def _compared_with(p) -> str:
    prev, ago = p.previous().label, p.year_ago().label
    if present.year_before_is_previous(prev, ago):
        return f"the previous period of the same length, which is the same period a year earlier ({prev})"
    return f"the previous period of the same length ({prev}) and with the same period a year earlier ({ago})"


def _evaluation_slide(prs, data: ReportData) -> None:
    """What the program changed: the before-and-after estimate with its interval and caveat."""
    s = _blank(prs)
    _text(s, Inches(0.5), Inches(0.35), Inches(12.3), Inches(0.8), "Did the program change arrests?", 30, INK,
          bold=True)
    _text(s, Inches(0.6), Inches(1.5), Inches(12.1), Inches(4.5), data.evaluation, 20, INK)
    _text(s, Inches(0.6), Inches(6.3), Inches(12.1), Inches(0.8),
          "Other figures in this deck compare co-responded with other BH calls in the same period (descriptive). "
          "This one compares the same districts before and after the start. Details: the dashboard's Program "
          "evaluation page.", 12, GREY, italic=True)


def _methodology_slide(prs, data: ReportData) -> None:
    s = _blank(prs)
    _text(s, Inches(0.5), Inches(0.35), Inches(12.3), Inches(0.8), "How these figures are made", 30, INK, bold=True)
    cfg = data.cfg
    p = data.period
    figs = definitions.by_key(cfg.repeat_windows_days, cfg.repeat_min_contacts)
    bullets = [
        f"Behavioral-health (BH) calls: {cfg.bh_rule}",
        f"Co-responded: {first_sentence(figs['co_responded_bh_calls'].definition)}",
        f"Period: {data.date_text(p.start)} to {data.date_text(p.last_day)}, both days included. Calls are dated by when they "
        f"were received, contacts by their contact date, on the {cfg.timezone} clock.",
        f"Diversion: {figs['diversion_rate'].definition} {definitions._UNKNOWN}",
        f"Changes compare with {_compared_with(p)}: rates in percentage points, money as an amount, counts "
        f"and hours in percent. Money is in {data.money_text}.",
        f"Data: CAD calls for service, the co-responder contact log and arrest records, loaded {data.loaded_text}. "
        "Each figure is one named SQL query (source on each slide; all are listed on the dashboard's "
        "Methodology page).",
        data.privacy_text,
    ]
    _text(s, Inches(0.6), Inches(1.3), Inches(12.1), Inches(5.8), bullets, 15, INK, bullet=True)


def _assumptions_slide(prs, data: ReportData) -> None:
    s = _blank(prs)
    _text(s, Inches(0.5), Inches(0.35), Inches(12.3), Inches(0.8), "Savings: assumptions and sources", 30, INK,
          bold=True)
    net = next((h for h in data.headlines if h.key == "net_cost_avoidance"), None)
    intro = ("Net cost avoidance is an estimate: avoided jail bookings, emergency-department transports and "
             "officer time, priced with the unit costs below, minus the program's cost for the period. It compares "
             "co-responded BH calls with other BH calls in the same period, not a randomised control group; "
             "published evaluations disagree about savings, so present the range.")
    if net is not None:
        intro += f" This period: {net.display}. {net.note}"
    _text(s, Inches(0.5), Inches(1.15), Inches(12.3), Inches(1.2), intro, 13, INK)
    rows = list(data.assumptions.values())
    if not rows:
        _text(s, Inches(0.5), Inches(2.45), Inches(12.3), Inches(1.0),
              "No unit costs or program cost are set for this agency, so the savings estimate is not measured. An "
              "administrator sets them, each with its source and year, on the dashboard's Settings page.", 15, INK)
        return
    table = s.shapes.add_table(len(rows) + 1, 5, Inches(0.5), Inches(2.45), Inches(12.3),
                               Inches(0.4) * (len(rows) + 1)).table
    widths = (3.2, 1.3, 1.9, 5.2, 0.7)
    for i, w in enumerate(widths):
        table.columns[i].width = Inches(w)
    for c, head in enumerate(("Assumption", "Value", "Low – high", "Source", "Year")):
        _cell(table.cell(0, c), head, 12, bold=True)
    for r, a in enumerate(rows, start=1):
        _cell(table.cell(r, 0), a.label, 11)
        _cell(table.cell(r, 1), data.assumption_value(a.value, a.unit), 11)
        _cell(table.cell(r, 2), f"{data.assumption_value(a.low, a.unit)} – {data.assumption_value(a.high, a.unit)}", 11)
        _cell(table.cell(r, 3), a.source, 9)
        _cell(table.cell(r, 4), str(a.year), 11)
    _text(s, Inches(0.5), Inches(7.0), Inches(11.5), Inches(0.35),
          f"Source: the agency's assumptions (config/assumptions.toml) · amounts in {data.money_text} · formula: "
          "queries/savings.sql :: savings", 10, GREY)


# ------------------------------------------------------------------ text helpers

TEXT_INSET = Inches(0.1)  # a text box's default left and right inset


def _text(slide, left, top, width, height, text, size: float, color: RGBColor, bold: bool = False,
          italic: bool = False, align=PP_ALIGN.LEFT, bullet: bool = False):
    box = slide.shapes.add_textbox(left, top, width, height)
    tf = box.text_frame
    tf.word_wrap = True
    # Text that outgrows its box is shrunk by the viewer (LibreOffice, Keynote, PowerPoint once
    # edited), never left running over the next box.
    tf.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
    tf.vertical_anchor = MSO_ANCHOR.TOP
    paragraphs = text if isinstance(text, list) else [text]
    for i, line in enumerate(paragraphs):
        para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        para.alignment = align
        if bullet:
            para.space_after = Pt(8)
        run = para.add_run()
        run.text = ("•  " if bullet else "") + line
        font = run.font
        font.size = Pt(size)
        font.bold = bold
        font.italic = italic
        font.color.rgb = color
    return box


def _figure_size(text: str, width: Emu, size: float = 60, smallest: float = 28) -> float:
    """The headline number's size: 60 pt, smaller when a long figure (−$12,345,678) would
    not fit the box's width on one line (pmhc.reports.textfit), so it is never broken."""
    inner = Emu(width - 2 * TEXT_INSET).pt
    return textfit.fit_size(text, inner, size, smallest, lambda t, s: textfit.width_pt(t, s, bold=True))


def _cell(cell, text: str, size: int, bold: bool = False) -> None:
    cell.text = text
    for para in cell.text_frame.paragraphs:
        for run in para.runs:
            run.font.size = Pt(size)
            run.font.bold = bold
