"""Plain-language definitions of every figure, next to the query that computes it.

The Methodology page, the grant table, the `pmhc figures` command and the exports all
read this list, so a figure's name, definition and SQL location cannot drift apart.
Keys are stable snake_case: grant writers paste them into templates.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import sql


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str  # count | rate | hours | minutes | usd
    query: str  # named query in queries/*.sql
    definition: str
    numerator: str = ""
    denominator: str = ""
    counting_unit: str = ""
    exclusions: str = ""
    family: str = ""
    headline: bool = False  # shown to the council on the Overview
    additive: bool = True  # parts of a breakdown add up to the total
    public: bool = True  # may appear in public (suppressed) releases

    @property
    def location(self) -> str:
        return sql.get(self.query).location


_PERIOD = "Calls are dated by when they were received; contacts by their contact date (agency time zone)."
_UNKNOWN = "Contacts with an empty outcome or an unmapped outcome code are counted as unknown outcome and left out of the denominator; their count is shown beside the rate."


def _figs() -> list[Figure]:
    F = Figure
    return [
        # ---------------- volume
        F("calls_total", "Calls for service", "count", "volume_calls",
          "All CAD calls for service received in the period.", counting_unit="CAD call",
          family="Volume"),
        F("bh_calls", "Behavioral-health calls", "count", "volume_calls",
          "CAD calls classified as behavioral health: the CAD bh_flag when present, otherwise a call type on the agency's BH list.",
          counting_unit="CAD call", exclusions=_PERIOD, family="Volume", headline=True),
        F("bh_share", "Share of calls that are behavioral health", "rate", "volume_calls",
          "Behavioral-health calls ÷ all calls for service.", "BH calls", "all calls", "CAD call",
          family="Volume", additive=False),
        F("co_responded_bh_calls", "Co-responded BH calls", "count", "volume_calls",
          "BH calls where CAD records a clinician or counseling intern responding with officers (co_responder_present = true; empty counts as not co-responded).",
          counting_unit="CAD call", family="Volume"),
        F("co_response_coverage", "Co-response coverage", "rate", "volume_calls",
          "Co-responded BH calls ÷ all BH calls.", "co-responded BH calls", "BH calls", "CAD call",
          family="Volume", headline=True, additive=False),
        F("cit_coverage", "CIT officer on scene", "rate", "volume_calls",
          "BH calls with at least one CIT-trained officer on scene ÷ BH calls where this is recorded.",
          "BH calls with a CIT officer", "BH calls with cit_officer_present recorded", "CAD call",
          "Calls with cit_officer_present empty.", family="Volume", additive=False),
        F("contacts_total", "Co-responder contacts", "count", "volume_contacts",
          "All contacts in the co-responder log (on scene, follow-up and referral), every one a behavioral-health contact.",
          counting_unit="logged contact", family="Volume"),
        F("on_scene_contacts", "On-scene contacts", "count", "volume_contacts",
          "Contacts made on scene at a call.", counting_unit="logged contact", family="Volume"),
        F("follow_up_contacts", "Follow-up contacts", "count", "volume_contacts",
          "Follow-up contacts after a crisis (attempted or completed).", counting_unit="logged contact",
          family="Volume"),
        F("referral_contacts", "Referral contacts", "count", "volume_contacts",
          "Contacts logged as referrals (e.g. a referral taken by phone).", counting_unit="logged contact",
          family="Volume"),
        F("people_served", "Unique people served", "count", "volume_contacts",
          "Distinct identified people with at least one contact in the period.", counting_unit="person",
          exclusions="Contacts without a person identifier (shown as unidentified contacts). A person is counted once per row of a breakdown, so breakdown rows do not add up to the total.",
          family="Volume", additive=False),
        F("unidentified_contacts", "Contacts without a person identifier", "count", "volume_contacts",
          "Contacts whose person identifier is empty.", counting_unit="logged contact", family="Volume"),
        F("responder_hours", "Responder hours", "hours", "volume_contacts",
          "Sum of logged responder minutes ÷ 60.", counting_unit="hour", family="Volume"),
        # ---------------- outcomes
        F("known_outcome_contacts", "Contacts with a known outcome", "count", "outcomes_contacts",
          "Contacts whose outcome is recorded and mapped.", counting_unit="logged contact", family="Outcomes"),
        F("unknown_outcome_contacts", "Contacts with unknown outcome", "count", "outcomes_contacts",
          "Contacts whose outcome is empty or an unmapped code.", counting_unit="logged contact",
          family="Outcomes"),
        F("diverted_contacts", "Diverted contacts", "count", "outcomes_contacts",
          "Contacts with a known outcome of resolved on scene, referred to outpatient care, crisis center or voluntary ED/hospital, and no arrest linked to the contact's call.",
          counting_unit="logged contact", family="Outcomes"),
        F("diversion_rate", "Diversion rate", "rate", "outcomes_contacts",
          "Diverted contacts ÷ contacts with a known outcome. Diverted = resolved on scene or connected to care, without arrest or involuntary hold.",
          "diverted contacts", "contacts with a known outcome", "logged contact", _UNKNOWN,
          family="Outcomes", headline=True, additive=False),
        F("care_connections", "Connections to care", "count", "outcomes_contacts",
          "Contacts ending in referral to outpatient care, a crisis center or a voluntary ED/hospital visit.",
          counting_unit="logged contact", family="Outcomes"),
        F("connection_to_care_rate", "Connection-to-care rate", "rate", "outcomes_contacts",
          "Connections to care ÷ contacts with a known outcome.", "connections to care",
          "contacts with a known outcome", "logged contact", _UNKNOWN, family="Outcomes",
          headline=True, additive=False),
        F("involuntary_holds", "Involuntary / emergency holds", "count", "outcomes_contacts",
          "Contacts ending in an involuntary or emergency hold.", counting_unit="logged contact",
          family="Outcomes"),
        F("contacts_ending_in_arrest", "Contacts ending in arrest", "count", "outcomes_contacts",
          "Contacts whose outcome is arrest or whose call has an arrest record.", counting_unit="logged contact",
          family="Outcomes"),
        F("bh_calls_with_arrest", "BH calls with an arrest", "count", "outcomes_calls",
          "BH calls with at least one arrest record naming the call.", counting_unit="CAD call",
          exclusions="Arrest records without a call_id are not attributed to any call.", family="Outcomes"),
        F("bh_arrest_rate", "Arrest rate on BH calls", "rate", "outcomes_calls",
          "BH calls with an arrest ÷ BH calls.", "BH calls with an arrest", "BH calls", "CAD call",
          "Arrest records without a call_id.", family="Outcomes", additive=False),
        F("arrest_rate_co_responded", "Arrest rate, co-responded BH calls", "rate", "outcomes_calls",
          "Co-responded BH calls with an arrest ÷ co-responded BH calls.", "co-responded BH calls with an arrest",
          "co-responded BH calls", "CAD call", "Arrest records without a call_id.", family="Outcomes",
          additive=False),
        F("arrest_rate_not_co_responded", "Arrest rate, BH calls without co-responder", "rate", "outcomes_calls",
          "BH calls without a co-responder that had an arrest ÷ BH calls without a co-responder.",
          "BH calls without co-responder with an arrest", "BH calls without co-responder", "CAD call",
          "Arrest records without a call_id.", family="Outcomes", additive=False),
        F("bh_calls_with_force", "BH calls with use of force", "count", "outcomes_calls",
          "BH calls where force was recorded as used.", counting_unit="CAD call",
          exclusions="Only calls where the agency records use of force (see BH calls with force recorded).",
          family="Outcomes"),
        F("bh_calls_force_recorded", "BH calls with use of force recorded", "count", "outcomes_calls",
          "BH calls whose use-of-force field is filled in (yes or no).", counting_unit="CAD call",
          family="Outcomes"),
        # ---------------- repeat contacts and follow-up
        F("people_with_contacts", "People with a crisis contact", "count", "repeat_contacts",
          "Distinct identified people with at least one on-scene (crisis) contact in the period.",
          counting_unit="person", exclusions="Unidentified contacts.", family="Repeat contacts",
          additive=False),
        F("repeat_people_{w}d", "People with repeat contacts ({w} days)", "count", "repeat_contacts",
          "People whose crisis contact in the period was at least their {nth} crisis contact within the {w} days ending on it (earlier contacts count).",
          counting_unit="person", exclusions="Unidentified contacts.", family="Repeat contacts", additive=False,
          public=False),
        F("repeat_rate_{w}d", "Repeat-contact rate ({w} days)", "rate", "repeat_contacts",
          "People with repeat contacts ({w} days) ÷ people with a crisis contact in the period.",
          "people with ≥{n} crisis contacts within {w} days", "people with a crisis contact", "person",
          "Unidentified contacts.", family="Repeat contacts", headline=False, additive=False),
        F("identified_crisis_contacts", "Identified crisis contacts", "count", "follow_up",
          "On-scene contacts with a person identifier.", counting_unit="logged contact",
          family="Repeat contacts"),
        F("followed_up_14d", "Crisis contacts followed up within 14 days", "count", "follow_up",
          "Identified crisis contacts followed by a follow-up or referral contact with the same person 1–14 days later.",
          counting_unit="logged contact", family="Repeat contacts"),
        F("follow_up_14d_rate", "Follow-up within 14 days", "rate", "follow_up",
          "Crisis contacts followed up within 14 days ÷ identified crisis contacts.",
          "crisis contacts followed up within 14 days", "identified crisis contacts", "logged contact",
          "Contacts in the last 14 days of the loaded data have had less time to be followed up.",
          family="Repeat contacts", additive=False),
        F("follow_ups_attempted", "Follow-ups attempted", "count", "follow_up",
          "Follow-up contacts logged in the period.", counting_unit="logged contact", family="Repeat contacts"),
        F("follow_ups_reached", "Follow-ups where the person was reached", "count", "follow_up",
          "Follow-up contacts with a known outcome other than refused / unable to contact.",
          counting_unit="logged contact", family="Repeat contacts"),
        F("follow_up_completion_rate", "Follow-up completion", "rate", "follow_up",
          "Follow-ups where the person was reached ÷ follow-ups attempted.", "follow-ups reached",
          "follow-ups attempted", "logged contact", "Follow-ups with unknown outcome count as not reached.",
          family="Repeat contacts", additive=False),
        # ---------------- officer time
        F("officer_hours_bh", "Officer hours on BH calls", "hours", "officer_time",
          "Sum of CAD officer minutes on BH calls ÷ 60 (all units).", counting_unit="hour",
          exclusions="BH calls missing officer minutes (counted separately).", family="Officer time"),
        F("avg_on_scene_minutes_co_responded", "Average time on scene, co-responded", "minutes", "officer_time",
          "Mean minutes from first unit on scene to last unit cleared, co-responded BH calls.",
          counting_unit="CAD call", exclusions="Calls missing on-scene or cleared time.", family="Officer time",
          additive=False),
        F("avg_on_scene_minutes_not_co_responded", "Average time on scene, without co-responder", "minutes",
          "officer_time", "Mean minutes from first unit on scene to last unit cleared, BH calls without co-responder.",
          counting_unit="CAD call", exclusions="Calls missing on-scene or cleared time.", family="Officer time",
          additive=False),
        F("officer_hours_returned", "Officer hours returned to patrol", "hours", "officer_time",
          "(Average officer minutes on a BH call without a co-responder − with one) × co-responded BH calls ÷ 60. An estimate; negative if co-responded calls take longer.",
          counting_unit="hour", family="Officer time", headline=True, additive=False),
        # ---------------- savings
        F("arrests_avoided", "Arrests avoided (estimate)", "count", "savings",
          "(Arrest rate without co-responder − with) × co-responded BH calls.", family="Resource savings",
          additive=False),
        F("bookings_avoided", "Jail bookings avoided (estimate)", "count", "savings",
          "Arrests avoided × share of BH-call arrests booked.", family="Resource savings", additive=False),
        F("ed_transports_avoided", "ED transports avoided (estimate)", "count", "savings",
          "(ED/hold rate of CIT-only on-scene contacts − of co-responder contacts) × co-responder on-scene contacts.",
          family="Resource savings", additive=False),
        F("gross_cost_avoidance", "Gross cost avoidance (estimate)", "usd", "savings",
          "Bookings avoided × (booking + bed-day × average stay) + ED transports avoided × (ED visit + ambulance) + officer hours returned × loaded officer hour. Unit costs from the assumptions file.",
          family="Resource savings", additive=False),
        F("program_cost", "Program cost (pro-rated)", "usd", "savings",
          "Annual program cost × days in period ÷ 365.", family="Resource savings", additive=False),
        F("net_cost_avoidance", "Net cost avoidance (estimate)", "usd", "savings",
          "Gross cost avoidance − program cost. An estimate: published evaluations disagree about savings.",
          family="Resource savings", headline=True, additive=False),
    ]


def figures(windows: tuple[int, ...] = (90, 180, 365), min_contacts: int = 2) -> list[Figure]:
    """Every figure, with repeat-contact windows expanded (keys like repeat_rate_90d)."""
    out: list[Figure] = []
    for f in _figs():
        if "{w}" not in f.key:
            out.append(f)
            continue
        for w in windows:
            fmt = {"w": w, "n": min_contacts, "nth": _ordinal(min_contacts)}
            fields = {k: (v.format(**fmt) if isinstance(v, str) else v) for k, v in f.__dict__.items()}
            out.append(Figure(**fields))
    return out


def _ordinal(n: int) -> str:
    return f"{n}{'tsnrhtdd'[(n // 10 % 10 != 1) * (n % 10 < 4) * n % 10::4]}"


def by_key(windows: tuple[int, ...] = (90, 180, 365), min_contacts: int = 2) -> dict[str, Figure]:
    return {f.key: f for f in figures(windows, min_contacts)}
