-- Outcomes recorded on the call (CAD disposition codes or Yes/No flags), for agencies
-- whose only record is CAD; reads queries/models.sql :: call_outcome_facts. Same
-- parameters as outcomes.sql ($start, $end, $district, $by). Counting unit: BH calls.
-- Every figure comes with the number of calls it is measured on (`*_measured`): a call
-- counts there when its export records an outcome that bears on the figure. A rate is
-- NULL (not measured) when no call in the bucket is measured, never 0. Arrests use arrest
-- records when any are loaded, else the call outcome (arrest_source says which).

-- name: outcomes_from_calls
-- Diversion, connection to care, involuntary holds, ED transports and arrests over BH calls
-- ($by: total, month, district, call type or beat), from the stored daily totals of call_outcome_facts
-- (queries/rollups.sql :: call_outcome_day_rollup).
SELECT
    CASE $by WHEN 'month' THEN strftime(month, '%Y-%m')
             WHEN 'district' THEN district
             WHEN 'call_type' THEN call_type
             WHEN 'beat' THEN beat
             ELSE 'all' END                                                   AS bucket,
    CAST(sum(bh_calls) AS BIGINT)                                             AS bh_calls,
    CAST(sum(outcome_known) AS BIGINT)                                        AS bh_calls_outcome_known,
    CAST(sum(bh_calls - outcome_known) AS BIGINT)                             AS bh_calls_outcome_unknown,
    CAST(sum(diversion_measured) AS BIGINT)                                   AS diversion_measured,
    CAST(sum(diverted) AS BIGINT)                                             AS diverted_calls,
    sum(diverted) / nullif(sum(diversion_measured), 0)                        AS call_diversion_rate,
    CAST(sum(care_measured) AS BIGINT)                                        AS care_measured,
    CAST(sum(care_connected) AS BIGINT)                                       AS care_connected_calls,
    sum(care_connected) / nullif(sum(care_measured), 0)                       AS call_connection_to_care_rate,
    CAST(sum(holds_measured) AS BIGINT)                                       AS holds_measured,
    CAST(sum(holds) AS BIGINT)                                                AS involuntary_hold_calls,
    sum(holds) / nullif(sum(holds_measured), 0)                               AS call_involuntary_hold_rate,
    CAST(sum(transports_measured) AS BIGINT)                                  AS transports_measured,
    CAST(sum(transported) AS BIGINT)                                          AS ed_transport_calls,
    CAST(sum(arrests_measured) AS BIGINT)                                     AS arrests_measured,
    CAST(sum(arrested) AS BIGINT)                                             AS arrested_calls,
    sum(arrested) / nullif(sum(arrests_measured), 0)                          AS call_arrest_rate,
    min(arrest_source)                                                        AS arrest_source
FROM call_outcome_day_rollup
WHERE call_date >= $start AND call_date < $end
  AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
  AND ($district IS NULL OR district = $district)
GROUP BY ALL
ORDER BY bucket;
