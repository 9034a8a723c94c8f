"""What every dashboard page imports: one name for the helpers of the modules below, and
the number formatting and tables built for pages.

- pmhc.role: who is looking (login or demo role switcher);
- pmhc.connection: the shared read-only database connection;
- pmhc.figure_cache: the figures, cached per selection and role (public = the release);
- pmhc.filter_bar: the sidebar filters kept in the URL, and the loaded data span;
- pmhc.page: the page scaffold (header, charts, cards, source line).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from . import access, definitions, escape, metrics, present
from .connection import connection  # noqa: F401
from .figure_cache import (  # noqa: F401
    _filters_key, _release, _stamp, breakdown, by_category, compare, coverage, data_range, districts, headline, heatmap,
    is_withheld, monthly, outcome_mix, pivot_counts, release_connection, repeat_people, savings,
)
from .figure_cache import grant_periods, is_published  # noqa: F401
from .filter_bar import (  # noqa: F401
    FILTER_KEYS, PARAM_KEYS, PERIOD_KINDS, DataSpan, data_span, filter_bar, filters_label, scope_label,
)
from .page import (  # noqa: F401
    PageContext, _leave_folder_navigation, chart, explain, has_data, metric_row, milestones, no_data,
    page_queries, query_comment, sources, start, subtitle,
)
from .role import current_role, demo_mode, demo_refusal, role_switcher  # noqa: F401

DASH = present.DASH  # shown for a figure that is not defined for the selection (e.g. a rate of 0 ÷ 0)


def fmt(value, unit: str = "count", key: str | None = None) -> str:
    """Every figure on screen goes through here: pmhc.present.fmt, the formatter of every
    report too (withheld as "<11" / "suppressed", unstable with its mark, not measured as
    "not measured", undefined as a dash). `key` is the figure key, for rules by figure."""
    return present.fmt(value, unit)


def fmt_change(change, unit: str) -> str | None:
    """A change from metrics.compare: rates in percentage points, others in percent."""
    return present.fmt_relative(change, unit)


def fmt_delta(value, before, change, unit: str) -> str | None:
    """A change for st.metric: dollars as a dollar difference (a percent of a negative or
    near-zero estimate misleads), rates in points, everything else in percent."""
    if unit == "usd":
        return present.fmt_change(value, before, unit)
    return fmt_change(change, unit)


ordinal = present.ordinal
first_sentence = present.first_sentence


# ------------------------------------------------------------------ tables built for pages

FIGURE_COLUMNS = ["key", "label", "value", "unit", "note", "definition", "numerator", "denominator",
                  "counting_unit", "exclusions", "source"]


def figure_table(values: dict, figs: list[definitions.Figure], role: str, cov=None) -> pd.DataFrame:
    """One row per figure with its formatted value and definition (the grant table).

    `note` says why a figure is not measured, or over how much of the selection it is
    computed (from `cov`, a pmhc.coverage.Coverage). Figures not cleared for public
    release are left out of the public view.
    """
    from . import coverage as _cov

    public = access.is_public(role)
    rows = [{
        "key": fig.key, "label": fig.label, "value": fmt(values.get(fig.key), fig.unit, fig.key),
        "note": _cov.explain(values.get(fig.key), fig, cov, public),
        "unit": present.unit_code(fig.unit), "definition": fig.definition, "numerator": fig.numerator,
        "denominator": fig.denominator, "counting_unit": fig.counting_unit, "exclusions": fig.exclusions,
        "source": fig.location,
    } for fig in figs if fig.key in values and (fig.public or not public)]
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS)


def figures_csv(table: pd.DataFrame, values: dict, filters: metrics.Filters, role: str) -> bytes:
    """The grant table as CSV, every row stamped with its exact period and filters."""
    p = filters.period
    out = table.assign(period_start=p.start.isoformat(), period_end_inclusive=p.last_day.isoformat(),
                       district=filters.district or "all", responder_type=filters.responder_type or "all")
    if access.can(role, "view_unsuppressed"):
        # Staff also get the unrounded number for their own checks.
        out.insert(3, "value_exact", [None if present.missing(values.get(k)) else values.get(k) for k in out["key"]])
    return escape.to_csv(out)


def what_if(base: metrics.Assumptions, edited: pd.DataFrame) -> tuple[metrics.Assumptions, list[str], list[str]]:
    """Assumptions with the edited value/low/high rows applied (nothing is saved).

    Returns (assumptions, labels of changed rows, problems); a row that breaks
    low ≤ value ≤ high keeps the file's values and is reported.
    """
    out = metrics.Assumptions(base)
    changed: list[str] = []
    problems: list[str] = []
    for row in edited.to_dict("records"):
        a = base[row["key"]]
        nums = [None if pd.isna(row.get(c)) else float(row[c]) for c in ("value", "low", "high")]
        if None in nums or not nums[1] <= nums[0] <= nums[2] or nums[1] < 0:
            shown = ", ".join("empty" if n is None else f"{n:g}" for n in nums)
            problems.append(f"“{a.label}” needs 0 ≤ low ≤ value ≤ high (got value, low, high = {shown}); "
                            "the file's values are used for this row.")
            continue
        value, low, high = nums
        if (value, low, high) != (a.value, a.low, a.high):
            out[a.key] = replace(a, value=value, low=low, high=high)
            changed.append(a.label)
    return out, changed, problems
