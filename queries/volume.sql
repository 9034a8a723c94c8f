-- Volume: calls, behavioral-health calls, co-response coverage, contacts, people served.
-- Parameters: $start (DATE, inclusive), $end (DATE, exclusive), $district (NULL = all),
-- $responder_type (NULL = all; contact figures only), $by (total | month | district |
-- responder_type | contact_type) chooses the rows: one definition for the period total,
-- the monthly trend and every breakdown.

-- name: volume_calls
-- Call figures. Calls are dated by when they were received (agency time zone).
-- Reads the stored daily totals of call_facts (queries/rollups.sql :: call_day_rollup):
-- calls_total = count of calls, bh_calls = calls with is_bh, co-responded = is_bh AND
-- co_responded; co-response coverage over BH calls where co_responder_present is
-- recorded, CIT coverage over BH calls where cit_officer_present is recorded.
SELECT
    CASE $by WHEN 'month' THEN strftime(month, '%Y-%m')
             WHEN 'district' THEN district
             ELSE 'all' END                                         AS bucket,
    CAST(sum(calls) AS BIGINT)                                      AS calls_total,
    CAST(sum(bh_calls) AS BIGINT)                                   AS bh_calls,
    sum(bh_calls) / nullif(sum(calls), 0)                           AS bh_share,
    CAST(sum(co_bh_calls) AS BIGINT)                                AS co_responded_bh_calls,
    CAST(sum(not_co_bh_calls) AS BIGINT)                            AS not_co_responded_bh_calls,
    sum(co_bh_calls) / nullif(sum(co_recorded_bh_calls), 0)         AS co_response_coverage,
    CAST(sum(cit_bh_calls) AS BIGINT)                               AS cit_bh_calls,
    sum(cit_bh_calls) / nullif(sum(cit_recorded_bh_calls), 0)       AS cit_coverage
FROM call_day_rollup
WHERE call_date >= $start AND call_date < $end
  AND ($district IS NULL OR district = $district)
GROUP BY ALL
ORDER BY bucket;

-- name: calls_by_category
-- Call figures by a categorical column of the export: $by = call_type (as exported) or
-- beat (empty = 'Unknown'). The same definitions as volume_calls, from the stored daily
-- totals per category (queries/rollups.sql :: call_category_day_rollup), so the buckets
-- add up to the period's calls, BH calls and co-responded BH calls.
SELECT
    CASE WHEN $by IN ('call_type', 'beat') THEN value ELSE 'all' END AS bucket,
    CAST(sum(calls) AS BIGINT)                                      AS calls_total,
    CAST(sum(bh_calls) AS BIGINT)                                   AS bh_calls,
    CAST(sum(co_bh_calls) AS BIGINT)                                AS co_responded_bh_calls,
    sum(co_bh_calls) / nullif(sum(co_recorded_bh_calls), 0)         AS co_response_coverage
FROM call_category_day_rollup
WHERE category = CASE WHEN $by = 'beat' THEN 'beat' ELSE 'call_type' END  -- each call once per category
  AND call_date >= $start AND call_date < $end
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
    count(DISTINCT person_no)                                       AS people_served,  -- one number per person_key
    count(*) FILTER (WHERE person_key IS NULL)                      AS unidentified_contacts,
    sum(minutes) / 60.0                                             AS responder_hours
FROM encounter_facts_stored
WHERE encounter_date >= $start AND encounter_date < $end
  AND ($district IS NULL OR district = $district)
  AND ($responder_type IS NULL OR responder_type = $responder_type)
GROUP BY ALL
ORDER BY bucket;

-- name: bh_call_heatmap
-- Behavioral-health calls by weekday (1 = Monday) and hour received, for staffing.
-- Reads the stored per-day, per-hour BH call counts (queries/rollups.sql :: bh_hour_rollup).
SELECT weekday, hour, CAST(sum(bh_calls) AS BIGINT) AS bh_calls
FROM bh_hour_rollup
WHERE call_date >= $start AND call_date < $end
  AND ($district IS NULL OR district = $district)
GROUP BY ALL
ORDER BY weekday, hour;

-- name: data_range
-- What is loaded: first and last date and row count per table (calls and arrests from the
-- stored daily totals, which hold every row).
SELECT 'calls' AS table_name, min(call_date) AS first_date, max(call_date) AS last_date,
       CAST(coalesce(sum(calls), 0) AS BIGINT) AS row_count
FROM call_day_rollup
UNION ALL
SELECT 'encounters', min(encounter_date), max(encounter_date), count(*) FROM encounters
UNION ALL
SELECT 'arrests', min(arrest_date), max(arrest_date), CAST(coalesce(sum(arrests), 0) AS BIGINT)
FROM arrest_day_rollup;

-- name: districts
-- Districts present in the calls, for the filter bar.
SELECT DISTINCT district FROM call_day_rollup ORDER BY district;
