"""Who is looking at the dashboard: the logged-in user's role, or in demo mode (sample
data only) the role picked in the sidebar. Every page asks here and nowhere else."""

from __future__ import annotations

import functools

import streamlit as st

from . import access, auth
from .connection import _stamp, connection


def demo_mode() -> bool:
    """PMHC_DEMO=1 on the sample data: no login, a role switcher so reviewers can see every view.
    Refused (False) once the database holds anything but the shipped synthetic files."""
    return auth.demo_requested() and demo_refusal() is None


def demo_refusal() -> str | None:
    """Why PMHC_DEMO=1 is refused for this database; None when allowed or not asked for."""
    if not auth.demo_requested():
        return None
    return _demo_refusal(_stamp())


@functools.lru_cache(maxsize=8)
def _demo_refusal(stamp: tuple) -> str | None:
    # Keyed by the database file's stamp: an import of a real file is seen on the next run.
    return auth.demo_refusal_for(connection())


def current_role() -> str:
    """The one place a page learns who is looking: the logged-in user's role (pmhc.login.gate
    in app.py), or in demo mode the role switcher's choice — never administrator there: a
    demo visitor is anonymous, so imports and the audit log stay behind a login."""
    s = st.session_state.get(auth.SESSION_KEY)
    if s and not demo_mode():
        role = s["role"]
    elif demo_mode():
        role = st.session_state.get("role", "analyst")
        return role if role in access.DEMO_ROLES else "analyst"
    else:
        role = st.session_state.get("role", "public")
    return role if role in access.ROLES else "public"


def current_scope() -> access.Scope:
    """The agencies the viewer may see (pmhc.access.Scope): the logged-in account's; every
    agency for the demo and the public (the public sees every agency's public release)."""
    from .login import session_scope

    s = st.session_state.get(auth.SESSION_KEY)
    if s and not demo_mode() and current_role() != "public":
        return session_scope(s)
    return access.EVERY_AGENCY


def may(action: str) -> bool:
    """May the viewer take `action` (pmhc.access.ACTIONS), with the grants of its scope?"""
    return access.can(current_role(), action, current_scope())


def role_switcher() -> str:
    """Sidebar role picker shown only in demo mode."""
    # Re-assigned every run so the choice survives page switches (widget ids are per page).
    st.session_state["role"] = current_role()
    st.sidebar.selectbox("View as (demo)", access.DEMO_ROLES, key="role", persist_state="session",
                         format_func=access.ROLE_LABELS.get,
                         help="Demo mode only: see what each kind of user sees. "
                              "The council / public view hides person-level lists and suppresses small counts.")
    return current_role()
