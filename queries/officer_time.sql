-- Officer time on behavioral-health calls. Parameters as in volume.sql ($by: total | month | district).
-- officer_minutes is the CAD sum over all units; on-scene time is first unit on scene to
-- last unit cleared. Calls missing a time are left out of that average only (counted in
-- *_missing_time).

-- name: officer_time
-- Reads the stored daily totals of call_facts (queries/rollups.sql :: call_day_rollup);
-- averages are sums of minutes ÷ counts of calls with the time recorded, over the period.
SELECT
    CASE $by WHEN 'month' THEN strftime(month, '%Y-%m')
             WHEN 'district' THEN district
             ELSE 'all' END                                                   AS bucket,
    CAST(sum(bh_calls) AS BIGINT)                                             AS bh_calls,
    sum(bh_officer_minutes) / 60.0                                            AS officer_hours_bh,
    sum(co_bh_on_scene_minutes) / nullif(sum(co_bh_on_scene_minutes_n), 0)    AS avg_on_scene_minutes_co_responded,
    sum(not_co_bh_on_scene_minutes) / nullif(sum(not_co_bh_on_scene_minutes_n), 0)
                                                                              AS avg_on_scene_minutes_not_co_responded,
    sum(co_bh_officer_minutes) / nullif(sum(co_bh_officer_minutes_n), 0)      AS avg_officer_minutes_co_responded,
    sum(not_co_bh_officer_minutes) / nullif(sum(not_co_bh_officer_minutes_n), 0)
                                                                              AS avg_officer_minutes_not_co_responded,
    CAST(sum(co_bh_calls) AS BIGINT)                                          AS co_responded_bh_calls,
    -- (average officer minutes on a BH call without a co-responder minus with one)
    -- × co-responded BH calls: patrol time the co-responder handed back. Can be negative.
    (sum(not_co_bh_officer_minutes) / nullif(sum(not_co_bh_officer_minutes_n), 0)
        - sum(co_bh_officer_minutes) / nullif(sum(co_bh_officer_minutes_n), 0))
        * sum(co_bh_calls) / 60.0                                             AS officer_hours_returned,
    CAST(sum(bh_missing_officer_minutes) AS BIGINT)                           AS bh_calls_missing_officer_minutes,
    CAST(sum(bh_missing_on_scene) AS BIGINT)                                  AS bh_calls_missing_time
FROM call_day_rollup
WHERE bh_calls > 0 AND call_date >= $start AND call_date < $end
  AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
  AND ($district IS NULL OR district = $district)
GROUP BY ALL
ORDER BY bucket;
