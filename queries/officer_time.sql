-- Officer time on behavioral-health calls. Parameters as in volume.sql ($by: total | month | district).
-- officer_minutes is the CAD sum over all units; on-scene time is first unit on scene to
-- last unit cleared. Calls missing a time are left out of that average only (counted in
-- *_missing_time).

-- name: officer_time
SELECT
    CASE $by WHEN 'month' THEN strftime(month, '%Y-%m')
             WHEN 'district' THEN district
             ELSE 'all' END                                                   AS bucket,
    count(*)                                                                  AS bh_calls,
    sum(officer_minutes) / 60.0                                               AS officer_hours_bh,
    avg(on_scene_minutes) FILTER (WHERE co_responded)                         AS avg_on_scene_minutes_co_responded,
    avg(on_scene_minutes) FILTER (WHERE NOT co_responded)                     AS avg_on_scene_minutes_not_co_responded,
    avg(officer_minutes) FILTER (WHERE co_responded)                          AS avg_officer_minutes_co_responded,
    avg(officer_minutes) FILTER (WHERE NOT co_responded)                      AS avg_officer_minutes_not_co_responded,
    count(*) FILTER (WHERE co_responded)                                      AS co_responded_bh_calls,
    -- (average officer minutes on a BH call without a co-responder minus with one)
    -- × co-responded BH calls: patrol time the co-responder handed back. Can be negative.
    (avg(officer_minutes) FILTER (WHERE NOT co_responded)
        - avg(officer_minutes) FILTER (WHERE co_responded))
        * count(*) FILTER (WHERE co_responded) / 60.0                         AS officer_hours_returned,
    count(*) FILTER (WHERE officer_minutes IS NULL)                           AS bh_calls_missing_officer_minutes,
    count(*) FILTER (WHERE on_scene_minutes IS NULL)                          AS bh_calls_missing_time
FROM call_facts
WHERE is_bh AND call_date >= $start AND call_date < $end
  AND ($district IS NULL OR district = $district)
GROUP BY ALL
ORDER BY bucket;
