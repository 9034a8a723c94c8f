"""The Data page's *Published periods* tab: the administrator publishes the grant periods
the public views and public reports offer, besides months, quarters and years.

Why here and not a settings file: publishing changes what the public can see, so it is an
action with a name and a time in the audit log (pmhc.publication writes both), taken by an
administrator, and effective for every viewer on their next page load.

In a hub the tab is the agency in view's (the sidebar's agency picker): its grant periods,
published and withdrawn for it alone, and only by an administrator whose account covers it
(pmhc.publication checks the account's scope again where it acts).
"""

from __future__ import annotations

import streamlit as st

from . import access, escape, login, publication
from .config import load_agency
from .role import current_role, current_scope

KEYS = ("Name", "First month", "Last month")  # how the form's fields are named in an error


def section(con) -> None:
    role, scope = current_role(), current_scope()
    agency = publication.agency_in_view()
    covered = not agency or scope.covers(agency)  # the account's own agency (publish checks it again)
    may = access.can(role, "publish_periods") and covered
    st.subheader("Grant periods with public figures")
    if agency:  # a hub: this agency's own
        st.caption(f"Of agency **{escape.markdown(load_agency().name or agency)}** only: its public views and "
                   "reports offer them; another agency of the hub publishes its own.")
    if not covered:
        st.warning("This account publishes grant periods only for its own agencies "
                   f"({escape.markdown(scope.text)}).", icon=":material/lock:")
    st.caption("Public views and public reports show months, quarters, calendar years and fiscal years, and the "
               "grant periods published here — never any other range, because a figure for any other range could be "
               "subtracted from the published months to reveal counts hidden in them. A grant period is whole "
               "months; its figures are protected together with those months (and every other published period). "
               "Staff can always pick any range and build exact internal reports of any dates.")
    msg = st.session_state.pop("data_period_result", None)
    if msg:
        st.success(msg, icon=":material/check_circle:")
    periods = publication.grant_periods(con, agency) if con is not None else []
    if periods:
        st.dataframe({"grant period": [g.name for g in periods], "months": [g.months_label for g in periods],
                      "published": [f"{g.published_at:%Y-%m-%d %H:%M %Z}" for g in periods],
                      "by": [g.published_by for g in periods]}, hide_index=True, width="stretch")
    else:
        st.info("No grant period is published yet.", icon=":material/event:")

    with st.form("data_publish_period"):
        st.markdown("**Publish a grant period**")
        name = st.text_input("Name", max_chars=publication.NAME_MAX, key="data_period_name",
                             help=f"What people call it, e.g. BJA JMHCP 2024-25 ({publication.NAME_CHARS}).")
        left, right = st.columns(2)
        first = left.text_input("First month", key="data_period_from", help="YYYY-MM, e.g. 2024-10")
        last = right.text_input("Last month", key="data_period_to", help="YYYY-MM, included, e.g. 2025-09")
        publish = st.form_submit_button("Publish", icon=":material/public:", disabled=not may)
    if publish:
        _act(lambda: publication.publish(name, first, last, who=login.current_user(), role=role,
                                         via="dashboard", keys=KEYS, on_wait=_waiting, agency=agency,
                                         scope=scope),
             "Published {name} ({months}): the public can pick it under Period → Grant period, and public "
             "reports are built for it.")

    if periods:
        with st.form("data_withdraw_period"):
            st.markdown("**Withdraw a grant period**")
            gone = st.selectbox("Grant period", [g.name for g in periods], key="data_period_withdraw",
                                format_func=lambda n: f"{n} ({next(g.months_label for g in periods if g.name == n)})")
            st.caption("It is no longer offered to the public. Figures already seen stay seen; withdrawing reveals "
                       "nothing new, since the months and the other published periods do not change.")
            withdraw = st.form_submit_button("Withdraw", icon=":material/public_off:", disabled=not may)
        if withdraw:
            _act(lambda: publication.withdraw(gone, who=login.current_user(), role=role, via="dashboard",
                                              on_wait=_waiting, agency=agency, scope=scope),
                 "Withdrew {name} ({months}): it is no longer offered to the public.")


def _act(action, done: str) -> None:
    try:
        g = action()
    except publication.PublicationError as e:
        st.error(escape.markdown(str(e)), icon=":material/error:")
        return
    except OSError as e:  # the audit log or the database folder cannot be written: nothing changed
        st.error(f"Nothing was changed: {escape.markdown(str(e))}", icon=":material/error:")
        return
    st.session_state["data_period_result"] = done.format(name=escape.markdown(g.name), months=g.months_label)
    st.rerun()  # the new snapshot: the list, the filter bar and the figures read it


def _waiting() -> None:
    st.info("An import of this database is running; publishing waits for it to finish.",
            icon=":material/hourglass_top:")
