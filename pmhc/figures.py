"""The figure registry: every figure the dashboard, the exports and the public release
know, declared once.

A figure says what it is (label, kind, counting unit), where its value comes from (a
named query in queries/*.sql and the column of it), how a rate is built (numerator and
denominator keys), which counts a rate or estimate is built on (so the public release
hides it with them), what data it needs (its `inputs`, so a selection without them says
"not measured" instead of 0) and, in plain language, what it means. Everything else is
derived from this list: the prose of `pmhc.definitions`, the cells and relations of the
public release (`pmhc.release`), the value of a figure on an empty selection
(`empty_value`), the Methodology page, the grant table and `pmhc figures`.

Figures with `shown=False` are the counts and intermediate values other figures are
built from (e.g. BH calls without a co-responder): the release must know them to check
the rates the public sees, but no page lists them as figures of their own.

Adding a figure: declare it here, return its column from one named query, test it by
hand on a small fixture (README, "Adding a figure").

Longer than other modules by design: it is a catalogue, one declaration per figure
(about seventy with the building blocks), and splitting it would put a figure's
definition in one file and its inputs or suppression relations in another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import sql

# ------------------------------------------------------------------ what a figure needs

KINDS = ("count", "distinct count", "rate", "duration", "money")


@dataclass(frozen=True)
class Input:
    """Data a figure needs. `column` empty = rows of `table` in the selection;
    `over` names the rows a column is counted over (coverage "of N BH calls")."""

    name: str
    table: str  # calls | encounters | arrests | assumptions
    column: str  # canonical column (or assumption key); "" = the table's rows
    label: str  # in words, for the reason line
    over: str = ""  # rows the column is checked on, e.g. "BH calls"
    # What an empty value counts as, where the figure counts every row rather than only the
    # recorded ones (the coverage note then says so instead of "computed over the part").
    empty_means: str = ""


INPUTS: dict[str, Input] = {i.name: i for i in (
    Input("calls", "calls", "", "CAD calls"),
    Input("co_responder", "calls", "co_responder_present", "co-responder field", "BH calls"),
    Input("cit_officer", "calls", "cit_officer_present", "CIT-officer field", "BH calls"),
    Input("officer_minutes", "calls", "officer_minutes", "officer-minutes field", "BH calls"),
    Input("on_scene_time", "calls", "on_scene_at, cleared_at", "on-scene and cleared times", "BH calls"),
    Input("use_of_force", "calls", "use_of_force", "use-of-force field", "BH calls"),
    Input("contacts", "encounters", "", "co-responder contacts (clinician log)"),
    Input("contact_outcome", "encounters", "outcome", "contact outcome", "contacts"),
    Input("person_key", "encounters", "person_key", "person identifier", "contacts"),
    Input("contact_minutes", "encounters", "minutes", "responder minutes", "contacts"),
    Input("comparison_contacts", "encounters", "responder_type",
          "on-scene contacts with a known outcome by both co-responders and CIT officers only"),
    Input("arrests", "arrests", "", "arrest records"),
    # arrest records from a crisis export (a profile's [arrests.where]) do not say whether
    # the person was booked: the booked share is then not measured, never 0 %
    Input("booked", "arrests", "booked", "booked field", "arrest records", empty_means="not booked"),
    Input("unit_costs", "assumptions", "jail_booking, jail_bed_day, average_jail_stay_days, ed_visit, "
          "ambulance_transport, officer_hour", "unit costs"),
    Input("program_cost", "assumptions", "program_cost_annual", "annual program cost"),
    # outcomes recorded on the call (queries/models.sql :: call_outcome_facts), for agencies
    # whose only record is CAD: the BH calls on which the export records each outcome
    Input("call_outcome", "calls", "outcome", "call outcome (disposition code or outcome flag)", "BH calls"),
    Input("call_diversion", "calls", "outcome", "call outcome bearing on diversion", "BH calls"),
    Input("call_care", "calls", "outcome", "call outcome bearing on connection to care", "BH calls"),
    Input("call_hold", "calls", "outcome", "involuntary-hold (apprehension) outcome on the call", "BH calls"),
    Input("call_arrest", "calls", "outcome", "arrest outcome on the call", "BH calls"),
)}


@dataclass(frozen=True)
class CallSource:
    """Where a contact (or arrest-record) figure is read from when the selection has no
    clinician log (or no arrest records) but the calls record their outcome: a column of
    queries/call_outcomes.sql :: outcomes_from_calls, counted over BH calls."""

    column: str  # the query's column
    measured: str  # its column counting the BH calls the figure is measured on
    input: str  # key of INPUTS: without it the figure is not measured
    label: str  # the figure's label when counted on calls
    definition: str


# Contact figures reported from the calls when no clinician log exists for the selection.
FROM_CALLS: dict[str, CallSource] = {
    "known_outcome_contacts": CallSource(
        "bh_calls_outcome_known", "bh_calls", "call_outcome", "BH calls with a known outcome",
        "BH calls whose disposition or outcome flags give a mapped outcome."),
    "unknown_outcome_contacts": CallSource(
        "bh_calls_outcome_unknown", "bh_calls", "call_outcome", "BH calls with unknown outcome",
        "BH calls whose disposition is empty, unmapped or says nothing about the outcome."),
    "diverted_contacts": CallSource(
        "diverted_calls", "diversion_measured", "call_diversion", "Diverted BH calls",
        "BH calls whose recorded outcome is resolved on scene or a connection to care, without arrest."),
    "diversion_rate": CallSource(
        "call_diversion_rate", "diversion_measured", "call_diversion", "Diversion rate",
        "Diverted BH calls ÷ BH calls whose recorded outcome bears on diversion."),
    "care_connections": CallSource(
        "care_connected_calls", "care_measured", "call_care", "BH calls connected to care",
        "BH calls whose recorded outcome is a referral to outpatient care, a crisis center or a voluntary ED visit."),
    "connection_to_care_rate": CallSource(
        "call_connection_to_care_rate", "care_measured", "call_care", "Connection-to-care rate",
        "BH calls connected to care ÷ BH calls whose recorded outcome bears on it."),
    "involuntary_holds": CallSource(
        "involuntary_hold_calls", "holds_measured", "call_hold", "Involuntary / emergency holds",
        "BH calls whose recorded outcome is an involuntary hold or apprehension."),
}
# Arrest figures read from the call outcome when no arrest records are loaded.
ARRESTS_FROM_CALLS: dict[str, CallSource] = {
    "bh_calls_with_arrest": CallSource(
        "arrested_calls", "arrests_measured", "call_arrest", "BH calls with an arrest",
        "BH calls whose recorded outcome is arrest (no arrest records loaded)."),
    "bh_arrest_rate": CallSource(
        "call_arrest_rate", "arrests_measured", "call_arrest", "Arrest rate on BH calls",
        "BH calls whose recorded outcome is arrest ÷ BH calls whose export records arrests."),
}

# Categorical columns of the calls that figures break down by, besides district (README
# "Figures", "Breaking figures down by what the export has"): the call type as exported
# and the beat. Contact figures follow the contact's call ('No linked call' without one).
# Not breakdowns: the disposition (the outcome is read from it: the outcome mix is its
# breakdown) and the priority (agencies code it differently, and every breakdown the
# public sees is more cells for the release to protect, for no question a user asked).
CATEGORIES: tuple[str, ...] = ("call_type", "beat")
# The figures shown by category (Co-response volume and Diversion & outcomes pages, the
# workbook's By call type / By beat sheets): the public release protects these, and only
# these, by category (each more is a cell per category for it to protect).
CATEGORY_FIGURES: tuple[str, ...] = (
    "calls_total", "bh_calls", "co_responded_bh_calls", "co_response_coverage",
    "known_outcome_contacts", "unknown_outcome_contacts", "diverted_contacts", "diversion_rate",
    "care_connections", "connection_to_care_rate", "involuntary_holds", "bh_calls_with_arrest", "bh_arrest_rate")

# Breakdowns: figure query → the columns its rows can be split by ($by). Parts of an
# additive count add up to the period's figure in every breakdown (tests/test_breakdowns.py).
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "volume_calls": ("month", "district"),
    "outcomes_calls": ("month", "district"),
    "officer_time": ("month", "district"),
    "volume_contacts": ("month", "district", "responder_type", "contact_type"),
    "outcomes_contacts": ("month", "district", "responder_type", "contact_type") + CATEGORIES,
    "repeat_contacts": ("month", "district", "responder_type"),
    "follow_up": ("month", "district", "responder_type"),
    # call figures by the categorical columns (added following README "Adding a figure")
    "calls_by_category": CATEGORIES,
}
# Breakdown-only queries: the registered figures they return, split by their $by.
BREAKDOWN_FIGURES: dict[str, tuple[str, ...]] = {
    "calls_by_category": ("calls_total", "bh_calls", "co_responded_bh_calls", "co_response_coverage",
                          "bh_calls_with_arrest", "bh_arrest_rate"),
}
BREAKDOWN_LABELS = {"month": "Month", "district": "District", "responder_type": "Responder type",
                    "contact_type": "Kind of contact", "call_type": "Call type", "beat": "Beat"}

# Relations the public release protects together with the cells (pmhc.release).
# Identities: (total, parts) hold by definition; added only when they hold in the data.
IDENTITIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bh_calls", ("co_responded_bh_calls", "not_co_responded_bh_calls")),
    ("bh_calls_with_arrest", ("co_responded_bh_calls_with_arrest", "not_co_responded_bh_calls_with_arrest")),
    ("contacts_total", ("on_scene_contacts", "follow_up_contacts", "referral_contacts")),
    ("contacts_total", ("known_outcome_contacts", "unknown_outcome_contacts")),
    ("contacts_total", ("bh_contacts",)),
    ("follow_up_contacts", ("follow_ups_attempted",)),
)
# Identities that hold when the outcome figures are counted on BH calls (no clinician log:
# coverage.Coverage.from_calls): every BH call's outcome is known or not.
CALL_IDENTITIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bh_calls", ("known_outcome_contacts", "unknown_outcome_contacts")),
)
# Inequalities that hold by definition: sum(small) ≤ sum(big).
AT_MOST: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("bh_calls",), ("calls_total",)),
    (("cit_bh_calls",), ("bh_calls",)),
    (("bh_calls_with_force",), ("bh_calls_force_recorded",)),
    (("bh_calls_force_recorded",), ("bh_calls",)),
    (("co_responded_bh_calls_with_arrest",), ("co_responded_bh_calls",)),
    (("not_co_responded_bh_calls_with_arrest",), ("not_co_responded_bh_calls",)),
    (("bh_calls_missing_officer_minutes",), ("bh_calls",)),
    (("bh_calls_missing_time",), ("bh_calls",)),
    (("diverted_contacts",), ("known_outcome_contacts",)),
    (("care_connections",), ("known_outcome_contacts",)),
    (("involuntary_holds",), ("known_outcome_contacts",)),
    (("contacts_ending_in_arrest",), ("contacts_total",)),
    (("people_served", "unidentified_contacts"), ("contacts_total",)),
    (("identified_crisis_contacts",), ("on_scene_contacts",)),
    (("people_with_contacts",), ("identified_crisis_contacts",)),
    (("people_with_contacts",), ("people_served",)),
    (("followed_up_14d",), ("identified_crisis_contacts",)),
    (("follow_ups_reached",), ("follow_ups_attempted",)),
    (("co_responder_ed_contacts",), ("co_responder_scene_contacts",)),
    (("cit_ed_contacts",), ("cit_scene_contacts",)),
    (("bh_booked_arrests",), ("bh_linked_arrests",)),
    (("bh_calls_with_arrest",), ("bh_linked_arrests",)),
)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str  # how it prints: count | rate | hours | minutes | days | usd
    query: str  # named query in queries/*.sql that returns it
    definition: str
    numerator: str = ""  # in words
    denominator: str = ""
    counting_unit: str = ""
    exclusions: str = ""
    family: str = ""
    headline: bool = False  # shown to the council on the Overview
    additive: bool = True  # parts of a breakdown add up to the total
    public: bool = True  # may appear in public (suppressed) releases
    inputs: tuple[str, ...] = ()  # keys of INPUTS: without them the figure is not measured
    num_key: str = ""  # a rate: the figure keys of its numerator and denominator
    den_key: str = ""
    depends: tuple[str, ...] | None = None  # counts it is built on (default for a rate: num, den)
    unstable_on: tuple[str, ...] | None = None  # numerators whose small size makes it unstable
    distinct: bool = False  # counts distinct people: buckets do not add up to the total
    empty_is_zero: bool | None = None  # value on a selection with no rows (default: counts 0, else undefined)
    shown: bool = True  # False: a building block the release needs, not listed as a figure
    column: str = ""  # the query's column (default: the key)
    stored: tuple[str, ...] = ()  # stored tables (queries/rollups.sql) the query reads

    @property
    def location(self) -> str:
        return sql.get(self.query).location

    @property
    def kind(self) -> str:
        if self.unit == "rate":
            return "rate"
        if self.unit == "usd":
            return "money"
        if self.unit in ("hours", "minutes", "days"):
            return "duration"
        return "distinct count" if self.distinct else "count"

    @property
    def source_column(self) -> str:
        return self.column or self.key

    @property
    def is_cell(self) -> bool:
        """A count read from the data: a cell of the public release."""
        return self.kind in ("count", "distinct count") and not self.depends and not self.num_key

    @property
    def built_on(self) -> tuple[str, ...]:
        if self.depends is not None:
            return self.depends
        return (self.num_key, self.den_key) if self.num_key else ()

    @property
    def unstable_numerators(self) -> tuple[str, ...]:
        if self.unstable_on is not None:
            return self.unstable_on
        return (self.num_key,) if self.num_key else ()

    @property
    def zero_when_empty(self) -> bool:
        if self.empty_is_zero is not None:
            return self.empty_is_zero
        return self.kind in ("count", "distinct count")


PERIOD_NOTE = "Calls are dated by when they were received; contacts by their contact date (agency time zone)."
UNKNOWN_NOTE = ("Contacts with an empty outcome or an unmapped outcome code are counted as unknown outcome and left "
                "out of the denominator; their count is shown beside the rate.")
_PERIOD, _UNKNOWN = PERIOD_NOTE, UNKNOWN_NOTE

# Input sets used by many figures.
_C = ("calls",)
_CO = ("calls", "co_responder")
_CA = ("calls", "co_responder", "arrests")
_BK = ("calls", "arrests", "booked")
_K = ("contacts",)
_KO = ("contacts", "contact_outcome")
_KP = ("contacts", "person_key")
_OFF = ("calls", "officer_minutes", "co_responder")
_ED_IN = ("contacts", "contact_outcome", "comparison_contacts")
_SAV = tuple(dict.fromkeys(_CA + ("booked",) + _OFF + _ED_IN + ("unit_costs",)))
# Counts the savings figures are built on (the public release hides them together).
_ARRESTS = ("co_responded_bh_calls_with_arrest", "not_co_responded_bh_calls_with_arrest",
            "co_responded_bh_calls", "not_co_responded_bh_calls")
_BOOKINGS = _ARRESTS + ("bh_booked_arrests", "bh_linked_arrests")
_ED = ("co_responder_ed_contacts", "co_responder_scene_contacts", "cit_ed_contacts", "cit_scene_contacts")
_OFFICER = ("co_responded_bh_calls", "not_co_responded_bh_calls")
_ALL_SAVINGS = tuple(dict.fromkeys(_BOOKINGS + _ED + _OFFICER))
_SAVINGS_NUMS = ("co_responded_bh_calls_with_arrest", "not_co_responded_bh_calls_with_arrest",
                 "co_responder_ed_contacts", "cit_ed_contacts")
_ROLL = ("call_day_rollup",)
_ENC = ("encounter_facts_stored",)


def _figs() -> list[Figure]:
    F = Figure
    return [
        # ---------------- volume
        F("calls_total", "Calls for service", "count", "volume_calls",
          "All CAD calls for service received in the period.", counting_unit="CAD call",
          family="Volume", inputs=_C, stored=_ROLL),
        F("bh_calls", "Behavioral-health calls", "count", "volume_calls",
          "CAD calls classified as behavioral health: the CAD bh_flag when present, otherwise a call type on the agency's BH list.",
          counting_unit="CAD call", exclusions=_PERIOD, family="Volume", headline=True, inputs=_C, stored=_ROLL),
        F("bh_share", "Share of calls that are behavioral health", "rate", "volume_calls",
          "Behavioral-health calls ÷ all calls for service.", "BH calls", "all calls", "CAD call",
          family="Volume", additive=False, inputs=_C, num_key="bh_calls", den_key="calls_total", stored=_ROLL),
        F("co_responded_bh_calls", "Co-responded BH calls", "count", "volume_calls",
          "BH calls where CAD records a clinician or counseling intern responding with officers (co_responder_present = true).",
          counting_unit="CAD call", family="Volume", inputs=_CO, stored=_ROLL,
          exclusions="BH calls whose co-responder field is empty are unknown, not 'not co-responded', unless the agency's config says so (the rule is shown with the figure)."),
        F("not_co_responded_bh_calls", "BH calls without a co-responder", "count", "volume_calls",
          "BH calls where CAD records no co-responder (co_responder_present = false).", counting_unit="CAD call",
          family="Volume", inputs=_CO, shown=False, stored=_ROLL),
        F("co_response_coverage", "Co-response coverage", "rate", "volume_calls",
          "Co-responded BH calls ÷ all BH calls whose co-responder field is recorded (true or false).", "co-responded BH calls",
          "BH calls with co_responder_present recorded", "CAD call", family="Volume", headline=True,
          additive=False, inputs=_CO, num_key="co_responded_bh_calls", den_key="bh_calls", stored=_ROLL),
        F("cit_bh_calls", "BH calls with a CIT officer on scene", "count", "volume_calls",
          "BH calls with at least one CIT-trained officer on scene.", counting_unit="CAD call", family="Volume",
          inputs=("calls", "cit_officer"), shown=False, stored=_ROLL),
        F("cit_coverage", "CIT officer on scene", "rate", "volume_calls",
          "BH calls with at least one CIT-trained officer on scene ÷ BH calls where this is recorded.",
          "BH calls with a CIT officer", "BH calls with cit_officer_present recorded", "CAD call",
          "Calls with cit_officer_present empty.", family="Volume", additive=False, inputs=("calls", "cit_officer"),
          # Its denominator (BH calls with CIT recorded) is at least the numerator, so a shown
          # numerator ≥ threshold keeps the denominator out of the small range too.
          num_key="cit_bh_calls", den_key="bh_calls", depends=("cit_bh_calls",), stored=_ROLL),
        F("contacts_total", "Co-responder contacts", "count", "volume_contacts",
          "All contacts in the co-responder log (on scene, follow-up and referral), every one a behavioral-health contact.",
          counting_unit="logged contact", family="Volume", inputs=_K, stored=_ENC),
        F("on_scene_contacts", "On-scene contacts", "count", "volume_contacts",
          "Contacts made on scene at a call.", counting_unit="logged contact", family="Volume", inputs=_K,
          stored=_ENC),
        F("follow_up_contacts", "Follow-up contacts", "count", "volume_contacts",
          "Follow-up contacts after a crisis (attempted or completed).", counting_unit="logged contact",
          family="Volume", inputs=_K, stored=_ENC),
        F("referral_contacts", "Referral contacts", "count", "volume_contacts",
          "Contacts logged as referrals (e.g. a referral taken by phone).", counting_unit="logged contact",
          family="Volume", inputs=_K, stored=_ENC),
        F("people_served", "Unique people served", "count", "volume_contacts",
          "Distinct identified people with at least one contact in the period.", counting_unit="person",
          exclusions="Contacts without a person identifier (shown as unidentified contacts). A person is counted once per row of a breakdown, so breakdown rows do not add up to the total.",
          family="Volume", additive=False, inputs=_KP, distinct=True, stored=_ENC),
        F("unidentified_contacts", "Contacts without a person identifier", "count", "volume_contacts",
          "Contacts whose person identifier is empty.", counting_unit="logged contact", family="Volume",
          inputs=_K, stored=_ENC),
        F("responder_hours", "Responder hours", "hours", "volume_contacts",
          "Sum of logged responder minutes ÷ 60.", counting_unit="hour", family="Volume",
          inputs=("contacts", "contact_minutes"), depends=("contacts_total",), empty_is_zero=True, stored=_ENC),
        # ---------------- outcomes
        F("bh_contacts", "BH contacts", "count", "outcomes_contacts",
          "Contacts in the co-responder log (every one a behavioral-health contact).",
          counting_unit="logged contact", family="Outcomes", inputs=_K, shown=False, stored=_ENC),
        F("known_outcome_contacts", "Contacts with a known outcome", "count", "outcomes_contacts",
          "Contacts whose outcome is recorded and mapped.", counting_unit="logged contact", family="Outcomes",
          inputs=_K, stored=_ENC),
        F("unknown_outcome_contacts", "Contacts with unknown outcome", "count", "outcomes_contacts",
          "Contacts whose outcome is empty or an unmapped code.", counting_unit="logged contact",
          family="Outcomes", inputs=_K, stored=_ENC),
        F("diverted_contacts", "Diverted contacts", "count", "outcomes_contacts",
          "Contacts with a known outcome of resolved on scene, referred to outpatient care, crisis center or voluntary ED/hospital, and no arrest linked to the contact's call.",
          counting_unit="logged contact", family="Outcomes", inputs=_KO, stored=_ENC),
        F("diversion_rate", "Diversion rate", "rate", "outcomes_contacts",
          "Diverted contacts ÷ contacts with a known outcome. Diverted = resolved on scene or connected to care, without arrest or involuntary hold.",
          "diverted contacts", "contacts with a known outcome", "logged contact", _UNKNOWN,
          family="Outcomes", headline=True, additive=False, inputs=_KO,
          num_key="diverted_contacts", den_key="known_outcome_contacts", stored=_ENC),
        F("care_connections", "Connections to care", "count", "outcomes_contacts",
          "Contacts ending in referral to outpatient care, a crisis center or a voluntary ED/hospital visit.",
          counting_unit="logged contact", family="Outcomes", inputs=_KO, stored=_ENC),
        F("connection_to_care_rate", "Connection-to-care rate", "rate", "outcomes_contacts",
          "Connections to care ÷ contacts with a known outcome.", "connections to care",
          "contacts with a known outcome", "logged contact", _UNKNOWN, family="Outcomes",
          headline=True, additive=False, inputs=_KO, num_key="care_connections", den_key="known_outcome_contacts",
          stored=_ENC),
        F("involuntary_holds", "Involuntary / emergency holds", "count", "outcomes_contacts",
          "Contacts ending in an involuntary or emergency hold.", counting_unit="logged contact",
          family="Outcomes", inputs=_KO, stored=_ENC),
        F("contacts_ending_in_arrest", "Contacts ending in arrest", "count", "outcomes_contacts",
          "Contacts whose outcome is arrest or whose call has an arrest record.", counting_unit="logged contact",
          family="Outcomes", inputs=_KO, stored=_ENC),
        F("bh_calls_with_arrest", "BH calls with an arrest", "count", "outcomes_calls",
          "BH calls with at least one arrest record naming the call.", counting_unit="CAD call",
          exclusions="Arrest records without a call_id are not attributed to any call.", family="Outcomes",
          inputs=("calls", "arrests"), stored=_ROLL),
        F("co_responded_bh_calls_with_arrest", "Co-responded BH calls with an arrest", "count", "outcomes_calls",
          "Co-responded BH calls with at least one arrest record naming the call.", counting_unit="CAD call",
          family="Outcomes", inputs=_CA, shown=False, stored=_ROLL),
        F("not_co_responded_bh_calls_with_arrest", "BH calls without co-responder with an arrest", "count",
          "outcomes_calls", "BH calls without a co-responder with at least one arrest record naming the call.",
          counting_unit="CAD call", family="Outcomes", inputs=_CA, shown=False, stored=_ROLL),
        F("bh_arrest_rate", "Arrest rate on BH calls", "rate", "outcomes_calls",
          "BH calls with an arrest ÷ BH calls.", "BH calls with an arrest", "BH calls", "CAD call",
          "Arrest records without a call_id.", family="Outcomes", additive=False, inputs=("calls", "arrests"),
          num_key="bh_calls_with_arrest", den_key="bh_calls", stored=_ROLL),
        F("arrest_rate_co_responded", "Arrest rate, co-responded BH calls", "rate", "outcomes_calls",
          "Co-responded BH calls with an arrest ÷ co-responded BH calls.", "co-responded BH calls with an arrest",
          "co-responded BH calls", "CAD call", "Arrest records without a call_id.", family="Outcomes",
          additive=False, inputs=_CA, num_key="co_responded_bh_calls_with_arrest", den_key="co_responded_bh_calls",
          stored=_ROLL),
        F("arrest_rate_not_co_responded", "Arrest rate, BH calls without co-responder", "rate", "outcomes_calls",
          "BH calls without a co-responder that had an arrest ÷ BH calls without a co-responder.",
          "BH calls without co-responder with an arrest", "BH calls without co-responder", "CAD call",
          "Arrest records without a call_id.", family="Outcomes", additive=False, inputs=_CA,
          num_key="not_co_responded_bh_calls_with_arrest", den_key="not_co_responded_bh_calls", stored=_ROLL),
        F("bh_calls_with_force", "BH calls with use of force", "count", "outcomes_calls",
          "BH calls where force was recorded as used.", counting_unit="CAD call",
          exclusions="Only calls where the agency records use of force (see BH calls with force recorded).",
          family="Outcomes", inputs=("calls", "use_of_force"), stored=_ROLL),
        F("bh_calls_force_recorded", "BH calls with use of force recorded", "count", "outcomes_calls",
          "BH calls whose use-of-force field is filled in (yes or no).", counting_unit="CAD call",
          family="Outcomes", inputs=_C, stored=_ROLL),
        # ---------------- repeat contacts and follow-up
        F("people_with_contacts", "People with a crisis contact", "count", "repeat_contacts",
          "Distinct identified people with at least one on-scene (crisis) contact in the period.",
          counting_unit="person", exclusions="Unidentified contacts.", family="Repeat contacts",
          additive=False, inputs=_KP, distinct=True, stored=_ENC),
        F("repeat_people_{w}d", "People with repeat contacts ({w} days)", "count", "repeat_contacts",
          "People whose crisis contact in the period was at least their {nth} crisis contact within the {w} days ending on it (earlier contacts count).",
          counting_unit="person", exclusions="Unidentified contacts.", family="Repeat contacts", additive=False,
          public=False, inputs=_KP, distinct=True, column="repeat_people_{letter}", stored=_ENC),
        F("repeat_rate_{w}d", "Repeat-contact rate ({w} days)", "rate", "repeat_contacts",
          "People with repeat contacts ({w} days) ÷ people with a crisis contact in the period.",
          "people with ≥{n} crisis contacts within {w} days", "people with a crisis contact", "person",
          "Unidentified contacts.", family="Repeat contacts", headline=False, additive=False, inputs=_KP,
          num_key="repeat_people_{w}d", den_key="people_with_contacts", column="repeat_rate_{letter}",
          stored=_ENC),
        F("identified_crisis_contacts", "Identified crisis contacts", "count", "follow_up",
          "On-scene contacts with a person identifier.", counting_unit="logged contact",
          family="Repeat contacts", inputs=_KP, stored=_ENC),
        F("followed_up_14d", "Crisis contacts followed up within 14 days", "count", "follow_up",
          "Identified crisis contacts followed by a follow-up or referral contact with the same person 1–14 days later.",
          counting_unit="logged contact", family="Repeat contacts", inputs=_KP, stored=_ENC),
        F("follow_up_14d_rate", "Follow-up within 14 days", "rate", "follow_up",
          "Crisis contacts followed up within 14 days ÷ identified crisis contacts.",
          "crisis contacts followed up within 14 days", "identified crisis contacts", "logged contact",
          "Contacts in the last 14 days of the loaded data have had less time to be followed up.",
          family="Repeat contacts", additive=False, inputs=_KP, num_key="followed_up_14d",
          den_key="identified_crisis_contacts", stored=_ENC),
        F("median_days_to_follow_up", "Median days to follow-up", "days", "follow_up",
          "Median days from a crisis contact to the person's first follow-up or referral contact 1–14 days later, over crisis contacts followed up within 14 days.",
          counting_unit="logged contact", exclusions="Crisis contacts not followed up within 14 days.",
          family="Repeat contacts", additive=False, inputs=_KP, depends=("followed_up_14d",),
          unstable_on=("followed_up_14d",), stored=_ENC),
        F("follow_ups_attempted", "Follow-ups attempted", "count", "follow_up",
          "Follow-up contacts logged in the period.", counting_unit="logged contact", family="Repeat contacts",
          inputs=_K, stored=_ENC),
        F("follow_ups_reached", "Follow-ups where the person was reached", "count", "follow_up",
          "Follow-up contacts with a known outcome other than refused / unable to contact.",
          counting_unit="logged contact", family="Repeat contacts", inputs=_KO, stored=_ENC),
        F("follow_up_completion_rate", "Follow-up completion", "rate", "follow_up",
          "Follow-ups where the person was reached ÷ follow-ups attempted.", "follow-ups reached",
          "follow-ups attempted", "logged contact", "Follow-ups with unknown outcome count as not reached.",
          family="Repeat contacts", additive=False, inputs=_KO, num_key="follow_ups_reached",
          den_key="follow_ups_attempted", stored=_ENC),
        # ---------------- officer time
        F("officer_hours_bh", "Officer hours on BH calls", "hours", "officer_time",
          "Sum of CAD officer minutes on BH calls ÷ 60 (all units).", counting_unit="hour",
          exclusions="BH calls missing officer minutes (counted separately).", family="Officer time",
          inputs=("calls", "officer_minutes"), depends=("bh_calls",), empty_is_zero=True, stored=_ROLL),
        F("bh_calls_missing_officer_minutes", "BH calls missing officer minutes", "count", "officer_time",
          "BH calls whose officer-minutes field is empty.", counting_unit="CAD call", family="Officer time",
          inputs=_C, shown=False, stored=_ROLL),
        F("bh_calls_missing_time", "BH calls missing on-scene or cleared time", "count", "officer_time",
          "BH calls without both an on-scene and a cleared time.", counting_unit="CAD call",
          family="Officer time", inputs=_C, shown=False, stored=_ROLL),
        F("avg_on_scene_minutes_co_responded", "Average time on scene, co-responded", "minutes", "officer_time",
          "Mean minutes from first unit on scene to last unit cleared, co-responded BH calls.",
          counting_unit="CAD call", exclusions="Calls missing on-scene or cleared time.", family="Officer time",
          additive=False, inputs=("calls", "on_scene_time", "co_responder"),
          depends=("co_responded_bh_calls",), unstable_on=("co_responded_bh_calls",), stored=_ROLL),
        F("avg_on_scene_minutes_not_co_responded", "Average time on scene, without co-responder", "minutes",
          "officer_time", "Mean minutes from first unit on scene to last unit cleared, BH calls without co-responder.",
          counting_unit="CAD call", exclusions="Calls missing on-scene or cleared time.", family="Officer time",
          additive=False, inputs=("calls", "on_scene_time", "co_responder"),
          depends=("not_co_responded_bh_calls",), unstable_on=("not_co_responded_bh_calls",), stored=_ROLL),
        F("avg_officer_minutes_co_responded", "Average officer minutes, co-responded", "minutes", "officer_time",
          "Mean CAD officer minutes on co-responded BH calls.", counting_unit="CAD call", family="Officer time",
          additive=False, inputs=_OFF, depends=("co_responded_bh_calls",),
          unstable_on=("co_responded_bh_calls",), shown=False, stored=_ROLL),
        F("avg_officer_minutes_not_co_responded", "Average officer minutes, without co-responder", "minutes",
          "officer_time", "Mean CAD officer minutes on BH calls without a co-responder.", counting_unit="CAD call",
          family="Officer time", additive=False, inputs=_OFF, depends=("not_co_responded_bh_calls",),
          unstable_on=("not_co_responded_bh_calls",), shown=False, stored=_ROLL),
        F("officer_hours_returned", "Officer hours returned to patrol", "hours", "officer_time",
          "(Average officer minutes on a BH call without a co-responder − with one) × co-responded BH calls ÷ 60. An estimate; negative if co-responded calls take longer.",
          counting_unit="hour", family="Officer time", headline=True, additive=False, inputs=_OFF,
          depends=_OFFICER, unstable_on=_OFFICER, stored=_ROLL),
        # ---------------- savings
        F("co_responder_scene_contacts", "On-scene contacts by co-responders (known outcome)", "count",
          "savings_counts", "On-scene contacts with a known outcome by a clinician or counseling intern.",
          counting_unit="logged contact", family="Resource savings", inputs=_KO, shown=False),
        F("co_responder_ed_contacts", "Co-responder on-scene contacts ending in ED or a hold", "count",
          "savings_counts", "Co-responder on-scene contacts ending in a voluntary ED visit or an involuntary hold.",
          counting_unit="logged contact", family="Resource savings", inputs=_KO, shown=False),
        F("cit_scene_contacts", "On-scene contacts by CIT officers only (known outcome)", "count", "savings_counts",
          "On-scene contacts with a known outcome by a CIT officer without a clinician.",
          counting_unit="logged contact", family="Resource savings", inputs=_KO, shown=False),
        F("cit_ed_contacts", "CIT-only on-scene contacts ending in ED or a hold", "count", "savings_counts",
          "CIT-only on-scene contacts ending in a voluntary ED visit or an involuntary hold.",
          counting_unit="logged contact", family="Resource savings", inputs=_KO, shown=False),
        F("bh_linked_arrests", "Arrest records on BH calls", "count", "savings_counts",
          "Arrest records naming a BH call of the period.", counting_unit="arrest record",
          family="Resource savings", inputs=("calls", "arrests"), shown=False, stored=_ROLL),
        F("bh_booked_arrests", "Booked arrests on BH calls", "count", "savings_counts",
          "Arrest records naming a BH call of the period where the person was booked.",
          counting_unit="arrest record", family="Resource savings", inputs=_BK, shown=False,
          stored=_ROLL),
        F("ed_rate_co_responder", "ED / hold rate, co-responder contacts", "rate", "savings_inputs",
          "Co-responder on-scene contacts ending in ED or a hold ÷ co-responder on-scene contacts.",
          counting_unit="logged contact", family="Resource savings", inputs=_ED_IN, shown=False,
          num_key="co_responder_ed_contacts", den_key="co_responder_scene_contacts", stored=_ENC),
        F("ed_rate_cit_only", "ED / hold rate, CIT-only contacts", "rate", "savings_inputs",
          "CIT-only on-scene contacts ending in ED or a hold ÷ CIT-only on-scene contacts.",
          counting_unit="logged contact", family="Resource savings", inputs=_ED_IN, shown=False,
          num_key="cit_ed_contacts", den_key="cit_scene_contacts", stored=_ENC),
        F("booked_share", "Share of BH-call arrests booked", "rate", "savings_inputs",
          "Booked arrests on BH calls ÷ arrest records on BH calls (1 when there are none).",
          counting_unit="arrest record", family="Resource savings", inputs=_BK, shown=False,
          num_key="bh_booked_arrests", den_key="bh_linked_arrests", stored=_ROLL),
        F("arrests_avoided", "Arrests avoided (estimate)", "count", "savings",
          "(Arrest rate without co-responder − with) × co-responded BH calls.", family="Resource savings",
          additive=False, inputs=_CA, depends=_ARRESTS, unstable_on=_SAVINGS_NUMS[:2]),
        F("bookings_avoided", "Jail bookings avoided (estimate)", "count", "savings",
          "Arrests avoided × share of BH-call arrests booked.", family="Resource savings", additive=False,
          inputs=_CA + ("booked",), depends=_BOOKINGS, unstable_on=_SAVINGS_NUMS[:2] + ("bh_booked_arrests",)),
        F("ed_transports_avoided", "ED transports avoided (estimate)", "count", "savings",
          "(ED/hold rate of CIT-only on-scene contacts − of co-responder contacts) × co-responder on-scene contacts.",
          family="Resource savings", additive=False, inputs=_ED_IN, depends=_ED, unstable_on=_SAVINGS_NUMS[2:]),
        F("jail_cost_avoided", "Jail costs avoided (estimate)", "usd", "savings",
          "Bookings avoided × (booking + bed-day × average stay).", family="Resource savings", additive=False,
          inputs=_CA + ("booked", "unit_costs"), depends=_BOOKINGS, unstable_on=_SAVINGS_NUMS[:2] + ("bh_booked_arrests",),
          shown=False),
        F("ed_cost_avoided", "ED and ambulance costs avoided (estimate)", "usd", "savings",
          "ED transports avoided × (ED visit + ambulance transport).", family="Resource savings", additive=False,
          inputs=_ED_IN + ("unit_costs",), depends=_ED, unstable_on=_SAVINGS_NUMS[2:], shown=False),
        F("officer_time_value", "Value of officer time returned (estimate)", "usd", "savings",
          "Officer hours returned × loaded officer hour.", family="Resource savings", additive=False,
          inputs=_OFF + ("unit_costs",), depends=_OFFICER, unstable_on=_OFFICER, shown=False),
        F("gross_cost_avoidance", "Gross cost avoidance (estimate)", "usd", "savings",
          "Bookings avoided × (booking + bed-day × average stay) + ED transports avoided × (ED visit + ambulance) + officer hours returned × loaded officer hour. Unit costs from the assumptions file.",
          family="Resource savings", additive=False, inputs=_SAV, depends=_ALL_SAVINGS, unstable_on=_SAVINGS_NUMS),
        F("program_cost", "Program cost (pro-rated)", "usd", "savings",
          "Annual program cost × days in period ÷ 365.", family="Resource savings", additive=False,
          inputs=("program_cost",), depends=()),  # annual cost × days: no count in it
        F("net_cost_avoidance", "Net cost avoidance (estimate)", "usd", "savings",
          "Gross cost avoidance − program cost. An estimate: published evaluations disagree about savings.",
          family="Resource savings", headline=True, additive=False, inputs=_SAV + ("program_cost",),
          depends=_ALL_SAVINGS, unstable_on=_SAVINGS_NUMS),
    ]


def _expand(f: Figure, windows: tuple[int, ...], min_contacts: int) -> list[Figure]:
    if "{w}" not in f.key:
        return [f]
    out = []
    for letter, w in zip("abc", windows):
        fmt = {"w": w, "n": min_contacts, "nth": ordinal(min_contacts), "letter": letter}
        fields = {k: (v.format(**fmt) if isinstance(v, str) else v) for k, v in f.__dict__.items()}
        out.append(Figure(**fields))
    return out


def registry(windows: tuple[int, ...] = (90, 180, 365), min_contacts: int = 2) -> list[Figure]:
    """Every registered figure, building blocks included, repeat windows expanded, its text
    in the agency's words ([terminology] in agency.toml, applied by pmhc.present.term)."""
    return _worded([g for f in _figs() for g in _expand(f, windows, min_contacts)])


_WORDED = ("label", "definition", "numerator", "denominator", "counting_unit", "exclusions")


def _worded(figs: list[Figure]) -> list[Figure]:
    from dataclasses import replace

    from . import present
    from .config import load_agency

    cfg = load_agency()
    if not cfg.terminology:
        return figs
    return [replace(f, **{k: present.term(getattr(f, k), cfg) for k in _WORDED}) for f in figs]


def figures(windows: tuple[int, ...] = (90, 180, 365), min_contacts: int = 2) -> list[Figure]:
    """Every figure a page or export lists, with repeat-contact windows expanded (keys like repeat_rate_90d)."""
    return [f for f in registry(windows, min_contacts) if f.shown]


def by_key(windows: tuple[int, ...] = (90, 180, 365), min_contacts: int = 2) -> dict[str, Figure]:
    return {f.key: f for f in figures(windows, min_contacts)}


def all_by_key(windows: tuple[int, ...] = (90, 180, 365), min_contacts: int = 2) -> dict[str, Figure]:
    return {f.key: f for f in registry(windows, min_contacts)}


def figures_of(query: str, windows: tuple[int, ...] = (90, 180, 365), min_contacts: int = 2) -> list[Figure]:
    """The figures a query returns: those declared with it, and those a breakdown-only query splits."""
    shared = BREAKDOWN_FIGURES.get(query, ())
    return [f for f in figures(windows, min_contacts) if f.query == query or f.key in shared]


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 11th, 21st …"""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# ------------------------------------------------------------------ derived for other modules

_REPEAT = re.compile(r"^repeat_(people|rate)_(\d+)d$")
# Range ends of the savings estimate: figures of their own in exports.
RANGE_KEYS = tuple(f"{k}_{end}" for end in ("low", "high") for k in ("gross_cost_avoidance", "net_cost_avoidance"))


def lookup(key: str) -> Figure | None:
    """The registered figure of a key or query column, for any repeat window."""
    f = all_by_key().get(key)
    if f is not None:
        return f
    m = _REPEAT.match(key)
    if m:
        w = int(m.group(2))
        return all_by_key((w,))[key]
    if key in RANGE_KEYS:
        return all_by_key()[key.rsplit("_", 1)[0]]
    return None


def empty_value(column: str):
    """A figure's value on a selection with no rows: 0 for a count or a sum, undefined
    (None) for a rate, an average or an estimate. An unknown column is undefined, never 0."""
    f = lookup(column)
    return 0 if f is not None and f.zero_when_empty else None


def release_counts() -> frozenset[str]:
    """Counts read from the data: the cells of the public release (repeat windows aside)."""
    return frozenset(f.key for f in _figs() if "{w}" not in f.key and f.is_cell)


def release_distinct() -> frozenset[str]:
    return frozenset(f.key for f in _figs() if "{w}" not in f.key and f.distinct and f.is_cell)


def release_derived() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Every other figure: the counts it is built on and its unstable-making numerators."""
    out = {f.key: (f.built_on, f.unstable_numerators) for f in _figs() if "{w}" not in f.key and not f.is_cell}
    for k in RANGE_KEYS:
        out[k] = out[k.rsplit("_", 1)[0]]
    return out
