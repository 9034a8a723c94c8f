-- Pre-aggregated call tables: a year of call figures reads a few thousand daily rows
-- however many calls are loaded (a big-city department has 1–2 million a year).
-- Each query below is the SELECT that defines one stored table of the same name;
-- pmhc.rollups.refresh_rollups rebuilds the tables at the end of every import (and
-- creates them when missing), so they never disagree with calls / arrests.
-- Every column is a count or a sum over call_facts (queries/models.sql) with the same
-- condition the figure used to evaluate row by row; figures divide sums of these
-- columns, never average averages. Days are local calendar days (agency time zone),
-- the same days the figure queries filter on, so any period is exact. Every table
-- is kept per agency (its first column), so a hub's figures read one agency's rows or
-- pool several with the same SQL ($agencies in the figure queries).

-- name: call_day_rollup
-- One row per local day and district that has calls.
WITH linked_arrests AS (
    -- Arrest records per call (for the booked share of arrests on BH calls); an arrest
    -- counts when its call_id names a loaded call, as in savings_inputs.
    SELECT agency, call_id, count(*) AS arrests, count(*) FILTER (WHERE booked) AS booked_arrests
    FROM arrests
    WHERE call_id IS NOT NULL
    GROUP BY agency, call_id
), kinds AS (
    -- First calls of the same day, district and kind (BH, co-responded, CIT, arrest,
    -- force) are summed together; the columns below then pick the kinds they count.
    SELECT
        f.agency, f.call_date, f.month, f.district, f.is_bh, f.co_responded, f.cit_officer_present,
        f.has_arrest, f.use_of_force,
        count(*)                   AS calls,
        sum(f.officer_minutes)     AS officer_minutes,
        count(f.officer_minutes)   AS officer_minutes_n,
        sum(f.on_scene_minutes)    AS on_scene_minutes,
        count(f.on_scene_minutes)  AS on_scene_minutes_n,
        sum(a.arrests)             AS arrests,
        sum(a.booked_arrests)      AS booked_arrests
    FROM call_facts f
    LEFT JOIN linked_arrests a ON a.agency = f.agency AND a.call_id = f.call_id
    GROUP BY ALL
)
SELECT
    agency,
    call_date,
    month,
    district,
    CAST(sum(calls) AS BIGINT)                                                          AS calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh), 0) AS BIGINT)                        AS bh_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND co_responded), 0) AS BIGINT)      AS co_bh_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND NOT co_responded), 0) AS BIGINT)  AS not_co_bh_calls,
    -- BH calls whose co-responder field is recorded (true or false, after the agency's rule)
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND co_responded IS NOT NULL), 0) AS BIGINT)
                                                                                        AS co_recorded_bh_calls,
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
GROUP BY agency, call_date, month, district
ORDER BY agency, call_date, district;

-- name: call_category_rollup
-- One row per local day, district, call type and beat that has calls, for the call
-- figures by a categorical column (queries/volume.sql :: calls_by_category) and the
-- beats' districts (queries/release.sql :: beat_districts). Buckets as the figures name
-- them: the call type trimmed ('Unknown' when empty), the beat 'Unknown' when empty.
SELECT
    agency,
    call_date,
    district,
    coalesce(nullif(trim(call_type), ''), 'Unknown')                           AS call_type,
    beat,
    count(*)                                                                   AS calls,
    count(*) FILTER (WHERE is_bh)                                              AS bh_calls,
    count(*) FILTER (WHERE is_bh AND co_responded)                             AS co_bh_calls,
    count(*) FILTER (WHERE is_bh AND NOT co_responded)                         AS not_co_bh_calls,
    count(*) FILTER (WHERE is_bh AND co_responded IS NOT NULL)                 AS co_recorded_bh_calls,
    count(*) FILTER (WHERE is_bh AND has_arrest)                               AS bh_arrest_calls
FROM call_facts
GROUP BY ALL
ORDER BY agency, call_date, district, call_type, beat;

-- name: bh_hour_rollup
-- Behavioral-health calls per local day, district and hour received (for the heatmap).
SELECT agency, call_date, weekday, district, hour, count(*) AS bh_calls
FROM call_facts
WHERE is_bh
GROUP BY agency, call_date, weekday, district, hour
ORDER BY agency, call_date, district, hour;

-- name: encounter_facts_stored
-- The encounter_facts view (queries/models.sql: with the linked call's district, call
-- type and beat) stored row by row, in date order, with
-- what the person-level contact figures would otherwise recompute on every query. Not
-- aggregated, because people are counted once per period (distinct counts and repeat
-- windows need the rows). Added columns:
--   person_no       a whole number per person_key (same person, same number; NULL when
--                   no person): distinct counts and joins on it are cheaper than on keys;
--   crisis_seq      for a BH crisis contact (on-scene, person identified): 1, 2, 3 … in
--                   the person's crisis contacts by date (then encounter_id); else NULL;
--   crisis_upto     how many of the person's crisis contacts are on or before its day
--                   (contacts the same day included, as a RANGE window counts them);
--   followed_up_14d a crisis contact followed by a follow-up or referral contact with the
--                   same person 1–14 days later (any responder); NULL for other contacts.
-- repeat_contacts (queries/repeat.sql) finds the $min_contacts-th most recent crisis
-- contact up to a contact as the row with crisis_seq = crisis_upto − ($min_contacts − 1).
WITH crisis AS (
    SELECT agency, encounter_id,
           row_number() OVER (PARTITION BY agency, person_key ORDER BY encounter_date, encounter_id) AS crisis_seq,
           count(*) OVER (PARTITION BY agency, person_key ORDER BY encounter_date
                          RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)                AS crisis_upto
    FROM encounter_facts
    WHERE contact_type = 'on_scene' AND person_key IS NOT NULL
), followed AS (
    SELECT DISTINCT c.agency, c.encounter_id
    FROM encounter_facts c
    JOIN encounter_facts f ON f.agency = c.agency AND f.person_key = c.person_key
    WHERE c.contact_type = 'on_scene' AND f.contact_type IN ('follow_up', 'referral')
      AND f.encounter_date > c.encounter_date AND f.encounter_date <= c.encounter_date + 14
)
SELECT e.*,
       -- a person is of one agency: the same pseudonym in two agencies is two people
       CASE WHEN e.person_key IS NOT NULL THEN dense_rank() OVER (ORDER BY e.agency, e.person_key) END AS person_no,
       c.crisis_seq,
       c.crisis_upto,
       CASE WHEN c.encounter_id IS NOT NULL THEN fo.encounter_id IS NOT NULL END          AS followed_up_14d
FROM encounter_facts e
LEFT JOIN crisis c ON c.agency = e.agency AND c.encounter_id = e.encounter_id
LEFT JOIN followed fo ON fo.agency = e.agency AND fo.encounter_id = e.encounter_id
ORDER BY e.agency, e.encounter_date, e.encounter_id;
