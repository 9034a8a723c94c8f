"""Who sees what: every role × every page × every download, on the small fixture.

The table is pmhc/access.py (roles public, analyst, admin; PAGES with their roles; ACTIONS
such as view_person_list and download_figures). Each role runs the real app (app.py in
Streamlit's AppTest, demo mode so the role can be chosen) and must be offered exactly its
pages, see the person-level list only with view_person_list, get each download button
only with its action, and — as the public — see no count from 1 to 10 anywhere: the small
fixture's January–February 2024 counts are all single digits, so every one of them must
read "<11" or "suppressed" (threshold 11 in tests/fixtures/small/config/agency.toml).
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest

from pmhc import access, auth, definitions

from .helpers import JAN_FEB_PARAMS

ROOT = Path(__file__).resolve().parent.parent
PAGES = [p for p in access.PAGES if (ROOT / p.path).exists()]
MATRIX = [(role, page) for role in access.ROLES for page in PAGES]
THRESHOLD = 11

# Every download button of the pages and the action that allows it. A new button must be
# added here, so that it cannot appear without a decision about who may take it.
DOWNLOADS = {
    "Download these figures (CSV)": "download_figures",
    "Download this list (CSV)": "download_person_list",
    "Download quarantined rows (CSV)": "view_quarantine",
    "Download draft profile": "import_data",
    "Download these events (CSV)": "view_audit",
    "Download the slide deck": "download_reports",
    "Download the workbook": "download_reports",
    "Download the summary": "download_reports",
}


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory):
    """One database file for the module, so the app's caches (keyed by the file) are shared."""
    from pmhc import db
    from tests.conftest import SMALL_CONFIG, load_small

    path = tmp_path_factory.mktemp("matrix") / "small.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PMHC_CONFIG_DIR", str(SMALL_CONFIG))
        mp.setenv("PMHC_PERSON_KEY_SECRET", "test-secret-not-for-real-data")
        con = db.connect(path)
        load_small(con)
        con.close()
    return path


@pytest.fixture
def app_env(fixture_db, monkeypatch):
    monkeypatch.setenv("PMHC_DB", str(fixture_db))
    monkeypatch.setenv("PMHC_DEMO", "1")
    return fixture_db


def run_app(role: str, params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["role"] = role
    if role not in access.DEMO_ROLES:  # demo visitors are never administrators: log in as one
        os.environ.pop("PMHC_DEMO", None)  # restored by app_env's monkeypatch
        at.session_state[auth.SESSION_KEY] = {"user": "test-admin", "role": role, "method": "local"}
    for k, v in (params or JAN_FEB_PARAMS).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_page(role: str, page: access.PageSpec, params: dict | None = None) -> AppTest:
    at = run_app(role, params)
    if page.key != access.PAGES[0].key:
        at.switch_page(page.path)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def offered_pages(at: AppTest) -> set[str]:
    """Page files the app's navigation registered for this session."""
    return {str(Path(info["script_path"]).resolve().relative_to(ROOT))
            for info in at._registered_pages.values() if info.get("script_path")}


# ------------------------------------------------------------------ the table itself

@pytest.mark.parametrize("role, page", MATRIX, ids=[f"{r}-{p.key}" for r, p in MATRIX])
def test_pages_for_a_role_are_the_pages_that_name_it(role, page):
    assert (page in access.pages_for(role)) == (role in page.roles)


def test_the_public_may_not_see_exact_small_counts_or_person_lists():
    assert access.is_public("public")
    for action in ("view_unsuppressed", "view_person_list", "download_person_list", "import_data",
                   "view_quarantine"):
        assert not access.can("public", action), action
    assert access.can("public", "download_figures")


def test_every_download_button_in_the_pages_has_an_action():
    labels = set()
    for page in PAGES:
        text = (ROOT / page.path).read_text()
        labels |= set(re.findall(r'download_button\(\s*"([^"]+)"', text))
        labels |= set(re.findall(r'"download":\s*"([^"]+)"', text))
    assert labels <= set(DOWNLOADS), labels - set(DOWNLOADS)
    assert all(action in access.ACTIONS for action in DOWNLOADS.values())


# ------------------------------------------------------------------ navigation

@pytest.mark.parametrize("role", access.ROLES)
def test_navigation_offers_exactly_the_pages_of_the_role(app_env, role):
    at = run_app(role)
    assert offered_pages(at) == {p.path for p in PAGES if role in p.roles}


@pytest.mark.parametrize("role", access.ROLES)
def test_a_page_not_offered_cannot_be_opened(app_env, role):
    at = run_app(role)
    for page in PAGES:
        if role not in page.roles:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(page.path)


# ------------------------------------------------------------------ each page as each role

def _downloads(at: AppTest) -> list:
    return list(at.get("download_button"))


@pytest.mark.parametrize("role, page", [(r, p) for r, p in MATRIX if r in p.roles],
                         ids=[f"{r}-{p.key}" for r, p in MATRIX if r in p.roles])
def test_each_page_gives_each_role_only_what_it_may_have(app_env, role, page):
    at = open_page(role, page)
    for button in _downloads(at):
        label = button.proto.label
        assert label in DOWNLOADS, f"unknown download {label!r} on {page.key}"
        if not button.proto.disabled:
            assert access.can(role, DOWNLOADS[label]), f"{role} can take {label!r} on {page.key}"
    if page.key == "repeat":
        person_list = [d for d in at.dataframe if "person_key" in d.value.columns]
        assert bool(person_list) == access.can(role, "view_person_list")
        lists = [b for b in _downloads(at) if DOWNLOADS.get(b.proto.label) == "download_person_list"]
        assert bool(lists) == access.can(role, "download_person_list")
    if page.key == "grant":
        (button,) = [b for b in _downloads(at) if b.proto.label == "Download these figures (CSV)"]
        assert button.proto.disabled == (not access.can(role, "download_figures"))


# ------------------------------------------------------------------ numbers the public sees

def _is_small_number(text: str) -> bool:
    """A count-like text ("7", "1,234", "7 †") that is from 1 to threshold − 1."""
    m = re.fullmatch(r"−?(\d[\d,]*)(\.\d+)?( †)?", text.strip())
    return bool(m) and 0 < float(m.group(1).replace(",", "") + (m.group(2) or "")) < THRESHOLD


def _chart_numbers(at: AppTest) -> list[float]:
    """Values drawn by count charts (rate charts draw shares; the counts under them are checked)."""
    import base64

    import numpy as np

    out = []
    for chart in at.get("plotly_chart"):
        fig = pio.from_json(chart.proto.spec)
        if "%" in (fig.layout.yaxis.tickformat or "") + (fig.layout.xaxis.tickformat or "") \
                or fig.layout.yaxis.tickprefix == "$":
            continue
        for trace in fig.data:
            axis = {"heatmap": "z", "bar": "x" if trace.orientation == "h" else "y"}.get(trace.type, "y")
            values = getattr(trace, axis)
            if isinstance(values, dict) and "bdata" in values:
                values = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
            if values is not None:
                out += [np.nan if v is None else float(v) for v in np.asarray(values, dtype=object).ravel()]
    return out


DATA_PAGES = [p for p in PAGES if "public" in p.roles and p.key in
              ("overview", "volume", "outcomes", "repeat", "savings", "grant")]


@pytest.mark.parametrize("page", DATA_PAGES, ids=[p.key for p in DATA_PAGES])
def test_the_public_sees_no_count_from_1_to_10(app_env, page):
    at = open_page("public", page)
    shown = [m.value for m in at.metric]
    for df in [*at.dataframe, *at.table]:  # figures are formatted text; numeric frames are inputs (assumptions)
        shown += [v for v in df.value.to_numpy().ravel() if isinstance(v, str)]
    shown += [line.split(": ", 1)[1] for c in at.code for line in c.value.splitlines() if ": " in line]
    small = [s for s in shown if _is_small_number(s)]
    if page.key == "savings":
        small = [s for s in small if s != "60"]  # "Days in period": 1 Jan – 29 Feb 2024, not a count
    assert small == [], f"{page.key} shows {small}"
    for v in _chart_numbers(at):
        assert math.isnan(v) or v == 0 or abs(v) >= THRESHOLD, f"{page.key} draws {v}"


def test_the_public_overview_shows_every_headline_count_as_under_11_and_every_rate_suppressed(app_env):
    at = open_page("public", access.page("overview"))
    values = {m.label: m.value for m in at.metric}
    for fig in definitions.figures():
        if fig.headline:
            assert values[fig.label] in ("<11", "suppressed"), (fig.label, values[fig.label])
    assert values["Behavioral-health calls"] == "<11"  # 5
    assert values["Co-response coverage"] == "suppressed"  # 3 ÷ 5
    assert all(m.delta in (None, "") for m in at.metric)  # a change would give the two counts away
    notes = "\n".join(c.value for c in at.caption)
    assert "counts below 11 are suppressed" in notes and "† unstable: fewer than 20 events" in notes


def test_staff_see_the_exact_figures_on_the_same_page(app_env):
    at = open_page("analyst", access.page("overview"))
    values = {m.label: m.value for m in at.metric}
    assert values["Behavioral-health calls"] == "5"
    assert values["Co-response coverage"] == "60.0%"


def test_the_public_outcome_table_marks_hidden_counts_instead_of_showing_zero(app_env):
    # Public figures come for published periods: Q1 2024 holds the fixture's Jan–Feb contacts.
    at = open_page("public", access.page("outcomes"), {"period": "quarter", "quarter": "2024Q1"})
    (table,) = [d.value for d in at.dataframe if "CIT officer" in d.value.columns]  # outcome counts by responder
    # CIT officer contacts: one involuntary hold (E02, January) and one voluntary ED (E07); none
    # resolved on scene. Small counts of a quarter whose months hide them say "suppressed", not "<11".
    cit = table["CIT officer"]
    assert cit["Involuntary / emergency hold"] == "suppressed" and cit["Voluntary ED / hospital"] == "suppressed"
    assert cit["Resolved on scene"] == "0"


def test_the_public_savings_page_draws_no_breakdown_that_would_add_up_to_a_wrong_net(app_env):
    at = open_page("public", access.page("savings"))
    assert {m.label: m.value for m in at.metric}["Net cost avoidance (estimate)"] == "suppressed"
    assert any("breakdown of the estimate is suppressed" in i.value for i in at.info)
    titles = [pio.from_json(c.proto.spec).layout.title.text for c in at.get("plotly_chart")]
    assert not any("Where the estimate comes from" in (t or "") for t in titles)


def test_figures_cached_for_staff_are_never_served_to_the_public(app_env):
    staff = open_page("analyst", access.page("overview"))
    assert {m.label: m.value for m in staff.metric}["Behavioral-health calls"] == "5"
    public = open_page("public", access.page("overview"))  # same database, same process caches
    assert {m.label: m.value for m in public.metric}["Behavioral-health calls"] == "<11"


def test_a_public_district_view_reads_its_own_release(app_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["role"] = "public"
    for k, v in {**JAN_FEB_PARAMS, "district": "D1"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    values = {m.label: m.value for m in at.metric}
    # D1: C01, C02, C08 — small, and a district's own figures never say "<11": its row in the
    # district table must not give the range of a total its own breakdowns are made of.
    assert values["Behavioral-health calls"] == "suppressed"
    assert values["Co-response coverage"] == "suppressed"
