"""The shared sidebar filter bar (period, district, responder type), kept in the page
address so a view can be shared, and what is loaded (the data span it offers)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from . import access, escape, metrics, present, schema
from .config import AgencyConfig
from .figure_cache import data_range, districts, grant_periods
from .publication import GrantPeriod, matching
from .role import current_role
from .periods import Period


PERIOD_KINDS = {"months": "Month range", "quarter": "Quarter", "year": "Calendar year", "fy": "Fiscal year",
                "grant": "Grant period"}  # grant: offered when the administrator has published one
# Widget keys of the filter bar; their values mirror the URL query parameters.
FILTER_KEYS = ("flt_period", "flt_from", "flt_to", "flt_quarter", "flt_year", "flt_fy", "flt_grant",
               "flt_district", "flt_responder")
PARAM_KEYS = ("period", "from", "to", "quarter", "year", "fy", "grant", "district", "responder")


@dataclass(frozen=True)
class DataSpan:
    """What is loaded: first and last dated record across calls and contacts."""
    first: date
    last: date

    @property
    def months(self) -> list[str]:
        return [str(m) for m in pd.period_range(self.first, self.last, freq="M")]

    @property
    def last_full_month(self) -> str:
        last = pd.Timestamp(self.last)
        if last.is_month_end or len(self.months) == 1:
            return self.months[-1]
        return self.months[-2]

    def default_period(self) -> tuple[str, str]:
        """The last 12 full months of loaded data (fewer if less is loaded)."""
        months = self.months
        end = months.index(self.last_full_month)
        return months[max(0, end - 11)], months[end]

    def covers(self, period: Period) -> bool:
        return metrics.span_covers(self.first, self.last, period)


def data_span() -> DataSpan | None:
    span = metrics.span_of(data_range())
    return DataSpan(*span) if span else None


def _quarters(span: DataSpan) -> list[str]:
    return list(dict.fromkeys(f"{m[:4]}Q{(int(m[5:]) - 1) // 3 + 1}" for m in span.months))[::-1]


def _years(span: DataSpan) -> list[int]:
    return list(range(span.last.year, span.first.year - 1, -1))


def _fiscal_years(span: DataSpan, start_month: int) -> list[int]:
    def fy_of(d: date) -> int:
        return d.year + (1 if start_month > 1 and d.month >= start_month else 0)
    return list(range(fy_of(span.last), fy_of(span.first) - 1, -1))


def _fy_label(fy: int, start_month: int) -> str:
    return Period.fiscal_year(fy, start_month).label


def _month_label(m: str) -> str:
    return f"{pd.Timestamp(m + '-01'):%b %Y}"


def _options(span: DataSpan, cfg: AgencyConfig, district_list: list[str], grants: list[GrantPeriod]) -> dict[str, list]:
    return {
        "flt_period": [k for k in PERIOD_KINDS if k != "grant" or grants],
        "flt_from": span.months, "flt_to": span.months,
        "flt_quarter": _quarters(span), "flt_year": _years(span),
        "flt_fy": _fiscal_years(span, cfg.fiscal_year_start_month),
        "flt_grant": [g.name for g in grants],
        "flt_district": [""] + district_list, "flt_responder": [""] + list(schema.RESPONDER_TYPES),
    }


def _defaults(span: DataSpan, cfg: AgencyConfig, grants: list[GrantPeriod]) -> dict:
    first, last = span.default_period()
    last_full = Period.months(span.last_full_month, span.last_full_month)
    fy_now = _fiscal_years(span, cfg.fiscal_year_start_month)
    return {
        "flt_period": "months", "flt_from": first, "flt_to": last,
        "flt_quarter": f"{last_full.start.year}Q{(last_full.start.month - 1) // 3 + 1}",
        "flt_year": last_full.start.year, "flt_fy": fy_now[0],
        "flt_grant": grants[0].name if grants else None,  # the latest
        "flt_district": "", "flt_responder": "",
    }


def nearest_month(value, months: list[str]) -> str | None:
    """A month (YYYY-MM) before or after the loaded months → the first or last loaded one;
    None for anything else. A link made when more was loaded (or asking for months to
    come) keeps the loaded part of its range, rather than falling back to the default
    period and showing, say, January alone for "January to April"."""
    if not months or not isinstance(value, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        return None
    if value < months[0]:
        return months[0]
    if value > months[-1]:
        return months[-1]
    return None


def _from_query_params(options: dict, defaults: dict) -> tuple[dict, list[str]]:
    """Widget values from the link's query parameters; unknown values are reported, not used.
    A month before or after the loaded data is moved to the nearest loaded month (and said)."""
    qp = st.query_params
    values = dict(defaults)
    ignored = []
    moved = []
    for wkey, pkey in zip(FILTER_KEYS, PARAM_KEYS):
        if pkey not in qp:
            continue
        raw = qp.get(pkey)
        opts = options[wkey]
        value: object = raw
        if wkey in ("flt_year", "flt_fy"):
            try:
                value = int(str(raw).upper().removeprefix("FY"))
            except ValueError:
                value = None
        if wkey == "flt_quarter":
            value = str(raw).upper().replace("-", "")
        if value in opts:
            values[wkey] = value
        elif wkey in ("flt_from", "flt_to") and (near := nearest_month(value, opts)) is not None:
            values[wkey] = near
            moved.append(f"The link's `{pkey}={raw}` is outside the loaded data ({_month_label(opts[0])} to "
                         f"{_month_label(opts[-1])}): the period runs {'from' if wkey == 'flt_from' else 'to'} "
                         f"{_month_label(near)}.")
        else:
            ignored.append(f"{pkey}={raw}")
    st.session_state["_flt_moved"] = moved
    return values, ignored


def filter_bar(span: DataSpan, cfg: AgencyConfig) -> metrics.Filters:
    """The shared sidebar filter bar; its state is mirrored in the URL so a view can be shared."""
    grants = grant_periods()
    options = _options(span, cfg, districts(), grants)
    defaults = _defaults(span, cfg, grants)
    if not st.session_state.get("_flt_from_url"):
        values, ignored = _from_query_params(options, defaults)
        for k, v in values.items():
            st.session_state[k] = v
        st.session_state["_flt_from_url"] = True
        st.session_state["_flt_ignored"] = ignored
    for k in FILTER_KEYS:
        value = st.session_state.get(k)
        # Re-assigning carries the value over to this page's widget (widget ids are per page);
        # a value no longer in the data (e.g. after a re-import) falls back to the default
        # (a month past the data's ends: to the nearest loaded month).
        if value not in options[k]:
            value = (nearest_month(value, options[k]) if k in ("flt_from", "flt_to") else None) or defaults[k]
        st.session_state[k] = value
    one_filter = None
    if st.session_state["flt_district"] and st.session_state["flt_responder"] and access.is_public(current_role()):
        # Public figures narrow one way at a time (release.ONE_FILTER_TEXT): the district wins.
        st.session_state["flt_responder"] = ""
        one_filter = (f"Public figures narrow by district or by responder type, one at a time: showing district "
                      f"{escape.markdown(st.session_state['flt_district'])} for all responder types. Clear the "
                      "district to see a responder type's figures.")

    sb = st.sidebar
    sb.markdown("**Filters**")
    kind = sb.radio("Period", options["flt_period"], key="flt_period", persist_state="session",
                    format_func=PERIOD_KINDS.get, horizontal=True)
    if kind == "months":
        c1, c2 = sb.columns(2)
        c1.selectbox("From", options["flt_from"], key="flt_from", persist_state="session",
                     format_func=_month_label)
        c2.selectbox("To", options["flt_to"], key="flt_to", persist_state="session", format_func=_month_label)
    elif kind == "quarter":
        sb.selectbox("Quarter", options["flt_quarter"], key="flt_quarter", persist_state="session",
                     format_func=lambda q: f"Q{q[-1]} {q[:4]}")
    elif kind == "year":
        sb.selectbox("Calendar year", options["flt_year"], key="flt_year", persist_state="session")
    elif kind == "grant":
        by_name = {g.name: g for g in grants}
        sb.selectbox("Grant period", options["flt_grant"], key="flt_grant", persist_state="session",
                     format_func=lambda n: f"{n} ({by_name[n].months_label})" if n in by_name else n,
                     help="Grant periods the administrator published (Data page or `pmhc period publish`): "
                          "whole months, with public figures protected together with those months.")
    else:
        sb.selectbox("Fiscal year", options["flt_fy"], key="flt_fy", persist_state="session",
                     format_func=lambda fy: _fy_label(fy, cfg.fiscal_year_start_month),
                     help=f"Fiscal years start in {date(2000, cfg.fiscal_year_start_month, 1):%B} "
                          "and are named by the calendar year they end in (config/agency.toml).")
    sb.selectbox("District", options["flt_district"], key="flt_district", persist_state="session",
                 format_func=lambda d: d or "All districts")
    sb.selectbox("Responder type", options["flt_responder"], key="flt_responder", persist_state="session",
                 format_func=lambda r: schema.label(r) if r else "All responder types",
                 help="Narrows co-responder log figures (contacts, outcomes, repeat contacts, follow-up). "
                      "CAD call figures always include every call in the district.")
    for msg in st.session_state.get("_flt_ignored", []):
        sb.warning(f"The link's filter `{msg}` is not in the loaded data and was ignored.", icon="⚠️")
    for msg in st.session_state.get("_flt_moved", []):
        sb.info(msg, icon=":material/date_range:")

    filters, notes = _filters_from_state(cfg, grants)
    for n in notes + ([one_filter] if one_filter else []):
        sb.caption(n)
    _write_query_params()
    sb.caption("The page address holds these filters: copy it from the address bar to share this view.")
    return filters


def _filters_from_state(cfg: AgencyConfig, grants: list[GrantPeriod] = ()) -> tuple[metrics.Filters, list[str]]:
    s = st.session_state
    notes = []
    kind = s["flt_period"]
    if kind == "months":
        a, b = s["flt_from"], s["flt_to"]
        if b < a:
            a, b = b, a
            notes.append("“To” was before “From”: the months were swapped.")
        period = Period.months(a, b)
        grant = matching(list(grants), period)
        if grant is not None:
            period = grant.period  # the months of a published grant period are that grant period
        elif a != b and access.is_public(current_role()):
            # Public figures exist for published periods only (release.published): any
            # other range would be a new view to difference against the months.
            period = Period.months(b, b)
            notes.append(f"Public figures are published for whole months, quarters, years and the grant periods "
                         f"the administrator published: showing {period.label}. Pick a quarter, a year or a grant "
                         "period for a longer period.")
    elif kind == "quarter":
        q = s["flt_quarter"]
        period = Period.quarter(int(q[:4]), int(q[-1]))
    elif kind == "year":
        period = Period.calendar_year(int(s["flt_year"]))
    elif kind == "grant":
        period = next(g.period for g in grants if g.name == s["flt_grant"])
    else:
        period = Period.fiscal_year(int(s["flt_fy"]), cfg.fiscal_year_start_month)
    return metrics.Filters(period, s["flt_district"] or None, s["flt_responder"] or None), notes


def _write_query_params() -> None:
    s = st.session_state
    kind = s["flt_period"]
    wanted = {"period": kind}
    if kind == "months":
        wanted |= {"from": s["flt_from"], "to": s["flt_to"]}
    elif kind == "quarter":
        wanted["quarter"] = s["flt_quarter"]
    elif kind == "year":
        wanted["year"] = str(s["flt_year"])
    elif kind == "grant":
        wanted["grant"] = s["flt_grant"]
    else:
        wanted["fy"] = str(s["flt_fy"])
    if s["flt_district"]:
        wanted["district"] = s["flt_district"]
    if s["flt_responder"]:
        wanted["responder"] = s["flt_responder"]
    qp = st.query_params
    for k in PARAM_KEYS:  # only our keys: other parameters in the address stay
        if k in wanted:
            if qp.get(k) != wanted[k]:
                qp[k] = wanted[k]
        elif k in qp:
            del qp[k]


def scope_label(f: metrics.Filters, markdown: bool = False) -> str:
    """District and responder type of a selection, in words (`markdown`: the district, which
    comes from the data, escaped for a Markdown element)."""
    district = escape.markdown(f.district) if markdown and f.district else f.district
    return present.scope_label(district, f.responder_type)


def filters_label(f: metrics.Filters, markdown: bool = False) -> str:
    return f"{present.period_text(f.period)}, {scope_label(f, markdown)}"
