"""End to end: `streamlit run app.py` on the small fixture, every page opened in headless
Chromium (Debian's /usr/bin/chromium, never a downloaded browser), a screenshot of each
in test-artifacts/, and a failure on any Streamlit exception or error box.

Skipped only when /usr/bin/chromium is missing and PMHC_REQUIRE_BROWSER is not set;
`make test` installs chromium, so there it always runs.
"""

from __future__ import annotations

import os
import subprocess
from urllib.parse import urlencode
from pathlib import Path

import pytest

from pmhc import access
from .helpers import JAN_FEB_PARAMS
from .serving import start_dashboard, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("BROWSER_PATH", "/usr/bin/chromium"))
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
JAN_FEB_QUERY = urlencode(JAN_FEB_PARAMS)  # period=months&from=2024-01&to=2024-02

pytestmark = pytest.mark.e2e

if not CHROMIUM.exists() and not os.environ.get("PMHC_REQUIRE_BROWSER"):
    pytest.skip(f"{CHROMIUM} is not installed (run `make browser`); set PMHC_REQUIRE_BROWSER=1 to fail instead",
                allow_module_level=True)






ADMIN_PASSWORD = "heron over the harbor"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The dashboard in demo mode on a database file built from the small fixture."""
    yield from _serve(tmp_path_factory, demo=True)


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory):
    """The same without demo mode, with one administrator account (demo visitors are never
    administrators, so the Data page needs a login)."""
    yield from _serve(tmp_path_factory, demo=False)


def _serve(tmp_path_factory, demo: bool):
    from tests.conftest import SMALL_CONFIG, load_small

    from pmhc import auth, db

    tmp = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "PMHC_CONFIG_DIR": str(SMALL_CONFIG), "PMHC_PERSON_KEY_SECRET": "test-secret-not-for-real-data",
           "PMHC_DB": str(tmp / "small.duckdb"), "PMHC_USERS_FILE": str(tmp / "users.toml"),
           "PMHC_AUDIT_LOG": str(tmp / "audit.jsonl")}
    if demo:
        env["PMHC_DEMO"] = "1"
    else:
        env.pop("PMHC_DEMO", None)
        auth.add_user("admin", "admin", ADMIN_PASSWORD, tmp / "users.toml")
    old = {k: os.environ.get(k) for k in ("PMHC_CONFIG_DIR", "PMHC_PERSON_KEY_SECRET")}
    os.environ.update({k: env[k] for k in old})
    try:
        con = db.connect(env["PMHC_DB"])
        load_small(con)
        con.close()
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    log = tmp / "streamlit.log"
    proc, url = start_dashboard(env, log)
    try:
        wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


def settle(pg, timeout_ms: int = 120_000) -> None:
    """Wait until the script run has finished and the page has drawn."""
    pg.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout_ms)
    pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)
    pg.wait_for_load_state("networkidle", timeout=timeout_ms)
    # A cached figure's spinner ("Computing figures…") can appear after the status widget has gone on
    # a busy machine: wait until neither has been on the page for two seconds in a row.
    pg.evaluate("() => { window.__pmhcIdleSince = undefined; }")
    pg.wait_for_function(
        """() => {
            const busy = document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSpinner"]');
            const now = Date.now();
            if (busy || window.__pmhcIdleSince === undefined) { window.__pmhcIdleSince = busy ? undefined : now; return false; }
            return now - window.__pmhcIdleSince > 2000;
        }""", timeout=timeout_ms, polling=250)
    pg.wait_for_timeout(800)  # plotly draws after the run message


def screenshot(pg, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    for _ in range(3):  # the page reflows when the viewport grows; grow until it fits
        height = pg.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        target = min(max(height + 40, 800), 8000)
        if target <= pg.viewport_size["height"]:
            break
        pg.set_viewport_size({"width": 1440, "height": target})
        pg.wait_for_timeout(500)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path))
    return path


def errors_on(pg) -> list[str]:
    """Exceptions, error boxes and Streamlit's "Page not found" dialog."""
    found = [e.inner_text()[:500] for e in pg.query_selector_all(ERRORS)]
    found += [d.inner_text()[:200] for d in pg.query_selector_all('[role="dialog"]')
              if "not found" in d.inner_text().lower()]
    return found


# The first request to a fresh server is a deep link on purpose: a shared link must work
# even before anyone has opened the front page.
PAGE_KEYS = [spec.key for spec in access.pages_for("analyst") if (ROOT / spec.path).exists()]


@pytest.mark.parametrize("key", PAGE_KEYS)
def test_every_page_opens_without_an_error_box(server, page, key):
    page.goto(f"{server}/{key}?{JAN_FEB_QUERY}")
    settle(page)
    shot = screenshot(page, key)
    assert not errors_on(page), f"{key}: {errors_on(page)} (see {shot})"
    assert page.inner_text('[data-testid="stMain"] h1') == access.page(key).title
    assert f"/{key}?" in page.url and "from=2024-01" in page.url  # the address keeps page and filters
    assert shot.stat().st_size > 10_000


def test_charts_are_drawn_in_the_browser(server, page):
    page.goto(f"{server}/volume?{JAN_FEB_QUERY}")
    settle(page)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    titles = page.eval_on_selector_all(".js-plotly-plot .gtitle", "els => els.map(e => e.textContent)")
    assert "BH calls by weekday and hour received" in titles


def test_the_front_page_opens_the_overview_with_the_link_filters(server, page):
    page.goto(f"{server}/?{JAN_FEB_QUERY}")
    settle(page)
    assert page.inner_text('[data-testid="stMain"] h1') == "Overview"
    assert "/overview?" in page.url and "to=2024-02" in page.url
    assert not errors_on(page)


def test_a_shared_link_opens_with_its_filters(server, page):
    page.goto(f"{server}/grant?period=fy&fy=2024&district=D1")
    settle(page)
    text = page.inner_text('[data-testid="stMain"]')
    assert "FY2024 (Jul 2023–Jun 2024)" in text and "district D1" in text
    assert "fy=2024" in page.url and "district=D1" in page.url
    assert not errors_on(page)


def test_navigating_keeps_filters_and_the_chosen_role(server, page):
    page.goto(f"{server}/overview?{JAN_FEB_QUERY}")
    settle(page)
    role_box = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="View as")
    role_box.get_by_role("combobox").click()
    page.get_by_role("option", name=access.ROLE_LABELS["public"]).click()
    settle(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Repeat contacts & follow-up").click()
    page.wait_for_url("**/repeat**")
    settle(page)
    screenshot(page, "repeat-public")
    text = page.inner_text('[data-testid="stMain"]')
    assert "February 2024" in text  # public figures are published per month, quarter or year
    assert "Person-level lists are shown only" in text
    assert not page.query_selector('[data-testid="stDataFrame"]')
    assert not errors_on(page)


def test_a_link_to_the_data_page_opened_before_login_lands_there_after_login(admin_server, page):
    page.goto(f"{admin_server}/data")
    settle(page)
    assert not errors_on(page), errors_on(page)  # the login form, not "Page not found"
    page.get_by_role("textbox", name="User name").fill("admin")
    page.get_by_role("textbox", name="Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Data").first.wait_for(timeout=60_000)
    settle(page)
    assert "/data" in page.url and not errors_on(page)


def test_an_upload_on_the_data_page_shows_its_own_report_and_picks_it(admin_server, page):
    """Runs last: it adds an import (a re-import of the fixture, which changes no figure)."""
    from tests.conftest import SMALL

    page.goto(f"{admin_server}/data")
    settle(page)
    page.get_by_role("textbox", name="User name").fill("admin")
    page.get_by_role("textbox", name="Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Data").first.wait_for(timeout=60_000)
    settle(page)
    picker = page.get_by_test_id("stSelectbox").filter(has_text="Import").get_by_role("combobox")
    before = int(picker.input_value().split(":")[0])
    page.get_by_test_id("stFileUploader").first.locator("input[type=file]").set_input_files(str(SMALL / "arrests.csv"))
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text("arrests.csv → arrests:").first.wait_for(timeout=60_000)
    settle(page)
    new = before + 1
    assert page.get_by_text(f"arrests.csv → arrests (import {new})").count() == 1
    # The picker names the report drawn under it (it once went on showing the earlier pick).
    picker = page.get_by_test_id("stSelectbox").filter(has_text="Import").get_by_role("combobox")
    assert picker.input_value() == f"{new}: arrests.csv"
    assert not errors_on(page)
