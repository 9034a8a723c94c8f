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
WITH arrests_by_call AS (
    SELECT agency, call_id, count(*) AS n FROM arrests WHERE call_id IS NOT NULL GROUP BY agency, call_id
), days AS (
    SELECT month, count(DISTINCT call_date) AS days_observed FROM call_facts WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency)) GROUP BY month
)
SELECT
    strftime(f.month, '%Y-%m')                                                   AS month,
    f.district,
    any_value(d.days_observed)                                                   AS days_observed,
    count(*)                                                                     AS calls,
    count(*) FILTER (WHERE f.is_bh)                                              AS bh_calls,
    CAST(coalesce(sum(a.n) FILTER (WHERE f.is_bh), 0) AS BIGINT)                 AS bh_arrests,
    CAST(coalesce(sum(a.n) FILTER (WHERE NOT f.is_bh), 0) AS BIGINT)             AS non_bh_arrests,
    count(*) FILTER (WHERE f.is_bh AND f.use_of_force)                           AS bh_use_of_force,
    count(*) FILTER (WHERE f.is_bh AND f.use_of_force IS NOT NULL)               AS bh_uof_recorded,
    coalesce(sum(f.officer_minutes) FILTER (WHERE f.is_bh), 0) / 60.0            AS bh_officer_hours,
    count(*) FILTER (WHERE f.is_bh AND f.officer_minutes IS NOT NULL)            AS bh_minutes_recorded
FROM call_facts f
JOIN days d USING (month)
LEFT JOIN arrests_by_call a ON a.agency = f.agency AND a.call_id = f.call_id
WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), f.agency))
GROUP BY ALL
ORDER BY month, f.district;

-- name: evaluation_arrest_months
-- Months the arrest export covers: arrest records by month of arrested_at (agency time zone),
-- linked to a call or not, and how many of them name a call found in CAD. A month with no
-- arrest record at all is not covered, so its arrest outcomes are "not measured".
SELECT
    strftime(a.arrested_local, '%Y-%m')                                          AS month,  -- on the agency's clock
    count(*)                                                                     AS arrests,
    count(*) FILTER (WHERE c.call_id IS NOT NULL)                                AS arrests_linked
FROM arrests a
LEFT JOIN calls c ON c.agency = a.agency AND c.call_id = a.call_id
WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), a.agency))
GROUP BY ALL
ORDER BY month;

-- name: evaluation_contact_months
-- Co-responder log contacts by month: the log only exists where the program works.
SELECT strftime(month, '%Y-%m') AS month, count(*) AS contacts
FROM encounter_facts
WHERE ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
GROUP BY ALL
ORDER BY month;
