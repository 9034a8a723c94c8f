"""A regional hub (issue 20): three hand-written agencies in one database, each on its own
clock, fiscal year, BH call types and disposition map, compared and pooled.

The agencies (tests/fixtures/hub/<key>/: agency.toml, the exports, North's profile):

    north     America/New_York, FY from January. CAD export, date and hour columns, a
              Y/N mental-health flag, NO co-responder column, no disposition map, no
              clinician log, no arrest records.
    westport  America/Los_Angeles, FY from October. CAD export with disposition codes
              (profiles/cad_dispositions.toml) and a disposition map; NO co-responder column.
    lakeside  America/Chicago, FY from July. Canonical calls with the co-responder field,
              a clinician log (5 contacts) and one arrest record.

Counted by hand, March 2025 on each agency's own clock:

    north     N-0002 … N-0006: 5 calls; BH (MH = Y) N-0002, N-0003, N-0005: 3.
              N-0007 (1 Apr, hour 0 in New York) is April: on any clock west of New
              York the same instant is still 31 March.
    westport  24-000101 … 24-000104: 4 calls; BH (call types on its list) 101, 103, 104: 3.
              24-000104 (31 Mar 23:30 Los Angeles = 1 Apr 06:30 UTC) is March.
              Outcomes by its map: 101 ADV resolved on scene, 103 MH involuntary hold,
              104 TH voluntary ED → diverted 101 and 104: 2 of 3 BH calls; arrests 0 of 3.
    lakeside  L1 … L5: 5 calls; BH (PERSON IN CRISIS, SUICIDE ATTEMPT) L1, L2, L4, L5: 4.
              Co-responder recorded on L1 (yes), L2 (no), L4 (yes): coverage 2/3; L5 empty.
              Contacts LE1 … LE4, all with a known outcome; diverted LE1 (referred),
              LE2 (resolved), LE4 (referred, no call): 3 of 4 (LE3 ended in arrest).
              Arrest record LA1 names L2: arrest rate on BH calls 1/4; co-responded 0/2,
              not co-responded 1/1. P1 has crisis contacts on 3 and 10 March (within 90
              days), P2 one: repeat rate 1/2. Follow-up LE4 (P1, 12 March) follows LE1
              (9 days) and LE3 (2 days), not LE2: 2 of 3.

Pooled March (the sum over the agencies where a figure is measured):
    calls 5 + 4 + 5 = 14; BH calls 3 + 3 + 4 = 10; BH share 10/14.
    Co-response coverage: measured in Lakeside only → 2/3, "measured in 1 of 3 agencies".
    Diversion: Lakeside counts logged contacts, Westport BH calls (no log): pooled over
    the registry's counting unit (contacts) only → Lakeside's 3/4, with a note.

Fiscal year 2025 (each agency's own; named by the year it ends in):
    north     Jan–Dec 2025: N-0002 … N-0007 = 6 calls, 4 BH (N-0001 is 31 Dec 2024 at 23h,
              FY2024; N-0008 is 1 Jan 2026 at 0h, FY2026).
    westport  Oct 2024–Sep 2025: 24-000107 (1 Oct 2024 00:15) and 101 … 106 = 7 calls, 6 BH
              (24-000100, 30 Sep 2024 23:30 Los Angeles, is FY2024 although it is
              1 October in UTC).
    lakeside  Jul 2024–Jun 2025: L1 … L6 and 24-000101 = 7 calls, 5 BH (L0, 30 Jun 2024
              23:50 Chicago, is FY2024 although it is 1 July in UTC; L9, 1 Jul 2025, FY2026).
    No pooled fiscal year: the three start in different months.
"""

from __future__ import annotations

import io
import json
import shutil
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from pmhc import access, cli, comparison, db, metrics, present, publication, release
from pmhc.config import SettingsError, hub_settings, load_agency, using_agency
from pmhc.periods import Period

ROOT = Path(__file__).resolve().parent.parent
HUB_FIXTURES = Path(__file__).parent / "fixtures" / "hub"
AGENCIES = ("lakeside", "north", "westport")
# The suite's single-path redirections (tests/conftest.py) a hub must not see.
REDIRECTS = ("PMHC_CONFIG_DIR", "PMHC_DB", "PMHC_PERSON_KEY_SECRET", "PMHC_DEMO", "PMHC_SECRET_FILE", "PMHC_AGENCY",
             "PMHC_DATA_DIR")

IMPORTS = {
    "north": [["--profile", str(HUB_FIXTURES / "north" / "profile.toml"), str(HUB_FIXTURES / "north" / "cad_calls.csv")]],
    "westport": [["--profile", str(ROOT / "profiles" / "cad_dispositions.toml"),
                  str(HUB_FIXTURES / "westport" / "cad_calls.csv")]],
    "lakeside": [[str(HUB_FIXTURES / "lakeside" / f"{t}.csv") for t in ("calls", "encounters", "arrests")]],
}


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        rc = cli.main(list(argv))
    return rc, out.getvalue()


def build_hub(root: Path) -> Path:
    """`pmhc init --hub`, `pmhc agency add` for each agency (its fixture agency.toml then
    written over the new one, as an administrator would edit it), `pmhc import --agency`."""
    assert run("init", str(root), "--hub", "--name", "State CIT Program", "--timezone", "America/Chicago")[0] == 0
    for key in AGENCIES:
        rc, _ = run("--home", str(root), "agency", "add", key, "--name", key.title(), "--timezone", "UTC",
                    "--fiscal-year-start", "1", "--currency", "USD")
        assert rc == 0
        shutil.copy(HUB_FIXTURES / key / "agency.toml", root / "agencies" / key / "agency.toml")
    for key, batches in IMPORTS.items():
        for files in batches:
            rc, out = run("--home", str(root), "import", "--agency", key, *files)
            assert rc == 0, out
    return root


@pytest.fixture(scope="module")
def hub_root(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        for var in REDIRECTS:
            mp.delenv(var, raising=False)
        root = tmp_path_factory.mktemp("hub") / "state"
        mp.setenv("PMHC_HOME", str(root))
        yield build_hub(root)


@pytest.fixture(autouse=True)
def _in_hub(hub_root, monkeypatch):
    """Every test runs with the hub as the workspace and no agency in view."""
    for var in REDIRECTS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PMHC_HOME", str(hub_root))


@pytest.fixture
def con(hub_root):
    c = db.connect(hub_root / "data" / "pmhc.duckdb", read_only=True, cfg=hub_settings())
    yield c
    c.close()


def figures_of(con, key: str, period: Period) -> dict:
    with using_agency(key):
        cfg = load_agency()
        return metrics.headline(con, metrics.Filters(period, agencies=(key,)), cfg, metrics.load_assumptions())


def march(con) -> comparison.Comparison:
    return comparison.compare(con, "month", "2025-03", list(AGENCIES), hub=hub_settings())


def col(comp: comparison.Comparison, key: str) -> comparison.Column:
    return next(c for c in comp.columns if c.key == key)


# ------------------------------------------------------------------ one database, many agencies

def test_every_row_carries_the_agency_it_was_imported_for(con):
    rows = dict(con.execute("SELECT agency, count(*) FROM calls GROUP BY agency").fetchall())
    assert rows == {"north": 8, "westport": 8, "lakeside": 9}
    assert con.execute("SELECT agency, count(*) FROM encounters GROUP BY ALL").fetchall() == [("lakeside", 5)]
    assert con.execute("SELECT agency, count(*) FROM arrests GROUP BY ALL").fetchall() == [("lakeside", 1)]


def test_the_same_call_id_in_two_agencies_is_two_calls(con):
    # 24-000101 is a Westport incident number and, by chance, a Lakeside one too
    rows = con.execute("SELECT agency, call_type, is_bh FROM calls WHERE call_id = '24-000101' "
                       "ORDER BY agency").fetchall()
    assert rows == [("lakeside", "PERSON IN CRISIS", True), ("westport", "MENTAL HEALTH", True)]


def test_a_contact_links_to_its_own_agencys_call(con):
    # LE5 names call 24-000101: Lakeside's (district D1), never Westport's (zone Z1)
    row = con.execute("SELECT district, call_type FROM encounter_facts WHERE encounter_id = 'LE5'").fetchall()
    assert row == [("D1", "PERSON IN CRISIS")]


def test_each_agency_has_its_own_disposition_map(con):
    maps = dict(con.execute("SELECT agency, count(*) FROM disposition_map GROUP BY agency").fetchall())
    assert maps == {"westport": 8}  # North and Lakeside have none


def test_an_import_in_a_hub_without_an_agency_is_refused(hub_root, capsys):
    rc = cli.main(["import", str(HUB_FIXTURES / "lakeside" / "arrests.csv")])
    assert rc == 2
    assert "name one with --agency KEY" in capsys.readouterr().err


def test_an_unknown_agency_is_refused(capsys):
    rc = cli.main(["figures", "--agency", "eastport", "--from", "2025-03", "--to", "2025-03"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "'eastport'" in err and "lakeside, north, westport" in err


def test_reimporting_one_agencys_export_never_touches_another_agencys_rows(tmp_path, monkeypatch):
    root = tmp_path / "hub"
    monkeypatch.setenv("PMHC_HOME", str(root))
    build_hub(root)
    changed = tmp_path / "cad_calls.csv"
    # Westport corrects 24-000101's disposition (ADV → A, an arrest)
    text = (HUB_FIXTURES / "westport" / "cad_calls.csv").read_text()
    changed.write_text(text.replace("03/01/2025 09:00,MENTAL HEALTH,2,Z1,Z1-A,ADV", "03/01/2025 09:00,MENTAL HEALTH,2,Z1,Z1-A,A"))
    rc, out = run("import", "--agency", "westport", "--profile", str(ROOT / "profiles" / "cad_dispositions.toml"),
                  str(changed))
    assert rc == 0, out
    c = db.connect(root / "data" / "pmhc.duckdb", read_only=True, cfg=hub_settings())
    try:
        assert dict(c.execute("SELECT agency, count(*) FROM calls GROUP BY agency").fetchall()) == \
            {"north": 8, "westport": 8, "lakeside": 9}
        assert c.execute("SELECT agency, disposition, _import_id FROM calls WHERE call_id = '24-000101' "
                         "ORDER BY agency").fetchall() == [("lakeside", "TRANSPORT", 3), ("westport", "A", 6)]
        history = c.execute("SELECT agency, rows_new, rows_updated, rows_unchanged FROM imports "
                            "WHERE import_id = 6").fetchall()
        assert history == [("westport", 0, 1, 7)]
    finally:
        c.close()


# ------------------------------------------------------------------ each agency's own clock

def test_each_agency_counts_march_on_its_own_clock(con):
    counts = {k: figures_of(con, k, Period.month(2025, 3)) for k in AGENCIES}
    assert {k: v["calls_total"] for k, v in counts.items()} == {"north": 5, "westport": 4, "lakeside": 5}
    assert {k: v["bh_calls"] for k, v in counts.items()} == {"north": 3, "westport": 3, "lakeside": 4}


def test_a_call_just_after_midnight_counts_in_the_month_of_its_own_zone(con):
    # N-0007: 1 April 2025, hour 0, New York → April in North's figures (the same instant
    # is 31 March 23:00 in Chicago, 21:00 in Los Angeles)
    assert con.execute("SELECT month FROM call_facts WHERE agency = 'north' AND call_id = 'N-0007'"
                       ).fetchall()[0][0].isoformat() == "2025-04-01"
    april = figures_of(con, "north", Period.month(2025, 4))
    assert april["calls_total"] == 1


def test_a_call_just_before_midnight_counts_in_its_local_month_not_the_utc_one(con):
    # 24-000104: 31 March 23:30 Los Angeles = 1 April 06:30 UTC → March for Westport
    april = figures_of(con, "westport", Period.month(2025, 4))
    assert april["calls_total"] == 2  # 24-000105 (1 April 00:30) and 24-000106


def test_fiscal_year_totals_are_each_agencys_own_year(con):
    fy = comparison.compare(con, "fy", 2025, list(AGENCIES), hub=hub_settings())
    assert {c.key: c.values["calls_total"] for c in fy.agencies} == {"lakeside": 7, "north": 6, "westport": 7}
    assert {c.key: c.values["bh_calls"] for c in fy.agencies} == {"lakeside": 5, "north": 4, "westport": 6}
    assert {c.key: (c.period.start.isoformat(), c.period.end.isoformat()) for c in fy.agencies} == {
        "lakeside": ("2024-07-01", "2025-07-01"), "north": ("2025-01-01", "2026-01-01"),
        "westport": ("2024-10-01", "2025-10-01")}


def test_there_is_no_pooled_fiscal_year_when_the_years_start_in_different_months(con):
    fy = comparison.compare(con, "fy", 2025, list(AGENCIES), hub=hub_settings())
    marker = fy.pooled.values["calls_total"]
    assert present.not_measured(marker)
    assert "fiscal years start in different months" in present.reason(marker)


# ------------------------------------------------------------------ per agency and pooled

def test_each_agencys_march_figures_by_hand(con):
    c = march(con)
    lake, north, west = col(c, "lakeside").values, col(c, "north").values, col(c, "westport").values
    assert north["bh_share"] == pytest.approx(3 / 5)
    assert west["bh_share"] == pytest.approx(3 / 4)
    assert lake["bh_share"] == pytest.approx(4 / 5)
    assert lake["co_response_coverage"] == pytest.approx(2 / 3)
    assert lake["diversion_rate"] == pytest.approx(3 / 4)
    assert west["diversion_rate"] == pytest.approx(2 / 3)  # per BH call, from its disposition map
    assert lake["bh_arrest_rate"] == pytest.approx(1 / 4)
    assert west["bh_arrest_rate"] == 0.0  # measured: its map records arrests, none in March
    assert lake["arrest_rate_co_responded"] == 0.0
    assert lake["arrest_rate_not_co_responded"] == 1.0
    assert lake["repeat_rate_90d"] == pytest.approx(1 / 2)
    assert lake["follow_up_14d_rate"] == pytest.approx(2 / 3)


def test_a_figure_an_agencys_data_cannot_support_is_not_measured_never_zero(con):
    c = march(con)
    north, west = col(c, "north").values, col(c, "westport").values
    for values in (north, west):
        assert present.not_measured(values["co_response_coverage"])  # no co-responder column
        assert present.not_measured(values["repeat_rate_90d"])  # no clinician log
    assert present.not_measured(north["diversion_rate"])  # no log and no disposition map
    assert present.not_measured(north["bh_arrest_rate"])  # no arrest records, no outcome on the call


def test_counts_per_1000_calls_make_agencies_of_any_size_comparable(con):
    c = march(con)
    assert col(c, "lakeside").values["bh_calls_per_1000_calls"] == pytest.approx(4 / 5 * 1000)
    assert col(c, "westport").values["bh_calls_per_1000_calls"] == pytest.approx(3 / 4 * 1000)
    assert present.not_measured(col(c, "north").values["co_responded_bh_calls_per_1000_calls"])


def test_pooled_counts_are_the_sum_of_the_agencies(con):
    pooled = march(con).pooled.values
    assert pooled["calls_total"] == 14
    assert pooled["bh_calls"] == 10
    assert pooled["bh_share"] == pytest.approx(10 / 14)


def test_a_pooled_rate_pools_only_the_agencies_where_it_is_measured_and_says_which(con):
    pooled = march(con).pooled
    assert pooled.values["co_response_coverage"] == pytest.approx(2 / 3)
    assert pooled.pooled_in["co_response_coverage"] == ("lakeside",)
    note = pooled.notes["co_response_coverage"]
    assert "measured in 1 of 3 agencies" in note
    assert "North Police Service" in note and "Westport Sheriff's Office" in note


def test_diversion_is_pooled_only_over_agencies_that_count_it_the_same_way(con):
    pooled = march(con).pooled
    assert pooled.values["diversion_rate"] == pytest.approx(3 / 4)  # Lakeside's logged contacts
    assert pooled.pooled_in["diversion_rate"] == ("lakeside",)
    assert "1 count it per BH call" in pooled.notes["diversion_rate"]


def test_the_funnel_runs_from_all_calls_to_diverted_for_each_agency(con):
    funnel = march(con).funnel()
    lake = funnel[funnel["agency"] == "Lakeside Police Department"].sort_values("step")
    assert list(lake["value"]) == [5, 4, 2, 3]  # calls, BH calls, co-responded BH calls, diverted contacts
    north = funnel[funnel["agency"] == "North Police Service"].sort_values("step")
    assert list(north["value"])[:2] == [5, 3]
    assert all(present.not_measured(v) for v in list(north["value"])[2:])
    assert list(north["note"])[2] == "Not measured: no co-responder field in the loaded calls."


# ------------------------------------------------------------------ the command line

def test_figures_command_needs_an_agency_in_a_hub(capsys):
    rc = cli.main(["figures", "--from", "2025-03", "--to", "2025-03"])
    assert rc == 2
    assert "name one with --agency KEY" in capsys.readouterr().err


def test_figures_command_reads_only_the_named_agencys_rows():
    rc, out = run("figures", "--agency", "westport", "--from", "2025-03", "--to", "2025-03", "--format", "json")
    assert rc == 0
    data = json.loads(out)
    values = {k: f["value"] for k, f in data["figures"].items()}
    assert values["calls_total"] == 4 and values["bh_calls"] == 3
    assert data["agency"] == "Westport Sheriff's Office"


def test_agency_list_shows_each_agencys_clock_and_fiscal_year():
    rc, out = run("agency", "list")
    assert rc == 0
    assert "north\tNorth Police Service\tAmerica/New_York\tFY from month 1" in out
    assert "westport\tWestport Sheriff's Office\tAmerica/Los_Angeles\tFY from month 10" in out


def test_a_single_agency_workspace_refuses_another_agencys_key(tmp_path, monkeypatch, capsys):
    root = tmp_path / "one"
    assert run("init", str(root), "--name", "Lakeside PD", "--timezone", "America/Chicago",
               "--fiscal-year-start", "7", "--currency", "USD")[0] == 0
    monkeypatch.setenv("PMHC_HOME", str(root))
    with pytest.raises(SettingsError):
        cli._use_agency("westport")


# ------------------------------------------------------------------ each agency's grant periods

SPRING = ("State CIT grant 2025", "2025-02", "2025-04")  # Feb–Apr 2025: not a quarter, no agency's year
SPRING_PERIOD = Period(Period.month(2025, 2).start, Period.month(2025, 5).start, "grant", SPRING[0])


@pytest.fixture
def hub_copy(hub_root, tmp_path, monkeypatch) -> Path:
    """A copy of the hub to publish in (publishing writes a new snapshot of its database)."""
    root = tmp_path / "state"
    shutil.copytree(hub_root, root, symlinks=True)
    monkeypatch.setenv("PMHC_HOME", str(root))
    return root


def publish_for(key: str, name=SPRING[0], first=SPRING[1], last=SPRING[2], scope=None):
    return publication.publish(name, first, last, who="os:test", agency=key, scope=scope)


def grants_of(root: Path, key: str | None) -> list[tuple[str, str, str]]:
    """(name, first month, last month) of the grant periods agency `key` (in view) offers."""
    c = db.connect(root / "data" / "pmhc.duckdb", read_only=True, cfg=hub_settings())
    try:
        with using_agency(key):
            return [(g.name, g.first_month, g.last_month) for g in publication.grant_periods(c)]
    finally:
        c.close()


def test_a_grant_period_is_offered_by_the_agency_that_published_it_and_by_no_other(hub_copy):
    publish_for("lakeside")
    assert grants_of(hub_copy, "lakeside") == [(SPRING[0], "2025-02", "2025-04")]
    assert grants_of(hub_copy, "north") == [] and grants_of(hub_copy, "westport") == []
    c = db.connect(hub_copy / "data" / "pmhc.duckdb", read_only=True, cfg=hub_settings())
    try:
        for key, offered in (("lakeside", True), ("north", False)):
            with using_agency(key):
                cfg = load_agency()
                assert release.is_published(SPRING_PERIOD, cfg.fiscal_year_start_month,
                                            publication.grant_periods(c)) is offered
    finally:
        c.close()


def test_another_agencys_public_release_of_the_same_months_is_refused(hub_copy):
    publish_for("lakeside")
    c = db.connect(hub_copy / "data" / "pmhc.duckdb", read_only=True, cfg=hub_settings())
    try:
        with using_agency("north"):
            with pytest.raises(ValueError, match="not a published period"):
                release.published(c, metrics.Filters(SPRING_PERIOD, agencies=("north",)), load_agency())
        with using_agency("lakeside"):  # a pooled selection belongs to no agency: no grant period
            with pytest.raises(ValueError, match="not a published period"):
                release.published(c, metrics.Filters(SPRING_PERIOD, agencies=("lakeside", "north")), hub_settings())
    finally:
        c.close()


def test_public_figures_of_a_grant_period_are_given_only_for_the_agency_that_published_it(hub_copy, capsys):
    rc, out = run("period", "publish", SPRING[0], "--from", SPRING[1], "--to", SPRING[2], "--agency", "lakeside")
    assert rc == 0 and "of agency 'lakeside'" in out
    args = ["figures", "--from", SPRING[1], "--to", SPRING[2], "--public", "--format", "json"]
    rc, out = run(*args, "--agency", "lakeside")
    assert rc == 0 and json.loads(out)["period"]["label"].startswith(SPRING[0])
    capsys.readouterr()
    assert cli.main([*args, "--agency", "north"]) == 2
    assert "not a published period" in capsys.readouterr().err


def test_another_agency_may_publish_the_same_name_for_other_months(hub_copy):
    publish_for("lakeside")
    publish_for("north", first="2024-11", last="2025-01")
    assert grants_of(hub_copy, "lakeside") == [(SPRING[0], "2025-02", "2025-04")]
    assert grants_of(hub_copy, "north") == [(SPRING[0], "2024-11", "2025-01")]


def test_the_same_months_under_another_name_conflict_only_within_one_agency(hub_copy):
    publish_for("lakeside")
    publish_for("north", name="Mental health pilot")  # another agency: its own name for the same months
    with pytest.raises(publication.PublicationError, match="Feb 2025–Apr 2025 is already published as 'State CIT"):
        publish_for("lakeside", name="Mental health pilot")
    assert grants_of(hub_copy, "north") == [("Mental health pilot", "2025-02", "2025-04")]


def test_withdrawing_one_agencys_grant_period_leaves_another_agencys_of_the_same_name(hub_copy):
    publish_for("lakeside")
    publish_for("north", first="2024-11", last="2025-01")
    rc, out = run("period", "withdraw", SPRING[0], "--agency", "lakeside")
    assert rc == 0 and "Withdrew" in out
    assert grants_of(hub_copy, "lakeside") == []
    assert grants_of(hub_copy, "north") == [(SPRING[0], "2024-11", "2025-01")]


@pytest.mark.parametrize("command", [("publish", SPRING[0], "--from", SPRING[1], "--to", SPRING[2]),
                                     ("withdraw", SPRING[0])])
def test_publishing_or_withdrawing_in_a_hub_without_an_agency_is_refused_naming_the_flag(hub_copy, capsys, command):
    assert cli.main(["period", *command]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"pmhc period {command[0]}: ") and "--agency KEY" in err
    assert "lakeside, north, westport" in err
    assert all(grants_of(hub_copy, k) == [] for k in AGENCIES)


def test_an_administrator_of_one_agency_can_neither_publish_nor_withdraw_for_another(hub_copy):
    publish_for("north")
    lakeside_admin = access.Scope.of(["lakeside"])
    with pytest.raises(publication.PublicationError, match="only for its own agencies \\(lakeside\\), not for 'north'"):
        publish_for("north", name="Another grant", first="2024-11", last="2025-01", scope=lakeside_admin)
    with pytest.raises(publication.PublicationError, match="not for 'north'"):
        publication.withdraw(SPRING[0], who="os:test", agency="north", scope=lakeside_admin)
    assert grants_of(hub_copy, "north") == [(SPRING[0], "2025-02", "2025-04")]
    publish_for("lakeside", scope=lakeside_admin)  # its own agency: allowed
    assert grants_of(hub_copy, "lakeside") == [(SPRING[0], "2025-02", "2025-04")]


def test_the_audit_line_of_a_publication_names_the_agency(hub_copy):
    from pmhc import audit

    publish_for("westport")
    events = audit.read(path=audit.log_path(hub_copy / "data" / "pmhc.duckdb"))
    (detail,) = events[events["action"] == "period_published"]["detail"]
    assert '"agency": "westport"' in detail


def test_the_period_list_of_a_hub_without_an_agency_shows_every_agencys_with_its_key(hub_copy):
    publish_for("lakeside")
    publish_for("north", first="2024-11", last="2025-01")
    rc, out = run("period", "list")
    assert rc == 0
    lines = [line.split("\t")[:3] for line in out.splitlines()]
    assert lines == [["lakeside", SPRING[0], "2025-02..2025-04"], ["north", SPRING[0], "2024-11..2025-01"]]
    rc, out = run("period", "list", "--agency", "north")
    assert rc == 0 and out.startswith(f"{SPRING[0]}\t2024-11..2025-01\t")


# ------------------------------------------------------------------ a CAD-only agency says "not measured" everywhere

def test_the_grant_workbook_by_district_says_not_measured_where_the_total_does(tmp_path):
    """North has no co-responder column and no clinician log: a district's co-responded
    BH calls and contacts are not measured, as the Total is — never 0."""
    import openpyxl

    from .test_reports import keyed_table

    out = tmp_path / "north.xlsx"
    rc, text = run("report", "--agency", "north", "--from", "2025-03", "--to", "2025-03", "--format", "xlsx",
                   "--internal", "--out", str(out))
    assert rc == 0, text
    rows = keyed_table(openpyxl.load_workbook(out), "By district", "district")
    assert rows["Total"]["co_responded_bh_calls"] == "not measured"
    districts = [d for d in rows if d != "Total"]
    assert districts
    for d in districts:
        for key in ("co_responded_bh_calls", "contacts_total"):
            assert rows[d][key] == "not measured", (d, key, rows[d][key])
    assert sum(rows[d]["calls_total"] for d in districts) == 5  # N-0002 … N-0006, counted by hand


def test_a_public_rate_the_data_cannot_support_says_not_measured_not_suppressed():
    rc, out = run("figures", "--agency", "north", "--public", "--from", "2025-03", "--to", "2025-03",
                  "--format", "json")
    assert rc == 0, out
    coverage = json.loads(out)["figures"]["co_response_coverage"]
    assert coverage["not_measured"] and coverage["suppressed"] is None and coverage["value"] is None


def test_public_figures_on_spark_are_refused_with_the_duckdb_way(capsys, tmp_path):
    rc, _ = run("figures", "--agency", "north", "--engine", "spark", "--parquet", str(tmp_path), "--public",
                "--from", "2025-03", "--to", "2025-03")
    assert rc == 2
    assert "without --engine spark" in capsys.readouterr().err


def test_a_parquet_copy_in_a_hub_needs_an_agency(tmp_path, capsys):
    rc, _ = run("export-parquet", "--out", str(tmp_path / "copy"))
    assert rc == 2
    assert "--agency KEY" in capsys.readouterr().err
    assert not (tmp_path / "copy").exists()


def test_grant_periods_published_before_they_belonged_to_an_agency_stay_every_agencys(hub_copy):
    """A table of the old layout (no agency column): its periods were offered for every
    agency, and still are; the next publication migrates them to each agency's own."""
    import duckdb

    path = hub_copy / "data" / "pmhc.duckdb"
    c = duckdb.connect(str(path))
    try:
        c.execute("DROP TABLE IF EXISTS published_periods")
        c.execute("CREATE TABLE published_periods (name VARCHAR PRIMARY KEY, first_day DATE NOT NULL, "
                  "end_day DATE NOT NULL, published_at TIMESTAMPTZ NOT NULL, published_by VARCHAR NOT NULL)")
        c.execute("INSERT INTO published_periods VALUES ('Old grant', DATE '2024-12-01', DATE '2025-04-01', "
                  "TIMESTAMPTZ '2025-05-01 00:00:00+00', 'os:old')")
    finally:
        c.close()
    old = ("Old grant", "2024-12", "2025-03")
    assert grants_of(hub_copy, "north") == [old] and grants_of(hub_copy, "lakeside") == [old]
    publish_for("lakeside")
    assert grants_of(hub_copy, "north") == [old]
    assert sorted(grants_of(hub_copy, "lakeside")) == sorted([old, (SPRING[0], "2025-02", "2025-04")])
    publication.withdraw("Old grant", who="os:test", agency="north")
    assert grants_of(hub_copy, "north") == [] and old in grants_of(hub_copy, "lakeside")
