"""Grant periods the administrator publishes (issue 16, item 1; pmhc/publication.py).

Public views offer months, quarters, calendar and fiscal years — and the grant periods an
administrator publishes, each protected together with its months. Publishing is an audited
action (`pmhc period publish`, or the Data page); a grant period is whole months; until it is
published a public viewer, `pmhc report` and `pmhc figures --public` have no figures for it.

The small fixture (tests/fixtures/small) has every count of winter 2023–24 below 11, so in
a public view every one of them must read "<11" or "suppressed".
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pmhc import audit, cli, db, metrics, publication, release
from pmhc.config import load_agency
from pmhc.periods import Period
from pmhc.release import NOT_PUBLISHED_TEXT, Withheld

ROOT = Path(__file__).resolve().parent.parent
WINTER = ("Winter grant 2023-24", "2023-12", "2024-02")  # crosses the calendar year; not a quarter
WINTER_PERIOD = Period(Period.month(2023, 12).start, Period.month(2024, 3).start, "grant", WINTER[0])


def publish(path, name=WINTER[0], first=WINTER[1], last=WINTER[2], who="os:tester") -> publication.GrantPeriod:
    return publication.publish(name, first, last, who=who, db_path=path)


def grants(path) -> list[publication.GrantPeriod]:
    con = db.connect(path, read_only=True)
    try:
        return publication.grant_periods(con)
    finally:
        con.close()


def test_a_grant_period_has_no_public_figures_until_it_is_published(small_db_path):
    assert grants(small_db_path) == []
    assert not release.is_published(WINTER_PERIOD, 7, grants(small_db_path))
    publish(small_db_path)
    (g,) = grants(small_db_path)
    assert (g.name, g.start, g.end, g.published_by) == (WINTER[0], WINTER_PERIOD.start, WINTER_PERIOD.end, "os:tester")
    assert release.is_published(WINTER_PERIOD, 7, grants(small_db_path))


def test_a_published_grant_period_gets_a_release_protected_with_its_months(small_db_path):
    publish(small_db_path)
    con = db.connect(small_db_path, read_only=True)
    cache: dict = {}
    try:
        rel = release.published(con, metrics.Filters(g := grants(small_db_path)[0].period), load_agency(), cache=cache)
    finally:
        con.close()
    months = [cache[(m.start, m.end, None, None, None)] for m in release.months_of(g)]
    assert len(months) == 3
    for key, state in rel.status.items():  # a cell it shows is shown in every month it is made of
        if state is None and key[0] == release.HEADLINE:
            assert all(m.status.get(key) is None for m in months), key


@pytest.mark.parametrize(("first", "last", "key", "words"), [
    ("2023-12-15", "2024-02", "--from 2023-12-15", "start on the first day of a month"),
    ("2023-12", "2024-02-14", "--to 2024-02-14", "end on the last day of a month"),
    ("2023-13", "2024-02", "--from '2023-13'", "expected a month as YYYY-MM"),
    ("2024-03", "2024-02", "--to 2024-02 is before --from 2024-03", ""),
])
def test_a_grant_period_must_be_whole_months_and_the_error_names_the_field(small_db_path, first, last, key, words):
    with pytest.raises(publication.PublicationError) as e:
        publish(small_db_path, first=first, last=last)
    assert str(e.value).startswith(key) and words in str(e.value)
    assert grants(small_db_path) == []


def test_a_grant_period_given_as_its_first_and_last_days_is_its_months(small_db_path):
    g = publish(small_db_path, first="2023-12-01", last="2024-02-29")
    assert (g.start, g.end) == (WINTER_PERIOD.start, WINTER_PERIOD.end)


@pytest.mark.parametrize(("name", "words"), [
    ("  ", "give the grant period a name"),
    ("x" * 61, "at most 60"),
    ('<a href="http://x">G</a>', "a name may hold letters, digits, spaces"),
    ("[t](http://x)", "a name may hold"),
    ("snake_case", "a name may hold"),
])
def test_a_grant_period_name_is_plain_words(small_db_path, name, words):
    with pytest.raises(publication.PublicationError, match=r"^NAME") as e:
        publish(small_db_path, name=name)
    assert words in str(e.value)


def test_the_same_months_or_name_are_not_published_twice(small_db_path):
    publish(small_db_path)
    with pytest.raises(publication.PublicationError, match="Dec 2023–Feb 2024 is already published as 'Winter"):
        publish(small_db_path, name="Another name")
    with pytest.raises(publication.PublicationError, match="already used for Dec 2023–Feb 2024; withdraw it first"):
        publish(small_db_path, name=WINTER[0].upper(), last="2024-03")
    assert len(grants(small_db_path)) == 1


def test_publishing_and_withdrawing_are_in_the_audit_log_with_who_and_which_months(small_db_path):
    publish(small_db_path, who="alex")
    publication.withdraw(WINTER[0].lower(), who="sam", db_path=small_db_path)
    log = audit.log_path(small_db_path)
    events = audit.read(path=log)
    done = events[events["action"].isin(["period_published", "period_withdrawn"])]
    assert done[["action", "who", "what"]].values.tolist() == [
        ["period_published", "alex", WINTER[0]], ["period_withdrawn", "sam", WINTER[0]]]
    assert all('"first_month": "2023-12"' in d and '"last_month": "2024-02"' in d for d in done["detail"])
    assert audit.verify(log) == []
    assert grants(small_db_path) == []


def test_a_publication_that_cannot_be_audited_does_not_happen(small_db_path, tmp_path, monkeypatch):
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("PMHC_AUDIT_LOG", str(tmp_path / "not-a-folder" / "audit.jsonl"))
    with pytest.raises(OSError):
        publish(small_db_path)
    assert grants(small_db_path) == []


def test_withdrawing_a_grant_period_that_is_not_published_says_which_are(small_db_path):
    publish(small_db_path)
    with pytest.raises(publication.PublicationError, match="no published grant period is called 'FY99'.*Winter"):
        publication.withdraw("FY99", who="sam", db_path=small_db_path)


# ------------------------------------------------------------------ a database from before agencies

OLD_LAYOUT = """
CREATE TABLE published_periods (name VARCHAR PRIMARY KEY, first_day DATE NOT NULL, end_day DATE NOT NULL,
                                published_at TIMESTAMPTZ NOT NULL, published_by VARCHAR NOT NULL);
INSERT INTO published_periods VALUES ('Winter grant 2023-24', DATE '2023-12-01', DATE '2024-03-01',
                                      TIMESTAMPTZ '2025-01-02 10:00:00+00', 'os:before');
"""


def with_old_layout(path) -> None:
    """published_periods as it was before grant periods belonged to an agency: no agency column."""
    con = db.connect(path)
    try:
        con.execute(OLD_LAYOUT)
    finally:
        con.close()


def test_a_grant_period_table_without_an_agency_column_reads_as_the_workspaces_own(small_db_path):
    with_old_layout(small_db_path)
    (g,) = grants(small_db_path)
    assert (g.name, g.first_month, g.last_month, g.published_by, g.agency) == \
        (WINTER[0], "2023-12", "2024-02", "os:before", "")
    assert release.is_published(WINTER_PERIOD, 7, grants(small_db_path))


def test_publishing_into_a_table_without_an_agency_column_keeps_its_grant_periods(small_db_path):
    with_old_layout(small_db_path)
    publish(small_db_path, name="Spring 2024", first="2024-03", last="2024-05")
    assert [(g.name, g.first_month) for g in grants(small_db_path)] == [("Spring 2024", "2024-03"),
                                                                       (WINTER[0], "2023-12")]
    publication.withdraw(WINTER[0], who="os:tester", db_path=small_db_path)
    assert [g.name for g in grants(small_db_path)] == ["Spring 2024"]
    con = db.connect(small_db_path, read_only=True)
    try:
        assert con.execute("SELECT agency, name FROM published_periods").fetchall() == [("", "Spring 2024")]
    finally:
        con.close()


# ------------------------------------------------------------------ the command line

def test_pmhc_period_publishes_lists_and_withdraws(small_db_path, capsys):
    db_arg = ["--db", str(small_db_path)]
    assert cli.main(["period", "publish", WINTER[0], "--from", WINTER[1], "--to", WINTER[2], *db_arg]) == 0
    assert "Published 'Winter grant 2023-24' (Dec 2023–Feb 2024)" in capsys.readouterr().out
    assert cli.main(["period", "list", *db_arg]) == 0
    assert capsys.readouterr().out.startswith("Winter grant 2023-24\t2023-12..2024-02\tpublished ")
    assert cli.main(["period", "withdraw", WINTER[0], *db_arg]) == 0
    assert cli.main(["period", "list", *db_arg]) == 0
    assert "No grant periods published" in capsys.readouterr().out


def test_pmhc_period_publish_of_days_inside_a_month_exits_2_naming_the_option(small_db_path, capsys):
    code = cli.main(["period", "publish", WINTER[0], "--from", "2023-12-15", "--to", "2024-02",
                     "--db", str(small_db_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("pmhc period publish: --from 2023-12-15: a grant period must start")
    assert "Traceback" not in err


def test_a_public_report_of_a_grant_period_is_refused_until_it_is_published(small_db_path, tmp_path, capsys):
    out = tmp_path / "winter.xlsx"
    args = ["report", "--from", WINTER[1], "--to", WINTER[2], "--format", "xlsx", "--out", str(out),
            "--db", str(small_db_path)]
    assert cli.main(args) == 2 and not out.exists()
    assert "not a published period" in capsys.readouterr().err
    publish(small_db_path)
    assert cli.main(args) == 0
    assert "Winter grant 2023-24" in capsys.readouterr().out
    wb = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))
    text = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert any("Winter grant 2023-24" in t for t in text), "the workbook names the grant period"


def public_figures(path, capsys, *extra) -> tuple[int, str, str]:
    code = cli.main(["figures", "--from", WINTER[1], "--to", WINTER[2], "--public", "--format", "json",
                     "--db", str(path), *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_pmhc_figures_public_is_refused_for_a_grant_period_that_is_not_published(small_db_path, capsys):
    code, out, err = public_figures(small_db_path, capsys)
    assert code == 2 and out == "" and "not a published period" in err and "without --public" in err


def test_pmhc_figures_public_of_a_grant_period_shows_no_count_from_1_to_10(small_db_path, capsys):
    publish(small_db_path)
    code, out, _ = public_figures(small_db_path, capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["release"].startswith("public") and doc["period"]["label"].startswith("Winter grant 2023-24")
    figs = doc["figures"]
    # a small count of a longer period says "suppressed", never "<11" (release.published)
    assert figs["bh_calls"]["value"] is None and figs["bh_calls"]["suppressed"] == "suppressed"
    for key, f in figs.items():
        if f["unit"] == "count" and f["value"] is not None:
            assert f["value"] == 0 or f["value"] >= 11, key
    assert not [k for k in figs if k.startswith("repeat_people")], "figures about people's repeat contacts"
    import re

    # coverage in words: "5 of 6 BH calls where it is recorded" would give small counts away
    assert not [f["coverage"] for f in figs.values() if f["coverage"] and re.search(r"\d+ of \d+", f["coverage"])]
    assert any(f["coverage"] for f in figs.values())


def test_pmhc_figures_without_public_stays_exact(small_db_path, capsys):
    code = cli.main(["figures", "--from", WINTER[1], "--to", WINTER[2], "--format", "json",
                     "--db", str(small_db_path)])
    figs = json.loads(capsys.readouterr().out)["figures"]
    assert code == 0 and 0 < figs["bh_calls"]["value"] < 11 and "suppressed" not in figs["bh_calls"]


# ------------------------------------------------------------------ comparisons with unpublished periods

def test_a_grant_periods_previous_period_is_not_published_so_no_change_is_shown(small_db_path):
    publish(small_db_path)
    con = db.connect(small_db_path, read_only=True)
    try:
        table = release.public_compare(con, metrics.Filters(WINTER_PERIOD), ["bh_calls", "calls_total"],
                                       load_agency(), rels={"previous": None, "year_ago": None})
    finally:
        con.close()
    for col in ("previous", "year_ago"):
        assert all(isinstance(v, Withheld) and v.display == NOT_PUBLISHED_TEXT for v in table[col])
    assert table["change_vs_previous"].isna().all() and table["change_vs_year_ago"].isna().all()


def test_a_public_report_of_a_grant_period_builds_no_release_of_the_unpublished_months_before_it(small_db_path):
    # Sep–Nov 2023 (the three months before the winter grant) is loaded but not published: a
    # release of it would be one more view to difference, so the report must not ask for one
    # (release.published refuses unpublished periods, so asking fails this test).
    from pmhc import reports

    publish(small_db_path)
    con = db.connect(small_db_path, read_only=True)
    cfg, cache, asked = load_agency(), {}, []

    def releases(f):
        asked.append(f.period)
        return release.published(con, f, cfg, cache=cache)

    try:
        data = reports.gather(con, metrics.Filters(WINTER_PERIOD), cfg, public=True, releases=releases)
    finally:
        con.close()
    assert (WINTER_PERIOD.start, WINTER_PERIOD.end) in {(p.start, p.end) for p in asked}
    assert all(h.change_vs_previous is None for h in data.headlines)


def test_no_change_against_an_unpublished_period_says_why():
    from pmhc import definitions
    from pmhc.reports import content

    row = pd.Series({"not_measured": "", "suppressed": False})
    fig = definitions.by_key()["calls_total"]
    assert content._no_change(row, None, fig, True, True, False) == \
        "that period is not a published period (no public figures)"


# ------------------------------------------------------------------ the dashboard

def run_app(role: str, params: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["role"] = role
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_public_viewer_picks_a_published_grant_period(small_db_path, monkeypatch):
    monkeypatch.setenv("PMHC_DEMO", "1")
    publish(small_db_path)
    at = run_app("public", {"period": "grant", "grant": WINTER[0]})
    assert "Grant period" in at.sidebar.radio[0].options
    assert at.sidebar.selectbox(key="flt_grant").value == WINTER[0]
    assert "Winter grant 2023-24" in at.caption[0].value
    assert not at.sidebar.warning
    assert at.query_params["period"] == "grant" and at.query_params["grant"] == WINTER[0]  # a link to share
    notes = " ".join(c.value for c in at.caption)
    assert "No change vs Sep 2023–Nov 2023: it is not a published period" in notes


def test_without_a_published_grant_period_the_filter_bar_offers_none(small_db_path, monkeypatch):
    monkeypatch.setenv("PMHC_DEMO", "1")
    at = run_app("public", {"period": "grant", "grant": WINTER[0]})
    assert "Grant period" not in at.sidebar.radio[0].options
    assert any("period=grant" in w.value for w in at.sidebar.warning)


def test_a_public_month_range_that_is_a_published_grant_period_shows_that_grant_period(small_db_path, monkeypatch):
    monkeypatch.setenv("PMHC_DEMO", "1")
    publish(small_db_path)
    at = run_app("public", {"period": "months", "from": WINTER[1], "to": WINTER[2]})
    assert "Winter grant 2023-24" in at.caption[0].value
    assert not any("Public figures are published for" in c.value for c in at.sidebar.caption)


def test_the_reports_page_builds_a_public_workbook_of_a_published_grant_period(small_db_path, monkeypatch):
    monkeypatch.setenv("PMHC_DEMO", "1")
    publish(small_db_path)
    at = AppTest.from_file(str(ROOT / "pages" / "reports.py"), default_timeout=180)
    at.session_state["role"] = "public"
    for k, v in {"period": "grant", "grant": WINTER[0]}.items():
        at.query_params[k] = v
    at.run()
    assert not [w.value for w in at.warning if "not a published period" in w.value]
    at.button(key="reports_build_xlsx").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [b.label for b in at.get("download_button")] == ["Download the workbook"]


def open_data_page(path: Path) -> AppTest:
    from pmhc import auth

    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=120)
    at.session_state[auth.SESSION_KEY] = {"user": "alex", "role": "admin", "method": "local"}
    at.session_state[auth.SEEN_KEY] = auth.clock()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_an_administrator_publishes_a_grant_period_on_the_data_page(small_db_path, monkeypatch):
    monkeypatch.delenv("PMHC_DEMO", raising=False)
    at = open_data_page(small_db_path)
    at.text_input(key="data_period_name").input(WINTER[0])
    at.text_input(key="data_period_from").input(WINTER[1])
    at.text_input(key="data_period_to").input(WINTER[2])
    at.button(key="FormSubmitter:data_publish_period-Publish").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    done = [s.value.replace("\\", "") for s in at.success]  # as typed, escaped for Markdown
    assert any("Published Winter grant 2023-24 (Dec 2023–Feb 2024)" in s for s in done), \
        done + [e.value for e in at.error]
    assert [g.name for g in grants(small_db_path)] == [WINTER[0]]
    events = audit.read(path=audit.log_path(small_db_path))
    assert events[events["action"] == "period_published"][["who", "role"]].values.tolist() == [["alex", "admin"]]


def test_the_data_page_names_the_field_of_a_grant_period_that_is_not_whole_months(small_db_path, monkeypatch):
    monkeypatch.delenv("PMHC_DEMO", raising=False)
    at = open_data_page(small_db_path)
    at.text_input(key="data_period_name").input(WINTER[0])
    at.text_input(key="data_period_from").input("2023-12-15")
    at.text_input(key="data_period_to").input(WINTER[2])
    at.button(key="FormSubmitter:data_publish_period-Publish").click()
    at.run()
    (error,) = [e.value.replace("\\", "") for e in at.error]  # as typed, escaped for Markdown
    assert error.startswith("First month 2023-12-15: a grant period must start on the first day of a month")
    assert grants(small_db_path) == []
