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
    SELECT count(*)                                                                  AS contacts,
           count(*) FILTER (WHERE outcome <> 'unknown')                              AS contact_outcome,
           count(person_key)                                                         AS person_key,
           count(minutes)                                                            AS contact_minutes
    FROM encounter_facts_stored
    WHERE encounter_date >= $start AND encounter_date < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
      AND ($district IS NULL OR district = $district)
      AND ($responder_type IS NULL OR responder_type = $responder_type)
), scene AS (
    -- the two groups the savings estimate compares (any responder filter aside, as there)
    SELECT count(*) FILTER (WHERE responder_type IN (SELECT value FROM vocabulary_groups WHERE grp = 'co_responder'))
                                                                                     AS co_responder_scene,
           count(*) FILTER (WHERE responder_type IN (SELECT value FROM vocabulary_groups WHERE grp = 'cit_only'))                    AS cit_scene
    FROM encounter_facts_stored
    WHERE contact_type = 'on_scene' AND outcome_known
      AND encounter_date >= $start AND encounter_date < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
      AND ($district IS NULL OR district = $district)
), o AS (
    -- outcomes recorded on BH calls (queries/models.sql :: call_outcome_facts): the number
    -- of calls each call-level outcome figure is measured on, for agencies without a log
    SELECT count(*) FILTER (WHERE outcome_known)                                     AS call_outcome,
           count(diverted)                                                           AS call_diversion,
           count(connected_to_care)                                                  AS call_care,
           count(involuntary_hold)                                                   AS call_hold,
           count(transported)                                                        AS call_transport,
           count(arrested) FILTER (WHERE arrest_source = 'call outcome')             AS call_arrest
    FROM call_outcome_facts
    WHERE is_bh
      AND call_date >= $start AND call_date < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
      AND ($district IS NULL OR district = $district)
), a AS (
    SELECT count(*) AS arrests,
           count(booked) AS booked                                               -- booked field recorded
    FROM arrests
    WHERE CAST(arrested_local AS DATE) >= $start AND CAST(arrested_local AS DATE) < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
), span AS (
    SELECT (SELECT min(call_date) FROM call_day_rollup WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency)))            AS calls_first,
           (SELECT max(call_date) FROM call_day_rollup WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency)))            AS calls_last,
           (SELECT min(encounter_date) FROM encounters WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency)))            AS contacts_first,
           (SELECT max(encounter_date) FROM encounters WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency)))            AS contacts_last,
           (SELECT CAST(min(arrested_local) AS DATE) FROM arrests WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency)))    AS arrests_first,
           (SELECT CAST(max(arrested_local) AS DATE) FROM arrests WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency)))    AS arrests_last
)
SELECT * FROM c, e, scene, o, a, span;
