"""The Program evaluation page in Streamlit's AppTest: on the committed sample it shows what the data
can support, the time-series estimate with its interval and the staggered design's event study;
on a series too short it refuses instead of showing a number; the public sees no small
monthly count drawn."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import numpy as np
import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest

from pmhc import access, db, importer
from pmhc.config import SAMPLE_DIR

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("eval_page") / "sample.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PMHC_CONFIG_DIR", str(ROOT / "config"))
        mp.setenv("PMHC_PERSON_KEY_SECRET", "test-secret-not-for-real-data")
        con = db.connect(path)
        for t in ("calls", "encounters", "arrests"):
            importer.import_file(con, SAMPLE_DIR / f"{t}.csv.gz")
        con.close()
    return path


def open_evaluation(role: str = "analyst", outcome: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["role"] = role
    at.run()
    at.switch_page(access.page("evaluation").path)
    at.run()
    if outcome:
        at.selectbox(key="eval_outcome").set_value(outcome)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def on_sample(sample_db, monkeypatch):
    monkeypatch.setenv("PMHC_DB", str(sample_db))
    monkeypatch.setenv("PMHC_DEMO", "1")
    monkeypatch.setenv("PMHC_CONFIG_DIR", str(ROOT / "config"))


def values(array) -> list:
    """Plotly JSON arrays arrive either as lists or base64 ("bdata") with a dtype."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def metrics_of(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_page_shows_the_support_the_estimate_and_its_interval_on_the_sample(on_sample):
    at = open_evaluation()
    values = metrics_of(at)
    assert values["Months before the start"] == "14" and values["Months after the start"] == "22"
    assert values["Change over the months after the start"].startswith("-")
    captions = "\n".join(c.value for c in at.caption)
    assert "Series: D1, D2, 2023-01 to 2025-12." in captions  # the districts that started in March 2024
    assert "Pre-trend test (event-study pre-period" in captions
    assert "95% interval" in captions
    assert "Effect in districts after their start" in values


def test_the_page_draws_the_counterfactual_band_and_the_event_study(on_sample):
    at = open_evaluation()
    figs = [pio.from_json(c.proto.spec) for c in at.get("plotly_chart")]
    names = {t.name for f in figs for t in f.data}
    assert {"Observed", "Fitted model", "Without the program (counterfactual)", "Counterfactual, 95% band"} <= names
    (event,) = [f for f in figs if "quarter" in f.layout.title.text]
    assert min(values(event.data[0].x)) < -1  # pre-period coefficients are drawn


def test_an_outcome_only_the_co_responder_log_records_is_refused_on_the_page(on_sample):
    at = open_evaluation(outcome="Involuntary holds")
    assert any("No estimate." in e.value and "co-responder log" in e.value for e in at.error)
    assert "Change over the months after the start" not in metrics_of(at)


def test_the_public_sees_no_monthly_count_under_the_threshold_drawn(on_sample):
    at = open_evaluation(role="public")
    (its,) = [pio.from_json(c.proto.spec) for c in at.get("plotly_chart")
              if "per month" in pio.from_json(c.proto.spec).layout.title.text]
    (observed,) = [t for t in its.data if t.name == "Observed"]
    ys = values(observed.y)
    drawn = [v for v in ys if v is not None and not np.isnan(v)]
    assert drawn and all(v >= 11 for v in drawn)
    assert len(drawn) < len(ys)  # some months of the two districts are under 11


def test_the_page_refuses_a_series_too_short_to_estimate(small_db_path, monkeypatch, tmp_path):
    config = tmp_path / "config"
    shutil.copytree(ROOT / "tests" / "fixtures" / "small" / "config", config)
    (config / "milestones.csv").write_text("date,label\n2024-02-01,Co-responder program launches\n")
    monkeypatch.setenv("PMHC_CONFIG_DIR", str(config))
    monkeypatch.setenv("PMHC_DEMO", "1")
    at = open_evaluation()
    (error,) = [e.value for e in at.error]
    assert "No estimate." in error and "Too few months before the start to estimate" in error
    assert not [m for m in at.metric if "Change" in m.label]
    assert any("No district rollout dates" in i.value for i in at.info)
