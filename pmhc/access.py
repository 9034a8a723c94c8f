"""Who may see which page and take which download: one table, checked by app and pages.

Roles: `public` (council viewer: suppressed aggregates only), `analyst` (coordinator:
every figure and person-level lists), `admin` (also imports, saving assumptions, audit),
`regional` (a regional or state analyst in a hub: every agency's exact aggregates, but no
person-level list unless granted).

In a hub (many agencies in one database) every account also has a `Scope`: the agencies
it may see (an agency's analyst or administrator: that agency; a hub administrator or a
regional analyst: every agency, or a region's list) and, for a regional analyst, whether
it is granted the agencies' person-level lists. The public sees every agency's public
(suppressed) release. A single-agency workspace is a hub of one: every scope covers it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ROLES = ("public", "analyst", "admin", "regional")
ROLE_LABELS = {
    "public": "Council / public viewer",
    "analyst": "Analyst / coordinator",
    "admin": "Administrator",
    "regional": "Regional / state analyst",
}
ALL = ROLES
DEMO_ROLES = ("public", "analyst")  # what an anonymous demo visitor may look as (never admin)
STAFF = ("analyst", "admin")
EXACT = ("analyst", "admin", "regional")  # exact figures (no suppression)
ADMIN = ("admin",)
# Actions a regional analyst may take only when granted its agencies' person-level lists.
PERSON_LEVEL = ("view_person_list", "download_person_list")


@dataclass(frozen=True)
class Scope:
    """The agencies an account may see (None: every agency of the workspace) and, for a
    regional analyst, whether it is granted their person-level lists."""

    agencies: frozenset[str] | None = None
    person_lists: bool = False

    @classmethod
    def of(cls, agencies: Iterable[str] | str | None, person_lists: bool = False) -> "Scope":
        """From an accounts file: a list of keys, "*" (every agency) or nothing (every agency)."""
        if agencies is None or agencies == "*" or (not isinstance(agencies, str) and "*" in list(agencies)):
            return cls(None, bool(person_lists))
        if isinstance(agencies, str):
            agencies = [a.strip() for a in agencies.split(",") if a.strip()]
        return cls(frozenset(agencies), bool(person_lists))

    @property
    def every_agency(self) -> bool:
        return self.agencies is None

    def covers(self, key: str | None) -> bool:
        """May this scope see agency `key`? (None: the workspace's only agency, or all.)"""
        return self.agencies is None or (key is not None and key in self.agencies)

    def visible(self, keys: Iterable[str]) -> list[str]:
        """Of `keys`, the agencies this scope may see, in order."""
        return [k for k in keys if self.covers(k)]

    def as_data(self) -> dict:
        """How a session and the accounts file keep it."""
        return {"agencies": "*" if self.agencies is None else sorted(self.agencies),
                "person_lists": self.person_lists}

    @property
    def text(self) -> str:
        who = "every agency" if self.agencies is None else ", ".join(sorted(self.agencies)) or "no agency"
        return who + (" (with person-level lists)" if self.person_lists else "")


EVERY_AGENCY = Scope()


@dataclass(frozen=True)
class PageSpec:
    key: str
    path: str  # file under pages/
    title: str
    icon: str
    roles: tuple[str, ...]
    audience: str  # who the page is for, shown in its caption
    hub_only: bool = False  # offered only in a hub of several agencies (pmhc.config.Workspace.is_hub)
    every_agency: bool = False  # for administrators of every agency only (hub-wide records)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "pages/overview.py", "Overview", ":material/dashboard:", ALL, "the chief and council"),
    PageSpec("volume", "pages/volume.py", "Co-response volume", ":material/call:", ALL, "the coordinator"),
    PageSpec("outcomes", "pages/outcomes.py", "Diversion & outcomes", ":material/alt_route:", ALL, "the coordinator"),
    PageSpec("repeat", "pages/repeat.py", "Repeat contacts & follow-up", ":material/repeat:", ALL, "the coordinator"),
    PageSpec("savings", "pages/savings.py", "Resource savings", ":material/savings:", ALL, "the chief and grant writer"),
    PageSpec("evaluation", "pages/evaluation.py", "Program evaluation", ":material/science:", ALL,
             "the coordinator and the chief"),
    PageSpec("grant", "pages/grant.py", "Grant figures", ":material/table_view:", ALL, "the grant writer"),
    PageSpec("reports", "pages/reports.py", "Reports & exports", ":material/download:", ALL, "the chief and grant writer"),
    PageSpec("compare", "pages/compare.py", "Agencies compared", ":material/compare_arrows:", ALL,
             "the state coordinator, grant administrators and the learning sites", hub_only=True),
    PageSpec("methodology", "pages/methodology.py", "Methodology", ":material/menu_book:", ALL, "everyone"),
    PageSpec("data", "pages/data.py", "Data", ":material/database:", ADMIN, "the administrator"),
    PageSpec("settings", "pages/settings.py", "Settings", ":material/settings:", ADMIN, "the administrator"),
    PageSpec("audit", "pages/audit.py", "Audit log", ":material/policy:", ADMIN, "the administrator",
             every_agency=True),
)

# Actions beyond viewing a page.
ACTIONS: dict[str, tuple[str, ...]] = {
    "view_unsuppressed": EXACT,  # exact small counts
    "view_person_list": STAFF,  # repeat-contact person list (pseudonymous keys)
    "download_person_list": STAFF,
    "download_figures": ALL,  # public gets the suppressed release
    "download_reports": ALL,  # decks/workbooks: public-safe versions for public
    "import_data": ADMIN,
    "save_assumptions": ADMIN,  # what-if editing is open to all, saving is not
    "publish_periods": ADMIN,  # grant periods with public figures (pmhc.publication)
    "change_settings": ADMIN,  # the agency's settings (Settings page), written to its workspace
    "view_audit": ADMIN,
    "view_quarantine": ADMIN,  # quarantined rows hold raw records
}


def can(role: str | None, action: str, scope: Scope | None = None) -> bool:
    """May `role` take `action`? A regional analyst takes a person-level action only when its
    `scope` grants the person-level lists."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")
    if role == "regional" and action in PERSON_LEVEL:
        return scope is not None and scope.person_lists
    return role in ACTIONS[action]


def pages_for(role: str | None, hub: bool = False, scope: Scope | None = None) -> list[PageSpec]:
    """The pages `role` may open: the hub's pages only in a hub, and in a hub the pages of
    hub-wide records (the audit log) only for an account of every agency."""
    scope = scope or EVERY_AGENCY
    return [p for p in PAGES if role in p.roles and (hub or not p.hub_only)
            and (not hub or not p.every_agency or scope.every_agency)]


def page(key: str) -> PageSpec:
    for p in PAGES:
        if p.key == key:
            return p
    raise KeyError(key)


def is_public(role: str | None) -> bool:
    return not can(role, "view_unsuppressed")
