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
_OVER = {"calls": "bh_calls", "encounters": "contacts", "arrests": "arrests"}
_TABLE_WORDS = {"calls": "calls", "encounters": "clinician log", "arrests": "arrest records"}


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
    responder_filtered: bool = False  # a responder filter selects contacts, never calls

    @property
    def from_calls(self) -> bool:
        """No clinician log loaded but calls: outcome figures are counted on the calls'
        recorded outcome (figures.FROM_CALLS) instead of on contacts. Decided on everything
        loaded, not on the selection, so a period before the log starts is not compared
        with the log's periods in another counting unit."""
        return not self.loaded.get("contacts") and bool(self.loaded.get("calls")) and not self.responder_filtered

    @property
    def arrests_from_calls(self) -> bool:
        """No arrest records for the selection but the calls record arrests as an outcome."""
        return self.input_reason("arrests") is not None and bool(self.loaded.get("call_arrest"))

    def source(self, fig: figures.Figure) -> figures.CallSource | None:
        """Where `fig` is read from on calls for this selection, or None (its own query)."""
        if self.from_calls and fig.key in figures.FROM_CALLS:
            return figures.FROM_CALLS[fig.key]
        if fig.key in figures.ARRESTS_FROM_CALLS and self.arrests_from_calls:
            return figures.ARRESTS_FROM_CALLS[fig.key]
        return None

    def sources(self, keys) -> dict[str, figures.CallSource]:
        out = {}
        for key in keys:
            fig = figures.lookup(key)
            src = self.source(fig) if fig is not None else None
            if src is not None:
                out[key] = src
        return out

    def outcome_source_text(self) -> str:
        """Which record the outcome figures of the selection are counted on, when it is not
        plain: calls without a clinician log, or a log beside calls that record outcomes too."""
        if self.from_calls:
            text = ("No clinician log loaded: diversion, connection to care and holds are counted "
                    "per BH call, from the outcome recorded on the call (disposition or outcome flags).")
        elif self.here.get("contacts") and self.here.get("call_outcome"):
            text = ("Diversion, connection to care and holds are counted per logged contact (the clinician log); "
                    "the outcomes also recorded on the calls are not used for them.")
        else:
            text = ""
        if self.arrests_from_calls:
            text = (text + " Arrests are counted from the call outcome (no arrest records loaded).").strip()
        return text

    def inputs_of(self, fig: figures.Figure) -> tuple[str, ...]:
        src = self.source(fig)
        return ("calls", src.input) if src is not None else fig.inputs

    def label(self, fig: figures.Figure) -> str:
        src = self.source(fig)
        return src.label if src is not None else fig.label

    def counting_unit(self, fig: figures.Figure) -> str:
        return "CAD call" if self.source(fig) is not None else fig.counting_unit

    def definition(self, fig: figures.Figure) -> str:
        src = self.source(fig)
        return src.definition if src is not None else fig.definition

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
            return (f"{inp.label} not set in the agency's assumptions ({', '.join(missing)}; an administrator sets "
                    "them on the Settings page, or in config/assumptions.toml)") if missing else None
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
        for name in self.inputs_of(fig):
            r = self.input_reason(name)
            if r is not None:
                if self.source(fig) is not None and name != "calls":  # neither record has it
                    first = ("no arrest records loaded" if fig.key in figures.ARRESTS_FROM_CALLS
                             else "no clinician log loaded")
                    return f"{first}, and {r}"
                return r
        return None

    def note(self, fig: figures.Figure, public: bool = False) -> str:
        """Coverage of a measured figure whose inputs are recorded on part of the selection.
        `public`: in words only (exact counts of recorded rows could reveal a small count)."""
        if self.reason(fig) is not None:
            return ""
        src = self.source(fig)
        if src is not None:
            return self._call_note(src, public)
        notes, counted = [], []
        for name in fig.inputs:
            inp = figures.INPUTS[name]
            if inp.table not in _OVER or not inp.over:
                continue
            of = int(self.here.get(_OVER[inp.table]) or 0)
            rec = int(self.here.get(name) or 0)
            if 0 < rec < of and inp.empty_means:  # every row counts: an empty one as empty_means
                counted.append(f"the {inp.label} is empty on {'some' if public else f'{of - rec:,} of {of:,}'} "
                               f"{inp.over}, counted as {inp.empty_means}.")
            elif 0 < rec < of:
                notes.append(f"over the {inp.over} where the {inp.label} is recorded (not all of them)" if public
                             else present.coverage_text(rec, of, inp.over, f"the {inp.label}"))
        text = " ".join((["computed " + "; ".join(notes) + "."] if notes else []) + counted)
        if "co_responder" in fig.inputs and self.co_responder_rule:
            text = (text + " " + self.co_responder_rule).strip()
        return text

    def _call_note(self, src: figures.CallSource, public: bool) -> str:
        """Which record a call-counted figure shows, and on how many BH calls it is measured."""
        why = ("no arrest records loaded for this period" if src in figures.ARRESTS_FROM_CALLS.values()
               else "no clinician log loaded")
        if public:
            return f"counted on BH calls from the outcome recorded on each call ({why})."
        rec, of = int(self.here.get(src.input) or 0), int(self.here.get("bh_calls") or 0)
        return (f"counted per BH call from the outcome recorded on the call ({why}); "
                f"measured on {rec:,} of {of:,} BH calls.")

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
                    bool(filters.district or filters.responder_type), set_keys, rule,
                    bool(filters.responder_type))


def explain(value, fig: figures.Figure | None, cov: Coverage | None, public: bool = False) -> str:
    """The one line shown beside a figure: why it is not measured, or its coverage."""
    if present.not_measured(value):
        return f"Not measured: {value.reason}."
    if cov is None or fig is None:
        return ""
    n = cov.note(fig, public)
    return n[0].upper() + n[1:] if n else ""
