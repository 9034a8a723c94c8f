"""Repeat contacts & follow-up for the coordinator: who keeps coming back and whether
follow-up happens. The person-level list is for staff roles only."""

from datetime import timedelta

import streamlit as st

from pmhc import charts, escape, login, present, schema, ui

ctx = ui.start("repeat")
f = ctx.filters
period = f.period.label
values = ui.headline(f)
monthly = ui.monthly(f)
milestones = ui.milestones()
windows = list(ctx.cfg.repeat_windows_days)[:3]
n = ctx.cfg.repeat_min_contacts

ui.metric_row(values, [("people_with_contacts", "People seen in crisis")]
              + [(f"repeat_rate_{w}d", f"Repeat rate, {w} d") for w in windows]
              + [("follow_up_14d_rate", "Followed up ≤14 d"), ("median_days_to_follow_up", "Median days to follow-up"),
                 ("follow_up_completion_rate", "Follow-up reached")])
st.caption("A repeat contact: a person whose crisis (on-scene) contact in the period was at least their "
           f"{ui.ordinal(n)} crisis contact within the window ending on it; earlier contacts count. "
           "Unidentified contacts are left out.")
if not ui.has_data(values, "people_with_contacts", "follow_ups_attempted"):
    ui.no_data("No identified crisis contacts or follow-ups for this selection.")

left, right = st.columns(2)
with left:
    ui.chart(charts.trend(monthly, "month", {f"repeat_rate_{w}d": f"{w}-day window" for w in windows},
                          "Repeat-contact rate per month",
                          "Share of people", percent=True, milestones=milestones))
with right:
    ui.chart(charts.trend(monthly, "month",
                          {"follow_up_14d_rate": "Crisis contacts followed up within 14 days",
                           "follow_up_completion_rate": "Follow-ups where the person was reached"},
                          "Follow-up rates per month", "Share of contacts", percent=True, milestones=milestones))
if f.period.end > ctx.span.last - timedelta(days=14):
    st.caption(f"Crisis contacts in the last 14 days of the loaded data (to {ctx.span.last:%-d %b %Y}) have had "
               "less time to be followed up, so the latest follow-up rate is low until newer data is loaded.")

by_district = ui.breakdown("follow_up", f, "district")
ui.chart(charts.bar(by_district, "bucket", "follow_up_14d_rate",
                    "Crisis contacts followed up within 14 days, by district", "District",
                    "Share of identified crisis contacts", percent=True))
st.caption("A contact's district is its call's district. Follow-up contacts have no call of their own, so "
           "follow-up completion is shown for the program as a whole only.")

st.subheader("People with repeat crisis contacts")
people_seen = values.get("people_with_contacts")
if present.not_measured(people_seen):  # no clinician log: no list to count, never "0 people"
    ui.no_data(f"Not measured: {present.reason(people_seen)}.")
elif ui.may("view_person_list"):
    people = ui.repeat_people(f)
    login.audit_view("repeat-contact person list", period=f.period.label, district=f.district or "all",
                     people=len(people))  # recorded before a row is drawn
    st.caption(f"{ui.fmt(len(people))} people with at least {n} crisis contacts in {period}, most contacts first. Keys are "
               "pseudonyms made at import; look a person up in the source system, not here. "
               "Do not share this list outside the program.")
    if people.empty:
        ui.no_data(f"No one had {n} or more crisis contacts in this selection.")
    else:
        shown = people.assign(last_outcome=people["last_outcome"].map(schema.label))
        st.dataframe(shown, hide_index=True, width="stretch", column_config={
            "person_key": "Person (pseudonym)", "crisis_contacts": "Crisis contacts",
            "follow_up_contacts": "Follow-up / referral contacts",
            "first_contact": st.column_config.DateColumn("First contact", format="YYYY-MM-DD"),
            "last_contact": st.column_config.DateColumn("Last contact", format="YYYY-MM-DD"),
            "last_outcome": "Last outcome", "districts": "Districts"})
        if ui.may("download_person_list"):
            st.download_button("Download this list (CSV)", escape.to_csv(people),
                               file_name=f"repeat_people_{f.period.start:%Y%m%d}_{f.period.last_day:%Y%m%d}.csv",
                               mime="text/csv", icon=":material/download:",
                               on_click=login.on_download("repeat-contact person list", period=f.period.label,
                                                          district=f.district or "all", people=len(people)))
else:
    st.info("Person-level lists are shown only to the coordinator and administrators; this view shows "
            "the aggregate figures above.", icon=":material/lock:")
ui.sources()
