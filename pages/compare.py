"""Agencies compared, for the state CIT coordinator, grant administrators and the learning
sites: every agency of the hub side by side on figures comparable across sizes, pooled,
with each agency's data quality beside its figures (pmhc/comparison.py)."""

import pandas as pd
import streamlit as st

from pmhc import charts, comparison, escape, figures, login, present, ui
from pmhc.config import Workspace, agency_configs, hub_settings

ctx = ui.start("compare", with_filters=False)
hub = hub_settings()
configs = agency_configs(Workspace(Workspace.current().root))
visible = ui.current_scope().visible(configs)
public = ctx.is_public

st.markdown("**Agencies record differently.** Each agency's figures follow its own export and settings (which "
            "call types are behavioral health, what its disposition codes mean, which fields its CAD records): "
            "read each agency's data-quality summary beside its figures before comparing them. Rates and counts "
            "per 1,000 calls compare agencies of any size; a figure an agency does not measure is *not "
            "measured*, never 0, and is left out of the pooled figure.")

kinds = comparison.KINDS
q = st.query_params
state = st.session_state
if not state.get("_cmp_from_url"):
    state["_cmp_from_url"] = True
    if q.get("cmp") in kinds:
        state["cmp_kind"] = q.get("cmp")
    wanted = q.get("agencies")
    if wanted:
        asked = [a for a in str(wanted).split(",") if a]
        state["cmp_agencies"] = [a for a in asked if a in visible] or visible
        if any(a not in visible for a in asked):
            st.warning("The link names agencies this account may not see: they were left out.", icon="⚠️")
chosen = st.multiselect("Agencies", visible, default=state.get("cmp_agencies") or visible, key="cmp_agencies",
                        format_func=lambda k: configs[k].name)
if not chosen:
    ui.no_data("Pick at least one agency.")
    st.stop()
span = ui.span_of_agencies(chosen)
if span is None:
    ui.no_data("None of these agencies has data loaded yet.")
    st.stop()
first, last = span
months = [str(m) for m in pd.period_range(first, last, freq="M")][::-1]
c1, c2 = st.columns([2, 1])
kind = c1.radio("Period", list(kinds), key="cmp_kind", format_func=kinds.get, horizontal=True,
                help="Months, quarters and calendar years are each agency's own wall clock (its time zone). A fiscal "
                     "year is each agency's own; the pooled column has one only when every agency's year starts in "
                     "the same month.")
if kind == "month":
    options = months
    fmt = lambda m: f"{pd.Timestamp(m + '-01'):%B %Y}"  # noqa: E731
elif kind == "quarter":
    options = list(dict.fromkeys(f"{m[:4]}Q{(int(m[5:]) - 1) // 3 + 1}" for m in months))
    fmt = lambda v: f"Q{v[-1]} {v[:4]}"  # noqa: E731
else:
    options = list(range(last.year + (1 if kind == "fy" else 0), first.year - 1, -1))
    fmt = (lambda y: f"FY{y} (each agency's own)") if kind == "fy" else str  # noqa: E731
asked_value = q.get("at")
if asked_value is not None and state.get("_cmp_at_from_url") is None:
    state["_cmp_at_from_url"] = True
    value_in = int(asked_value) if kind in ("year", "fy") and str(asked_value).isdigit() else asked_value
    if value_in in options:
        state["cmp_value"] = value_in
if state.get("cmp_value") not in options:
    state["cmp_value"] = options[1] if kind == "month" and len(options) > 1 else options[0]
value = c2.selectbox("Which", options, key="cmp_value", format_func=fmt)
q["cmp"], q["at"], q["agencies"] = kind, str(value), ",".join(chosen)

cmp = ui.compare_agencies(kind, value, chosen)
st.caption(f"Showing **{escape.markdown(cmp.label)}** for {len(chosen)} "
           f"agenc{'y' if len(chosen) == 1 else 'ies'}. Data loaded: {present.span_text(first, last)}.")
if public:
    st.caption(f"Public view: each agency's figures are its own public release (counts below "
               f"{hub.suppression_threshold} suppressed); a pooled figure is shown only where every agency "
               "pooled into it shows it.")

table = cmp.table()
st.subheader("Side by side")
shown = table.drop(columns=["key", "definition"]).rename(columns={"figure": "Figure"})
st.dataframe(shown, hide_index=True, width="stretch")
notes = [(row.label, cmp.pooled.notes[row.key]) for row in comparison.rows() if row.key in cmp.pooled.notes]
for label, note in notes:
    st.caption(f"Pooled {escape.markdown(label.lower())}: {escape.markdown(note)}")
with st.expander("Definitions", icon=":material/menu_book:"):
    for row in comparison.rows():
        st.markdown(f"**{escape.markdown(row.label)}.** {escape.markdown(row.definition)}")

st.subheader("From all calls to diverted")
steps = cmp.funnel()
figs = figures.all_by_key()
wide = pd.DataFrame({"step": [figs[k].label for k in figures.FUNNEL]})
for col in cmp.columns:
    part = steps[steps["agency"] == col.name].set_index("key")
    calls = col.values.get("calls_total")
    per = []
    for k in figures.FUNNEL:
        v = part.loc[k, "value"]
        if present.missing(v) or present.missing(calls) or not calls:
            per.append(v if isinstance(v, (present.NotMeasured, present.Withheld)) else None)
        else:
            per.append(float(v) / float(calls) * 1000.0)
    wide[col.name] = pd.Series(per, dtype=object)
ui.chart(charts.bar(wide, "step", {c.name: c.name for c in cmp.columns},
                    "From all calls to diverted, per 1,000 calls for service", "", "Per 1,000 calls"),
         subtitle_text=cmp.label)
st.caption("Each step per 1,000 calls for service of the agency (pooled: of the agencies pooled into it). Diverted "
           "counts logged contacts where an agency has a clinician log, and BH calls by their recorded outcome "
           "where it has none; the step is per 1,000 calls either way.")

st.subheader("Each agency's data")
for col in cmp.agencies:
    with st.expander(f"{col.name}: what its data records", icon=":material/fact_check:"):
        st.markdown(f"Time zone {escape.markdown(col.cfg.timezone)}; fiscal year from "
                    f"{pd.Timestamp(2000, col.cfg.fiscal_year_start_month, 1):%B}; period "
                    f"{escape.markdown(col.period.label)} on its own clock.")
        st.markdown(escape.markdown(col.cfg.bh_rule))
        lines = [f"- {escape.markdown(comparison_row.label)}: {escape.markdown(col.notes[comparison_row.key])}"
                 for comparison_row in comparison.rows() if col.notes.get(comparison_row.key)]
        st.markdown("\n".join(lines) if lines else "Every compared figure is measured over all of the period's "
                                                   "records.")
        if not public:
            checks = ui.quality_checks(col.key)
            flagged = checks[checks["affected"] > 0]
            if flagged.empty:
                st.caption("The data-quality checks find nothing to flag.")
            else:
                st.dataframe(flagged[["check", "affected", "total", "effect"]].rename(columns={
                    "check": "Check", "affected": "Rows affected", "total": "Of", "effect": "Effect on figures"}),
                    hide_index=True, width="stretch")

csv = table.drop(columns=[]).assign(period=cmp.label, release="public" if public else "internal")
st.download_button("Download this comparison (CSV)", escape.to_csv(csv),
                   file_name=f"agencies_compared_{kind}_{value}.csv", mime="text/csv",
                   on_click=login.on_download("agencies compared", period=f"{kind} {value}",
                                              agencies=",".join(chosen)),
                   disabled=not ui.may("download_figures"))
ui.sources()
