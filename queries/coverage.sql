-- Coverage: which inputs of the figure registry (pmhc/figures.py :: INPUTS) the loaded
-- data has for a selection, so a figure without them says "not measured" instead of 0.
-- Parameters: $start (DATE, inclusive), $end (DATE, exclusive), $district (NULL = all),
-- $responder_type (NULL = all; contact inputs only). pmhc.coverage runs it for the
-- selection and for everything loaded (start 0001-01-01, no filters).

-- name: figure_inputs
-- For each input: rows where it is recorded, and the rows it is counted over (BH calls
-- for call fields, contacts for log fields); first and last date of each table.
-- Call fields read the stored daily totals (queries/rollups.sql :: call_day_rollup).
WITH c AS (
    SELECT CAST(coalesce(sum(calls), 0) AS BIGINT)                                   AS calls,
           CAST(coalesce(sum(bh_calls), 0) AS BIGINT)                                AS bh_calls,
           CAST(coalesce(sum(co_recorded_bh_calls), 0) AS BIGINT)                    AS co_responder,
           CAST(coalesce(sum(cit_recorded_bh_calls), 0) AS BIGINT)                   AS cit_officer,
           CAST(coalesce(sum(bh_calls - bh_missing_officer_minutes), 0) AS BIGINT)   AS officer_minutes,
           CAST(coalesce(sum(bh_calls - bh_missing_on_scene), 0) AS BIGINT)          AS on_scene_time,
           CAST(coalesce(sum(bh_force_recorded_calls), 0) AS BIGINT)                 AS use_of_force
    FROM call_day_rollup
    WHERE call_date >= $start AND call_date < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
      AND ($district IS NULL OR district = $district)
), e AS (
    -- contact fields, from the stored daily contact counts (queries/rollups.sql :: contact_day_rollup)
    SELECT CAST(coalesce(sum(contacts), 0) AS BIGINT)                                 AS contacts,
           CAST(coalesce(sum(contacts) FILTER (WHERE outcome <> 'unknown'), 0) AS BIGINT) AS contact_outcome,
           CAST(coalesce(sum(contacts) FILTER (WHERE identified), 0) AS BIGINT)       AS person_key,
           CAST(coalesce(sum(minutes_n), 0) AS BIGINT)                                AS contact_minutes
    FROM contact_day_rollup
    WHERE encounter_date >= $start AND encounter_date < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
      AND ($district IS NULL OR district = $district)
      AND ($responder_type IS NULL OR responder_type = $responder_type)
), scene AS (
    -- the two groups the savings estimate compares (any responder filter aside, as there)
    SELECT CAST(coalesce(sum(contacts) FILTER (WHERE responder_type IN
               (SELECT value FROM vocabulary_groups WHERE grp = 'co_responder')), 0) AS BIGINT) AS co_responder_scene,
           CAST(coalesce(sum(contacts) FILTER (WHERE responder_type IN
               (SELECT value FROM vocabulary_groups WHERE grp = 'cit_only')), 0) AS BIGINT)     AS cit_scene
    FROM contact_day_rollup
    WHERE contact_type = 'on_scene' AND outcome_known
      AND encounter_date >= $start AND encounter_date < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
      AND ($district IS NULL OR district = $district)
), o AS (
    -- outcomes recorded on BH calls (queries/models.sql :: call_outcome_facts): the number
    -- of calls each call-level outcome figure is measured on, for agencies without a log;
    -- from the stored daily totals (queries/rollups.sql :: call_outcome_day_rollup)
    SELECT CAST(coalesce(sum(outcome_known), 0) AS BIGINT)                           AS call_outcome,
           CAST(coalesce(sum(diversion_measured), 0) AS BIGINT)                      AS call_diversion,
           CAST(coalesce(sum(care_measured), 0) AS BIGINT)                           AS call_care,
           CAST(coalesce(sum(holds_measured), 0) AS BIGINT)                          AS call_hold,
           CAST(coalesce(sum(transports_measured), 0) AS BIGINT)                     AS call_transport,
           CAST(coalesce(sum(call_arrest_measured), 0) AS BIGINT)                    AS call_arrest
    FROM call_outcome_day_rollup
    WHERE call_date >= $start AND call_date < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
      AND ($district IS NULL OR district = $district)
), a AS (
    -- arrests dated on their agency's clock (arrested_local)
    SELECT CAST(coalesce(sum(arrests), 0) AS BIGINT) AS arrests,
           CAST(coalesce(sum(booked), 0) AS BIGINT)  AS booked                       -- booked field recorded
    FROM arrest_day_rollup
    WHERE arrest_date >= $start AND arrest_date < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
), span AS (
    SELECT (SELECT min(call_date) FROM call_day_rollup WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency)))            AS calls_first,
           (SELECT max(call_date) FROM call_day_rollup WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency)))            AS calls_last,
           (SELECT min(encounter_date) FROM contact_day_rollup WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency)))    AS contacts_first,
           (SELECT max(encounter_date) FROM contact_day_rollup WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency)))    AS contacts_last,
           (SELECT min(arrest_date) FROM arrest_day_rollup WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency)))        AS arrests_first,
           (SELECT max(arrest_date) FROM arrest_day_rollup WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency)))        AS arrests_last
)
SELECT * FROM c, e, scene, o, a, span;
