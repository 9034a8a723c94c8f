"""How a figure reads, in one place for the dashboard and every report.

Pages (`pmhc.ui`), the public release's exports (`pmhc.release`), the deck, workbook
and one-pager (`pmhc.reports`) and `pmhc figures` format through these functions, so a
rate, a dollar amount, hours or days print the same on screen, on a slide, in a
spreadsheet and in the PDF, and a figure the data cannot support reads "not measured"
with its reason everywhere.

The markers are floats that are NaN to arithmetic and charts (a gap, never a 0):
`Withheld` (hidden by the privacy release), `Unstable` (a shown rate on few events) and
`NotMeasured` (its inputs are absent for the selection).

The agency's locale is applied here too (its settings, `pmhc.config.AgencyConfig`; the
current workspace's unless a caller passes `cfg`): money in its currency (`money`,
`currency_text`), dates in its format (`date_text`), and its words for the dashboard's
terms (`term`: "co-responder" → "mobile crisis team"), which the figure registry, the
vocabulary labels and the charts pass their text through.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from . import config as _config

DASH = "—"  # a figure not defined for the selection (e.g. a rate of 0 ÷ 0)
SUPPRESSED_TEXT = "suppressed"
UNSTABLE_MARK = "†"
NOT_MEASURED = "not measured"
UNITS = {"count": "count", "rate": "rate", "hours": "hours", "minutes": "minutes", "days": "days",
         "usd": "US dollars"}  # "usd" is the money unit: its words come from the agency's currency (unit_text)


class Withheld(float):
    """A figure withheld from a public view: NaN to arithmetic and charts (a gap), and
    its display text ("<11" or "suppressed") to the formatter."""

    def __new__(cls, display: str = SUPPRESSED_TEXT, reason: str = ""):
        obj = super().__new__(cls, math.nan)
        obj.display = display
        obj.reason = reason
        return obj

    def __reduce__(self):
        return (Withheld, (self.display, self.reason))

    def __repr__(self) -> str:
        return f"Withheld({self.display!r})"


class Unstable(float):
    """A shown rate on few events: its value, plus the mark the formatter adds."""

    def __new__(cls, value: float):
        return super().__new__(cls, value)

    def __reduce__(self):
        return (Unstable, (float(self),))


class NotMeasured(float):
    """A figure whose inputs the selection does not have (no co-responder field, no arrest
    records, no program cost): NaN to arithmetic and charts, "not measured" to people,
    with a one-line reason."""

    display = NOT_MEASURED

    def __new__(cls, reason: str):
        obj = super().__new__(cls, math.nan)
        obj.reason = reason
        return obj

    def __reduce__(self):
        return (NotMeasured, (self.reason,))

    def __repr__(self) -> str:
        return f"NotMeasured({self.reason!r})"


def missing(value) -> bool:
    """None, NaN, pd.NA or a marker without a value (withheld, not measured)."""
    if value is None or value is pd.NA:
        return True
    try:
        return isinstance(value, float) and math.isnan(value)
    except TypeError:
        return False


def not_measured(value) -> bool:
    return isinstance(value, NotMeasured)


def reason(value) -> str:
    """Why a value is not shown ('' when it is)."""
    return getattr(value, "reason", "") if isinstance(value, (NotMeasured, Withheld)) else ""


def fmt(value, unit: str = "count", cfg=None) -> str:
    """A figure as people read it: 62.5%, $1,234, −$500, 12.5 h, 45 min, 3.5 days, 1,204.
    Money is in the agency's currency (`cfg`, default the current workspace's settings)."""
    if isinstance(value, (Withheld, NotMeasured)):
        return value.display
    if missing(value):
        return DASH
    v = float(value)
    if unit == "rate":
        text = f"{v:.1%}"
    elif unit == "usd":
        text = money(v, cfg)
    elif unit == "hours":
        text = f"{v:,.1f} h" if abs(v) < 100 else f"{v:,.0f} h"
    elif unit == "minutes":
        text = f"{v:,.0f} min"
    elif unit == "days":
        text = f"{v:,.1f} days"
    elif v.is_integer():
        text = f"{v:,.0f}"
    else:
        text = f"{v:,.1f}" if abs(v) >= 10 else f"{v:,.2f}"
    return f"{text} {UNSTABLE_MARK}" if isinstance(value, Unstable) else text


def change(value, before, unit: str):
    """The change vs an earlier period as a number: rates in percentage points (a
    difference of shares), dollars as a dollar difference, counts and hours as a
    fraction; None when either side is missing (or a percent of 0)."""
    if missing(value) or missing(before):
        return None
    v, b = float(value), float(before)
    if unit in ("rate", "usd"):
        return v - b
    if b == 0:
        return None
    return (v - b) / abs(b)


def fmt_change(value, before, unit: str, cfg=None) -> str | None:
    """The change in words: "+2.5 pts", "+$1,200", "−12.0%"; None when not defined."""
    c = change(value, before, unit)
    if c is None:
        return None
    if unit == "rate":
        return f"{c * 100:+.1f} pts"
    if unit == "usd":
        return ("+" if c >= 0 else "−") + fmt(abs(c), "usd", cfg)
    return f"{c:+.1%}"


@dataclass(frozen=True)
class Change:
    """One comparison on a card: the change ("+5.3%"), against which period, or why no
    change is shown."""

    text: str | None
    against: str  # "vs Feb 2025", "vs a year earlier (Mar 2024)", "vs 2024 (a year earlier)"
    why: str = ""

    @property
    def line(self) -> str:
        if self.text:
            return f"{self.text} {self.against}"
        return f"No change shown {self.against}" + (f": {self.why}" if self.why else "")


def changes(vs_previous: str | None, previous_label: str, vs_year_ago: str | None, year_ago_label: str,
            why_previous: str = "", why_year_ago: str = "") -> list[Change]:
    """A card's comparisons, each said once: against the previous period of the same
    length and against the same period a year earlier — or, when the previous period is
    the year before (a calendar or fiscal year, any twelve whole months), one comparison
    naming it as both ("+5.3% vs 2024 (a year earlier)"), not the same change twice.

    The labels decide: Period.previous() and Period.year_ago() keep the period's kind, so
    they carry the same label exactly when they are the same dates."""
    if year_before_is_previous(previous_label, year_ago_label):
        return [Change(vs_previous or vs_year_ago, f"vs {previous_label} (a year earlier)",
                       why_previous or why_year_ago)]
    return [Change(vs_previous, f"vs {previous_label}", why_previous),
            Change(vs_year_ago, f"vs a year earlier ({year_ago_label})", why_year_ago)]


def year_before_is_previous(previous_label: str, year_ago_label: str) -> bool:
    """Is the previous period the same as a year earlier (twelve months)? Then a change
    against it is one comparison, not two."""
    return previous_label == year_ago_label


def fmt_relative(change_value, unit: str) -> str | None:
    """A change already computed by `change` (rates in points, others in percent)."""
    if missing(change_value):
        return None
    if unit == "rate":
        return f"{change_value * 100:+.1f} pts"
    return f"{change_value:+.1%}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def first_sentence(text: str) -> str:
    head, sep, _ = text.partition(". ")
    return head + "." if sep else text


def period_text(period, cfg=None) -> str:
    """'FY2025 (1 Jul 2024 – 30 Jun 2025)', dates in the agency's format."""
    return f"{period.label} ({date_text(period.start, cfg)} – {date_text(period.last_day, cfg)})"


def span_text(first, last, cfg=None) -> str:
    return f"{date_text(first, cfg)} – {date_text(last, cfg)}"


def outside_span_text(first, last, what: str = "The period") -> str:
    """The warning shown when a period runs past the loaded data (page banner and report note)."""
    return (f"{what} runs outside the loaded data ({span_text(first, last)}): figures cover only the part of "
            "it that is loaded.")


def scope_label(district: str | None, responder_type: str | None) -> str:
    """District and responder type of a selection, in words."""
    from . import schema

    d = f"district {district}" if district else "all districts"
    r = schema.label(responder_type).lower() if responder_type else "all responder types"
    return f"{d}, {r}"


def coverage_text(recorded: int, of: int, over: str, what: str = "it") -> str:
    """'over 1,204 of 3,010 BH calls where it is recorded'."""
    return f"over {recorded:,} of {of:,} {over} where {what} is recorded"


# ------------------------------------------------------------------ the savings waterfall

# The parts that add up to the net cost avoidance, in the order drawn: (label on the
# chart, figure key, sign). The Savings page and the deck's savings slide draw these.
SAVINGS_STEPS = (("Jail costs<br>avoided", "jail_cost_avoided", 1),
                 ("ED & ambulance<br>costs avoided", "ed_cost_avoided", 1),
                 ("Officer time<br>returned", "officer_time_value", 1),
                 ("Program<br>cost", "program_cost", -1))
SAVINGS_TITLE = "Where the estimate comes from: cost avoided by source minus program cost"
SAVINGS_TOTAL = "Net<br>(estimate)"
SAVINGS_HIDDEN = "Parts of the estimate rest on small counts and are suppressed in the public release"


def savings_steps(value_of) -> list[tuple[str, object]]:
    """The waterfall's (label, dollars) steps; `value_of(key)` gives a figure's value as
    the caller may show it. A withheld or missing part keeps its marker (never 0), so a
    chart leaves it out and `steps_withheld` can refuse to draw a wrong net."""
    steps = []
    for label, key, sign in SAVINGS_STEPS:
        v = value_of(key)
        steps.append((label, v if isinstance(v, Withheld) or missing(v) else sign * float(v)))
    return steps


def steps_withheld(steps) -> bool:
    """Is any part hidden by the release? Then the bars would add up to a wrong net."""
    return any(isinstance(v, Withheld) for _, v in steps)


# ------------------------------------------------------------------ the agency's locale and words

def _agency(cfg=None):
    if cfg is not None:
        return cfg
    return _config.load_agency()  # the current workspace's settings (cached per file version)


def money(v: float, cfg=None) -> str:
    """An amount in the agency's currency, whole units: "$1,234", "−£500", "CHF 1,200"."""
    symbol = _agency(cfg).currency_symbol
    return f"−{symbol}{abs(v):,.0f}" if v < 0 else f"{symbol}{v:,.0f}"


def currency_symbol(cfg=None) -> str:
    return _agency(cfg).currency_symbol


def currency_text(cfg=None) -> str:
    """The currency in words with its code, e.g. 'Canadian dollars (CAD)' (axis titles, units)."""
    return _agency(cfg).currency_name


def unit_text(unit: str, cfg=None) -> str:
    """A figure's unit in words: money is the agency's currency, others as UNITS says."""
    return currency_text(cfg) if unit == "usd" else UNITS.get(unit, unit)


def unit_code(unit: str, cfg=None) -> str:
    """A figure's unit for a table column: money is the agency's currency code (USD, CAD…)."""
    return _agency(cfg).currency if unit == "usd" else unit


def date_text(d, cfg=None, long: bool = False) -> str:
    """A date in the agency's format ([locale] date_format); without one '5 Jan 2025', or
    '5 January 2025' where it is `long` (a sentence on a slide or the summary)."""
    fmt = _agency(cfg).date_format or _config.DEFAULT_DATE_FORMATS["long" if long else "short"]
    return d.strftime(fmt)


# The dashboard's own words an agency may replace with its program's ([terminology] in
# agency.toml): a phrase is replaced wherever labels, definitions, chart titles and report
# text use it, in any case (the first letter keeps its case); a plural or a longer word
# built on it follows ("co-responders" → "mobile crisis teams"). Longer phrases win.
TERMS = ("co-responder", "co-responded", "co-response", "clinician liaison", "clinician", "counseling intern",
         "CIT officer", "follow-up team", "involuntary hold", "diversion", "behavioral-health", "behavioral health")
# Vocabulary values whose label may be replaced as a whole (outcome, responder and contact types).
VALUE_TERMS = ("involuntary_hold", "clinician_liaison", "counseling_intern", "cit_officer", "follow_up_team",
               "patrol_officer", "resolved_on_scene", "referred_outpatient", "crisis_center", "voluntary_ed",
               "arrest", "refused_unable_to_contact", "on_scene", "follow_up", "referral")


def term_keys() -> set[str]:
    """What [terminology] may name: a TERMS phrase (any case) or a VALUE_TERMS value."""
    return {t.lower() for t in TERMS} | set(VALUE_TERMS)


@lru_cache(maxsize=8)
def _pattern(keys: tuple[str, ...]):
    alts = sorted(keys, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(k) for k in alts) + r")", re.IGNORECASE)


def _phrases(cfg) -> dict[str, str]:
    return {k.lower(): v for k, v in cfg.terminology if k.lower() in {t.lower() for t in TERMS}}


def term(text, cfg=None):
    """`text` in the agency's words: every TERMS phrase it set is replaced (a label,
    a definition, a chart title). Text without one comes back unchanged (also non-strings)."""
    if not isinstance(text, str) or not text:
        return text
    phrases = _phrases(_agency(cfg))
    if not phrases:
        return text

    def swap(m: re.Match) -> str:
        found, new = m.group(0), phrases[m.group(0).lower()]
        if found[:1].isupper() and not found.isupper():
            return new[:1].upper() + new[1:]
        if found.isupper() and len(found) > 3:
            return new.upper()
        return new

    return _pattern(tuple(phrases)).sub(swap, text)


def value_label(value: str, label: str, cfg=None) -> str:
    """A vocabulary value's label in the agency's words: its own [terminology] entry, else
    the label with the phrases replaced."""
    own = dict(_agency(cfg).terminology).get(value)
    return own if own else term(label, cfg)
