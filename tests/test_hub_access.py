"""Who sees what in a hub (issue 20): the role × page × download matrix with agency scope.

The hub is tests/test_hub.py's three hand-written agencies (North, Westport, Lakeside);
March 2025 figures by hand there: calls North 5, Westport 4, Lakeside 5; BH calls 3, 3,
4; pooled calls 14. Lakeside's P1 has two crisis contacts in March (LE1, LE3): the one
person on its repeat-contact list.

- An agency's analyst or administrator sees only that agency: the agency picker offers
  it alone, a link naming another agency (`?agency=`, `?agencies=`) is not followed, and
  a figure of another agency asked of the figure cache is refused.
- A regional analyst sees every agency's figures but no person-level list, unless its
  account is granted them.
- The public sees each agency's suppressed release and a pooled figure only where every
  agency pooled into it shows it: at threshold 11 every March count here is small, so
  no number from 1 to 10 — and not the pooled 14 either — may be shown.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pmhc import access, auth, db, figure_cache, metrics, publication
from pmhc.config import hub_settings
from pmhc.periods import Period

from .test_hub import REDIRECTS, SPRING, _in_hub, hub_copy, hub_root  # noqa: F401  (the hub of three agencies, per module; a copy to publish in)

ROOT = Path(__file__).resolve().parent.parent
MARCH = {"period": "months", "from": "2025-03", "to": "2025-03"}


def run_app(role: str, agencies="*", person_lists: bool = False, params: dict | None = None,
            page: str | None = None) -> AppTest:
    """The real app as a logged-in account of `role` scoped to `agencies`."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    session = {"user": f"test-{role}", "role": role, "method": "local"}
    scope = access.Scope.of(agencies, person_lists)
    if scope != access.EVERY_AGENCY:
        session["scope"] = scope.as_data()
    at.session_state[auth.SESSION_KEY] = session
    for k, v in (params or MARCH).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if page is not None:
        at.switch_page(access.page(page).path)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def metrics_of(at: AppTest) -> dict:
    return {m.label: m.value for m in at.metric}


def picker(at: AppTest) -> list[str]:
    return list(at.selectbox(key="flt_agency").options)


def offered(at: AppTest) -> set[str]:
    return {str(Path(info["script_path"]).resolve().relative_to(ROOT))
            for info in at._registered_pages.values() if info.get("script_path")}


# ------------------------------------------------------------------ an agency's own staff

def test_an_agency_analyst_is_offered_only_its_own_agency(hub_root):
    at = run_app("analyst", ["north"])
    assert picker(at) == ["North Police Service"]
    assert metrics_of(at)["Behavioral-health calls"] == "3"


def test_a_link_naming_another_agency_shows_the_accounts_own_agency(hub_root):
    at = run_app("analyst", ["north"], params={**MARCH, "agency": "lakeside"})
    assert metrics_of(at)["Behavioral-health calls"] == "3"  # North's, not Lakeside's 4
    assert at.query_params["agency"] == "north"
    assert any("not one this account may see" in w.value for w in at.sidebar.warning)


def test_a_link_naming_other_agencies_on_the_comparison_page_is_not_followed(hub_root):
    at = run_app("analyst", ["north"], params={**MARCH, "cmp": "month", "at": "2025-03",
                                                "agencies": "westport,lakeside,north"}, page="compare")
    assert list(at.multiselect(key="cmp_agencies").options) == ["North Police Service"]
    (table,) = [d.value for d in at.dataframe if "Figure" in d.value.columns]
    assert "Westport Sheriff's Office" not in table.columns and "Lakeside Police Department" not in table.columns
    assert any("may not see" in w.value for w in at.warning)


def test_the_figure_cache_refuses_a_figure_of_an_agency_the_account_may_not_see(monkeypatch):
    monkeypatch.setattr(figure_cache, "current_scope", lambda: access.Scope.of(["north"]))
    with pytest.raises(PermissionError):
        figure_cache.check_scope(metrics.Filters(Period.month(2025, 3), agencies=("westport",)))
    with pytest.raises(PermissionError):
        figure_cache.compare_agencies("month", "2025-03", ["north", "westport"])
    figure_cache.check_scope(metrics.Filters(Period.month(2025, 3), agencies=("north",)))  # its own: allowed


def test_an_agency_administrator_sees_only_its_agencys_imports_and_not_the_hub_audit_log(hub_root):
    at = run_app("admin", ["north"])
    assert "pages/audit.py" not in offered(at)
    at.switch_page(access.page("data").path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (history,) = [d.value for d in at.dataframe if "file_name" in d.value.columns and "rows_new" in d.value.columns]
    assert list(history["file_name"]) == ["cad_calls.csv"] and list(history["rows_in_file"]) == [8]


def test_an_administrator_of_every_agency_gets_the_hub_audit_log(hub_root):
    at = run_app("admin", "*")
    assert "pages/audit.py" in offered(at)
    assert picker(at) == ["Lakeside Police Department", "North Police Service", "Westport Sheriff's Office"]


# ------------------------------------------------------------------ a regional analyst

def test_a_regional_analyst_sees_every_agencys_figures(hub_root):
    at = run_app("regional", params={**MARCH, "agency": "lakeside"})
    assert len(picker(at)) == 3
    values = metrics_of(at)
    assert values["Behavioral-health calls"] == "4"  # exact: Lakeside's 4, not "<11"
    assert values["Co-response coverage"] == "66.7%"


def test_a_regional_analyst_gets_no_person_level_list(hub_root):
    at = run_app("regional", params={**MARCH, "agency": "lakeside"}, page="repeat")
    assert not [d for d in at.dataframe if "person_key" in d.value.columns]
    assert not [b for b in at.get("download_button") if b.proto.label == "Download this list (CSV)"]


def test_a_regional_analyst_granted_person_lists_sees_them(hub_root):
    at = run_app("regional", "*", person_lists=True, params={**MARCH, "agency": "lakeside"}, page="repeat")
    (people,) = [d.value for d in at.dataframe if "person_key" in d.value.columns]
    assert len(people) == 1 and list(people["crisis_contacts"]) == [2]


def test_the_analyst_of_one_agency_gets_its_person_list(hub_root):
    at = run_app("analyst", ["lakeside"], page="repeat")
    assert [d for d in at.dataframe if "person_key" in d.value.columns]


# ------------------------------------------------------------------ the public

def _small(text: str) -> bool:
    m = re.fullmatch(r"−?(\d[\d,]*)(\.\d+)?( †)?", str(text).strip())
    return bool(m) and 0 < float(m.group(1).replace(",", "")) < 11


def test_the_public_comparison_shows_no_small_count_and_no_pooled_sum_of_hidden_ones(hub_root):
    at = run_app("public", params={**MARCH, "cmp": "month", "at": "2025-03"}, page="compare")
    (table,) = [d.value for d in at.dataframe if "Figure" in d.value.columns]
    cells = [v for v in table.drop(columns=["Figure"]).to_numpy().ravel() if isinstance(v, str)]
    assert not [c for c in cells if _small(c)], table.to_string()
    rows = table.set_index("Figure")
    # pooled BH calls 3 + 3 + 4 = 10 of 14 calls, each count hidden in its agency: the pooled
    # figure would give them away, so it is suppressed too (staff see 714.3 per 1,000)
    assert rows.loc["Behavioral-health calls per 1,000 calls", "Pooled"] == "suppressed"
    assert rows.loc["Share of calls that are behavioral health", "Pooled"] == "suppressed"
    assert rows.loc["Co-response coverage", "North Police Service"] == "not measured"  # never hidden as 0


def test_the_public_sees_each_agencys_suppressed_release(hub_root):
    at = run_app("public", params={**MARCH, "agency": "lakeside"})
    assert metrics_of(at)["Behavioral-health calls"] == "<11"  # 4


# ------------------------------------------------------------------ the Agencies compared page

CMP_MARCH = {**MARCH, "cmp": "month", "at": "2025-03"}


@pytest.fixture(scope="module")
def compare_page(hub_root):
    with pytest.MonkeyPatch.context() as mp:
        for var in REDIRECTS:
            mp.delenv(var, raising=False)
        mp.setenv("PMHC_HOME", str(hub_root))
        yield run_app("regional", params=CMP_MARCH, page="compare")


def side_by_side(at: AppTest):
    (table,) = [d.value for d in at.dataframe if "Figure" in d.value.columns]
    return table.set_index("Figure")


def test_the_comparison_page_sets_the_agencies_side_by_side_with_the_pooled_column(compare_page):
    t = side_by_side(compare_page)
    assert list(t.columns) == ["Lakeside Police Department", "North Police Service", "Westport Sheriff's Office",
                               "Pooled"]
    # BH share 4/5, 3/5, 3/4; pooled 10/14
    assert list(t.loc["Share of calls that are behavioral health"]) == ["80.0%", "60.0%", "75.0%", "71.4%"]
    # measured in Lakeside only (2/3); the others have no co-responder column
    assert list(t.loc["Co-response coverage"]) == ["66.7%", "not measured", "not measured", "66.7%"]
    # per 1,000 calls: 4/5, 3/5, 3/4 and 10/14 × 1,000
    assert list(t.loc["Behavioral-health calls per 1,000 calls"]) == ["800", "600", "750", "714.3"]
    # Westport's diversion is per BH call (2/3); pooled over logged contacts only: Lakeside's 3/4
    assert list(t.loc["Diversion rate"]) == ["75.0%", "not measured", "66.7%", "75.0%"]
    assert list(t.loc["Repeat-contact rate (90 days)"]) == ["50.0%", "not measured", "not measured", "50.0%"]


def test_the_comparison_page_says_which_agencies_a_pooled_rate_is_measured_in(compare_page):
    captions = "\n".join(c.value for c in compare_page.caption)
    assert "Pooled co-response coverage: measured in 1 of 3 agencies" in captions
    assert "North Police Service, Westport Sheriff's Office" in captions


def test_the_comparison_page_says_agencies_record_differently(compare_page):
    text = "\n".join(m.value for m in compare_page.markdown)
    assert "Agencies record differently" in text


def test_each_agencys_data_quality_is_shown_beside_its_figures(compare_page):
    labels = [e.label for e in compare_page.expander]
    for name in ("Lakeside Police Department", "North Police Service", "Westport Sheriff's Office"):
        assert f"{name}: what its data records" in labels
    north = next(e for e in compare_page.expander if e.label == "North Police Service: what its data records")
    text = "\n".join(m.value for m in north.markdown)
    assert "America/New\\_York" in text and "fiscal year from January" in text  # (markdown-escaped)
    (checks,) = [d.value for d in north.dataframe]
    # North's BH calls N-0001, 0002, 0003, 0005, 0007, 0008: no co-responder field on any of the 6
    row = checks.set_index("Check").loc["BH calls with co_responder_present empty"]
    assert (row["Rows affected"], row["Of"]) == (6, 6)


def test_the_funnel_runs_from_all_calls_to_diverted_per_1000_calls(compare_page):
    import plotly.io as pio

    (chart,) = [c for c in compare_page.get("plotly_chart")
                if "From all calls to diverted" in (pio.from_json(c.proto.spec).layout.title.text or "")]
    fig = pio.from_json(chart.proto.spec)
    lake = next(t for t in fig.data if t.name == "Lakeside Police Department")
    # calls 5, BH 4, co-responded 2, diverted contacts 3 → per 1,000 calls
    assert [round(float(v), 1) for v in lake.y] == [1000.0, 800.0, 400.0, 600.0]


# ------------------------------------------------------------------ every page in a hub

HUB_PAGES = [p for p in access.PAGES if (ROOT / p.path).exists()]


@pytest.mark.parametrize("page", HUB_PAGES, ids=[p.key for p in HUB_PAGES])
def test_every_page_opens_in_a_hub_for_an_administrator_of_every_agency(hub_root, page):
    at = run_app("admin", "*", params={**MARCH, "agency": "westport"}, page=page.key)
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "Traceback" in e.value]


# ------------------------------------------------------------------ each agency's grant periods

def grant_names(root: Path, key: str) -> list[str]:
    c = db.connect(root / "data" / "pmhc.duckdb", read_only=True, cfg=hub_settings())
    try:
        return [g.name for g in publication.grant_periods(c, key)]
    finally:
        c.close()


def test_the_public_filter_bar_offers_a_grant_period_only_in_the_agency_that_published_it(hub_copy):
    publication.publish(*SPRING, who="os:test", agency="lakeside")
    grant = {"period": "grant", "grant": SPRING[0]}
    at = run_app("public", params={**grant, "agency": "lakeside"})
    assert "Grant period" in at.sidebar.radio(key="flt_period").options
    assert at.sidebar.selectbox(key="flt_grant").value == SPRING[0]
    at = run_app("public", params={**grant, "agency": "north"})
    assert "Grant period" not in at.sidebar.radio(key="flt_period").options
    assert any("period=grant" in w.value for w in at.sidebar.warning)


def open_data_page(monkeypatch, in_view: str, agencies: list[str]) -> AppTest:
    """The Data page with `in_view` the agency in view (as `pmhc --agency KEY serve` sets it),
    for an administrator of `agencies`."""
    monkeypatch.setenv("PMHC_AGENCY", in_view)
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=120)
    at.session_state[auth.SESSION_KEY] = {"user": "alex", "role": "admin", "method": "local",
                                          "scope": access.Scope.of(agencies).as_data()}
    at.session_state[auth.SEEN_KEY] = auth.clock()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def submit_grant_period(at: AppTest) -> AppTest:
    at.text_input(key="data_period_name").input(SPRING[0])
    at.text_input(key="data_period_from").input(SPRING[1])
    at.text_input(key="data_period_to").input(SPRING[2])
    at.button(key="FormSubmitter:data_publish_period-Publish").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_data_page_publishes_a_grant_period_for_the_agency_in_view_only(hub_copy, monkeypatch):
    publication.publish("North grant", "2024-11", "2025-01", who="os:test", agency="north")
    at = open_data_page(monkeypatch, "lakeside", ["lakeside"])
    assert not [d for d in at.dataframe if "grant period" in d.value.columns], "North's list is not shown"
    submit_grant_period(at)
    assert grant_names(hub_copy, "lakeside") == [SPRING[0]]
    assert grant_names(hub_copy, "north") == ["North grant"]


def test_the_data_page_offers_no_publishing_for_an_agency_outside_the_administrators_scope(hub_copy, monkeypatch):
    # (pmhc.publication refuses it too, where the page acts: tests/test_hub.py)
    at = open_data_page(monkeypatch, "north", ["lakeside"])
    assert at.button(key="FormSubmitter:data_publish_period-Publish").disabled
    assert any("only for its own agencies (lakeside)" in w.value for w in at.warning)


def test_the_repeat_page_of_an_agency_without_a_clinician_log_says_not_measured_not_0_people(hub_root):
    at = run_app("admin", params={**MARCH, "agency": "north"}, page="repeat")
    captions = " ".join(c.value for c in at.caption)
    assert "people with at least" not in captions  # no "0 people with at least 2 crisis contacts"
    assert any(i.value.startswith("Not measured: ") for i in at.info), [i.value for i in at.info]
