"""Settings files are checked by one layer (pmhc.config): agency settings, unit-cost
assumptions and mapping profiles fail with one line naming the file, the key and what is
allowed; every TOML file the program writes is written by tomli-w and reads back equal."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pmhc import auth, cli, config, metrics, profiles, schema

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_ASSUMPTIONS = ROOT / "config" / "assumptions.toml"


def agency(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agency.toml"
    path.write_text(text, encoding="utf-8")
    return path


def agency_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(config.SettingsError) as e:
        config.load_agency(agency(tmp_path, text))
    return str(e.value)


# ------------------------------------------------------------------ config/agency.toml

def test_shipped_agency_settings_load_unchanged():
    cfg = config.load_agency(ROOT / "config" / "agency.toml")
    assert (cfg.timezone, cfg.fiscal_year_start_month, cfg.suppression_threshold) == ("America/New_York", 7, 11)
    assert cfg.dispositions == ()  # the sample keeps its clinician log; no call-level outcomes


def test_time_zone_is_checked_with_zoneinfo_and_a_near_name_is_suggested(tmp_path):
    msg = agency_error(tmp_path, 'timezone = "America/New_Yrok"\n')
    assert msg.startswith(f"{tmp_path / 'agency.toml'}: timezone: ")
    assert "did you mean 'America/New_York'" in msg


def test_unknown_agency_setting_names_the_allowed_keys(tmp_path):
    msg = agency_error(tmp_path, "[privacy]\nthreshold = 5\n")
    assert "[privacy] threshold: unknown setting (did you mean 'suppression_threshold'?); allowed here: suppression_threshold, unstable_numerator" in msg


def test_the_import_window_section_the_readme_documents_is_accepted(tmp_path):
    from datetime import date

    from pmhc.value_rules import date_window

    cfg = config.load_agency(agency(tmp_path, '[import]\nearliest_date = "1985-01-01"\n'))
    assert date_window(cfg, today=date(2026, 1, 1))[0] == date(1985, 1, 1)


def test_a_currency_that_is_not_a_three_letter_code_is_refused(tmp_path):
    assert "is not a currency code" in agency_error(tmp_path, '[locale]\ncurrency = "dollars"\n')


def test_a_currency_code_without_a_known_symbol_is_written_before_amounts(tmp_path):
    cfg = config.load_agency(agency(tmp_path, '[locale]\ncurrency = "brl"\n'))
    assert (cfg.currency, cfg.currency_symbol, cfg.currency_name) == ("BRL", "BRL ", "BRL")


def test_fiscal_year_month_outside_1_to_12_is_refused(tmp_path):
    assert "fiscal_year_start_month: Input should be less than or equal to 12 (got 13)" in agency_error(
        tmp_path, "fiscal_year_start_month = 13\n")


def test_disposition_map_outcome_must_be_a_call_outcome(tmp_path):
    msg = agency_error(tmp_path, '[dispositions]\nARR = "arested"\n')
    assert "[dispositions] ARR:" in msg
    for value in schema.CALL_OUTCOMES:
        assert f"'{value}'" in msg


def test_disposition_codes_match_in_any_case_and_may_not_repeat(tmp_path):
    cfg = config.load_agency(agency(tmp_path, '[dispositions]\n" Arr " = "Arrest"\nRPT = "unknown"\n'))
    assert cfg.dispositions == (("arr", "arrest"), ("rpt", "unknown"))
    assert "listed twice" in agency_error(tmp_path, '[dispositions]\nARR = "arrest"\narr = "arrest"\n')


def test_disposition_rule_is_stated_in_words(tmp_path):
    cfg = config.load_agency(agency(tmp_path, '[dispositions]\nMH = "involuntary_hold"\n'))
    assert "MH → Involuntary / emergency hold" in cfg.disposition_rule
    assert "No disposition map is configured" in config.AgencyConfig().disposition_rule


def test_invalid_toml_is_one_line_naming_the_file(tmp_path):
    msg = agency_error(tmp_path, "name = \n")
    assert msg.startswith(f"{tmp_path / 'agency.toml'}: not valid TOML")


# ------------------------------------------------------------------ config/assumptions.toml

def test_a_misspelled_cost_names_the_file_and_the_cost_it_means(tmp_path):
    path = tmp_path / "assumptions.toml"
    path.write_text(SHIPPED_ASSUMPTIONS.read_text().replace("[ed_visit]", "[ed_vist]"))
    with pytest.raises(config.SettingsError, match=r"assumptions.toml: ed_vist: unknown setting \(did you mean 'ed_visit'\?\)"):
        metrics.load_assumptions(path)


def test_a_cost_the_file_does_not_set_is_absent_not_zero(tmp_path):
    path = tmp_path / "assumptions.toml"
    text = SHIPPED_ASSUMPTIONS.read_text()
    path.write_text(text[:text.index("[program_cost_annual]")])
    loaded = metrics.load_assumptions(path)
    assert "program_cost_annual" not in loaded and loaded["officer_hour"].value == 85.0


def test_a_cost_section_without_its_source_names_the_missing_key(tmp_path):
    path = tmp_path / "assumptions.toml"
    path.write_text("[officer_hour]\nvalue = 90.0\nyear = 2025\n")
    with pytest.raises(config.SettingsError, match=r"\[officer_hour\] source: is missing"):
        metrics.load_assumptions(path)


def test_assumption_of_the_wrong_kind_names_its_key(tmp_path):
    path = tmp_path / "assumptions.toml"
    path.write_text(SHIPPED_ASSUMPTIONS.read_text().replace("value = 450.0", "value = -450.0"))
    with pytest.raises(config.SettingsError, match=r"\[jail_booking\] value: Input should be greater than or equal to 0"):
        metrics.load_assumptions(path)


# ------------------------------------------------------------------ one TOML writer

def test_assumptions_are_written_by_tomli_w_and_read_back_equal(tmp_path):
    base = metrics.load_assumptions(SHIPPED_ASSUMPTIONS)
    tricky = base.with_values(officer_hour=91.5)
    tricky["officer_hour"] = tricky["officer_hour"].__class__(**{**tricky["officer_hour"].__dict__,
                                                               "source": 'Payroll "FY24" C:\\budget'})
    path = metrics.save_assumptions(tricky, tmp_path / "assumptions.toml")
    assert path.read_text().startswith("# Unit costs")
    assert metrics.load_assumptions(path)["officer_hour"].source == 'Payroll "FY24" C:\\budget'


def test_accounts_are_written_by_tomli_w_and_read_back_equal(tmp_path):
    accounts = auth.Accounts({'o"brien': auth.User('o"brien', "admin", "scrypt$x$y", "2024-01-01")},
                             {"chief@city.gov": "public"})
    path = auth.save_accounts(accounts, tmp_path / "users.toml")
    assert auth.load_accounts(path) == accounts
    assert tomllib.loads(path.read_text())["roles"] == {"chief@city.gov": "public"}


def test_draft_profile_quotes_export_headers_with_tomli_w():
    draft = profiles.draft_from_header(['Incident "No"', "Date\\Time"], "calls", "cad.csv")
    assert 'name = "Draft: cad.csv"' in draft
    assert '#   "Incident \\"No\\"" → ' in draft
    tomllib.loads(draft)  # the draft itself is valid TOML


def test_toml_value_is_the_tomli_w_rendering():
    assert config.toml_value('a "b" \\ c') == '"a \\"b\\" \\\\ c"'
    assert tomllib.loads(f"v = {config.toml_value(['x', 1])}") == {"v": ["x", 1]}


# ------------------------------------------------------------------ errors at the command line

def test_cli_reports_a_broken_profile_in_one_line_without_a_traceback(tmp_path, capsys):
    bad = tmp_path / "mine.toml"
    bad.write_text('table = "encounters"\n[columns]\nencounter_id = "ID"\nencounter_date = "Date"\n'
                   '[constants]\nresponder_type = ""\ncontact_type = "on_scene"\nperson_key = ""\n'
                   'call_id = ""\noutcome = ""\n')
    export = tmp_path / "log.csv"
    export.write_text("ID,Date\nE1,2024-01-01\n")
    rc = cli.main(["import", "--db", str(tmp_path / "x.duckdb"), "--profile", str(bad), str(export)])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{bad}: [constants] responder_type: responder_type cannot be empty" in err
    assert "patrol_officer" in err and "unknown" in err


# ------------------------------------------------------------------ profiles go through the same layer

PROFILE = {"table": "calls", "columns": {"call_id": "I", "received_at": "W", "call_type": "T", "district": "D",
                                         "co_responder_present": "C"}}


@pytest.mark.parametrize("change, message", [
    ({"flags": {"outcome": {"order": [{"column": "Arrested"}]}}}, "[flags.outcome] order[1].value: is missing; add it"),
    ({"flags": {"outcome": {"order": [{"column": "A", "value": "arrest", "weight": 2}]}}},
     "[flags.outcome] order[1].weight: unknown setting; allowed here: column, value"),
    ({"datetimes": {"received_at": {"date": "D", "date_fmt": "%Y"}}},
     "[datetimes.received_at] date_fmt: unknown setting (did you mean 'date_format'?); allowed here: date, "
     "date_format, time, time_format, if_time_missing"),
    ({"collapse": {"key": "call_id", "precedence": {"outcome": 5}}},
     "[collapse.precedence] outcome: must be a string or a list of strings (got 5)"),
    ({"null_values": [1]}, "null_values: must be a string or a list of strings"),
])
def test_a_profile_of_the_wrong_shape_names_the_toml_key(change, message):
    with pytest.raises(profiles.ProfileError) as e:
        profiles.from_dict(PROFILE | change, Path("profiles/x.toml"))
    assert str(e.value) == f"profiles/x.toml: {message}"


def test_a_shape_error_in_a_table_section_names_the_section():
    raw = {"name": "x", "calls": {k: v for k, v in PROFILE.items() if k != "table"} | {"constants": {"beat": [1]}}}
    with pytest.raises(profiles.ProfileError, match=r"^p.toml: \[calls.constants\] beat: must be a string or true or "
                                                    "false or a whole number or a number$"):
        profiles.from_dict(raw, Path("p.toml"))
