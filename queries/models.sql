-- Views every metric reads. Created by the writer at import (pmhc.db.ensure_schema);
-- the dashboard opens the database read-only and only selects from them.

-- name: call_facts
-- One row per CAD call with what call metrics need, on the agency's wall clock.
CREATE OR REPLACE VIEW call_facts AS
SELECT
    c.call_id,
    c.received_local,
    CAST(c.received_local AS DATE)                      AS call_date,
    CAST(date_trunc('month', c.received_local) AS DATE) AS month,
    hour(c.received_local)                              AS hour,
    isodow(c.received_local)                            AS weekday,   -- 1 = Monday
    coalesce(nullif(trim(c.district), ''), 'Unknown')   AS district,
    coalesce(nullif(trim(c.beat), ''), 'Unknown')       AS beat,
    c.call_type,
    c.is_bh,
    -- empty = unknown, unless the agency's config says empty means not co-responded
    -- ([data_rules] co_responder_empty, written to settings by the importer)
    coalesce(c.co_responder_present, CASE WHEN (SELECT value FROM settings
        WHERE key = 'rule:co_responder_empty') = 'not_co_responded' THEN false END) AS co_responded,
    c.cit_officer_present,
    c.officer_minutes,
    -- whole seconds from first unit on scene to last cleared, as date_diff('second', ...)
    -- counts them, computed on epoch microseconds (50× faster than the calendar version)
    (epoch_us(c.cleared_at) // 1000000 - epoch_us(c.on_scene_at) // 1000000) / 60.0 AS on_scene_minutes,
    c.use_of_force,
    c.disposition,
    c.call_id IN (SELECT a.call_id FROM arrests a WHERE a.call_id IS NOT NULL) AS has_arrest
FROM calls c;

-- name: encounter_facts
-- One row per co-responder log contact, with its call's district and arrest link.
-- Every contact in the log is a behavioral-health (BH) contact.
CREATE OR REPLACE VIEW encounter_facts AS
SELECT
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
    c.call_id IS NOT NULL                               AS call_found,
    coalesce(c.co_responder_present, false)             AS call_co_responded,
    coalesce(e.call_id IN (SELECT a.call_id FROM arrests a WHERE a.call_id IS NOT NULL), false) AS call_has_arrest
FROM encounters e
LEFT JOIN calls c ON c.call_id = e.call_id;
