"""Grant figures for the grant writer: every figure for one exact period, with its
definition, ready to paste into an application or download as CSV."""

import streamlit as st

from pmhc import access, definitions, login, ui

ctx = ui.start("grant")
f = ctx.filters
p = f.period
figs = definitions.figures(ctx.cfg.repeat_windows_days, ctx.cfg.repeat_min_contacts)
values = ui.headline(f)
public = ctx.is_public

st.markdown(f"**Period: {p.start:%-d %B %Y} to {p.last_day:%-d %B %Y}** (both days included), "
            f"{ui.scope_label(f, markdown=True)}.")
if f.responder_type:
    st.caption("The responder-type filter narrows co-responder log figures only; call figures and the savings "
               "estimate include every call.")

families = list(dict.fromkeys(fig.family for fig in figs))
chosen = st.multiselect("Figure groups", families, default=families, key="grant_families")
shown = [fig for fig in figs if fig.family in chosen]
if not ui.has_data(values, "calls_total", "contacts_total"):
    ui.no_data("No calls or contacts in this period: every count below is 0 and rates are not defined.")

table = ui.figure_table(values, shown, ctx.role, ui.coverage(f))
st.table(table[["label", "value", "note", "definition", "numerator", "denominator", "key"]].rename(columns={
    "label": "Figure", "value": "Value", "note": "Coverage", "definition": "Definition", "numerator": "Numerator",
    "denominator": "Denominator", "key": "Key"}), hide_index=True)
if (table["note"].str.startswith("Not measured")).any():
    st.caption("“not measured”: the loaded data has no input for this figure in this selection (the reason is "
               "beside it). It is not a zero.")
st.caption("Counting unit, exclusions and the SQL of each figure are in the CSV download and on the Methodology page.")
if public:
    st.caption("Public view: figures about individual people's repeat contacts are left out, and small counts "
               "are suppressed.")

name = f"grant_figures_{p.start:%Y%m%d}_{p.last_day:%Y%m%d}"
if f.district:
    name += f"_{f.district}"
if f.responder_type:
    name += f"_{f.responder_type}"
st.download_button("Download these figures (CSV)", ui.figures_csv(table, values, f, ctx.role),
                   file_name=f"{name}.csv", mime="text/csv", icon=":material/download:", type="primary",
                   disabled=not access.can(ctx.role, "download_figures") or table.empty,
                   on_click=login.on_download("grant figures CSV", period=p.label, district=f.district or "all",
                                              responder_type=f.responder_type or "all"))

st.subheader("Copy-ready text")
st.caption("Use the copy button at the top right of the box.")
lines = [f"{ctx.cfg.program}, {ctx.cfg.name}",
         f"Period: {p.start:%-d %B %Y} to {p.last_day:%-d %B %Y} ({p.label}); {ui.scope_label(f)}"]
lines += [f"{label}: {value}" + (f" ({note.rstrip('.')})" if note else "")
          for label, value, note in zip(table["label"], table["value"], table["note"])]
lines.append("Definitions: see the Methodology page or the CSV download.")
st.code("\n".join(lines), language=None, wrap_lines=True)
ui.sources()
