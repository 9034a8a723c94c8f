"""End to end: viewers keep loading pages in headless Chromium while two imports run at the
same time — `pmhc import` from a terminal and an upload on the Data page — and never see an
error box; both imports end up in the ledger and the pages show the new data afterwards.

The imports write new snapshots of the database and swap them in (pmhc.snapshots), so the
app's read-only connections are never in the way of a writer. Needs /usr/bin/chromium
(`make browser`), like tests/test_e2e_browser.py, whose helpers it uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.serving import start_dashboard, wait_healthy
from tests.test_e2e_browser import CHROMIUM, ROOT, errors_on, settle

pytestmark = pytest.mark.e2e

if not CHROMIUM.exists() and not os.environ.get("PMHC_REQUIRE_BROWSER"):
    pytest.skip(f"{CHROMIUM} is not installed (run `make browser`)", allow_module_level=True)

ADMIN_PASSWORD = "heron over the harbor"
VIEWED = ["overview", "volume", "outcomes", "repeat", "savings", "grant"]


@pytest.fixture
def app(tmp_path):
    """The dashboard in demo mode on a database built by `pmhc import` from the small fixture."""
    from tests.conftest import SMALL, SMALL_CONFIG

    env = {**os.environ, "PMHC_CONFIG_DIR": str(SMALL_CONFIG), "PMHC_PERSON_KEY_SECRET": "test-secret-not-for-real-data",
           "PMHC_DB": str(tmp_path / "pmhc.duckdb"), "PMHC_DEMO": "1"}
    built = subprocess.run([sys.executable, "-m", "pmhc.cli", "import", str(SMALL / "calls.csv"),
                            str(SMALL / "encounters.csv")], env=env, cwd=ROOT, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    # Demo visitors are never administrators: the administrator uses a second server on the
    # same database, without demo mode, and logs in.
    from pmhc import auth

    auth.add_user("admin", "admin", ADMIN_PASSWORD, tmp_path / "users.toml")
    admin_env = {k: v for k, v in env.items() if k != "PMHC_DEMO"} | {"PMHC_USERS_FILE": str(tmp_path / "users.toml")}
    procs, urls = [], []
    for name, e in (("viewer", env), ("admin", admin_env)):
        log = tmp_path / f"streamlit-{name}.log"
        proc, url = start_dashboard(e, log)
        procs.append(proc)
        urls.append(url)
        wait_healthy(url, proc, log)
    try:
        yield urls[0], env, urls[1]
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_pages_keep_working_while_a_cli_and_a_data_page_import_run(app):
    from playwright.sync_api import sync_playwright

    from pmhc import db
    from tests.conftest import SMALL

    url, env, admin_url = app
    sample = ROOT / "sample_data"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"])
        viewer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        errors: list[str] = []
        viewer.goto(f"{url}/overview")
        settle(viewer)
        admin.goto(f"{admin_url}/data")  # the login form at that address, then the page itself
        settle(admin)
        admin.get_by_role("textbox", name="User name").fill("admin")
        admin.get_by_role("textbox", name="Password").fill(ADMIN_PASSWORD)
        admin.get_by_role("button", name="Log in").click()
        admin.get_by_role("heading", name="Data").first.wait_for(timeout=60_000)
        settle(admin)

        cli = subprocess.Popen([sys.executable, "-m", "pmhc.cli", "import", str(sample / "calls.csv.gz"),
                                str(sample / "encounters.csv.gz"), "--db", env["PMHC_DB"]],
                               env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        admin.get_by_test_id("stFileUploader").first.locator("input[type=file]").set_input_files(
            str(SMALL / "arrests.csv"))
        admin.get_by_role("button", name="Import", exact=True).click()

        loads = during = 0
        deadline = time.monotonic() + 240
        upload_done = False
        while time.monotonic() < deadline:
            running = cli.poll() is None or not upload_done
            key = VIEWED[loads % len(VIEWED)]
            viewer.goto(f"{url}/{key}")
            settle(viewer)
            errors += [f"{key}: {e}" for e in errors_on(viewer)]
            loads += 1
            during += running
            upload_done = upload_done or admin.get_by_text("arrests.csv → arrests:").count() > 0
            if cli.poll() is not None and upload_done and loads >= during + 2:
                break
        out, err = cli.communicate(timeout=60)
        settle(admin)
        errors += [f"data: {e}" for e in errors_on(admin)]
        viewer.goto(f"{url}/volume?period=months&from=2024-01&to=2024-02")
        settle(viewer)
        after = viewer.inner_text('[data-testid="stMain"]')
        browser.close()

    assert cli.returncode == 0, err
    assert "Traceback" not in err
    assert upload_done, "the Data page import did not report"
    assert errors == []
    assert during >= 1, "no page was loaded while an import ran"
    con = db.connect(env["PMHC_DB"], read_only=True)
    try:
        ledger = db.rows(con, "SELECT file_name, status FROM imports ORDER BY import_id")
        n_calls = db.rows(con, "SELECT count(*) AS n FROM calls")[0]["n"]
    finally:
        con.close()
    assert {"file_name": "calls.csv.gz", "status": "loaded"} in ledger
    assert {"file_name": "arrests.csv", "status": "loaded"} in ledger
    assert n_calls == 180_011  # the sample's 180,000 calls joined the fixture's 11
    assert "Co-response volume" in after
    print(f"{loads} page loads, {during} while an import ran")
