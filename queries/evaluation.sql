-- Evaluation: monthly series by district for the interrupted time series and the staggered
-- difference-in-differences (pmhc/evaluation.py). No period filter: a design needs every
-- month before and after the start. Whether a month measures an outcome at all (the arrest
-- export covers it, use of force was recorded) is returned beside the count, so a month the
-- data does not cover is dropped, never read as zero. $agencies: one agency's rows in a
-- hub (a design is of one agency: its own rollout and months), NULL for every row.

-- name: evaluation_monthly
-- One row per district × month of calls (district 'Unknown' = empty in CAD):
--   days_observed      = days of the month with at least one call in the whole export
--                        (the exposure: a month the export covers only in part counts less);
--   bh_calls           = calls with is_bh;
--   bh_arrests         = arrest records naming a BH call of the month (dated by the call);
--   non_bh_arrests     = arrest records naming a non-BH call (placebo outcome);
--   bh_use_of_force    = BH calls with use_of_force true; bh_uof_recorded = BH calls where it is recorded;
--   bh_officer_hours   = officer_minutes ÷ 60 summed over BH calls; bh_minutes_recorded = BH calls with minutes.
-- From the stored daily totals (queries/rollups.sql :: call_day_rollup): a day is observed
-- when it has a row there (in any agency in view).
WITH days AS (
    SELECT month, count(DISTINCT call_date) AS days_observed FROM call_day_rollup WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency)) GROUP BY month
)
SELECT
    strftime(f.month, '%Y-%m')                                                   AS month,
    f.district,
    any_value(d.days_observed)                                                   AS days_observed,
    CAST(sum(f.calls) AS BIGINT)                                                 AS calls,
    CAST(sum(f.bh_calls) AS BIGINT)                                              AS bh_calls,
    CAST(sum(f.bh_linked_arrests) AS BIGINT)                                     AS bh_arrests,
    CAST(sum(f.non_bh_linked_arrests) AS BIGINT)                                 AS non_bh_arrests,
    CAST(sum(f.bh_force_calls) AS BIGINT)                                        AS bh_use_of_force,
    CAST(sum(f.bh_force_recorded_calls) AS BIGINT)                               AS bh_uof_recorded,
    coalesce(sum(f.bh_officer_minutes), 0) / 60.0                                AS bh_officer_hours,
    CAST(sum(f.bh_calls - f.bh_missing_officer_minutes) AS BIGINT)               AS bh_minutes_recorded
FROM call_day_rollup f
JOIN days d USING (month)
WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), f.agency))
GROUP BY ALL
ORDER BY month, f.district;

-- name: evaluation_arrest_months
-- Months the arrest export covers: arrest records by month of arrested_at (agency time zone),
-- linked to a call or not, and how many of them name a call found in CAD. A month with no
-- arrest record at all is not covered, so its arrest outcomes are "not measured". From the
-- stored daily totals (queries/rollups.sql :: arrest_day_rollup).
SELECT
    strftime(date_trunc('month', arrest_date), '%Y-%m')                          AS month,  -- on the agency's clock
    CAST(sum(arrests) AS BIGINT)                                                 AS arrests,
    CAST(sum(linked) AS BIGINT)                                                  AS arrests_linked
FROM arrest_day_rollup
WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
GROUP BY ALL
ORDER BY month;

-- name: evaluation_contact_months
-- Co-responder log contacts by month: the log only exists where the program works.
SELECT strftime(month, '%Y-%m') AS month, count(*) AS contacts
FROM encounter_facts_stored
WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
GROUP BY ALL
ORDER BY month;
