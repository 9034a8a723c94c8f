-- Volume: calls, behavioral-health calls, co-response coverage, contacts, people served.
-- Parameters: $start (DATE, inclusive), $end (DATE, exclusive), $district (NULL = all),
-- $responder_type (NULL = all; contact figures only), $by (total | month | district |
-- responder_type | contact_type) chooses the rows: one definition for the period total,
-- the monthly trend and every breakdown. $agencies: the agencies whose rows are read,
-- comma-separated keys (NULL = every row: a single-agency database); in a hub one
-- agency's pages read its own, a pooled figure several (pmhc/comparison.py). Every
-- figure query of queries/ takes it the same way.

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
  AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
  AND ($district IS NULL OR district = $district)
GROUP BY ALL
ORDER BY bucket;

-- name: calls_by_category
-- Call figures by a categorical column of the export (pmhc/figures.py :: CATEGORIES):
-- $by = call_type (as exported, trimmed; empty = 'Unknown') or beat (empty = 'Unknown');
-- 'all' for the period. The same definitions as volume_calls and outcomes_calls, read
-- from the stored totals per day, district, call type and beat (queries/rollups.sql ::
-- call_category_rollup), so the buckets add up to the period's calls, BH calls,
-- co-responded BH calls and BH calls with an arrest record.
SELECT
    CASE $by WHEN 'call_type' THEN call_type
             WHEN 'beat' THEN beat
             ELSE 'all' END                                         AS bucket,
    CAST(sum(calls) AS BIGINT)                                      AS calls_total,
    CAST(sum(bh_calls) AS BIGINT)                                   AS bh_calls,
    CAST(sum(co_bh_calls) AS BIGINT)                                AS co_responded_bh_calls,
    CAST(sum(not_co_bh_calls) AS BIGINT)                            AS not_co_responded_bh_calls,
    sum(co_bh_calls) / nullif(sum(co_recorded_bh_calls), 0)         AS co_response_coverage,
    CAST(sum(bh_arrest_calls) AS BIGINT)                            AS bh_calls_with_arrest,
    sum(bh_arrest_calls) / nullif(sum(bh_calls), 0)                 AS bh_arrest_rate
FROM call_category_rollup
WHERE call_date >= $start AND call_date < $end
  AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
  AND ($district IS NULL OR district = $district)
GROUP BY ALL
ORDER BY bucket;

-- name: volume_contacts
-- Co-responder log figures. Contacts are dated by encounter_date; a contact's district is
-- its call's district, and 'Unknown' for follow-ups and referrals that have no call.
-- Counts and hours read the stored daily contact counts (queries/rollups.sql ::
-- contact_day_rollup); people served (each person once in the period) the stored contacts.
WITH counts AS (
    SELECT
        CASE $by WHEN 'month' THEN strftime(month, '%Y-%m')
                 WHEN 'district' THEN district
                 WHEN 'responder_type' THEN responder_type
                 WHEN 'contact_type' THEN contact_type
                 ELSE 'all' END                                     AS bucket,
        CAST(sum(contacts) AS BIGINT)                               AS contacts_total,
        CAST(coalesce(sum(contacts) FILTER (WHERE contact_type = 'on_scene'), 0) AS BIGINT)  AS on_scene_contacts,
        CAST(coalesce(sum(contacts) FILTER (WHERE contact_type = 'follow_up'), 0) AS BIGINT) AS follow_up_contacts,
        CAST(coalesce(sum(contacts) FILTER (WHERE contact_type = 'referral'), 0) AS BIGINT)  AS referral_contacts,
        CAST(coalesce(sum(contacts) FILTER (WHERE NOT identified), 0) AS BIGINT)            AS unidentified_contacts,
        sum(minutes) / 60.0                                         AS responder_hours
    FROM contact_day_rollup
    WHERE encounter_date >= $start AND encounter_date < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
      AND ($district IS NULL OR district = $district)
      AND ($responder_type IS NULL OR responder_type = $responder_type)
    GROUP BY ALL
), people AS (
    SELECT
        CASE $by WHEN 'month' THEN strftime(month, '%Y-%m')
                 WHEN 'district' THEN district
                 WHEN 'responder_type' THEN responder_type
                 WHEN 'contact_type' THEN contact_type
                 ELSE 'all' END                                     AS bucket,
        count(DISTINCT person_no)                                   AS people_served  -- one number per person_key
    FROM encounter_facts_stored
    WHERE person_no IS NOT NULL
      AND encounter_date >= $start AND encounter_date < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
      AND ($district IS NULL OR district = $district)
      AND ($responder_type IS NULL OR responder_type = $responder_type)
    GROUP BY ALL
)
SELECT c.bucket, c.contacts_total, c.on_scene_contacts, c.follow_up_contacts, c.referral_contacts,
       coalesce(p.people_served, 0) AS people_served, c.unidentified_contacts, c.responder_hours
FROM counts c LEFT JOIN people p USING (bucket)
ORDER BY c.bucket;

-- name: bh_call_heatmap
-- Behavioral-health calls by weekday (1 = Monday) and hour received, for staffing.
-- Reads the stored per-day, per-hour BH call counts (queries/rollups.sql :: bh_hour_rollup).
SELECT weekday, hour, CAST(sum(bh_calls) AS BIGINT) AS bh_calls
FROM bh_hour_rollup
WHERE call_date >= $start AND call_date < $end
  AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
  AND ($district IS NULL OR district = $district)
GROUP BY ALL
ORDER BY weekday, hour;

-- name: data_range
-- What is loaded: first and last date and row count per table (from the stored daily
-- totals, which hold every row).
SELECT 'calls' AS table_name, min(call_date) AS first_date, max(call_date) AS last_date,
       CAST(coalesce(sum(calls), 0) AS BIGINT) AS row_count
FROM call_day_rollup WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
UNION ALL
SELECT 'encounters', min(encounter_date), max(encounter_date), CAST(coalesce(sum(contacts), 0) AS BIGINT)
FROM contact_day_rollup WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
UNION ALL
SELECT 'arrests', min(arrest_date), max(arrest_date), CAST(coalesce(sum(arrests), 0) AS BIGINT)
FROM arrest_day_rollup WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency));

-- name: districts
-- Districts present in the calls, for the filter bar.
SELECT DISTINCT district FROM call_day_rollup WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency)) ORDER BY district;
