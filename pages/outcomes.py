"""Diversion & outcomes for the coordinator: how contacts end, and whether co-responded
calls end differently from BH calls handled without a co-responder."""

import pandas as pd
import streamlit as st

from pmhc import category_view, charts, schema, ui

ctx = ui.start("outcomes")
f = ctx.filters
period = f.period.label
values = ui.headline(f)
monthly = ui.monthly(f)
milestones = ui.milestones()

ui.metric_row(values, [("diversion_rate", "Diversion rate"), ("connection_to_care_rate", "Connection to care"),
                       ("involuntary_holds", "Involuntary holds"), ("arrest_rate_co_responded", "Arrest rate, co-responded"),
                       ("arrest_rate_not_co_responded", "Arrest rate, other BH calls"),
                       ("unknown_outcome_contacts", "Unknown outcome")])
source_line = ui.coverage(f).outcome_source_text()
if source_line:
    st.info(source_line, icon=":material/info:")
unit = "BH calls" if ui.coverage(f).from_calls else "contacts"
st.caption(f"Diversion and connection-to-care rates are over {unit} with a known outcome "
           f"({ui.fmt(values.get('known_outcome_contacts'), 'count', 'known_outcome_contacts')}); {unit} with no "
           "recorded or an unmapped outcome "
           f"({ui.fmt(values.get('unknown_outcome_contacts'), 'count', 'unknown_outcome_contacts')}) are left out.")
if not ui.has_data(values, "contacts_total", "bh_calls"):
    ui.no_data("No contacts or BH calls for this selection: choose another period, district or responder type.")

st.subheader("How contacts end")
ui.chart(charts.outcome_mix(ui.outcome_mix(f, "month"),
                            "Outcome of co-responder contacts by month (share of contacts)"))
left, right = st.columns(2)
with left:
    ui.chart(charts.trend(monthly, "month",
                          {"diversion_rate": "Diversion rate", "connection_to_care_rate": "Connection-to-care rate"},
                          "Diversion and connection-to-care rates per month",
                          "Share of contacts (known outcome)", percent=True, milestones=milestones))
with right:
    by_responder = ui.breakdown("outcomes_contacts", f, "responder_type")
    ui.chart(charts.bar(by_responder, "bucket",
                        {"diversion_rate": "Diversion rate", "connection_to_care_rate": "Connection-to-care rate"},
                        "Diversion and connection-to-care rates by responder type",
                        "Responder type", "Share of contacts (known outcome)", percent=True))
    st.caption("Clinician liaisons and counseling interns are co-responders; CIT officers respond without one.")

st.subheader("Arrests: co-responded vs not")
st.caption("Co-responded and other BH calls differ in more than the co-responder (time of day, severity, "
           "who was available), so these are descriptive comparisons, not measured effects.")
left, right = st.columns([2, 3])
with left:
    arrest = pd.DataFrame({
        "group": ["Co-responded BH calls", "BH calls without co-responder"],
        # object dtype: a withheld rate (public release) stays a Withheld, so the chart says why
        "rate": pd.Series([values.get("arrest_rate_co_responded"), values.get("arrest_rate_not_co_responded")],
                          dtype=object),
    })
    ui.chart(charts.bar(arrest, "group", "rate", "Arrest rate on BH calls, co-responded vs not",
                        "BH calls", "Share of BH calls with an arrest", percent=True))
    st.caption(f"Co-responded BH calls: {ui.fmt(values.get('co_responded_bh_calls'), 'count', 'co_responded_bh_calls')}; "
               f"without co-responder: {ui.fmt(values.get('not_co_responded_bh_calls'), 'count', 'not_co_responded_bh_calls')}. "
               "The responder-type filter does not narrow call figures.")
with right:
    ui.chart(charts.trend(monthly, "month",
                          {"arrest_rate_co_responded": "Co-responded BH calls",
                           "arrest_rate_not_co_responded": "BH calls without co-responder"},
                          "Arrest rate on BH calls per month",
                          "Share of BH calls with an arrest", percent=True, milestones=milestones))

st.subheader("By call type and beat")
category_view.section(ctx, "outcomes_category", ("diverted_contacts", "involuntary_holds", "bh_calls_with_arrest"),
                      ("bh_calls", "known_outcome_contacts", "unknown_outcome_contacts", "diverted_contacts",
                       "diversion_rate", "care_connections", "connection_to_care_rate", "involuntary_holds",
                       "bh_calls_with_arrest", "bh_arrest_rate"),
                      "known_outcome_contacts", "Diversions, holds and arrests", "Count")

with st.expander("Outcome counts by responder type"):
    mix = ui.outcome_mix(f, "responder_type")
    if mix.empty:
        ui.no_data()
    else:
        wide = ui.pivot_counts(mix, index="outcome", columns="bucket", values="contacts")
        order = [o for o in charts.OUTCOME_ORDER if o in wide.index]
        wide = wide.reindex(order)
        shown = pd.DataFrame({schema.label(c): [ui.fmt(v, "count", "contacts") for v in wide[c]] for c in wide.columns},
                             index=[schema.label(o) for o in wide.index])
        st.dataframe(shown, width="stretch")
ui.sources()
