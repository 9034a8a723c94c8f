"""Did the program work? For the coordinator and the chief: an interrupted time series around the
program start and, where districts started at different dates, a staggered difference-in-
differences, each with its 95% interval, what the data can support and the design's
assumptions in plain words. Refuses instead of guessing when the data is too thin."""

import streamlit as st

from pmhc import evaluation as ev
from pmhc import evaluation_charts, ui
from pmhc import evaluation_view as view

ctx = ui.start("evaluation", with_filters=False)


rollout = view.rollout_or_warn()
milestones = ui.milestones()

st.info("**Before and after, not co-responded vs. other calls.** The other pages compare calls with and without a "
        "co-responder in the same period, which describes the program but cannot say what it changed: those calls "
        "differ in more than the co-responder. This page compares the same places before and after the program "
        "started. It measures **arrests recorded on calls** (and the other outcomes below) — not calls for service "
        "or crimes — so say which one when you quote it.", icon=":material/science:")

starts = {f"{d:%-d %B %Y} — {label}": d for d, label in
          zip(milestones["date"].dt.date, milestones["label"])}
for d in sorted(set(rollout.values())):
    districts = ", ".join(sorted(k for k, v in rollout.items() if v == d))
    starts.setdefault(f"{d:%-d %B %Y} — program starts in {districts}", d)
starts = dict(sorted(starts.items(), key=lambda kv: kv[1]))
default = ev.default_start(rollout, list(starts.values()))
if default is None:
    ui.no_data("No program start to evaluate: add the start as a milestone (Settings page, or config/milestones.csv: "
               "date,label), or the date each district started to config/program_rollout.csv (district,start).")
    st.stop()

c1, c2, c3 = st.columns([2, 3, 2])
outcome_labels = {o.label: o.key for o in ev.OUTCOMES}
label = c1.selectbox("Outcome", list(outcome_labels), key="eval_outcome",
                     help="What the data measures. Outcomes recorded only by the program itself are listed with the "
                          "reason they cannot be evaluated.")
start_label = c2.selectbox("Program start", list(starts), index=list(starts.values()).index(default),
                           key="eval_start", help="From config/milestones.csv and config/program_rollout.csv.")
impact = c3.radio("Impact model", list(ev.IMPACT_MODELS), key="eval_impact", horizontal=True,
                  format_func={"step": "Level change", "step_and_slope": "Level and slope"}.get,
                  help="Choose it before looking at the result (Bernal et al. 2017). " +
                       " · ".join(f"{k}: {v}" for k, v in ev.IMPACT_MODELS.items()))
st.caption("This page uses every loaded month, whatever the period chosen on the other pages: a design needs the "
           "months before and after the start.")
o = ev.outcome(outcome_labels[label])
start = starts[start_label]
st.caption(f"**{o.label}.** {o.definition}")

result = view.evaluate(o.key, start, impact)
its, did = result.its, result.did
count = o.kind == "count"
unit = "count" if count else "hours"
events = "events" if count else "hours"

# ------------------------------------------------------------------ what the data can support
st.subheader("What the data can support")
if isinstance(its, ev.Refusal):
    st.error(f"**No estimate.** {its.reason}", icon=":material/block:")
else:
    s = its.support
    cols = st.columns(4)
    cols[0].metric("Months before the start", s.months_before, border=True)
    cols[1].metric("Months after the start", s.months_after, border=True)
    cols[2].metric(f"{events.capitalize()} per month before", ui.fmt(s.events_per_month_before), border=True)
    cols[3].metric(f"{events.capitalize()} per month after", ui.fmt(s.events_per_month_after), border=True)
    notes = [f"Series: {result.where}, {s.first_month} to {s.last_month}"
             + (f", {s.gaps} month(s) not measured inside it (left out, not counted as zero)" if s.gaps else "")
             + "."]
    if not its.seasonality:
        notes.append(f"Under {ev.SEASON_MONTHS} months of data: no seasonality is fitted.")
    if isinstance(did, ev.DiD):
        verdict = ("**flags different trends before the start** — the districts were already drifting apart, so "
                   "the difference-in-differences estimate is not reliable" if did.pretrend_flagged else
                   "finds no difference in trends before the start")
        notes.append(f"Pre-trend test (event-study pre-period, joint Wald p = {did.pretrend_p:.2f}) {verdict}.")
    st.caption(" ".join(notes))

with st.expander("The designs' assumptions, in plain words", expanded=isinstance(its, ev.Refusal)):
    st.markdown(f"""
- **Interrupted time series.** Without the program, the months after the start would have followed the trend and
  seasonal pattern of the months before. Anything else that changed at the same time (a new policy, a new records
  system, a change in how calls are coded) would be counted as the program's effect. It needs at least
  {ev.MIN_MONTHS_BEFORE} measured months before and {ev.MIN_MONTHS_AFTER} after, and at least
  {ev.MIN_EVENTS_BEFORE} events before the start.
- **Staggered difference-in-differences.** Districts that started later (or never) show what would have happened
  in districts that started earlier: their trends would have run in parallel. The pre-period coefficients test
  this; it can be rejected, never proven. Each group of districts is compared only with districts not yet
  served, so the estimate stays valid when the effect differs between groups or grows over time.
- **Both.** A month is used only if the data measures the outcome in it (the arrest export covers it, the field
  is recorded); the program must not change how the outcome is recorded. Outcomes recorded only in the
  co-responder log fail this and are refused.
""")

# ------------------------------------------------------------------ interrupted time series
st.subheader(f"Interrupted time series: {result.where}, from {start:%B %Y}")
if its:
    r = its.relative
    c1, c2, c3 = st.columns(3)
    c1.metric("Change over the months after the start", f"{r.estimate:+.0%}", border=True,
              help="Fitted ÷ counterfactual − 1 over every month after the start.")
    c1.caption(f"95% interval {r.low:+.0%} to {r.high:+.0%}.")
    c2.metric(f"{events.capitalize()} per month vs. counterfactual", f"{its.per_month.estimate:+,.1f}", border=True)
    c2.caption(f"95% interval {its.per_month.low:+,.1f} to {its.per_month.high:+,.1f}.")
    c3.metric(f"Over the {len(its.months_after)} months", f"{its.total.estimate:+,.0f}", border=True)
    c3.caption(f"95% interval {its.total.low:+,.0f} to {its.total.high:+,.0f} {events}.")
    if r.low <= 0 <= r.high:
        st.caption("The interval includes no change: the data cannot rule out that the program made no difference "
                   "to this outcome.")
    hide = ctx.cfg.suppression_threshold if ctx.is_public and count else None
    ui.chart(evaluation_charts.time_series(its, f"{o.label} per month, fitted and without the program",
                                           f"{events.capitalize()} per month", hide),
             key="eval_its", subtitle_text=f"{result.where} · program start {start:%B %Y}")
    changes = [f"level change at the start {its.level_change.estimate:+.0%} (95% interval "
               f"{its.level_change.low:+.0%} to {its.level_change.high:+.0%})" if count else
               f"level change at the start {its.level_change.estimate:+,.0f} h a month"]
    if its.slope_change is not None:
        changes.append(f"slope change {its.slope_change.estimate:+.1%} a month" if count else
                       f"slope change {its.slope_change.estimate:+,.1f} h a month per month")
    st.caption(f"Model: {its.errors} Impact model: {ev.IMPACT_MODELS[its.impact]}; "
               f"{'; '.join(changes)}. Trend{' and seasonality (one yearly harmonic)' if its.seasonality else ''} "
               "fitted across the whole series.")
else:
    st.info(its.reason, icon=":material/block:")

# ------------------------------------------------------------------ staggered difference-in-differences
st.subheader("Staggered difference-in-differences across districts")
if did is None:
    st.info("The staggered design here models counts; it is not run for hours.", icon=":material/info:")
elif isinstance(did, ev.Refusal):
    st.info(did.reason, icon=":material/block:")
else:
    a = did.att
    c1, c2 = st.columns(2)
    c1.metric("Effect in districts after their start", f"{a.estimate:+.0%}", border=True,
              help="Average effect on the served districts (ratio − 1) over the months with clean comparisons.")
    c1.caption(f"95% interval {a.low:+.0%} to {a.high:+.0%}.")
    c2.metric(f"{events.capitalize()} per district-month", f"{did.att_per_district_month.estimate:+,.2f}", border=True)
    c2.caption(f"95% interval {did.att_per_district_month.low:+,.2f} to {did.att_per_district_month.high:+,.2f}.")
    if did.pretrend_flagged:
        st.warning(f"**Parallel trends rejected** (pre-period p = {did.pretrend_p:.3f}): before the start the served "
                   "districts already moved differently from the comparison districts. Do not quote this estimate.",
                   icon="⚠️")
    ui.chart(evaluation_charts.event_study(did, f"{o.label}: effect by quarter since the district's start"),
             key="eval_event", subtitle_text="Before the start (left of the line): the parallel-trends check")
    st.dataframe(did.cohorts.rename(columns={
        "start": "Start", "districts": "Districts starting", "controls": "Compared with (not yet served)",
        "months_before": "Months before", "months_after": "Months after"}), hide_index=True, width="stretch")
    st.caption(did.errors + (" Left out: " + " ".join(did.dropped) if did.dropped else ""))

ui.sources("evaluation_monthly", "evaluation_arrest_months")
