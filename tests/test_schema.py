"""The canonical model is declared once (pmhc/schema.py); the README shows it as declared."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmhc import schema

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.parametrize("name", list(schema.TABLES))
def test_readme_data_model_table_is_the_schema(name):
    table = schema.TABLES[name]
    assert f"### `{name}` — {table.meaning}\n\n{schema.markdown_table(table)}\n\n" in README.read_text()


def test_responder_types_name_police_only_and_unknown_responses():
    assert {"patrol_officer", "unknown"} <= set(schema.RESPONDER_TYPES)
    assert schema.RESPONDER_TYPES[:4] == ("clinician_liaison", "counseling_intern", "cit_officer", "follow_up_team")


def test_call_outcomes_are_the_contact_outcomes_plus_unknown():
    assert schema.CALLS.column("outcome").values == schema.OUTCOMES + ("unknown",)
    assert schema.ENCOUNTERS.column("outcome").values == schema.OUTCOMES
