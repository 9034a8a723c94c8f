"""The Streamlit login gate: the login page, sessions, logout and the sidebar account box.

The plain parts it relies on (password hashing, the accounts file, OIDC role mapping, the
demo check, the idle rule, the throttle) are in `pmhc.auth`, which imports no Streamlit;
this module is the only one that draws the login page (app.py calls `gate` before
navigation). Download buttons record their export through `on_download` here, since it
needs the logged-in user and role.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import access, audit, auth
from .auth import NOTICE_KEY, SEEN_KEY, SESSION_KEY, AuthError, idle_minutes, is_idle, load_accounts


@dataclass(frozen=True)
class Session:
    user: str
    role: str
    method: str  # oidc | local | demo
    scope: access.Scope = access.EVERY_AGENCY  # the agencies the user may see (a hub)


def session_scope(s: dict | None) -> access.Scope:
    """The agencies a logged-in session may see (every agency when it does not say: a
    single-agency workspace, or a session from before scopes)."""
    data = (s or {}).get("scope") or {}
    return access.Scope.of(data.get("agencies"), bool(data.get("person_lists")))


def _scoped(scope: access.Scope) -> dict:
    """The session's scope, kept only when it limits what the account sees."""
    return {} if scope == access.EVERY_AGENCY else {"scope": scope.as_data()}


def oidc_providers() -> list[str | None]:
    """Providers configured in secrets `[auth]`: None for the single default provider, else
    the names of `[auth.NAME]` sections. Empty when OIDC is not configured."""
    import streamlit as st

    try:
        if not st.secrets.load_if_toml_exists() or "auth" not in st.secrets:
            return []
        section = st.secrets["auth"]
    except Exception:  # an unreadable secrets file is reported by Streamlit itself
        return []
    named = [k for k, v in section.items() if hasattr(v, "keys") and "client_id" in v]
    if "client_id" in section:
        return [None, *named]
    return named


def _secret_roles() -> dict:
    import streamlit as st

    try:
        return dict(st.secrets.get("pmhc", {}).get("roles", {}))
    except Exception:
        return {}


def current_user() -> str:
    """Who to name in the audit log for an action in the app."""
    import streamlit as st

    s = st.session_state.get(SESSION_KEY)
    if s:
        return s["user"]
    return "demo" if auth.demo_requested() else "unknown"


def _end(state, s: dict, action: str, message: str | None) -> None:
    audit.record_quietly(action, s["user"], s.get("method", ""), role=s["role"])
    for k in (SESSION_KEY, SEEN_KEY, "role"):
        state.pop(k, None)
    if message:
        state[NOTICE_KEY] = message


def logout(message: str | None = "You are logged out.") -> None:
    import streamlit as st

    s = st.session_state.get(SESSION_KEY)
    if not s:
        return
    _end(st.session_state, s, "logout", message)
    if s["method"] == "oidc":
        auth.oidc_forget(s["user"])
        st.logout()


def client_address() -> str:
    """The browser's address as the server sees it (behind a proxy, the proxy's), for the
    per-source login throttle; "" when Streamlit does not know it (tests, some proxies)."""
    import streamlit as st

    try:
        return str(st.context.ip_address or "")
    except Exception:
        return ""


def _try_local_login(name: str, password: str, now: float) -> str | None:
    """Returns an error message, or None after a successful login (session set)."""
    import streamlit as st

    name = name.strip()
    source = client_address()
    wait = auth.THROTTLE.locked_for(name, now, source)
    known = name in load_accounts().users
    who = name if known else "(unknown user name)"
    if wait:
        audit.record_quietly("login_failed", who, "local account", "locked")
        return (f"Too many wrong passwords from this computer: try again in {max(1, round(wait / 60))} "
                "minute(s).")
    role = auth.verify(name, password) if name and password else None
    if role is None:
        auth.THROTTLE.failed(name, now, source)
        audit.record_quietly("login_failed", who, "local account", "failed")
        return "Wrong user name or password."
    auth.THROTTLE.succeeded(name, source)
    scope = load_accounts().users[name].scope
    st.session_state[SESSION_KEY] = {"user": name, "role": role, "method": "local", **_scoped(scope)}
    st.session_state[SEEN_KEY] = now
    audit.record_quietly("login", name, "local account", role=role)
    return None


def _login_page(providers: list[str | None], has_accounts: bool, cfg_title: str) -> None:
    import streamlit as st

    with st.columns([1, 2, 1])[1]:  # a narrow form in the middle of the wide layout
        _login_form(providers, has_accounts, cfg_title)


def _login_form(providers: list[str | None], has_accounts: bool, cfg_title: str) -> None:
    import streamlit as st

    st.title(cfg_title)
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice, icon=":material/logout:")
    if providers and not auth.authlib_installed():
        st.error("Login through the identity provider is configured (`[auth]` in `.streamlit/secrets.toml`) "
                 "but Authlib is not installed: run `pip install -e '.[oidc]'` (or `pip install "
                 "\"Authlib>=1.3.2\"`) on the server and restart the dashboard.", icon=":material/error:")
        providers = []
    if providers:
        st.subheader("Log in")
        for p in providers:
            label = "Log in with your agency account" if p is None else f"Log in with {p.replace('_', ' ').title()}"
            if st.button(label, key=f"login_oidc_{p or 'default'}", type="primary", icon=":material/login:"):
                st.login(p)
    if has_accounts:
        if providers:
            st.caption("Or with a local account:")
        else:
            st.subheader("Log in")
        with st.form("login", clear_on_submit=True, enter_to_submit=True):
            name = st.text_input("User name", key="login_user", autocomplete="username")
            password = st.text_input("Password", type="password", key="login_password",
                                     autocomplete="current-password")
            submitted = st.form_submit_button("Log in", type="primary")
        if submitted:
            error = _try_local_login(name, password, auth.clock())
            if error is None:
                st.rerun()
            st.error(error, icon=":material/lock:")
    if not providers and not has_accounts:
        st.info(
            "**No one can log in yet.** Create the first administrator account on the server:\n\n"
            f"```sh\npmhc user add NAME --role admin\n```\n\n"
            f"Accounts are kept in `{auth.users_file()}` (hashed passwords only). To log in through your "
            "agency's identity provider instead, add an `[auth]` section to `.streamlit/secrets.toml` "
            "(see the README, “Privacy, roles and login”).",
            icon=":material/person_add:")
    st.caption(f"Sessions end after {idle_minutes():g} minutes without activity. Logins are recorded "
               "in the audit log.")


def gate(title: str = "Log in") -> Session:
    """The session's user, or a login page and a stop. Called by app.py before navigation."""
    import streamlit as st

    state = st.session_state
    if auth.demo_requested():
        from . import ui

        refusal = ui.demo_refusal()
        if refusal:
            if not state.get("_pmhc_demo_refused"):
                audit.record_quietly("demo_refused", "demo", "PMHC_DEMO=1 on data that is not the sample",
                                     "refused")
                state["_pmhc_demo_refused"] = True
            _only_page(lambda: st.error(refusal, icon=":material/lock:"), "Demo mode refused", "demo-refused")
        role = state.get("role", "analyst")
        return Session("demo", role if role in access.DEMO_ROLES else "analyst", "demo")
    now = auth.clock()
    try:
        idle_minutes()
    except AuthError as e:
        message = str(e)
        _only_page(lambda: st.error(message, icon=":material/error:"), "Log in", "login")
    s = state.get(SESSION_KEY)
    providers = oidc_providers()
    if s is None and providers and st.user.is_logged_in:
        email = str(st.user.get("email") or st.user.get("preferred_username") or st.user.get("sub") or "")
        iat = st.user.get("iat")
        if not auth.oidc_fresh(email, float(iat) if iat else None, now):
            audit.record_quietly("session_expired", email, "identity provider", role=None)
            auth.oidc_forget(email)
            state[NOTICE_KEY] = f"Your session ended after {idle_minutes():g} minutes without activity."
            st.logout()
            st.stop()
        verified = auth.email_verified(st.user)
        role, scope = (auth.grant_for_email(email, _secret_roles(), load_accounts().role_table()) if verified
                       else ("public", access.EVERY_AGENCY))
        s = state[SESSION_KEY] = {"user": email, "role": role, "method": "oidc", **_scoped(scope)}
        audit.record_quietly("login", email, "identity provider", role=role)
    if s is not None:
        if is_idle(state.get(SEEN_KEY), now):
            if s["method"] == "oidc":
                auth.oidc_forget(s["user"])
            _end(state, s, "session_expired",
                 f"Your session ended after {idle_minutes():g} minutes without activity: log in again.")
            if s["method"] == "oidc":
                st.logout()
                st.stop()
        else:
            state[SEEN_KEY] = now
            if s["method"] == "oidc":
                auth.oidc_seen(s["user"], now)
            state["role"] = s["role"]  # what pages and cached figures key on
            return Session(s["user"], s["role"], s["method"], session_scope(s))
    try:
        accounts = load_accounts()
    except AuthError as e:
        message = str(e)
        _only_page(lambda: st.error(message, icon=":material/error:"), "Log in", "login")
    _only_page(lambda: _login_page(providers, bool(accounts.users), title), "Log in", "login")


def _only_page(draw, title: str, url_path: str):
    """Show one page and stop. Through st.navigation, so that Streamlit leaves its automatic
    pages-folder navigation and no page of the dashboard can be opened from here.

    Every dashboard page's address draws the same page too (hidden from the menu): a link
    to /repeat?period=… opened before login shows the login form at that address, and the
    rerun after login opens the page it names, with its filters, instead of "Page not found"."""
    import streamlit as st

    def page() -> None:
        draw()

    aliases = [st.Page(page, title=title, icon=":material/login:", url_path=spec.key, visibility="hidden")
               for spec in access.PAGES if spec.key != url_path]
    st.navigation([st.Page(page, title=title, icon=":material/login:", url_path=url_path, default=True),
                   *aliases], position="hidden").run()
    st.stop()


def account_box(session: Session) -> None:
    """Sidebar: who is logged in, as what, and a logout button."""
    import streamlit as st

    if session.method == "demo":
        return
    sb = st.sidebar
    where = "" if session.scope.every_agency else f" · {session.scope.text}"
    sb.caption(f"Logged in as **{session.user}** · {access.ROLE_LABELS[session.role]}{where}")
    if sb.button("Log out", key="auth_logout", icon=":material/logout:"):
        logout()
        st.rerun()


def on_download(what: str, **detail):
    """An `on_click` for st.download_button: records the export, by the logged-in user, when
    the file is actually downloaded (not when the button is drawn)."""
    audit.check_detail(detail)

    def callback() -> None:
        from . import ui

        audit.record_quietly("export", current_user(), what, role=ui.current_role(), **detail)

    return callback


def audit_view(what: str, **detail) -> None:
    """Record that person-level rows are about to be shown (once per session and selection,
    not on every rerun), before they are drawn."""
    import streamlit as st

    audit.check_detail(detail)
    seen = st.session_state.setdefault("_pmhc_viewed", set())
    key = (what, tuple(sorted((k, str(v)) for k, v in detail.items())))
    if key in seen:
        return
    from . import ui

    if audit.record_quietly("view", current_user(), what, role=ui.current_role(), **detail) is not None:
        seen.add(key)
