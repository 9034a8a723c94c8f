"""Keyboard and screen readers: axe-core (from the npm registry, scripts/ensure-axe.sh) run
in headless Chromium on every page finds no violation of serious or critical impact, and
every chart has its data table one click away.

The app is started as in test_e2e_browser.py (its fixtures), on the small fixture.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .test_e2e_browser import ARTIFACTS, JAN_FEB_QUERY, PAGE_KEYS, ROOT, browser, page, server, settle  # noqa: F401

pytestmark = pytest.mark.e2e
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def axe_js() -> str:
    """axe.min.js, fetched once by scripts/ensure-axe.sh (`make browser` runs it)."""
    out = subprocess.run(["sh", str(ROOT / "scripts" / "ensure-axe.sh")], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return Path(out.stdout.strip().splitlines()[-1]).read_text(encoding="utf-8")


def axe_violations(pg, axe_js: str) -> list[dict]:
    """axe-core's WCAG 2.x A/AA rules over the page: violations with impact and where."""
    if not pg.evaluate("() => typeof window.axe !== 'undefined'"):
        pg.add_script_tag(content=axe_js)
    return pg.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
                                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' +
                                                          (n.failureSummary || '').slice(0, 200))}));
    }""")


def blocking(violations: list[dict]) -> list[str]:
    return [f"{v['impact']} {v['id']}: {v['help']} — {v['nodes'][:3]}" for v in violations
            if v["impact"] in BLOCKING]


@pytest.mark.parametrize("key", PAGE_KEYS)
def test_no_serious_or_critical_accessibility_violation_on_the_page(server, page, axe_js, key):
    page.goto(f"{server}/{key}?{JAN_FEB_QUERY}")
    settle(page)
    violations = axe_violations(page, axe_js)
    ARTIFACTS.mkdir(exist_ok=True)  # every violation found, of any impact, for a person to read
    (ARTIFACTS / f"axe-{key}.json").write_text(json.dumps(violations, indent=1), encoding="utf-8")
    found = blocking(violations)
    assert not found, f"{key}:\n" + "\n".join(found)


def _tab_to(pg, test, limit: int = 80) -> bool:
    """Press Tab until the focused element passes `test` (a JS predicate on it)."""
    for _ in range(limit):
        pg.keyboard.press("Tab")
        if pg.evaluate(f"() => {{ const e = document.activeElement; return !!e && ({test})(e); }}"):
            return True
    return False


def test_the_filter_bar_is_usable_by_keyboard_alone(server, page):
    page.goto(f"{server}/overview?{JAN_FEB_QUERY}")
    settle(page)
    in_district = ("e => e.closest('[data-testid=\"stSidebar\"] [data-testid=\"stSelectbox\"]') && "
                   "e.closest('[data-testid=\"stSelectbox\"]').innerText.includes('District')")
    assert _tab_to(page, in_district), "Tab never reaches the District filter"
    page.keyboard.press("ArrowDown")  # opens the list
    page.wait_for_selector('[role="option"]', timeout=10_000)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**district=D*", timeout=30_000)
    settle(page)
    assert "district D" in page.inner_text('[data-testid="stMain"]')
    # The period radio is reached and changed by keyboard too.
    page.goto(f"{server}/overview?{JAN_FEB_QUERY}")
    settle(page)
    assert _tab_to(page, "e => e.type === 'radio' && e.closest('[data-testid=\"stSidebar\"]')"), \
        "Tab never reaches the Period choice"
    before = page.url
    page.keyboard.press("ArrowDown")
    page.wait_for_function(f"() => location.href !== {before!r}", timeout=30_000)
    assert "period=" in page.url and "period=months" not in page.url
