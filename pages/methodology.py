"""Methodology for everyone: every figure the dashboard shows, how it is counted and the
SQL that computes it, plus the rules and conventions all figures share."""

from datetime import date

import streamlit as st

from pmhc import evaluation as ev_docs
from pmhc import figures, present, sql, ui
from pmhc.periods import Period

ctx = ui.start("methodology", with_filters=False)
cfg = ctx.cfg
figs = figures.figures(cfg.repeat_windows_days, cfg.repeat_min_contacts)

st.subheader("Rules every figure follows")
fy_start = date(2000, cfg.fiscal_year_start_month, 1)
st.markdown(f"""
- **Behavioral-health (BH) calls.** {cfg.bh_rule}
- **Time zone.** Every date, month, weekday and hour is counted on the wall clock of **{cfg.timezone}**.
  Timestamps exported without an offset are read in that zone.
- **Dating.** Calls are dated by when they were received; co-responder contacts by their contact date;
  arrests count toward the call they name (`call_id`).
- **Periods.** A period runs from its first day (included) to the day after its last day (excluded),
  so months, quarters and years never overlap. Quarters are calendar quarters. Fiscal years start in
  **{fy_start:%B}** and are named by the calendar year they end in
  ({Period.fiscal_year(2025, cfg.fiscal_year_start_month).label}).
  “Previous period” is the period of the same length just before; “a year earlier” is the same dates one year back.
- **Filters.** District filters calls by their district and contacts by their call's district (follow-ups and
  referrals without a call are district “Unknown”). Responder type narrows co-responder log figures only.
- **Repeat contacts.** A person counts as a repeat contact with at least **{cfg.repeat_min_contacts}** crisis contacts
  within a window of {", ".join(f"{w}" for w in cfg.repeat_windows_days)} days. People are linked by a pseudonymous key
  made at import; contacts without one are counted but never linked.
- **Not measured.** Each figure names the data it needs (below, “Needs”). When the loaded data lacks it for the
  selection — a column empty on every row, no arrest records or clinician log loaded, an assumption not set — the
  figure reads **{present.NOT_MEASURED}** with the reason, never 0. When a field is recorded on only part of the
  selection, the figure is computed over that part and says so (“over 1,204 of 3,010 BH calls where it is recorded”).
- **Co-responder field.** {cfg.co_responder_rule}
- **Rates.** A rate with a zero denominator is not defined and shows as {ui.DASH}. Rates change in percentage points.
- **Privacy.** Public views suppress counts from 1 to {cfg.suppression_threshold - 1}; rates whose numerator is below
  {cfg.unstable_numerator} are flagged as unstable. Person-level lists are never public.
- **Resource savings** are estimates priced with the unit costs in `config/assumptions.toml` (each with its source
  and year); see the Resource savings page for the formula and the low–high range.
""")

st.subheader("Program evaluation: the estimators")
st.markdown(ev_docs.METHODOLOGY)

st.subheader("Every figure")
search = st.text_input("Find a figure", key="method_search",
                       help="Part of a name, key or definition, e.g. diversion, follow-up, arrest")
needle = search.strip().lower()
matches = [fig for fig in figs if not needle or needle in " ".join(
    [fig.key, fig.label, fig.definition, fig.numerator, fig.denominator, fig.family]).lower()]
st.caption(f"{len(matches)} of {len(figs)} figures. Keys are stable: use them in templates and scripts "
           "(`pmhc figures`).")
if not matches:
    ui.no_data(f"No figure mentions “{search}”.")

for family in dict.fromkeys(fig.family for fig in matches):
    members = [fig for fig in matches if fig.family == family]
    st.markdown(f"#### {family}")
    for fig in members:
        details = [f"{name}: {text}" for name, text in (
            ("Numerator", fig.numerator), ("Denominator", fig.denominator),
            ("Counting unit", fig.counting_unit), ("Excluded / note", fig.exclusions)) if text]
        needs = [figures.INPUTS[i] for i in fig.inputs]
        if needs:
            details.append("Needs: " + ", ".join(f"{i.label} (`{i.table}.{i.column}`)" if i.column and
                                                 i.table != "assumptions" else i.label for i in needs))
        details.append(f"Computed in `{fig.location}`")
        details += [f"reads the stored table `{sql.get(t).location}`" for t in fig.stored]
        st.markdown(
            f"**{fig.label}** &nbsp;`{fig.key}` · {fig.kind}"
            + (" · headline figure" if fig.headline else "")
            + f"  \n{fig.definition}  \n<small>{' · '.join(details)}</small>",
            unsafe_allow_html=True)
    for name in dict.fromkeys(fig.query for fig in members):
        q = sql.get(name)
        with st.expander(f"SQL: `{q.location}`"):
            st.code(q.sql, language="sql")
    for name in dict.fromkeys(t for fig in members for t in fig.stored):
        q = sql.get(name)
        with st.expander(f"Stored table SQL: `{q.location}`"):
            st.caption("Rebuilt at every import; the figure query above sums its columns.")
            st.code(q.sql, language="sql")

with st.expander("SQL: the views every figure reads (`queries/models.sql`)"):
    for name in ("call_facts", "encounter_facts"):
        st.code(sql.get(name).sql, language="sql")
