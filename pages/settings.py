"""Settings, for the administrator: the agency's details, which calls are behavioral health,
what each CAD disposition code means, unit costs and program cost with their sources,
milestones and the agency's own words for the dashboard's terms — each checked, saved to
the workspace, recorded in the audit log and in effect on every page's next run
(pmhc.agency_settings does the work; this page draws)."""

from __future__ import annotations

import calendar
from datetime import date

import pandas as pd
import streamlit as st

from pmhc import access, agency_settings, apply_settings, escape, login, metrics, present, schema, ui, workspace
from pmhc.config import SettingsError, Workspace, agency_raw, load_agency

DATE_FORMATS = ("", "%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y", "%-d %b %Y", "%B %-d, %Y")
REMOVE = "(not mapped: remove from the map)"
OTHER_CODE = "(a code not in the loaded data…)"


def done(result: agency_settings.Saved) -> None:
    """Show what a save did on the next run, with fresh figures everywhere."""
    st.session_state["settings_saved"] = result.message + (
        "" if result.audited else " (The audit log could not be written: check that it is writable.)")
    st.cache_data.clear()
    st.rerun()


def attempt(action, *args) -> None:
    try:
        result = action(*args, who=login.current_user(), role=ui.current_role())
    except (SettingsError, ValueError, OSError) as e:
        st.error(f"Not saved: {e}", icon=":material/error:")
    else:
        done(result)


def agency_tab(cfg) -> None:
    st.caption("Shown on every page, slide, workbook and summary. Money is written in the agency's currency and "
               "dates in its format; the time zone decides on which day, month and hour a call counts.")
    with st.form("settings_agency"):
        name = st.text_input("Agency name", cfg.name, key="settings_name")
        program = st.text_input("Program name", cfg.program, key="settings_program")
        tz = st.text_input("Time zone (IANA name)", cfg.timezone, key="settings_timezone",
                           help="e.g. America/Chicago, America/Toronto, Europe/London")
        months = list(range(1, 13))
        fy = st.selectbox("First month of the fiscal year", months, index=cfg.fiscal_year_start_month - 1,
                          format_func=lambda m: calendar.month_name[m], key="settings_fy")
        c1, c2, c3 = st.columns(3)
        currency = c1.text_input("Currency (ISO code)", cfg.currency, max_chars=3, key="settings_currency")
        own = (agency_raw(cfg.source).get("locale") or {}).get("currency_symbol", "") if cfg.source else ""
        symbol = c2.text_input("Currency symbol (empty: from the code)", own, key="settings_symbol",
                               help=f"Now {cfg.currency_symbol!r}.")
        formats = list(dict.fromkeys((cfg.date_format,) + DATE_FORMATS))
        fmt = c3.selectbox("Dates in reports", formats, key="settings_date_format",
                           format_func=lambda f: f"{date(2025, 1, 5).strftime(f)}  ({f})" if f else
                           "5 Jan 2025 (5 January 2025 on slides)")
        if st.form_submit_button("Save agency details", icon=":material/save:"):
            locale = {"currency": currency.strip().upper(), "date_format": fmt or None,
                      "currency_symbol": symbol if symbol.strip() else None}
            attempt(agency_settings.save_agency, {"name": name.strip(), "program": program.strip(),
                                                  "timezone": tz.strip(), "fiscal_year_start_month": int(fy),
                                                  "locale": locale}, "the agency details")


def bh_tab(cfg, con) -> None:
    st.caption("A call is a behavioral-health (BH) call when the export flags it (bh_flag); when the flag is empty, "
               "when its call type is on this list. Saving re-classifies every loaded call at once.")
    table = agency_settings.call_types_table(con, cfg)
    if not table.empty:
        st.dataframe(pd.DataFrame({
            "call type": table["call_type"], "calls": table["calls"],
            "decided by the list": table["decided_by_list"], "on the list": table["on_list"],
            "BH calls now": table["bh_calls"]}), hide_index=True, width="stretch")
    options = list(dict.fromkeys(list(table["call_type"]) + list(cfg.bh_call_types)))
    picked = st.multiselect("Behavioral-health call types", options, default=list(cfg.bh_call_types),
                            key="settings_bh_types", placeholder="None: only calls the export flags count")
    more = st.text_input("Call types not in the loaded data (comma-separated)", key="settings_bh_more")
    if st.button("Save the call-type list", icon=":material/save:", key="settings_bh_save"):
        attempt(agency_settings.set_bh_call_types, picked + [t for t in more.split(",") if t.strip()])


def disposition_tab(cfg, con) -> None:
    st.caption("How a call ended when the export records only a CAD disposition code. The map is applied to every "
               "loaded call whose export gives no outcome of its own; a code it does not list counts as unmapped "
               "(an unknown outcome). Codes match in any case.")
    table = agency_settings.dispositions_table(con, cfg)
    unmapped = table[table["outcome"].isna()]
    if not unmapped.empty:
        st.warning(f"{len(unmapped)} code(s) in the loaded data are not mapped, covering "
                   f"{int(unmapped['decided_by_map'].sum()):,} call(s) whose outcome is unknown until they are.",
                   icon="⚠️")
    if not table.empty:
        st.dataframe(pd.DataFrame({
            "code": table["code"], "calls": table["calls"], "BH calls": table["bh_calls"],
            "outcome decided by the map": table["decided_by_map"], "means": table["maps_to"]}),
            hide_index=True, width="stretch")
    else:
        st.info("No disposition codes in the loaded calls yet.", icon=":material/info:")
    codes = list(table["code"]) + [OTHER_CODE]
    labels = {row.code: f"{row.code} — {row.calls:,} call(s), {row.maps_to}" for row in table.itertuples()}
    with st.form("settings_dispositions"):
        pick = st.selectbox("Disposition code", codes, key="settings_disp_code",
                            format_func=lambda c: labels.get(c, c))
        other = st.text_input("The code, if it is not in the loaded data", key="settings_disp_other")
        outcomes = list(schema.CALL_OUTCOMES) + [REMOVE]
        outcome = st.selectbox("Means", outcomes, key="settings_disp_outcome",
                               format_func=lambda o: o if o == REMOVE else schema.label(o))
        if st.form_submit_button("Save this mapping", icon=":material/save:"):
            code = other.strip() if pick == OTHER_CODE else pick
            attempt(agency_settings.set_disposition, code, None if outcome == REMOVE else outcome)


def costs_tab(cfg) -> None:
    ws = Workspace.current()
    current = metrics.load_assumptions(ws.assumptions_file)
    st.caption("Unit costs price the resource-savings estimate; the annual program cost is subtracted from it. A "
               "cost that is not set makes the figures that need it “not measured” — never priced with another "
               f"city's costs. Amounts in {cfg.currency_name}.")
    rows = []
    for key in metrics.SAVINGS_PARAMS:
        a = current.get(key)
        unit = "usd" if key in metrics.MONEY_KEYS else "days"
        show = (lambda v: present.fmt(v, "usd", cfg)) if unit == "usd" else (lambda v: f"{v:g} days")
        rows.append({"unit cost": metrics.ASSUMPTION_LABELS[key], "key": key,
                     "value": show(a.value) if a else "not set", "range": f"{show(a.low)} – {show(a.high)}" if a else "",
                     "source": a.source if a else "", "year": str(a.year) if a else ""})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    key = st.selectbox("Unit cost to set", list(metrics.SAVINGS_PARAMS), key="settings_cost_key",
                       format_func=lambda k: metrics.ASSUMPTION_LABELS[k])
    a = current.get(key)
    with st.form("settings_cost"):
        c1, c2, c3 = st.columns(3)
        value = c1.number_input("Value", min_value=0.0, value=float(a.value) if a else 0.0, key=f"settings_cost_v_{key}")
        low = c2.number_input("Low", min_value=0.0, value=float(a.low) if a else 0.0, key=f"settings_cost_l_{key}")
        high = c3.number_input("High", min_value=0.0, value=float(a.high) if a else 0.0, key=f"settings_cost_h_{key}")
        source = st.text_input("Source (required)", a.source if a else "", key=f"settings_cost_s_{key}",
                               help="Where the value comes from, e.g. “County jail budget FY2026, p. 14”")
        year = st.number_input("Source year", min_value=1990, max_value=2100, step=1,
                               value=int(a.year) if a else date.today().year, key=f"settings_cost_y_{key}")
        if st.form_submit_button("Save this cost", icon=":material/save:"):
            attempt(agency_settings.save_cost, key, value, low, high, source, int(year))
    if a and st.button("Remove this cost (figures that need it become not measured)", key="settings_cost_remove"):
        attempt(agency_settings.remove_cost, key)
    example = workspace.example_assumptions().get(key)
    if example is not None and not ws.sample:
        with st.expander("Example from the synthetic sample city (not your agency's; never applied)"):
            st.caption(f"{example.label}: {example.value:g} {example.unit} (range {example.low:g}–{example.high:g}), "
                       f"{example.year}. {example.source}")


def milestones_tab() -> None:
    st.caption("Program events drawn as dated lines on the trend charts (a new clinician, a new shift, a policy "
               "change), and offered as the program start on the Program evaluation page.")
    m = ui.milestones()
    if m.empty:
        st.info("No milestones yet.", icon=":material/info:")
    else:
        st.dataframe(pd.DataFrame({"date": [d.date().isoformat() for d in m["date"]], "milestone": m["label"]}),
                     hide_index=True, width="stretch")
    with st.form("settings_milestone"):
        c1, c2 = st.columns([1, 3])
        when = c1.date_input("Date", date.today(), key="settings_ms_date", format="YYYY-MM-DD")
        label = c2.text_input("Milestone", key="settings_ms_label", placeholder="e.g. Night shift added")
        if st.form_submit_button("Add milestone", icon=":material/add:"):
            attempt(agency_settings.add_milestone, when, label)
    if not m.empty:
        items = [(d.date(), str(label)) for d, label in zip(m["date"], m["label"])]
        pick = st.selectbox("Remove a milestone", items, key="settings_ms_remove",
                            format_func=lambda x: f"{x[0]} {x[1]}")
        if st.button("Remove", key="settings_ms_remove_button"):
            attempt(agency_settings.remove_milestone, *pick)


def terms_tab(cfg) -> None:
    st.caption("The agency's own words for the dashboard's terms, e.g. “mobile crisis team” for “co-responder” or "
               "“apprehension” for “involuntary hold”: used in figure names, definitions, charts and reports.")
    if cfg.terminology:
        st.dataframe(pd.DataFrame([{"term": k, "the agency says": v} for k, v in cfg.terminology]),
                     hide_index=True, width="stretch")
    keys = list(present.TERMS) + list(present.VALUE_TERMS)
    with st.form("settings_term"):
        key = st.selectbox("Term", keys, key="settings_term_key",
                           format_func=lambda k: k if k in present.TERMS else f"the value {k} ({schema.LABELS[k]})")
        word = st.text_input("The agency's word (empty: the dashboard's own)", key="settings_term_word")
        if st.form_submit_button("Save", icon=":material/save:"):
            attempt(agency_settings.set_term, key.lower() if key in present.TERMS else key, word)


def main() -> None:
    ui._leave_folder_navigation()
    spec = access.page("settings")
    role = ui.current_role()
    st.title(spec.title)
    if not access.can(role, "change_settings"):
        st.error("This page is for administrators: it changes the agency's settings.", icon=":material/lock:")
        st.stop()
    ws = Workspace.current()
    try:
        cfg = load_agency()
    except SettingsError as e:
        st.error(f"The settings file cannot be read: {e}. Correct it in a text editor.", icon=":material/error:")
        st.stop()
    st.caption(f"For {spec.audience} · workspace `{escape.markdown(str(ws.root))}` · every save is written to "
               "the workspace and the audit log, and is in effect on the next page you open")
    if "settings_saved" in st.session_state:
        st.success(st.session_state.pop("settings_saved"), icon=":material/check:")
    con = ui.connection()
    todo = apply_settings.pending(cfg=cfg) if con is not None else []
    if todo:
        st.warning(f"The database does not hold {', '.join(todo)} of the settings file yet (it was edited outside "
                   "this page).", icon="⚠️")
        if st.button("Bring them into the database now", key="settings_apply"):
            apply_settings.apply(via="settings page")
            st.cache_data.clear()
            st.rerun()
    tabs = st.tabs(["Agency", "Behavioral-health calls", "Dispositions", "Unit costs & program cost", "Milestones",
                    "Terminology"])
    with tabs[0]:
        agency_tab(cfg)
    with tabs[1]:
        bh_tab(cfg, con)
    with tabs[2]:
        disposition_tab(cfg, con)
    with tabs[3]:
        costs_tab(cfg)
    with tabs[4]:
        milestones_tab()
    with tabs[5]:
        terms_tab(cfg)


if __name__ == "__main__":
    main()
