"""Which figures the loaded data can support for a selection, and over how much of it.

Each figure declares its inputs in the registry (pmhc/figures.py :: INPUTS). For a
selection this module counts, with one query (queries/coverage.sql :: figure_inputs),
where each input is recorded; a figure is **not measured** when one of its inputs is
missing — a column empty on every loaded row ("no co-responder field in the loaded
calls") or on every row of the selection, a table with nothing loaded for the period
("no arrest records loaded for this period"), or an assumption that is not set — and it
then carries that one-line reason instead of a 0. An input recorded on part of the
selection gives the figure a coverage note ("over 1,204 of 3,010 BH calls where it is
recorded"): the figure is computed over the recorded part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from . import figures, present, sql

_EVERYTHING = {"start": date(1, 1, 1), "end": date(9999, 12, 31), "district": None, "responder_type": None}
# Table inputs: (count column, first/last date columns, what "no rows" means).
_TABLES = {
    "calls": ("calls", "calls_first", "calls_last"),
    "contacts": ("contacts", "contacts_first", "contacts_last"),
    "arrests": ("arrests", "arrests_first", "arrests_last"),
}
# Column inputs: the count of rows they are counted over.
_OVER = {"calls": "bh_calls", "encounters": "contacts"}
_TABLE_WORDS = {"calls": "calls", "encounters": "clinician log"}


@dataclass(frozen=True)
class Coverage:
    """Input counts of one selection (`here`) and of everything loaded (`loaded`)."""

    here: dict
    loaded: dict
    start: date
    end: date  # exclusive
    filtered: bool  # a district or responder filter narrows the selection
    assumptions_set: frozenset[str] = frozenset()
    co_responder_rule: str = ""

    def input_reason(self, name: str) -> str | None:
        """Why this input is missing for the selection; None when it is there."""
        inp = figures.INPUTS[name]
        if name in _TABLES:
            n, first, last = _TABLES[name]
            if not self.loaded.get(n):
                return f"no {inp.label} loaded"
            lo, hi = self.loaded.get(first), self.loaded.get(last)
            # Arrest records are a separate export that may cover fewer months than CAD:
            # none for the period while calls are loaded is "not loaded", not "no arrests".
            # (A period outside everything loaded is an empty period: counts 0, rates undefined.)
            if name == "arrests" and lo is not None and hi is not None and (hi < self.start or lo >= self.end) \
                    and self.here.get("calls"):
                return f"no {inp.label} loaded for this period"
            return None
        if inp.table == "assumptions":
            missing = [k.strip() for k in inp.column.split(",") if k.strip() not in self.assumptions_set]
            return f"{inp.label} not set in config/assumptions.toml ({', '.join(missing)})" if missing else None
        if name == "comparison_contacts":
            if not self.here.get("contacts"):
                return None  # an empty selection: its counts are 0 and its estimate has nothing to compare
            if not self.here.get("co_responder_scene"):
                return "no on-scene contacts with a known outcome by a clinician or intern in this selection"
            if not self.here.get("cit_scene"):
                return ("no on-scene contacts with a known outcome by CIT officers alone in this selection "
                        "to compare with")
            return None
        where = _TABLE_WORDS.get(inp.table, inp.table)
        if not self.loaded.get(name):
            return f"no {inp.label} in the loaded {where}"
        of = self.here.get(_OVER[inp.table]) or 0
        if of and not self.here.get(name):
            scope = "selection" if self.filtered else "period"
            return f"the {inp.label} is empty on all {of:,} {inp.over} of this {scope}"
        return None

    def reason(self, fig: figures.Figure) -> str | None:
        """Why `fig` is not measured for the selection (the first missing input), or None."""
        for name in fig.inputs:
            r = self.input_reason(name)
            if r is not None:
                return r
        return None

    def note(self, fig: figures.Figure, public: bool = False) -> str:
        """Coverage of a measured figure whose inputs are recorded on part of the selection.
        `public`: in words only (exact counts of recorded rows could reveal a small count)."""
        if self.reason(fig) is not None:
            return ""
        notes = []
        for name in fig.inputs:
            inp = figures.INPUTS[name]
            if inp.table not in _OVER or not inp.over:
                continue
            of = int(self.here.get(_OVER[inp.table]) or 0)
            rec = int(self.here.get(name) or 0)
            if 0 < rec < of:
                notes.append(f"over the {inp.over} where the {inp.label} is recorded (not all of them)" if public
                             else present.coverage_text(rec, of, inp.over, f"the {inp.label}"))
        text = "computed " + "; ".join(notes) + "." if notes else ""
        if "co_responder" in fig.inputs and self.co_responder_rule:
            text = (text + " " + self.co_responder_rule).strip()
        return text

    def mark(self, values: dict) -> dict:
        """`values` with every not-measured figure replaced by a NotMeasured marker."""
        out = dict(values)
        for key in values:
            fig = figures.lookup(key)
            if fig is None:
                continue
            r = self.reason(fig)
            if r is not None:
                out[key] = present.NotMeasured(r)
        return out

    def reasons(self, keys) -> dict[str, str]:
        out = {}
        for key in keys:
            fig = figures.lookup(key)
            r = self.reason(fig) if fig is not None else None
            if r:
                out[key] = r
        return out

    def notes(self, keys, public: bool = False) -> dict[str, str]:
        out = {}
        for key in keys:
            fig = figures.lookup(key)
            n = self.note(fig, public) if fig is not None else ""
            if n:
                out[key] = n
        return out


def measure(con: duckdb.DuckDBPyConnection, filters, assumptions=None, cfg=None) -> Coverage:
    """The coverage of one selection (`filters`: a metrics.Filters)."""
    params = {k: v for k, v in filters.params().items() if k != "by"}
    here = sql.one(con, "figure_inputs", params)
    loaded = sql.one(con, "figure_inputs", _EVERYTHING)
    set_keys = frozenset(k for k, a in (assumptions or {}).items() if getattr(a, "value", None) is not None)
    rule = ""
    if cfg is not None and cfg.co_responder_empty == "not_co_responded":
        rule = cfg.co_responder_rule
    return Coverage(dict(here), dict(loaded), filters.period.start, filters.period.end,
                    bool(filters.district or filters.responder_type), set_keys, rule)


def explain(value, fig: figures.Figure | None, cov: Coverage | None, public: bool = False) -> str:
    """The one line shown beside a figure: why it is not measured, or its coverage."""
    if present.not_measured(value):
        return f"Not measured: {value.reason}."
    if cov is None or fig is None:
        return ""
    n = cov.note(fig, public)
    return n[0].upper() + n[1:] if n else ""
