"""Who may see which page and take which download: one table, checked by app and pages.

Roles: `public` (council viewer: suppressed aggregates only), `analyst` (coordinator:
every figure and person-level lists), `admin` (also imports, saving assumptions, audit).
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("public", "analyst", "admin")
ROLE_LABELS = {
    "public": "Council / public viewer",
    "analyst": "Analyst / coordinator",
    "admin": "Administrator",
}
ALL = ROLES
DEMO_ROLES = ("public", "analyst")  # what an anonymous demo visitor may look as (never admin)
STAFF = ("analyst", "admin")
ADMIN = ("admin",)


@dataclass(frozen=True)
class PageSpec:
    key: str
    path: str  # file under pages/
    title: str
    icon: str
    roles: tuple[str, ...]
    audience: str  # who the page is for, shown in its caption


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
    PageSpec("methodology", "pages/methodology.py", "Methodology", ":material/menu_book:", ALL, "everyone"),
    PageSpec("data", "pages/data.py", "Data", ":material/database:", ADMIN, "the administrator"),
    PageSpec("settings", "pages/settings.py", "Settings", ":material/settings:", ADMIN, "the administrator"),
    PageSpec("audit", "pages/audit.py", "Audit log", ":material/policy:", ADMIN, "the administrator"),
)

# Actions beyond viewing a page.
ACTIONS: dict[str, tuple[str, ...]] = {
    "view_unsuppressed": STAFF,  # exact small counts
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


def can(role: str | None, action: str) -> bool:
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")
    return role in ACTIONS[action]


def pages_for(role: str | None) -> list[PageSpec]:
    return [p for p in PAGES if role in p.roles]


def page(key: str) -> PageSpec:
    for p in PAGES:
        if p.key == key:
            return p
    raise KeyError(key)


def is_public(role: str | None) -> bool:
    return not can(role, "view_unsuppressed")
