"""Overview for the chief and council: six headline figures, how they changed, one trend."""

import streamlit as st

from pmhc import charts, definitions, ui

ctx = ui.start("overview")
f = ctx.filters
headline = [fig for fig in definitions.figures(ctx.cfg.repeat_windows_days, ctx.cfg.repeat_min_contacts)
            if fig.headline]
table = ui.compare(f, [fig.key for fig in headline]).set_index("key")
values = ui.headline(f)
previous, year_ago = f.period.previous(), f.period.year_ago()
# A change against a period that is not (fully) loaded would compare with missing data.
# The selected period itself must be whole too: a partial month against a full one is no change.
has_previous = ctx.span.covers(f.period) and ctx.span.covers(previous)
has_year_ago = ctx.span.covers(f.period) and ctx.span.covers(year_ago)
# The public sees published periods only: the months before a grant period usually are not one.
unpublished = [p for p in (previous, year_ago) if ctx.is_public and not ui.is_published(p)]

if not ui.has_data(values, "calls_total", "contacts_total"):
    ui.no_data("No calls or contacts for this selection: choose another period or district.")

for row_start in range(0, len(headline), 3):
    for col, fig in zip(st.columns(3), headline[row_start:row_start + 3]):
        row = table.loc[fig.key]
        with col.container(border=True, height="stretch"):
            delta = ui.fmt_delta(row["value"], row["previous"], row["change_vs_previous"], fig.unit) \
                if has_previous else None
            yoy = ui.fmt_delta(row["value"], row["year_ago"], row["change_vs_year_ago"], fig.unit) \
                if has_year_ago else None
            # Each comparison once: for twelve months the previous period is the year before.
            first, *others = ui.present.changes(delta, previous.label, yoy, year_ago.label)
            st.metric(
                fig.label, ui.fmt(row["value"], fig.unit, fig.key), first.text,
                # More BH calls is neither good nor bad; for the other headline figures up is better.
                delta_color="off" if fig.key == "bh_calls" else "normal",
                delta_description=first.against if first.text else None,
            )
            for c in others or ([] if first.text else [first]):
                st.caption(c.line)
            note = ui.explain(row["value"], fig.key, f)
            if note:
                st.caption(note)
            if fig.key == "net_cost_avoidance" and not ui.present.not_measured(row["value"]):
                st.caption(f"Range {ui.fmt(values.get('net_cost_avoidance_low'), 'usd')} to "
                           f"{ui.fmt(values.get('net_cost_avoidance_high'), 'usd')} with low / high unit costs.")
            st.markdown(ui.first_sentence(fig.definition))

notes = ["Rates change in percentage points (pts), money as an amount, counts and hours in percent."]
if not ctx.span.covers(f.period):
    notes.append(f"No change shown: {f.period.label} is not fully in the loaded data (a partial month).")
else:
    if ui.present.year_before_is_previous(previous.label, year_ago.label):
        if not has_previous:
            notes.append(f"No change vs the previous period, a year earlier: {previous.label} is not fully in the "
                         "loaded data.")
    else:
        if not has_previous:
            notes.append(f"No change vs the previous period: {previous.label} is not fully in the loaded data.")
        if not has_year_ago:
            notes.append(f"No change vs a year earlier: {year_ago.label} is not fully in the loaded data.")
for p in dict.fromkeys(unpublished):
    notes.append(f"No change vs {p.label}: it is not a published period, so it has no public figures.")
notes.append("A change is also left out when a figure is not defined in one of the two periods.")
st.caption(" ".join(notes))

ui.chart(charts.trend(
    ui.monthly(f), "month",
    {"bh_calls": "Behavioral-health calls", "co_responded_bh_calls": "Co-responded BH calls"},
    "Behavioral-health calls and co-responded BH calls per month",
    "Calls per month", milestones=ui.milestones(),
))
ui.sources()
