"""Audit log, for the administrator: who logged in (or failed to), imported, exported or
changed settings, and whether the log is intact (pmhc.audit's hash chain).

Runs without a database too: accounts are created, and logins happen, before the first
import.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from pmhc import access, audit, escape, login, ui
from pmhc.config import load_agency

SHOWN = 5000  # rows drawn on screen; the download has every matching row


def integrity() -> None:
    problems = audit.verify()
    if problems:
        st.error("**The audit log has been altered.** " + "; ".join(map(str, problems[:20]))
                 + (f"; and {len(problems) - 20} more" if len(problems) > 20 else "")
                 + ". Keep a copy of the file as it is and compare it with your backups.",
                 icon=":material/gpp_bad:")
    else:
        st.success("Hash chain intact: no entry has been edited, inserted or removed (removing entries "
                   "from the very end cannot be detected from the file alone).", icon=":material/verified_user:")


def filters(events: pd.DataFrame, tz: str) -> pd.DataFrame:
    c1, c2, c3 = st.columns([2, 2, 2])
    actions = sorted(a for a in events["action"].dropna().unique())
    pick_actions = c1.multiselect("Action", actions, key="audit_actions",
                                  format_func=lambda a: audit.ACTIONS.get(a, a), placeholder="All actions")
    users = sorted(u for u in events["who"].dropna().unique())
    pick_users = c2.multiselect("User", users, key="audit_users", placeholder="All users")
    local = events["ts"].dt.tz_convert(tz)
    first, last = local.min().date(), local.max().date()
    span = c3.date_input("Dates", (max(first, last - timedelta(days=30)), last), min_value=first,
                         max_value=last, key="audit_dates", format="YYYY-MM-DD")
    since, until = (span[0], span[-1]) if isinstance(span, tuple) and span else (first, last)
    return audit.select(events, actions=pick_actions, users=pick_users, since=since, until=until, tz=tz)


def main() -> None:
    ui._leave_folder_navigation()
    spec = access.page("audit")
    role = ui.current_role()
    st.title(spec.title)
    if not access.can(role, "view_audit"):
        st.error("This page is for administrators.", icon=":material/lock:")
        st.stop()
    cfg = load_agency()
    path = audit.log_path()
    st.caption(f"For {spec.audience} · log file `{path}` · times in {cfg.timezone}")
    st.markdown("Every login (and failed login), logout, expired session, import, export and account change "
                "is appended here with who, what, when and the result. Passwords and person keys are never "
                "recorded.")
    events = audit.read()
    if events.empty:
        st.info(f"No events recorded yet: the log `{path}` is created by the first login, import or account "
                "change.", icon=":material/policy:")
        return
    integrity()
    shown = filters(events, cfg.timezone)
    st.caption(f"{len(shown):,} of {len(events):,} events match" +
               (f"; the newest {SHOWN:,} are shown, the download has all." if len(shown) > SHOWN else "."))
    table = audit.for_display(shown, cfg.timezone)
    st.dataframe(table.head(SHOWN), hide_index=True, width="stretch",
                 column_config={"line": st.column_config.NumberColumn("Line", format="%d")})
    st.download_button("Download these events (CSV)", escape.to_csv(table),
                       file_name="audit_log.csv", mime="text/csv", key="audit_download",
                       on_click=login.on_download("audit_log.csv", rows=len(table)))


main()
