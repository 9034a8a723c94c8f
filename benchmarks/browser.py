"""What a user feels: every page of the running dashboard in headless Chromium, timed from
the request to its last chart drawn, and the cost of one filter change.

benchmarks/run.py calls measure() at its first and last size. It starts `streamlit run
app.py` on the benchmark's database (as tests/test_e2e_browser.py starts it, Debian's
/usr/bin/chromium, never a downloaded browser), logs in as an analyst, and opens each page
the analyst's navigation lists, one after the other by the navigation (one session, the
benchmark's filter, a calendar year, from the address it logged in at). A page counts as drawn when its heading is there, the script run is over (no
"Running…" status), every Plotly chart on it has drawn its SVG, and that has held for
STABLE_S (the time reported is when it first held, not when the wait ended). Every page
is opened twice: first (its figures computed; figures an earlier page needed too come
from the app's cache, as they do for a user) and again (all cached). The filter change picks a district on the Overview
and waits for the page to be drawn again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.serving import start_dashboard, wait_healthy  # noqa: E402  (the browser tests' server helpers)

CHROMIUM = Path(os.environ.get("BROWSER_PATH", "/usr/bin/chromium"))
PASSWORD = "benchmark analyst passphrase"
STABLE_S = 0.6
TIMEOUT_S = 300

ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
# One snapshot of the page: heading, whether a script run is going on, charts and drawn charts.
_STATE = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  return {
    heading: !!(main && main.querySelector('h1')),
    title: main && main.querySelector('h1') ? main.querySelector('h1').innerText.trim() : '',
    // the app root says whether a script run is going on (Streamlit's own test attribute)
    running: (document.querySelector('[data-testid="stApp"]') || {getAttribute: () => 'initial'})
               .getAttribute('data-test-script-state') !== 'notRunning'
             || !!document.querySelector('[data-testid="stStatusWidget"]'),
    charts: charts.length,
    drawn: charts.filter(c => c.querySelector('.main-svg')).length,
    url: location.href,
  };
}"""






def drawn_after(pg, start: float, until=None) -> float:
    """Seconds from `start` (time.perf_counter) until the page is drawn and stays so for
    STABLE_S; `until(state)` must also hold (e.g. the address shows a new filter)."""
    first = None
    seen = None
    deadline = time.perf_counter() + TIMEOUT_S
    while time.perf_counter() < deadline:
        st = pg.evaluate(_STATE)
        now = time.perf_counter()
        ok = (st["heading"] and not st["running"] and st["drawn"] == st["charts"]
              and (until is None or until(st)))
        key = (st["charts"], st["drawn"])
        if ok and first is not None and key == seen:
            if now - first >= STABLE_S:
                return first - start
        elif ok:
            first, seen = now, key
        else:
            first = seen = None
        pg.wait_for_timeout(40)
    raise TimeoutError(f"{pg.url}: not drawn within {TIMEOUT_S} s")


def measure(db_path: Path, where: Path, year: int) -> dict:
    """Seconds per page (first open and again) and for one filter change."""
    from playwright.sync_api import sync_playwright

    from pmhc import access, auth

    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is not installed (run `make browser`), or pass --browser none")
    users = where / "bench_users.toml"
    users.unlink(missing_ok=True)
    auth.add_user("analyst", "analyst", PASSWORD, users)
    env = {**os.environ, "PMHC_DB": str(db_path), "PMHC_USERS_FILE": str(users),
           "PMHC_AUDIT_LOG": str(where / "bench_audit.jsonl")}
    env.pop("PMHC_DEMO", None)
    log = where / "streamlit.log"
    proc, url = start_dashboard(env, log)
    query = f"period=year&year={year}"
    pages = [spec for spec in access.pages_for("analyst") if (ROOT / spec.path).exists()]
    result: dict = {"pages": {}}
    try:
        wait_healthy(url, proc, log, timeout=120)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            context = browser.new_context(viewport={"width": 1440, "height": 1000})
            pg = context.new_page()
            # Log in on a page without figures (a link opened before login lands there after it),
            # then move between pages as a user does, by the navigation: one session.
            pg.goto(f"{url}/methodology?{query}")
            pg.get_by_role("textbox", name="User name").fill("analyst")
            pg.get_by_role("textbox", name="Password").fill(PASSWORD)
            pg.get_by_role("button", name="Log in").click()
            drawn_after(pg, time.perf_counter(), until=lambda st: st["title"] == "Methodology")
            nav = pg.get_by_test_id("stSidebarNav")
            for visit in ("first_s", "again_s"):
                for spec in pages:
                    start = time.perf_counter()
                    nav.get_by_role("link", name=spec.title, exact=True).click()
                    seconds = drawn_after(pg, start, until=lambda st, t=spec.title: st["title"] == t)
                    result["pages"].setdefault(spec.title, {})[visit] = seconds
                    errors = [e.inner_text()[:200] for e in pg.query_selector_all(ERRORS)]
                    if errors:  # timed all the same; the report names the page and the error
                        result.setdefault("errors", {})[spec.title] = errors[0]
            # One filter change: a district on the Overview.
            nav.get_by_role("link", name=pages[0].title, exact=True).click()
            drawn_after(pg, time.perf_counter(), until=lambda st: st["title"] == pages[0].title)
            box = pg.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="District")
            box.get_by_role("combobox").click()
            options = pg.get_by_role("option")
            choice = next(o for o in options.all() if o.inner_text().strip() not in ("All districts", ""))
            start = time.perf_counter()
            choice.click()
            result["filter_change_s"] = drawn_after(pg, start, until=lambda st: "district=" in st["url"])
            context.close()
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return result
