"""The grant workbook (.xlsx): exact figures for an exact period, with their definitions.

Grant writers paste from it and build their own tables on it, so every value is a real
number with a number format (a rate is 0.625 shown as 62.5 %, never the text "62.5%"),
every sheet says which period, scope and data it covers, and every figure carries the
definition, numerator, denominator and SQL it comes from.
"""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .. import definitions, escape
from .. import figures as registry
from ..release import UNSTABLE_MARK
from ..present import not_measured
from .content import ReportData, _missing, fmt, suppressed_reason, unstable, withheld

NUMBER_FORMATS = {
    "rate": "0.0%",
    "usd": '"$"#,##0;[Red]-"$"#,##0',  # the sample's; a workbook uses its agency's currency (number_formats)
    "hours": "#,##0.0",
    "minutes": "#,##0.0",
    "count": "#,##0",
}
HEADER_FILL = PatternFill("solid", fgColor="DCE9F5")
BOLD = Font(bold=True)
GREY = Font(color="666666", italic=True)
WRAP = Alignment(wrap_text=True, vertical="top")
TABLE_START = 6  # first data row of the month / district sheets (after title, notes and two header rows)


def build(data: ReportData) -> bytes:
    wb = Workbook()
    figures = wb.active
    figures.title = "Figures"
    _figures_sheet(figures, data)
    units = _units(data)
    _table_sheet(wb.create_sheet("By month"), data, data.monthly, "month", "Month", units,
                 "Every figure month by month. Months outside the loaded data are left blank.")
    _table_sheet(wb.create_sheet("By district"), data, data.by_district, "district", "District", units,
                 "Call and contact figures by district. 'Unknown' holds records without a usable district; "
                 "Total is the whole selection (counts of people are not additive across districts).")
    _assumptions_sheet(wb.create_sheet("Assumptions"), data)
    for by, frame in data.by_category.items():  # public: as the release shows them (all districts only)
        name = registry.BREAKDOWN_LABELS[by]
        _table_sheet(wb.create_sheet(f"By {name.lower()}"), data, frame, by, name, units,
                     f"Call and outcome figures by {name.lower()} as exported ('Unknown': none exported; 'No linked "
                     "call': contacts without a call); rows add up to the Total, the whole selection."
                     + ("" if data.public else " Internal release: exact small counts, not for publication."))
    for ws in wb.worksheets:
        ws.sheet_view.showGridLines = ws.title != "Figures"
    escape.workbook_values(wb)  # a district named "=HYPERLINK(…)" stays text, never a formula
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _units(data: ReportData) -> dict[str, str]:
    out = {f.key: f.unit for f in definitions.figures(data.cfg.repeat_windows_days, data.cfg.repeat_min_contacts)}
    out.update({k: u for k, u in zip(data.figures["key"], data.figures["unit"])})
    for c in ("net_cost_avoidance_low", "net_cost_avoidance_high"):
        out[c] = "usd"
    return out


def _labels(data: ReportData) -> dict[str, str]:
    out = {f.key: f.label for f in definitions.figures(data.cfg.repeat_windows_days, data.cfg.repeat_min_contacts)}
    out.update(dict(zip(data.figures["key"], data.figures["label"])))
    out.setdefault("net_cost_avoidance_low", "Net cost avoidance, low end of range")
    out.setdefault("net_cost_avoidance_high", "Net cost avoidance, high end of range")
    return out


def number_formats(data: ReportData) -> dict[str, str]:
    """Excel number formats of the figures, money in the agency's currency symbol."""
    symbol = data.cfg.currency_symbol.replace('"', "")
    return {**NUMBER_FORMATS, "usd": f'"{symbol}"#,##0;[Red]-"{symbol}"#,##0'}


# strftime codes of the agency's date format → Excel's (dates are stored as dates, shown in its format)
_EXCEL_DATE = (("%-d", "d"), ("%d", "dd"), ("%-m", "m"), ("%m", "mm"), ("%B", "mmmm"), ("%b", "mmm"),
               ("%Y", "yyyy"), ("%y", "yy"), ("%A", "dddd"), ("%a", "ddd"), ("%e", "d"))


def excel_date_format(strftime: str) -> str:
    """'%-d %b %Y' → 'd mmm yyyy'; no format, or a code Excel has no twin for: ISO (yyyy-mm-dd)."""
    if not strftime:
        return "yyyy-mm-dd"
    out = strftime
    for code, excel in _EXCEL_DATE:
        out = out.replace(code, excel)
    return "yyyy-mm-dd" if "%" in out else out


def header_block(ws, data: ReportData, title: str) -> int:
    """Agency, period, scope, currency, generation time and data range; returns the next free row."""
    p = data.period
    ws.cell(1, 1, title).font = Font(bold=True, size=14)
    rows = [
        ("Agency", f"{data.cfg.name} — {data.cfg.program}"),
        ("Period", p.label),
        ("From", p.start),
        ("To (inclusive)", p.last_day),
        ("Scope", data.scope),
        ("Currency", data.money_text),
        ("Generated", data.generated_at.replace(tzinfo=None)),
        ("Data loaded", data.loaded_text),
        ("Release", data.privacy_text),
    ] + [("Note", n) for n in data.notes + ([data.category_note] if data.category_note else [])]
    day = excel_date_format(data.cfg.date_format)
    for i, (k, v) in enumerate(rows, start=2):
        ws.cell(i, 1, k).font = BOLD
        c = ws.cell(i, 2, v)
        if isinstance(v, date):
            c.number_format = f"{day} hh:mm" if k == "Generated" else day
            c.alignment = Alignment(horizontal="left")
    return len(rows) + 3


FIGURE_HEADERS = [("key", "Key", 30), ("label", "Figure", 38), ("value", "Value", 14), ("display", "Shown as", 13),
                  ("unit", "Unit", 8), ("definition", "Definition", 70), ("numerator", "Numerator", 30),
                  ("denominator", "Denominator", 30), ("counting_unit", "Counting unit", 16),
                  ("exclusions", "Exclusions", 40), ("location", "SQL", 34), ("note", "Note", 30)]


def _figures_sheet(ws, data: ReportData) -> None:
    start = header_block(ws, data, f"{data.cfg.program}: figures for {data.period.label}")
    formats = number_formats(data)
    for c, (_, head, width) in enumerate(FIGURE_HEADERS, start=1):
        cell = ws.cell(start, c, head)
        cell.font, cell.fill = BOLD, HEADER_FILL
        ws.column_dimensions[get_column_letter(c)].width = width
    for r, row in enumerate(data.figures.to_dict("records"), start=start + 1):
        row = {**row, "note": _note(row, data)}
        for c, (key, _, _) in enumerate(FIGURE_HEADERS, start=1):
            value = row.get(key)
            if key == "value":
                cell = ws.cell(r, c, None if _missing(value) or row["suppressed"] else float(value))
                cell.number_format = formats.get(row["unit"], "General")
                if row["unstable"]:
                    cell.number_format = marked_format(cell.number_format)
            elif key == "unit" and value == "usd":  # money: the agency's currency code
                cell = ws.cell(r, c, data.cfg.currency)
            else:
                cell = ws.cell(r, c, value if value not in (None, "") else None)
            cell.alignment = WRAP
    ws.freeze_panes = ws.cell(start + 1, 3)
    ws.auto_filter.ref = f"A{start}:{get_column_letter(len(FIGURE_HEADERS))}{start + len(data.figures)}"


def _note(row: dict, data: ReportData) -> str | None:
    if row.get("not_measured"):
        return f"Not measured: {row['not_measured']}."
    if row["suppressed"]:
        return suppressed_reason(row["display"], data.cfg)
    if row["unstable"]:
        return (f"{UNSTABLE_MARK} Unstable: fewer than {data.cfg.unstable_numerator} events in the numerator, "
                "so it moves a lot by chance.")
    if _missing(row["value"]):
        return "Not defined for this selection (nothing to divide by)."
    return row.get("coverage") or None


def marked_format(number_format: str) -> str:
    """The number format with the unstable mark after the number (in every section)."""
    return ";".join(f'{part} "{UNSTABLE_MARK}"' for part in number_format.split(";"))


def _table_sheet(ws, data: ReportData, frame: pd.DataFrame, index: str, index_title: str,
                 units: dict[str, str], note: str) -> None:
    """A figure-per-column table: labels in row 4, stable keys in row 5, data from row 6."""
    labels = _labels(data)
    order = [k for k in labels if k in frame.columns]
    ws.cell(1, 1, f"{index_title} · {data.period_text} · {data.scope}").font = Font(bold=True, size=13)
    ws.cell(2, 1, note).font = GREY
    ws.cell(3, 1, f"{data.cfg.name} — {data.privacy_text}").font = GREY
    ws.cell(4, 1, index_title).font = BOLD
    ws.cell(5, 1, index).font = GREY
    ws.column_dimensions["A"].width = 12
    for c, key in enumerate(order, start=2):
        head = ws.cell(4, c, labels[key])
        head.font, head.fill, head.alignment = BOLD, HEADER_FILL, Alignment(wrap_text=True, vertical="bottom")
        ws.cell(5, c, key).font = GREY
        ws.column_dimensions[get_column_letter(c)].width = 16
    ws.row_dimensions[4].height = 60
    # Rows as objects, not to_dict(): to_dict turns a release.Withheld into a plain NaN,
    # which would print a hidden cell as an empty one instead of "<11" / "suppressed".
    columns = list(frame.columns)
    for r, cells in enumerate(frame.to_numpy(dtype=object), start=TABLE_START):
        row = dict(zip(columns, cells))
        ws.cell(r, 1, str(row[index])).font = BOLD if row[index] == "Total" else Font()
        for c, key in enumerate(order, start=2):
            value = row[key]
            unit = units.get(key, "count")
            if withheld(value) or not_measured(value):  # say so in the cell, never a number (or a 0)
                cell = ws.cell(r, c, fmt(value, unit))
                cell.font, cell.alignment = GREY, Alignment(horizontal="right")
                continue
            cell = ws.cell(r, c, None if _missing(value) else float(value))
            cell.number_format = number_formats(data).get(unit, "General")
            if unstable(value):  # still a number; the mark is in its format
                cell.number_format = marked_format(cell.number_format)
    ws.freeze_panes = ws.cell(TABLE_START, 2)


def _assumptions_sheet(ws, data: ReportData) -> None:
    ws.cell(1, 1, f"Assumptions of the savings estimate (the agency's config/assumptions.toml), amounts in "
                  f"{data.money_text}").font = Font(bold=True, size=13)
    ws.cell(2, 1, "Net cost avoidance is an estimate: published evaluations disagree about savings. The low and "
                  "high ends price every unit cost at its low (high) value and program cost at the other end.").font = GREY
    heads = [("Key", 24), ("Assumption", 44), ("Value", 12), ("Low", 12), ("High", 12), ("Unit", 8), ("Source", 80),
             ("Year", 8)]
    for c, (head, width) in enumerate(heads, start=1):
        cell = ws.cell(4, c, head)
        cell.font, cell.fill = BOLD, HEADER_FILL
        ws.column_dimensions[get_column_letter(c)].width = width
    if not data.assumptions:
        ws.cell(5, 1, "No unit costs or program cost are set for this agency: the savings estimate is not "
                      "measured (an administrator sets them, with their sources, on the Settings page).")
    for r, a in enumerate(data.assumptions.values(), start=5):
        money = a.unit.partition(" ")[0].upper() == data.cfg.currency
        fmt = number_formats(data)["usd"] if money else "#,##0.###"
        values = [a.key, a.label, a.value, a.low, a.high, a.unit, a.source, int(a.year)]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(r, c, v)
            if c in (3, 4, 5):
                cell.number_format = fmt
            if c == 7:
                cell.alignment = WRAP
    ws.freeze_panes = "C5"
