-- Outcomes and diversion. Same parameters as volume.sql ($start, $end, $district,
-- $responder_type, $by). Outcome groups (pmhc/schema.py :: GROUPS, read from the table
-- vocabulary_groups the import writes):
--   diverted: resolved_on_scene, referred_outpatient, crisis_center, voluntary_ed,
--             and no arrest linked to the contact's call;
--   connection to care: referred_outpatient, crisis_center, voluntary_ed;
--   unknown: outcome empty or an unmapped code (counted and shown, never dropped).

-- name: outcomes_contacts
-- Diversion, connection to care and involuntary holds over BH contacts (co-responder log),
-- from the stored daily contact counts (queries/rollups.sql :: contact_day_rollup).
-- By call type or beat: the contact's call's, 'No linked call' for contacts without one.
SELECT
    CASE $by WHEN 'month' THEN strftime(month, '%Y-%m')
             WHEN 'district' THEN district
             WHEN 'responder_type' THEN responder_type
             WHEN 'contact_type' THEN contact_type
             WHEN 'call_type' THEN call_type
             WHEN 'beat' THEN beat
             ELSE 'all' END                                                   AS bucket,
    CAST(sum(contacts) AS BIGINT)                                             AS bh_contacts,
    CAST(coalesce(sum(contacts) FILTER (WHERE outcome_known), 0) AS BIGINT)   AS known_outcome_contacts,
    CAST(coalesce(sum(contacts) FILTER (WHERE NOT outcome_known), 0) AS BIGINT) AS unknown_outcome_contacts,
    CAST(coalesce(sum(contacts) FILTER (WHERE outcome_known AND NOT call_has_arrest
        AND outcome IN (SELECT value FROM vocabulary_groups WHERE grp = 'diverted')), 0) AS BIGINT)
                                                                              AS diverted_contacts,
    coalesce(sum(contacts) FILTER (WHERE outcome_known AND NOT call_has_arrest
        AND outcome IN (SELECT value FROM vocabulary_groups WHERE grp = 'diverted')), 0)
        / nullif(sum(contacts) FILTER (WHERE outcome_known), 0)               AS diversion_rate,
    CAST(coalesce(sum(contacts) FILTER (WHERE outcome IN (SELECT value FROM vocabulary_groups WHERE grp = 'care')), 0)
         AS BIGINT)                                                           AS care_connections,
    coalesce(sum(contacts) FILTER (WHERE outcome IN (SELECT value FROM vocabulary_groups WHERE grp = 'care')), 0)
        / nullif(sum(contacts) FILTER (WHERE outcome_known), 0)               AS connection_to_care_rate,
    CAST(coalesce(sum(contacts) FILTER (WHERE outcome = 'involuntary_hold'), 0) AS BIGINT) AS involuntary_holds,
    CAST(coalesce(sum(contacts) FILTER (WHERE outcome = 'arrest' OR call_has_arrest), 0) AS BIGINT)
                                                                              AS contacts_ending_in_arrest
FROM contact_day_rollup
WHERE encounter_date >= $start AND encounter_date < $end
  AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
  AND ($district IS NULL OR district = $district)
  AND ($responder_type IS NULL OR responder_type = $responder_type)
GROUP BY ALL
ORDER BY bucket;

-- name: outcome_mix
-- Contacts by outcome (long form, 'unknown' and 'unmapped' included) per bucket, from the
-- stored daily contact counts.
SELECT
    CASE $by WHEN 'month' THEN strftime(month, '%Y-%m')
             WHEN 'district' THEN district
             WHEN 'responder_type' THEN responder_type
             WHEN 'contact_type' THEN contact_type
             ELSE 'all' END                                                   AS bucket,
    outcome,
    CAST(sum(contacts) AS BIGINT)                                             AS contacts
FROM contact_day_rollup
WHERE encounter_date >= $start AND encounter_date < $end
  AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
  AND ($district IS NULL OR district = $district)
  AND ($responder_type IS NULL OR responder_type = $responder_type)
GROUP BY ALL
ORDER BY bucket, outcome;

-- name: outcomes_calls
-- Arrests and use of force on BH calls, co-responded vs not. An arrest counts when an
-- arrest record names the call's call_id; arrests without a call_id are not attributed.
-- Reads the stored daily totals of call_facts (queries/rollups.sql :: call_day_rollup).
SELECT
    CASE $by WHEN 'month' THEN strftime(month, '%Y-%m')
             WHEN 'district' THEN district
             ELSE 'all' END                                                   AS bucket,
    CAST(sum(bh_calls) AS BIGINT)                                             AS bh_calls,
    CAST(sum(bh_arrest_calls) AS BIGINT)                                      AS bh_calls_with_arrest,
    sum(bh_arrest_calls) / nullif(sum(bh_calls), 0)                           AS bh_arrest_rate,
    CAST(sum(co_bh_calls) AS BIGINT)                                          AS co_responded_bh_calls,
    CAST(sum(co_bh_arrest_calls) AS BIGINT)                                   AS co_responded_bh_calls_with_arrest,
    sum(co_bh_arrest_calls) / nullif(sum(co_bh_calls), 0)                     AS arrest_rate_co_responded,
    CAST(sum(not_co_bh_calls) AS BIGINT)                                      AS not_co_responded_bh_calls,
    CAST(sum(not_co_bh_arrest_calls) AS BIGINT)                               AS not_co_responded_bh_calls_with_arrest,
    sum(not_co_bh_arrest_calls) / nullif(sum(not_co_bh_calls), 0)             AS arrest_rate_not_co_responded,
    CAST(sum(bh_force_calls) AS BIGINT)                                       AS bh_calls_with_force,
    CAST(sum(bh_force_recorded_calls) AS BIGINT)                              AS bh_calls_force_recorded
FROM call_day_rollup
WHERE call_date >= $start AND call_date < $end
  AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
  AND ($district IS NULL OR district = $district)
GROUP BY ALL
ORDER BY bucket;
