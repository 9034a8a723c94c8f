"""Resource savings for the chief and grant writer: an estimate of cost avoided, with every
assumption, its source and a low/high range, and a what-if editor that saves nothing
unless an administrator saves it as the agency's assumptions (audited)."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from pmhc import access, audit, charts, login, metrics, present, ui
from pmhc import evaluation_view as ui_evaluation

ctx = ui.start("savings")
f = ctx.filters
period = f.period.label

st.info("**An estimate, not a measured saving.** It compares co-responded BH calls with BH calls handled "
        "without a co-responder in the same period (not a randomised comparison) and prices the difference "
        "with the unit costs below. Published evaluations disagree about savings: present the low–high range, "
        "not a single number.", icon=":material/calculate:")

base = metrics.load_assumptions()
st.subheader("Assumptions")
if "savings_saved" in st.session_state:
    st.success(st.session_state.pop("savings_saved"), icon=":material/check:")
st.caption("Unit costs from the agency's assumptions (`config/assumptions.toml`), each with its source and year. "
           "Edit value, low or high to try a what-if: changes apply to this page only and are not saved.")
unset = [metrics.ASSUMPTION_LABELS[k] for k in metrics.SAVINGS_PARAMS if k not in base]
if unset:
    st.info(f"**Not set for this agency yet:** {'; '.join(unset)}. The figures that need them are not measured "
            "(never priced with another city's costs) until an administrator sets them, with their sources, on the "
            "Settings page.", icon=":material/info:")
if base:  # nothing to edit before any cost is set
    if st.button("Reset to the file's values", icon=":material/restart_alt:"):
        st.session_state["savings_editor_round"] = st.session_state.get("savings_editor_round", 0) + 1
    frame = base.frame()[["key", "label", "value", "low", "high", "unit", "year"]]
    edited = st.data_editor(
        frame, key=f"savings_editor_{st.session_state.get('savings_editor_round', 0)}", hide_index=True,
        width="stretch", disabled=["key", "label", "unit", "year"],
        column_order=["label", "value", "low", "high", "unit", "year"],
        column_config={
            "label": st.column_config.TextColumn("Assumption", width="large"),
            "value": st.column_config.NumberColumn("Value", min_value=0.0, format="localized", required=True),
            "low": st.column_config.NumberColumn("Low", min_value=0.0, format="localized", required=True),
            "high": st.column_config.NumberColumn("High", min_value=0.0, format="localized", required=True),
            "unit": "Unit", "year": st.column_config.NumberColumn("Source year", format="%d"),
        },
    )
    with st.expander("Sources of the unit costs", expanded=True):
        st.markdown("\n".join(f"- **{a.label}** ({a.year}): {a.source}" for a in base.values()))
else:
    edited = base.frame()

what_if, changed, problems = ui.what_if(base, edited)
for problem in problems:
    st.warning(problem, icon="⚠️")
if changed:
    st.caption(f"What-if in use ({len(changed)} changed, not saved): {'; '.join(changed)}.")
    if access.can(ctx.role, "save_assumptions") and not problems:
        with st.form("savings_save"):
            st.markdown("**Save these values as the agency's assumptions** (administrators). Every figure, "
                        "export and report uses them from then on; the change is written to the audit log.")
            source = st.text_input("Source of the new values (required)", key="savings_save_source",
                                   help="e.g. “County jail budget FY2026, p. 14” — shown beside each value")
            year = st.number_input("Source year", min_value=1990, max_value=2100, step=1,
                                   value=pd.Timestamp.today().year, key="savings_save_year")
            if st.form_submit_button("Save assumptions", icon=":material/save:"):
                if not source.strip():
                    st.error("Give the source of the new values before saving: every unit cost carries one.",
                             icon=":material/error:")
                else:
                    saved, detail = metrics.Assumptions(what_if), {}
                    for key, a in what_if.items():
                        old = base[key]
                        if (a.value, a.low, a.high) != (old.value, old.low, old.high):
                            saved[key] = replace(a, source=source.strip(), year=int(year))
                            detail[key] = f"{old.value:g} ({old.low:g}–{old.high:g}) → {a.value:g} ({a.low:g}–{a.high:g})"
                    try:
                        path = metrics.save_assumptions(saved)
                    except (OSError, ValueError) as e:
                        audit.record_quietly("assumptions_saved", login.current_user(), "config/assumptions.toml",
                                             "failed", role=ctx.role, error=str(e), **detail)
                        st.error(f"Not saved: {e}", icon=":material/error:")
                    else:
                        audit.record_quietly("assumptions_saved", login.current_user(), str(path), role=ctx.role,
                                             **detail)
                        st.session_state["savings_editor_round"] = st.session_state.get("savings_editor_round", 0) + 1
                        st.session_state["savings_saved"] = f"Saved {len(detail)} assumption(s) to `{path}`."
                        st.rerun()

result = ui.savings(f, what_if)
has_data = ui.has_data(ui.headline(f), "bh_calls", "contacts_total")
if not has_data:
    ui.no_data("No BH calls or contacts for this selection: nothing was avoided, so the estimate is minus the "
               "program cost.")
st.subheader(f"Estimated cost avoidance, {period}")
st.caption(f"Amounts in {present.currency_text()}.")
c1, c2, c3 = st.columns(3)
c1.metric("Net cost avoidance (estimate)", ui.fmt(result.get("net_cost_avoidance"), "usd", "net_cost_avoidance"),
          border=True)
if present.not_measured(result.get("net_cost_avoidance")):
    c1.caption(ui.explain(result.get("net_cost_avoidance"), "net_cost_avoidance"))
else:
    c1.caption(f"Range {ui.fmt(result.get('net_cost_avoidance_low'), 'usd')} to "
               f"{ui.fmt(result.get('net_cost_avoidance_high'), 'usd')}: low end with every unit cost at its low "
               "value and program cost at its high; high end the reverse.")
c2.metric("Gross cost avoidance (estimate)",
          ui.fmt(result.get("gross_cost_avoidance"), "usd", "gross_cost_avoidance"), border=True)
if present.not_measured(result.get("gross_cost_avoidance")):
    c2.caption(ui.explain(result.get("gross_cost_avoidance"), "gross_cost_avoidance"))
else:
    c2.caption(f"Range {ui.fmt(result.get('gross_cost_avoidance_low'), 'usd')} to "
               f"{ui.fmt(result.get('gross_cost_avoidance_high'), 'usd')}.")
c3.metric("Program cost (pro-rated to the period)", ui.fmt(result.get("program_cost"), "usd", "program_cost"),
          border=True)
c3.caption(ui.explain(result.get("program_cost"), "program_cost")
           if present.not_measured(result.get("program_cost")) else "Annual program cost × days in the period ÷ 365.")

st.caption("These figures price **arrests avoided from the same-period comparison** (co-responded vs. other BH "
           "calls). The evaluated alternative is below.")
ui_evaluation.savings_alternative(f, what_if, result, ctx)

left, right = st.columns([3, 2])
with left:
    steps = present.savings_steps(result.get)
    if present.steps_withheld(steps):
        # Without the hidden parts the bars would add up to a wrong net figure.
        st.info("The breakdown of the estimate is suppressed for this selection: it is built on counts too "
                "small to publish.", icon=":material/visibility_off:")
    else:
        ui.chart(charts.waterfall(steps if has_data else [], present.SAVINGS_TITLE, present.currency_text(),
                                  total_label=present.SAVINGS_TOTAL))
with right:
    st.markdown("**What was avoided (estimates)**")
    st.dataframe(pd.DataFrame([
        ("Arrests avoided", ui.fmt(result.get("arrests_avoided"), "count", "arrests_avoided")),
        ("Jail bookings avoided", ui.fmt(result.get("bookings_avoided"), "count", "bookings_avoided")),
        ("ED transports avoided", ui.fmt(result.get("ed_transports_avoided"), "count", "ed_transports_avoided")),
        ("Officer hours returned to patrol",
         ui.fmt(result.get("officer_hours_returned"), "hours", "officer_hours_returned")),
    ], columns=["Estimate", "Value"]), hide_index=True, width="stretch")
    st.caption("Negative values are kept: if co-responded calls ended in more arrests or ED transports, "
               "the estimate shows it.")

st.subheader("Formula")
st.code(ui.query_comment("savings"), language=None)
values = ui.headline(f)
st.markdown("**Inputs from the data for this selection**")
st.dataframe(pd.DataFrame([
    ("Arrest rate, BH calls without co-responder",
     ui.fmt(values.get("arrest_rate_not_co_responded"), "rate", "arrest_rate_not_co_responded")),
    ("Arrest rate, co-responded BH calls",
     ui.fmt(values.get("arrest_rate_co_responded"), "rate", "arrest_rate_co_responded")),
    ("Co-responded BH calls", ui.fmt(values.get("co_responded_bh_calls"), "count", "co_responded_bh_calls")),
    ("Booked share of BH-call arrests", ui.fmt(result.get("booked_share"), "rate", "booked_share")),
    ("ED / hold rate, CIT-only on-scene contacts", ui.fmt(result.get("ed_rate_cit_only"), "rate", "ed_rate_cit_only")),
    ("ED / hold rate, co-responder on-scene contacts",
     ui.fmt(result.get("ed_rate_co_responder"), "rate", "ed_rate_co_responder")),
    ("Co-responder on-scene contacts",
     ui.fmt(result.get("co_responder_scene_contacts"), "count", "co_responder_scene_contacts")),
    ("Officer hours returned to patrol",
     ui.fmt(values.get("officer_hours_returned"), "hours", "officer_hours_returned")),
    ("Days in period", ui.fmt((f.period.end - f.period.start).days)),
], columns=["Input", "Value"]), hide_index=True, width="stretch")
if f.responder_type:
    st.caption("The responder-type filter does not apply to the savings estimate: it is built from call-level "
               "comparisons and both co-responder and CIT-only contacts.")
ui.sources()
