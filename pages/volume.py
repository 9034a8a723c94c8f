"""Co-response volume for the coordinator: how many BH calls, how many co-responded,
where and when they happen, and who responds."""

import streamlit as st

from pmhc import category_view, charts, schema, ui

ctx = ui.start("volume")
f = ctx.filters
period = f.period.label
values = ui.headline(f)
monthly = ui.monthly(f)
milestones = ui.milestones()

ui.metric_row(values, [("bh_calls", "BH calls"), ("co_responded_bh_calls", "Co-responded"),
                       ("co_response_coverage", "Coverage"), ("cit_coverage", "CIT officer on scene"),
                       ("contacts_total", "Contacts"), ("people_served", "People served")])
if not ui.has_data(values, "calls_total", "contacts_total"):
    ui.no_data("No calls or contacts for this selection: choose another period, district or responder type.")

st.subheader("Monthly trend")
left, right = st.columns(2)
with left:
    ui.chart(charts.trend(monthly, "month",
                          {"bh_calls": "BH calls", "co_responded_bh_calls": "Co-responded BH calls"},
                          "BH calls and co-responded BH calls per month", "Calls per month",
                          milestones=milestones))
with right:
    ui.chart(charts.trend(monthly, "month", {"co_response_coverage": "Co-response coverage"},
                          "Co-response coverage per month (share of BH calls)",
                          "Share of BH calls co-responded", percent=True, milestones=milestones))
if milestones.empty:
    st.caption("No program milestones to mark: an administrator adds them on the Settings page (or as dated lines "
               "`date,label`, e.g. `2025-10-01,Night shift added`, in `config/milestones.csv`).")
else:
    with st.expander(f"Program milestones drawn on the trends ({len(milestones)}, from config/milestones.csv)"):
        st.dataframe(milestones.assign(date=milestones["date"].dt.strftime("%Y-%m-%d")),
                     hide_index=True, width="stretch")

st.subheader("Where and when")
left, right = st.columns(2)
with left:
    by_district = ui.breakdown("volume_calls", f, "district")
    ui.chart(charts.bar(by_district, "bucket",
                        {"bh_calls": "BH calls", "co_responded_bh_calls": "Co-responded BH calls"},
                        "BH calls and co-responded BH calls by district", "District", "Calls"))
    if not by_district.empty:
        table = by_district.rename(columns={"bucket": "District"})
        st.dataframe(
            {"District": table["District"],
             "BH calls": [ui.fmt(v, "count", "bh_calls") for v in table["bh_calls"]],
             "Co-responded": [ui.fmt(v, "count", "co_responded_bh_calls") for v in table["co_responded_bh_calls"]],
             "Coverage": [ui.fmt(v, "rate", "co_response_coverage") for v in table["co_response_coverage"]],
             "Share of all calls that are BH": [ui.fmt(v, "rate", "bh_share") for v in table["bh_share"]]},
            hide_index=True, width="stretch")
        st.caption("District “Unknown”: calls exported without a district.")
with right:
    ui.chart(charts.heatmap(ui.heatmap(f),
                            "BH calls by weekday and hour received"))
    st.caption("Darker cells: more behavioral-health calls at that hour — a guide for clinician shift cover.")

st.subheader("By call type and beat")
category_view.section(ctx, "volume_category", ("bh_calls", "co_responded_bh_calls"),
                      ("calls_total", "bh_calls", "co_responded_bh_calls", "co_response_coverage"),
                      "calls_total", "BH calls and co-responded BH calls", "Calls")

st.subheader("Who responds")
left, right = st.columns(2)
by_responder = ui.breakdown("volume_contacts", f, "responder_type")
with left:
    ui.chart(charts.bar(by_responder, "bucket", "contacts_total",
                        "Co-responder log contacts by responder type", "Responder type", "Contacts",
                        horizontal=True))
with right:
    by_contact = ui.breakdown("volume_contacts", f, "contact_type")
    ui.chart(charts.bar(by_contact, "bucket", "contacts_total",
                        "Contacts by kind of contact", "Kind of contact", "Contacts",
                        horizontal=True))
if not by_responder.empty:
    st.caption(f"Responder types: {', '.join(schema.label(r) for r in schema.RESPONDER_TYPES)}. "
               "Clinician liaisons and counseling interns are the co-responders; CIT officers respond without one; "
               "the follow-up team makes contacts after a crisis.")
ui.sources()
