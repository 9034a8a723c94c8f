-- Outcomes recorded on the call (CAD disposition codes or Yes/No flags), for agencies
-- whose only record is CAD; reads queries/models.sql :: call_outcome_facts. Same
-- parameters as outcomes.sql ($start, $end, $district, $by). Counting unit: BH calls.
-- Every figure comes with the number of calls it is measured on (`*_measured`): a call
-- counts there when its export records an outcome that bears on the figure. A rate is
-- NULL (not measured) when no call in the bucket is measured, never 0. Arrests use arrest
-- records when any are loaded, else the call outcome (arrest_source says which).

-- name: outcomes_from_calls
-- Diversion, connection to care, involuntary holds, ED transports and arrests over BH calls.
SELECT
    CASE $by WHEN 'month' THEN strftime(month, '%Y-%m')
             WHEN 'district' THEN district
             WHEN 'call_type' THEN coalesce(nullif(trim(call_type), ''), 'Unknown')
             WHEN 'beat' THEN coalesce(beat, 'Unknown')
             ELSE 'all' END                                                   AS bucket,
    count(*)                                                                  AS bh_calls,
    count(*) FILTER (WHERE outcome_known)                                     AS bh_calls_outcome_known,
    count(*) FILTER (WHERE NOT outcome_known)                                 AS bh_calls_outcome_unknown,
    count(diverted)                                                           AS diversion_measured,
    count(*) FILTER (WHERE diverted)                                          AS diverted_calls,
    count(*) FILTER (WHERE diverted) / nullif(count(diverted), 0)             AS call_diversion_rate,
    count(connected_to_care)                                                  AS care_measured,
    count(*) FILTER (WHERE connected_to_care)                                 AS care_connected_calls,
    count(*) FILTER (WHERE connected_to_care) / nullif(count(connected_to_care), 0)
                                                                              AS call_connection_to_care_rate,
    count(involuntary_hold)                                                   AS holds_measured,
    count(*) FILTER (WHERE involuntary_hold)                                  AS involuntary_hold_calls,
    count(*) FILTER (WHERE involuntary_hold) / nullif(count(involuntary_hold), 0)
                                                                              AS call_involuntary_hold_rate,
    count(transported)                                                        AS transports_measured,
    count(*) FILTER (WHERE transported)                                       AS ed_transport_calls,
    count(arrested)                                                           AS arrests_measured,
    count(*) FILTER (WHERE arrested)                                          AS arrested_calls,
    count(*) FILTER (WHERE arrested) / nullif(count(arrested), 0)             AS call_arrest_rate,
    min(arrest_source)                                                        AS arrest_source
FROM call_outcome_facts
WHERE is_bh
  AND call_date >= $start AND call_date < $end
  AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
  AND ($district IS NULL OR district = $district)
GROUP BY ALL
ORDER BY bucket;
