-- Views every metric reads. Created by the writer at import (pmhc.db.ensure_schema);
-- the dashboard opens the database read-only and only selects from them.

-- name: disposition_map
-- Each agency's CAD disposition map (its agency.toml [dispositions]): agency, code
-- (trimmed, lower case) → how the call ended. The writer rewrites an agency's rows from
-- its config on every read-write open (pmhc.dispositions.write); call_outcome_facts
-- reads it. Every row and view below carries `agency`: a hub's database holds many.
CREATE TABLE IF NOT EXISTS disposition_map (
    agency  VARCHAR NOT NULL,
    code    VARCHAR NOT NULL,
    outcome VARCHAR NOT NULL
);

-- name: or_unknown
-- A label from the export (district, beat, call type): empty = 'Unknown'.
CREATE OR REPLACE MACRO or_unknown(v) AS coalesce(nullif(trim(v), ''), 'Unknown');

-- name: co_responded_rule
-- Whether a call of agency `ag` was co-responded: co_responder_present, and when it is
-- empty unknown, unless that agency's config says empty means not co-responded
-- ([data_rules] co_responder_empty, written to data_rules by pmhc.db). Call it with
-- qualified columns (c.agency): an unqualified `agency` would name data_rules' own.
CREATE OR REPLACE MACRO co_responded_rule(ag, present) AS coalesce(present, CASE WHEN (SELECT max(r.value)
    FROM data_rules r WHERE r.agency = ag AND r.rule = 'co_responder_empty') = 'not_co_responded' THEN false END);

-- name: scene_minutes
-- Whole seconds from first unit on scene to last cleared, as date_diff('second', ...) counts
-- them, computed on epoch microseconds (50× faster than the calendar version), in minutes.
CREATE OR REPLACE MACRO scene_minutes(on_scene, cleared) AS
    (epoch_us(cleared) // 1000000 - epoch_us(on_scene) // 1000000) / 60.0;

-- name: call_base
-- One row per CAD call with what call metrics need, on the agency's wall clock: every
-- column of call_facts but the arrest link (the stored daily totals join arrests to the
-- BH calls only, which is much cheaper than linking every call).
CREATE OR REPLACE VIEW call_base AS
SELECT
    c.agency,
    c.call_id,
    c.received_local,
    CAST(c.received_local AS DATE)                      AS call_date,
    CAST(date_trunc('month', c.received_local) AS DATE) AS month,
    -- NULL when the export gave the day but not the time (never drawn as 00:00)
    CASE WHEN c.received_time_known IS DISTINCT FROM false THEN hour(c.received_local) END AS hour,
    c.received_time_known IS DISTINCT FROM false        AS hour_known,
    isodow(c.received_local)                            AS weekday,   -- 1 = Monday
    or_unknown(c.district)                              AS district,
    or_unknown(c.beat)                                  AS beat,
    c.call_type,
    c.is_bh,
    co_responded_rule(c.agency, c.co_responder_present) AS co_responded,
    c.cit_officer_present,
    c.officer_minutes,
    scene_minutes(c.on_scene_at, c.cleared_at)          AS on_scene_minutes,
    c.use_of_force,
    c.disposition
FROM calls c;

-- name: call_facts
-- One row per CAD call with what call metrics need (call_base), and whether an arrest
-- record names the call.
CREATE OR REPLACE VIEW call_facts AS
SELECT
    b.*,
    ar.call_id IS NOT NULL                              AS has_arrest
FROM call_base b
-- an arrest record names the call by its call_id, within the same agency
LEFT JOIN (SELECT DISTINCT agency, call_id FROM arrests WHERE call_id IS NOT NULL) ar
       ON ar.agency = b.agency AND ar.call_id = b.call_id;

-- name: encounter_facts
-- One row per co-responder log contact, with its call's district, call type, beat and
-- arrest link. Every contact in the log is a behavioral-health (BH) contact. A contact
-- with no call (a follow-up, a referral, or a call_id no loaded call has) is district
-- 'Unknown' and call type and beat 'No linked call'.
CREATE OR REPLACE VIEW encounter_facts AS
SELECT
    e.agency,
    e.encounter_id,
    e.call_id,
    e.encounter_date,
    CAST(date_trunc('month', e.encounter_date) AS DATE) AS month,
    e.responder_type,
    e.contact_type,
    e.person_key,
    coalesce(e.outcome, 'unknown')                      AS outcome,
    e.outcome IS NOT NULL AND e.outcome <> 'unmapped'   AS outcome_known,
    e.referral_agency,
    e.minutes,
    coalesce(nullif(trim(c.district), ''), 'Unknown')   AS district,
    CASE WHEN c.call_id IS NULL THEN 'No linked call'
         ELSE coalesce(nullif(trim(c.call_type), ''), 'Unknown') END AS call_type,
    CASE WHEN c.call_id IS NULL THEN 'No linked call'
         ELSE coalesce(nullif(trim(c.beat), ''), 'Unknown') END      AS beat,
    c.call_id IS NOT NULL                               AS call_found,
    coalesce(c.co_responder_present, false)             AS call_co_responded,
    ar.call_id IS NOT NULL                              AS call_has_arrest
FROM encounters e
LEFT JOIN calls c ON c.call_id = e.call_id AND c.agency = e.agency
LEFT JOIN (SELECT DISTINCT agency, call_id FROM arrests WHERE call_id IS NOT NULL) ar
       ON ar.agency = e.agency AND ar.call_id = e.call_id;

-- name: call_outcome_facts
-- How each CAD call ended, for agencies whose only record is CAD (no clinician log):
-- one row per call. The outcome is the one the export recorded on the call (a profile's
-- Yes/No flags or mapped disposition: outcome_source 'export'), else the agency's
-- disposition map applied to the disposition code ('disposition map'), else 'unknown'.
-- A disposition code the map does not list is 'unmapped' (shown, never dropped).
-- `recorded` is the list of outcomes the export states yes or no for on the call: the
-- profile's flag columns (calls.outcomes_recorded), the targets of the map that gave the
-- outcome, or every outcome when a canonical file gives it. Each outcome flag below is
--   NULL  when the export records none of the outcomes that make it true (not measured:
--         an export whose only outcome is "apprehension made" measures involuntary holds,
--         never diversion or arrests),
--   true / false otherwise,
-- so for any selection count(flag) is the number of calls it is measured on (the
-- denominator) and count(*) FILTER (WHERE flag) the calls that had it (the numerator).
-- Arrests: arrest records when any are loaded (arrest_source 'arrest records': a record
-- names the call), else the call's outcome 'arrest' where the export records arrests
-- ('call outcome'), else not measured (arrest_source and arrested NULL).
CREATE OR REPLACE VIEW call_outcome_facts AS
WITH agencies AS (
    SELECT DISTINCT agency FROM calls
), loaded AS (
    -- per agency: whether it loaded arrest records, and its disposition map
    SELECT g.agency,
           ar.agency IS NOT NULL AS arrest_records,
           dm.agency IS NOT NULL AS map_configured,
           mo.outcomes           AS map_outcomes
    FROM agencies g
    LEFT JOIN (SELECT DISTINCT agency FROM arrests) ar ON ar.agency = g.agency
    LEFT JOIN (SELECT DISTINCT agency FROM disposition_map) dm ON dm.agency = g.agency
    LEFT JOIN (SELECT agency, list(DISTINCT outcome ORDER BY outcome) AS outcomes FROM disposition_map
               WHERE outcome <> 'unknown' GROUP BY agency) mo ON mo.agency = g.agency
), o AS (
    SELECT
        c.agency,
        c.call_id,
        CAST(c.received_local AS DATE)                      AS call_date,
        CAST(date_trunc('month', c.received_local) AS DATE) AS month,
        coalesce(nullif(trim(c.district), ''), 'Unknown')   AS district,
        nullif(trim(c.beat), '')                            AS beat,
        c.call_type,
        c.is_bh,
        c.co_responder_present,
        c.cit_officer_present,
        c.disposition,
        CASE
            WHEN c.outcome IS NOT NULL AND c.outcome <> 'unknown' THEN c.outcome
            WHEN m.outcome IS NOT NULL THEN m.outcome
            WHEN nullif(trim(c.disposition), '') IS NOT NULL AND l.map_configured THEN 'unmapped'
            ELSE 'unknown'
        END                                                 AS outcome,
        CASE
            WHEN c.outcome IS NOT NULL AND c.outcome <> 'unknown' THEN 'export'
            WHEN m.outcome IS NOT NULL AND m.outcome <> 'unknown' THEN 'disposition map'
        END                                                 AS outcome_source,  -- of a known outcome
        CASE
            WHEN c.outcomes_recorded IS NOT NULL THEN string_split(c.outcomes_recorded, ',')
            WHEN c.outcome IS NOT NULL AND c.outcome NOT IN ('unknown', 'unmapped')
                THEN ['resolved_on_scene', 'referred_outpatient', 'crisis_center', 'voluntary_ed',
                      'involuntary_hold', 'arrest', 'refused_unable_to_contact']
            WHEN m.outcome IS NOT NULL AND m.outcome <> 'unknown' THEN l.map_outcomes
            ELSE []::VARCHAR[]
        END                                                 AS recorded,
        ar.call_id IS NOT NULL                              AS has_arrest_record,
        l.arrest_records
    FROM calls c
    JOIN loaded l ON l.agency = c.agency
    LEFT JOIN (SELECT DISTINCT agency, call_id FROM arrests WHERE call_id IS NOT NULL) ar
           ON ar.agency = c.agency AND ar.call_id = c.call_id
    LEFT JOIN disposition_map m ON m.agency = c.agency AND m.code = lower(trim(c.disposition))
)
SELECT
    o.* EXCLUDE (arrest_records),
    o.outcome NOT IN ('unknown', 'unmapped')                AS outcome_known,
    CASE WHEN list_has_any(o.recorded, (SELECT list(value) FROM vocabulary_groups WHERE grp = 'diverted'))
        THEN o.outcome IN (SELECT value FROM vocabulary_groups WHERE grp = 'diverted')
             AND NOT (o.arrest_records AND o.has_arrest_record)
    END                                                     AS diverted,
    CASE WHEN list_has_any(o.recorded, (SELECT list(value) FROM vocabulary_groups WHERE grp = 'care'))
        THEN o.outcome IN (SELECT value FROM vocabulary_groups WHERE grp = 'care')
    END                                                     AS connected_to_care,
    CASE WHEN list_contains(o.recorded, 'involuntary_hold') THEN o.outcome = 'involuntary_hold' END
                                                            AS involuntary_hold,
    CASE WHEN list_has_any(o.recorded, (SELECT list(value) FROM vocabulary_groups WHERE grp = 'ed_or_hold'))
        THEN o.outcome IN (SELECT value FROM vocabulary_groups WHERE grp = 'ed_or_hold')
    END                                                     AS transported,
    CASE WHEN o.arrest_records THEN 'arrest records'
         WHEN list_contains(o.recorded, 'arrest') THEN 'call outcome' END
                                                            AS arrest_source,
    CASE WHEN o.arrest_records THEN o.has_arrest_record
         WHEN list_contains(o.recorded, 'arrest') THEN o.outcome = 'arrest' END
                                                            AS arrested
FROM o;
