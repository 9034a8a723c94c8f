"""The assumptions file: an administrator's save round-trips, keeps sources, refuses bad ranges."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pmhc import metrics
from pmhc.config import ROOT

SHIPPED = ROOT / "config" / "assumptions.toml"


def test_a_saved_file_loads_back_to_the_same_assumptions(tmp_path):
    edited = metrics.load_assumptions(SHIPPED).with_values(officer_hour=91.5)
    path = metrics.save_assumptions(edited, tmp_path / "assumptions.toml")
    assert metrics.load_assumptions(path) == edited


def test_a_saved_value_keeps_its_source_and_year(tmp_path):
    base = metrics.load_assumptions(SHIPPED)
    edited = metrics.Assumptions(base)
    edited["ed_visit"] = replace(base["ed_visit"], value=2500.0, source='County "hospital" report', year=2026)
    loaded = metrics.load_assumptions(metrics.save_assumptions(edited, tmp_path / "a.toml"))
    assert (loaded["ed_visit"].value, loaded["ed_visit"].source, loaded["ed_visit"].year) == (
        2500.0, 'County "hospital" report', 2026)


def test_saving_a_value_outside_its_range_is_refused_and_leaves_the_file(tmp_path):
    path = tmp_path / "a.toml"
    path.write_bytes(SHIPPED.read_bytes())
    base = metrics.load_assumptions(path)
    bad = metrics.Assumptions(base)
    bad["jail_booking"] = replace(base["jail_booking"], value=10.0, low=250.0)
    with pytest.raises(ValueError, match=r"\[jail_booking\] needs 0 ≤ low ≤ value ≤ high"):
        metrics.save_assumptions(bad, path)
    assert path.read_bytes() == SHIPPED.read_bytes()


def test_saving_a_value_without_a_source_is_refused(tmp_path):
    base = metrics.load_assumptions(SHIPPED)
    bad = metrics.Assumptions(base)
    bad["officer_hour"] = replace(base["officer_hour"], source="  ")
    with pytest.raises(ValueError, match=r"\[officer_hour\] needs a source"):
        metrics.save_assumptions(bad, tmp_path / "a.toml")


def test_a_saved_file_changes_the_savings_estimate(small_con, tmp_path, monkeypatch):
    from tests.helpers import JAN_FEB

    base = metrics.load_assumptions()
    before = metrics.savings(small_con, JAN_FEB, base)["net_cost_avoidance"]
    cheaper = base.with_values(program_cost_annual=base["program_cost_annual"].value - 1200.0)
    path = metrics.save_assumptions(cheaper, tmp_path / "assumptions.toml")
    after = metrics.savings(small_con, JAN_FEB, metrics.load_assumptions(path))["net_cost_avoidance"]
    # Program cost is prorated by days (annual cost ÷ 365): Jan–Feb 2024 is 60 days.
    assert after - before == pytest.approx(1200.0 * 60 / 365)
