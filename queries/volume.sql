-- Volume: calls, behavioral-health calls, co-response coverage, contacts, people served.
-- Parameters: $start (DATE, inclusive), $end (DATE, exclusive), $district (NULL = all),
-- $responder_type (NULL = all; contact figures only), $by (total | month | district |
-- responder_type | contact_type) chooses the rows: one definition for the period total,
-- the monthly trend and every breakdown.

-- name: volume_calls
-- Call figures. Calls are dated by when they were received (agency time zone).
SELECT
    CASE $by WHEN 'month' THEN strftime(month, '%Y-%m')
             WHEN 'district' THEN district
             ELSE 'all' END                                         AS bucket,
    count(*)                                                        AS calls_total,
    count(*) FILTER (WHERE is_bh)                                   AS bh_calls,
    count(*) FILTER (WHERE is_bh) / nullif(count(*), 0)             AS bh_share,
    count(*) FILTER (WHERE is_bh AND co_responded)                  AS co_responded_bh_calls,
    count(*) FILTER (WHERE is_bh AND NOT co_responded)              AS not_co_responded_bh_calls,
    count(*) FILTER (WHERE is_bh AND co_responded)
        / nullif(count(*) FILTER (WHERE is_bh), 0)                  AS co_response_coverage,
    count(*) FILTER (WHERE is_bh AND cit_officer_present)           AS cit_bh_calls,
    count(*) FILTER (WHERE is_bh AND cit_officer_present)
        / nullif(count(*) FILTER (WHERE is_bh AND cit_officer_present IS NOT NULL), 0) AS cit_coverage
FROM call_facts
WHERE call_date >= $start AND call_date < $end
  AND ($district IS NULL OR district = $district)
GROUP BY ALL
ORDER BY bucket;

-- name: volume_contacts
-- Co-responder log figures. Contacts are dated by encounter_date; a contact's district is
-- its call's district, and 'Unknown' for follow-ups and referrals that have no call.
SELECT
    CASE $by WHEN 'month' THEN strftime(month, '%Y-%m')
             WHEN 'district' THEN district
             WHEN 'responder_type' THEN responder_type
             WHEN 'contact_type' THEN contact_type
             ELSE 'all' END                                         AS bucket,
    count(*)                                                        AS contacts_total,
    count(*) FILTER (WHERE contact_type = 'on_scene')               AS on_scene_contacts,
    count(*) FILTER (WHERE contact_type = 'follow_up')              AS follow_up_contacts,
    count(*) FILTER (WHERE contact_type = 'referral')               AS referral_contacts,
    count(DISTINCT person_key)                                      AS people_served,
    count(*) FILTER (WHERE person_key IS NULL)                      AS unidentified_contacts,
    sum(minutes) / 60.0                                             AS responder_hours
FROM encounter_facts
WHERE encounter_date >= $start AND encounter_date < $end
  AND ($district IS NULL OR district = $district)
  AND ($responder_type IS NULL OR responder_type = $responder_type)
GROUP BY ALL
ORDER BY bucket;

-- name: bh_call_heatmap
-- Behavioral-health calls by weekday (1 = Monday) and hour received, for staffing.
SELECT weekday, hour, count(*) AS bh_calls
FROM call_facts
WHERE is_bh AND call_date >= $start AND call_date < $end
  AND ($district IS NULL OR district = $district)
GROUP BY ALL
ORDER BY weekday, hour;

-- name: data_range
-- What is loaded: first and last date and row count per table.
SELECT 'calls' AS table_name, min(call_date) AS first_date, max(call_date) AS last_date, count(*) AS row_count
FROM call_facts
UNION ALL
SELECT 'encounters', min(encounter_date), max(encounter_date), count(*) FROM encounters
UNION ALL
SELECT 'arrests', CAST(min(arrested_at) AS DATE), CAST(max(arrested_at) AS DATE), count(*) FROM arrests;

-- name: districts
-- Districts present in the calls, for the filter bar.
SELECT DISTINCT district FROM call_facts ORDER BY district;
