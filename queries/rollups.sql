-- Pre-aggregated call tables: a year of call figures reads a few thousand daily rows
-- however many calls are loaded (a big-city department has 1–2 million a year).
-- Each query below is the SELECT that defines one stored table of the same name;
-- pmhc.rollups.refresh_rollups rebuilds the tables at the end of every import (and
-- creates them when missing), so they never disagree with calls / arrests.
-- Every column is a count or a sum over call_facts (queries/models.sql) with the same
-- condition the figure used to evaluate row by row; figures divide sums of these
-- columns, never average averages. Days are local calendar days (agency time zone),
-- the same days the figure queries filter on, so any period is exact.

-- name: call_day_rollup
-- One row per local day and district that has calls.
WITH linked_arrests AS (
    -- Arrest records per call (for the booked share of arrests on BH calls); an arrest
    -- counts when its call_id names a loaded call, as in savings_inputs.
    SELECT call_id, count(*) AS arrests, count(*) FILTER (WHERE booked) AS booked_arrests
    FROM arrests
    WHERE call_id IS NOT NULL
    GROUP BY call_id
), kinds AS (
    -- First calls of the same day, district and kind (BH, co-responded, CIT, arrest,
    -- force) are summed together; the columns below then pick the kinds they count.
    SELECT
        f.call_date, f.month, f.district, f.is_bh, f.co_responded, f.cit_officer_present,
        f.has_arrest, f.use_of_force,
        count(*)                   AS calls,
        sum(f.officer_minutes)     AS officer_minutes,
        count(f.officer_minutes)   AS officer_minutes_n,
        sum(f.on_scene_minutes)    AS on_scene_minutes,
        count(f.on_scene_minutes)  AS on_scene_minutes_n,
        sum(a.arrests)             AS arrests,
        sum(a.booked_arrests)      AS booked_arrests
    FROM call_facts f
    LEFT JOIN linked_arrests a ON a.call_id = f.call_id
    GROUP BY ALL
)
SELECT
    call_date,
    month,
    district,
    CAST(sum(calls) AS BIGINT)                                                          AS calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh), 0) AS BIGINT)                        AS bh_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND co_responded), 0) AS BIGINT)      AS co_bh_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND NOT co_responded), 0) AS BIGINT)  AS not_co_bh_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND cit_officer_present), 0) AS BIGINT) AS cit_bh_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND cit_officer_present IS NOT NULL), 0) AS BIGINT)
                                                                                        AS cit_recorded_bh_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND has_arrest), 0) AS BIGINT)        AS bh_arrest_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND co_responded AND has_arrest), 0) AS BIGINT)
                                                                                        AS co_bh_arrest_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND NOT co_responded AND has_arrest), 0) AS BIGINT)
                                                                                        AS not_co_bh_arrest_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND use_of_force), 0) AS BIGINT)      AS bh_force_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND use_of_force IS NOT NULL), 0) AS BIGINT)
                                                                                        AS bh_force_recorded_calls,
    -- officer minutes: sums stay NULL where no call recorded them (as sum() does)
    sum(officer_minutes) FILTER (WHERE is_bh)                                           AS bh_officer_minutes,
    CAST(coalesce(sum(calls - officer_minutes_n) FILTER (WHERE is_bh), 0) AS BIGINT)    AS bh_missing_officer_minutes,
    sum(officer_minutes) FILTER (WHERE is_bh AND co_responded)                          AS co_bh_officer_minutes,
    CAST(coalesce(sum(officer_minutes_n) FILTER (WHERE is_bh AND co_responded), 0) AS BIGINT)
                                                                                        AS co_bh_officer_minutes_n,
    sum(officer_minutes) FILTER (WHERE is_bh AND NOT co_responded)                      AS not_co_bh_officer_minutes,
    CAST(coalesce(sum(officer_minutes_n) FILTER (WHERE is_bh AND NOT co_responded), 0) AS BIGINT)
                                                                                        AS not_co_bh_officer_minutes_n,
    -- on-scene minutes (first unit on scene to last unit cleared)
    sum(on_scene_minutes) FILTER (WHERE is_bh AND co_responded)                         AS co_bh_on_scene_minutes,
    CAST(coalesce(sum(on_scene_minutes_n) FILTER (WHERE is_bh AND co_responded), 0) AS BIGINT)
                                                                                        AS co_bh_on_scene_minutes_n,
    sum(on_scene_minutes) FILTER (WHERE is_bh AND NOT co_responded)                     AS not_co_bh_on_scene_minutes,
    CAST(coalesce(sum(on_scene_minutes_n) FILTER (WHERE is_bh AND NOT co_responded), 0) AS BIGINT)
                                                                                        AS not_co_bh_on_scene_minutes_n,
    CAST(coalesce(sum(calls - on_scene_minutes_n) FILTER (WHERE is_bh), 0) AS BIGINT)   AS bh_missing_on_scene,
    -- arrest records linked to BH calls, and how many of them were booked
    CAST(coalesce(sum(arrests) FILTER (WHERE is_bh), 0) AS BIGINT)                      AS bh_linked_arrests,
    CAST(coalesce(sum(booked_arrests) FILTER (WHERE is_bh), 0) AS BIGINT)               AS bh_booked_arrests
FROM kinds
GROUP BY call_date, month, district
ORDER BY call_date, district;

-- name: bh_hour_rollup
-- Behavioral-health calls per local day, district and hour received (for the heatmap).
SELECT call_date, weekday, district, hour, count(*) AS bh_calls
FROM call_facts
WHERE is_bh
GROUP BY call_date, weekday, district, hour
ORDER BY call_date, district, hour;

-- name: encounter_facts_stored
-- The encounter_facts view (queries/models.sql) stored row by row, in date order: the
-- contact figures read it instead of joining every contact to the calls and arrests
-- again on each query. Not aggregated, because people are counted once per period
-- (distinct counts and repeat windows need the rows).
SELECT * FROM encounter_facts
ORDER BY encounter_date, encounter_id;
