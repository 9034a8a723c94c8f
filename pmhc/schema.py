"""The canonical data model: the one contract between exports, imports, SQL and pages.

Every import (canonical CSV or a mapped agency export) ends in these three tables.
Columns are declared once here; the DDL, the validator, the README table and the
sample generator all read this module, so a column cannot mean two things.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Controlled vocabularies. Values outside these lists are quarantined on canonical
# import; mapped imports (profiles) put unmapped codes in UNMAPPED instead so the
# figures can show them.
UNMAPPED = "unmapped"

# Who made a contact. `patrol_officer` (police-only response, no CIT training or clinician
# named) and `unknown` let a profile say what the export says and no more: it never has to
# claim a CIT officer or a clinician the data does not name. New values go at the end (the
# sample generator indexes this tuple).
RESPONDER_TYPES = ("clinician_liaison", "counseling_intern", "cit_officer", "follow_up_team",
                   "patrol_officer", "unknown")
CONTACT_TYPES = ("on_scene", "follow_up", "referral")
OUTCOMES = (
    "resolved_on_scene",
    "referred_outpatient",
    "crisis_center",
    "voluntary_ed",
    "involuntary_hold",
    "arrest",
    "refused_unable_to_contact",
)
# How a call ended (calls.outcome): the contact outcomes plus `unknown`, for agencies whose
# only record is CAD (a disposition code, or Yes/No outcome flags on each call). Set by a
# profile (a value map or [flags] on the export) or by the agency's disposition map
# (config/agency.toml [dispositions]); see queries/models.sql :: call_facts.
UNKNOWN = "unknown"
CALL_OUTCOMES = OUTCOMES + (UNKNOWN,)
CHARGE_LEVELS = ("felony", "misdemeanor", "violation", "warrant", "other")

# Groups the figures count by, defined once here. The import writes them to the table
# `vocabulary_groups` (pmhc.db.write_groups) and queries/*.sql read them from there
# (`outcome IN (SELECT value FROM vocabulary_groups WHERE grp = 'care')`).
CARE_OUTCOMES = ("referred_outpatient", "crisis_center", "voluntary_ed")
DIVERTED_OUTCOMES = ("resolved_on_scene",) + CARE_OUTCOMES
ED_OR_HOLD_OUTCOMES = ("voluntary_ed", "involuntary_hold")  # an ED transport, for the savings estimate
NOT_REACHED_OUTCOMES = ("refused_unable_to_contact",)  # a follow-up that did not reach the person
CO_RESPONDER_TYPES = ("clinician_liaison", "counseling_intern")  # the co-responders
CIT_ONLY_TYPES = ("cit_officer",)  # CIT officers responding without a clinician
GROUPS: dict[tuple[str, str], tuple[str, ...]] = {
    ("outcome", "diverted"): DIVERTED_OUTCOMES,
    ("outcome", "care"): CARE_OUTCOMES,
    ("outcome", "ed_or_hold"): ED_OR_HOLD_OUTCOMES,
    ("outcome", "not_reached"): NOT_REACHED_OUTCOMES,
    ("responder_type", "co_responder"): CO_RESPONDER_TYPES,
    ("responder_type", "cit_only"): CIT_ONLY_TYPES,
}

LABELS = {
    "clinician_liaison": "Clinician liaison",
    "counseling_intern": "Counseling intern",
    "cit_officer": "CIT officer",
    "follow_up_team": "Follow-up team",
    "patrol_officer": "Patrol officer (police only)",
    "on_scene": "On scene",
    "follow_up": "Follow-up",
    "referral": "Referral",
    "resolved_on_scene": "Resolved on scene",
    "referred_outpatient": "Referred to outpatient care",
    "crisis_center": "Crisis center",
    "voluntary_ed": "Voluntary ED / hospital",
    "involuntary_hold": "Involuntary / emergency hold",
    "arrest": "Arrest",
    "refused_unable_to_contact": "Refused / unable to contact",
    "unknown": "Unknown (not recorded)",
    UNMAPPED: "Unmapped code",
}


def label(value: object) -> str:
    """Human label for a vocabulary value, in the agency's words where it renamed it
    ([terminology], pmhc.present.value_label); unknown values pass through unchanged."""
    if value is None:
        return LABELS["unknown"]
    if str(value) not in LABELS:
        return str(value)
    from .present import value_label

    return value_label(str(value), LABELS[str(value)])


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type: VARCHAR, INTEGER, DOUBLE, BOOLEAN, DATE, TIMESTAMPTZ
    required: bool  # must be present in the file header
    nullable: bool  # may be empty in a row
    meaning: str
    values: tuple[str, ...] = ()  # controlled vocabulary, if any


@dataclass(frozen=True)
class Table:
    name: str
    key: str
    columns: tuple[Column, ...]
    meaning: str
    derived: tuple[Column, ...] = field(default=())  # computed at import, never in files

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_names(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns + self.derived:
            if c.name == name:
                return c
        raise KeyError(name)


CALLS = Table(
    name="calls",
    key="call_id",
    meaning="CAD calls for service, one row per call.",
    columns=(
        Column("call_id", "VARCHAR", True, False, "CAD incident number; unique per agency."),
        Column("received_at", "TIMESTAMPTZ", True, False,
               "When the call was received. ISO 8601; a value without an offset is read in the agency time zone."),
        Column("call_type", "VARCHAR", True, False, "CAD call type / nature code as exported."),
        Column("priority", "INTEGER", False, True, "Dispatch priority (1 = most urgent)."),
        Column("district", "VARCHAR", True, True, "Patrol district; empty = Unknown."),
        Column("beat", "VARCHAR", False, True, "Patrol beat within the district."),
        Column("bh_flag", "BOOLEAN", False, True,
               "Explicit behavioral-health flag from CAD; when empty the call-type list decides."),
        Column("on_scene_at", "TIMESTAMPTZ", False, True, "First unit on scene."),
        Column("cleared_at", "TIMESTAMPTZ", False, True, "Last unit cleared."),
        Column("officer_minutes", "DOUBLE", False, True, "Sum of officer minutes committed to the call (all units)."),
        Column("co_responder_present", "BOOLEAN", True, True, "A clinician or counseling intern responded with officers."),
        Column("cit_officer_present", "BOOLEAN", False, True, "At least one CIT-trained officer was on scene."),
        Column("disposition", "VARCHAR", False, True, "CAD disposition code as exported."),
        Column("use_of_force", "BOOLEAN", False, True, "Force was used (where the agency records it)."),
        Column("outcome", "VARCHAR", False, True,
               "How the call ended, when the export records it on the call (Yes/No flags, a mapped disposition); "
               "empty = unknown, and then the agency's disposition map (config/agency.toml [dispositions]) "
               "reads it from the disposition code.", CALL_OUTCOMES),
        Column("outcomes_recorded", "VARCHAR", False, True,
               "Outcomes the export states yes or no for on this call, comma-separated, when it records only "
               "some (a Yes/No 'apprehension made' flag records involuntary_hold and nothing else); empty = every "
               "outcome, when the outcome is given. A figure built on outcomes the export never records is not "
               "measured."),
        Column("received_time_known", "BOOLEAN", False, True,
               "false when the export gave the day of the call but not its time (an NA hour); empty = known."),
    ),
    derived=(
        Column("is_bh", "BOOLEAN", False, False,
               "Behavioral-health call: bh_flag when given, else call_type is in the agency's BH call-type list."),
        Column("received_local", "TIMESTAMP", False, False, "received_at in the agency time zone (wall clock)."),
    ),
)

ENCOUNTERS = Table(
    name="encounters",
    key="encounter_id",
    meaning="Co-responder / clinician log: one row per contact with a person.",
    columns=(
        Column("encounter_id", "VARCHAR", True, False, "Unique id of the contact in the co-responder log."),
        Column("call_id", "VARCHAR", True, True, "CAD call the contact belongs to; empty for follow-ups and referrals."),
        Column("encounter_date", "DATE", True, False, "Date of the contact (agency time zone), YYYY-MM-DD."),
        Column("responder_type", "VARCHAR", True, False, "Who made the contact.", RESPONDER_TYPES),
        Column("person_key", "VARCHAR", True, True,
               "Pseudonymous person identifier (replaced by a keyed hash at import); empty = unidentified."),
        Column("contact_type", "VARCHAR", True, False, "Kind of contact.", CONTACT_TYPES),
        Column("outcome", "VARCHAR", True, True, "How the contact ended; empty = unknown.", OUTCOMES),
        Column("referral_agency", "VARCHAR", False, True, "Agency the person was referred to."),
        Column("minutes", "DOUBLE", False, True, "Responder minutes spent on the contact."),
    ),
)

ARRESTS = Table(
    name="arrests",
    key="arrest_id",
    meaning="RMS / booking records: one row per arrest.",
    columns=(
        Column("arrest_id", "VARCHAR", True, False, "RMS arrest number."),
        Column("call_id", "VARCHAR", True, True, "CAD call that led to the arrest; empty when not linked."),
        Column("person_key", "VARCHAR", True, True, "Pseudonymous person identifier (keyed hash at import)."),
        Column("arrested_at", "TIMESTAMPTZ", True, False, "Time of arrest (ISO 8601, agency time zone if no offset)."),
        Column("top_charge", "VARCHAR", False, True, "Most serious charge, as exported."),
        Column("charge_level", "VARCHAR", False, True, "Level of the top charge.", CHARGE_LEVELS),
        Column("booked", "BOOLEAN", False, True, "Person was booked into jail."),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (CALLS, ENCOUNTERS, ARRESTS)}

# Boolean spellings accepted on canonical import (case-insensitive).
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")


def table_for_header(header: list[str]) -> Table | None:
    """Which canonical table a file is, by its key column (documented rule, not a guess).

    encounter_id -> encounters; else arrest_id -> arrests; else call_id -> calls.
    """
    cols = {h.strip().lower() for h in header}
    if "encounter_id" in cols:
        return ENCOUNTERS
    if "arrest_id" in cols:
        return ARRESTS
    if "call_id" in cols:
        return CALLS
    return None


def markdown_table(table: Table) -> str:
    """The README's table of a canonical table's columns (a test keeps README.md equal to it)."""
    lines = ["| column | type | required column | may be empty | meaning |", "|---|---|---|---|---|"]
    for c in table.columns:
        vocab = f" One of: {', '.join(f'`{v}`' for v in c.values)}." if c.values else ""
        lines.append(f"| `{c.name}` | {c.type} | {'yes' if c.required else 'no'} | {'yes' if c.nullable else 'no'} "
                     f"| {c.meaning}{vocab} |")
    for c in table.derived:
        lines.append(f"| `{c.name}` | {c.type} | derived | no | {c.meaning} |")
    return "\n".join(lines)
