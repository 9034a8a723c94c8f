-- Pre-aggregated call tables: a year of call figures reads a few thousand daily rows
-- however many calls are loaded (a big-city department has 1–2 million a year).
-- Each query below is the SELECT that defines one stored table of the same name;
-- pmhc.rollups keeps the tables equal to it: at the end of every import it recomputes
-- the days (or people) the import touched, all of a table when its input was empty
-- before, and it creates a table when missing, so they never disagree with the data.
-- Every column is a count or a sum over call_facts (queries/models.sql) with the same
-- condition the figure used to evaluate row by row; figures divide sums of these
-- columns, never average averages. Days are local calendar days (agency time zone),
-- the same days the figure queries filter on, so any period is exact. Every table
-- is kept per agency (its first column), so a hub's figures read one agency's rows or
-- pool several with the same SQL ($agencies in the figure queries), and an import
-- recomputes only its own agency's days and people.

-- name: call_day_rollup
-- One row per local day and district that has calls.
WITH linked_arrests AS (
    -- Arrest records per call (for the booked share of arrests on BH calls); an arrest
    -- counts when its call_id names a loaded call, as in savings_inputs.
    SELECT agency, call_id, count(*) AS arrests, count(*) FILTER (WHERE booked) AS booked_arrests
    FROM arrests
    WHERE call_id IS NOT NULL
    GROUP BY agency, call_id
), all_calls AS (
    -- Every call counts once, by day and district as stored; every other column is about
    -- BH calls or arrests. Rows are grouped by their stored values and the labels of
    -- call_base applied to the groups (queries/models.sql: or_unknown, co_responded_rule).
    SELECT agency, CAST(received_local AS DATE) AS call_date, district, count(*) AS calls
    FROM calls
    GROUP BY ALL
), bh_kinds AS (
    -- BH calls of the same day, district and kind (co-responded, CIT, force) summed together;
    -- the columns below pick the kinds they count.
    SELECT
        c.agency, CAST(c.received_local AS DATE) AS call_date, c.district, c.co_responder_present,
        c.cit_officer_present, c.use_of_force,
        count(*)                                                AS calls,
        sum(c.officer_minutes)                                  AS officer_minutes,
        count(c.officer_minutes)                                AS officer_minutes_n,
        sum(scene_minutes(c.on_scene_at, c.cleared_at))         AS on_scene_minutes,
        count(scene_minutes(c.on_scene_at, c.cleared_at))       AS on_scene_minutes_n
    FROM calls c
    WHERE c.is_bh
    GROUP BY ALL
), arrest_kinds AS (
    -- Calls an arrest record names (has_arrest in call_facts), by day, district and kind.
    SELECT c.agency, CAST(c.received_local AS DATE) AS call_date, c.district, c.is_bh, c.co_responder_present,
           count(*)                AS arrest_calls,
           sum(a.arrests)          AS arrests,
           sum(a.booked_arrests)   AS booked_arrests
    FROM calls c
    JOIN linked_arrests a ON a.agency = c.agency AND a.call_id = c.call_id
    GROUP BY ALL
), kinds AS (
    -- is_bh: NULL on the rows counting every call, true on the BH kinds, the call's on the arrests
    SELECT agency, call_date, or_unknown(district) AS district, NULL::BOOLEAN AS is_bh, NULL::BOOLEAN AS co_responded,
           NULL::BOOLEAN AS cit_officer_present, NULL::BOOLEAN AS use_of_force, calls,
           NULL::DOUBLE AS officer_minutes, 0 AS officer_minutes_n, NULL::DOUBLE AS on_scene_minutes,
           0 AS on_scene_minutes_n, NULL::BIGINT AS arrest_calls, NULL::BIGINT AS arrests,
           NULL::BIGINT AS booked_arrests
    FROM all_calls
    UNION ALL
    SELECT k.agency, k.call_date, or_unknown(k.district), true, co_responded_rule(k.agency, k.co_responder_present),
           k.cit_officer_present, k.use_of_force, k.calls, k.officer_minutes, k.officer_minutes_n,
           k.on_scene_minutes, k.on_scene_minutes_n, NULL, NULL, NULL
    FROM bh_kinds k
    UNION ALL
    SELECT k.agency, k.call_date, or_unknown(k.district), k.is_bh, co_responded_rule(k.agency, k.co_responder_present),
           NULL, NULL, 0, NULL, 0, NULL, 0, k.arrest_calls, k.arrests, k.booked_arrests
    FROM arrest_kinds k
)
SELECT
    agency,
    call_date,
    CAST(date_trunc('month', call_date) AS DATE)                                        AS month,
    district,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh IS NULL), 0) AS BIGINT)                AS calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh), 0) AS BIGINT)                        AS bh_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND co_responded), 0) AS BIGINT)      AS co_bh_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND NOT co_responded), 0) AS BIGINT)  AS not_co_bh_calls,
    -- BH calls whose co-responder field is recorded (true or false, after the agency's rule)
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND co_responded IS NOT NULL), 0) AS BIGINT)
                                                                                        AS co_recorded_bh_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND cit_officer_present), 0) AS BIGINT) AS cit_bh_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND cit_officer_present IS NOT NULL), 0) AS BIGINT)
                                                                                        AS cit_recorded_bh_calls,
    CAST(coalesce(sum(arrest_calls) FILTER (WHERE is_bh), 0) AS BIGINT)                 AS bh_arrest_calls,
    CAST(coalesce(sum(arrest_calls) FILTER (WHERE is_bh AND co_responded), 0) AS BIGINT) AS co_bh_arrest_calls,
    CAST(coalesce(sum(arrest_calls) FILTER (WHERE is_bh AND NOT co_responded), 0) AS BIGINT)
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
    CAST(coalesce(sum(booked_arrests) FILTER (WHERE is_bh), 0) AS BIGINT)               AS bh_booked_arrests,
    -- arrest records linked to other calls (the evaluation's placebo outcome)
    CAST(coalesce(sum(arrests) FILTER (WHERE NOT is_bh), 0) AS BIGINT)                  AS non_bh_linked_arrests
FROM kinds
GROUP BY agency, call_date, district
ORDER BY agency, call_date, district;

-- name: call_category_rollup
-- One row per local day, district, call type and beat that has calls, for the call
-- figures by a categorical column (queries/volume.sql :: calls_by_category) and the
-- beats' districts (queries/release.sql :: beat_districts). Buckets as the figures name
-- them: the call type trimmed ('Unknown' when empty), the beat 'Unknown' when empty.
-- Calls are grouped by their stored values first, then labelled (queries/models.sql:
-- or_unknown, co_responded_rule), as in call_day_rollup.
WITH arrest_calls AS (
    SELECT DISTINCT agency, call_id FROM arrests WHERE call_id IS NOT NULL
), by_value AS (
    SELECT c.agency, CAST(c.received_local AS DATE) AS call_date, c.district, c.call_type, c.beat, c.is_bh,
           c.co_responder_present, a.call_id IS NOT NULL AS has_arrest, count(*) AS calls
    FROM calls c
    LEFT JOIN arrest_calls a ON a.agency = c.agency AND a.call_id = c.call_id
    GROUP BY ALL
), labelled AS (
    SELECT v.agency, v.call_date, or_unknown(v.district) AS district, or_unknown(v.call_type) AS call_type,
           or_unknown(v.beat) AS beat, v.is_bh, co_responded_rule(v.agency, v.co_responder_present) AS co_responded,
           v.has_arrest, v.calls
    FROM by_value v
)
SELECT
    agency,
    call_date,
    district,
    call_type,
    beat,
    CAST(sum(calls) AS BIGINT)                                                            AS calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh), 0) AS BIGINT)                          AS bh_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND co_responded), 0) AS BIGINT)         AS co_bh_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND NOT co_responded), 0) AS BIGINT)     AS not_co_bh_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND co_responded IS NOT NULL), 0) AS BIGINT) AS co_recorded_bh_calls,
    CAST(coalesce(sum(calls) FILTER (WHERE is_bh AND has_arrest), 0) AS BIGINT)           AS bh_arrest_calls
FROM labelled
GROUP BY agency, call_date, district, call_type, beat
ORDER BY agency, call_date, district, call_type, beat;

-- name: bh_hour_rollup
-- Behavioral-health calls per local day, district and hour received (for the heatmap).
SELECT agency, call_date, weekday, district, hour, count(*) AS bh_calls
FROM call_base
WHERE is_bh
GROUP BY agency, call_date, weekday, district, hour
ORDER BY agency, call_date, district, hour;

-- name: call_outcome_day_rollup
-- Outcomes recorded on BH calls (queries/models.sql :: call_outcome_facts) per local day,
-- district, call type and beat (as the figures name them, 'Unknown' when empty): for
-- each call-level outcome figure, the calls it is measured on and the calls that had it, so the coverage of the inputs (queries/coverage.sql) and the outcome
-- figures counted on calls (queries/call_outcomes.sql) read days, not calls.
SELECT
    agency,
    call_date,
    month,
    district,
    coalesce(nullif(trim(call_type), ''), 'Unknown')                 AS call_type,
    coalesce(beat, 'Unknown')                                        AS beat,
    count(*)                                                         AS bh_calls,
    count(*) FILTER (WHERE outcome_known)                            AS outcome_known,
    count(diverted)                                                  AS diversion_measured,
    count(*) FILTER (WHERE diverted)                                 AS diverted,
    count(connected_to_care)                                         AS care_measured,
    count(*) FILTER (WHERE connected_to_care)                        AS care_connected,
    count(involuntary_hold)                                          AS holds_measured,
    count(*) FILTER (WHERE involuntary_hold)                         AS holds,
    count(transported)                                               AS transports_measured,
    count(*) FILTER (WHERE transported)                              AS transported,
    count(arrested)                                                  AS arrests_measured,
    count(*) FILTER (WHERE arrested)                                 AS arrested,
    count(arrested) FILTER (WHERE arrest_source = 'call outcome')    AS call_arrest_measured,
    min(arrest_source)                                               AS arrest_source
FROM call_outcome_facts
WHERE is_bh
GROUP BY ALL
ORDER BY agency, call_date, district, call_type, beat;

-- name: arrest_day_rollup
-- Arrest records per agency and local day of the arrest (arrested_local: the agency's
-- clock), and how many of them name
-- a loaded call: the coverage of the arrest input, the loaded span and the months the
-- arrest export covers (queries/evaluation.sql), and how many record whether the person was
-- booked (queries/coverage.sql).
SELECT a.agency, CAST(a.arrested_local AS DATE) AS arrest_date, count(*) AS arrests, count(c.call_id) AS linked,
       count(a.booked) AS booked
FROM arrests a
LEFT JOIN calls c ON c.agency = a.agency AND c.call_id = a.call_id
GROUP BY ALL
ORDER BY a.agency, arrest_date;

-- name: encounter_facts_stored
-- The encounter_facts view (queries/models.sql: with the linked call's district, call
-- type and beat) stored row by row, in date order, with
-- what the person-level contact figures would otherwise recompute on every query. Not
-- aggregated, because people are counted once per period (distinct counts need the rows).
-- It reads `encounter_facts_scope`, a temp table pmhc.rollups fills with the rows of
-- encounter_facts to (re)compute: all of them, or every contact of the people an import
-- touched (the columns below depend only on the person's own contacts). Added columns:
--   person_no         a whole number per person (agency and person_key: the same pseudonym
--                     in two agencies is two people; stable: table person_numbers; NULL
--                     when no person): distinct counts and joins on it are cheaper;
--   crisis_seq        for a BH crisis contact (on-scene, person identified): 1, 2, 3 … in
--                     the person's crisis contacts by date (then encounter_id); else NULL;
--   crisis_upto       how many of the person's crisis contacts are on or before its day
--                     (contacts the same day included, as a RANGE window counts them);
--   repeat_gap_days   for a crisis contact: days since the person's $min_contacts-th most
--                     recent crisis contact up to that day (the one numbered crisis_upto −
--                     ($min_contacts − 1)); NULL when there are fewer. A contact is a repeat
--                     within N days when this is under N (queries/repeat.sql);
--   days_to_follow_up for a crisis contact: days to the person's first follow-up or
--                     referral contact 1–14 days later (any responder); NULL when none;
--   followed_up_14d   for a crisis contact: days_to_follow_up is known; NULL for others.
WITH crisis AS (
    SELECT agency, encounter_id, person_key, encounter_date,
           row_number() OVER (PARTITION BY agency, person_key ORDER BY encounter_date, encounter_id) AS crisis_seq,
           count(*) OVER (PARTITION BY agency, person_key ORDER BY encounter_date
                          RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)                AS crisis_upto
    FROM encounter_facts_scope
    WHERE contact_type = 'on_scene' AND person_key IS NOT NULL
), gaps AS (
    SELECT c.agency, c.encounter_id, date_diff('day', earlier.encounter_date, c.encounter_date) AS repeat_gap_days
    FROM crisis c
    JOIN crisis earlier ON earlier.agency = c.agency AND earlier.person_key = c.person_key
                       AND earlier.crisis_seq = c.crisis_upto - (CAST($min_contacts AS BIGINT) - 1)
), followed AS (
    SELECT c.agency, c.encounter_id, min(date_diff('day', c.encounter_date, f.encounter_date)) AS days_to_follow_up
    FROM crisis c
    JOIN encounter_facts_scope f ON f.agency = c.agency AND f.person_key = c.person_key
    WHERE f.contact_type IN ('follow_up', 'referral')
      AND f.encounter_date > c.encounter_date AND f.encounter_date <= c.encounter_date + 14
    GROUP BY c.agency, c.encounter_id
)
SELECT e.*,
       n.person_no,
       c.crisis_seq,
       c.crisis_upto,
       g.repeat_gap_days,
       fo.days_to_follow_up,
       CASE WHEN c.encounter_id IS NOT NULL THEN fo.days_to_follow_up IS NOT NULL END  AS followed_up_14d
FROM encounter_facts_scope e
LEFT JOIN person_numbers n ON n.agency = e.agency AND n.person_key = e.person_key
LEFT JOIN crisis c ON c.agency = e.agency AND c.encounter_id = e.encounter_id
LEFT JOIN gaps g ON g.agency = e.agency AND g.encounter_id = e.encounter_id
LEFT JOIN followed fo ON fo.agency = e.agency AND fo.encounter_id = e.encounter_id
ORDER BY e.agency, e.encounter_date, e.encounter_id;

-- name: contact_day_rollup
-- Co-responder log contacts per day, counted by everything the contact figures filter,
-- split or count them by (queries/volume.sql, outcomes.sql, repeat.sql, savings.sql,
-- coverage.sql), from encounter_facts_stored: a year of contact counts reads days, not
-- contacts. People are not additive (one person counts once per period), so the figures
-- that count people still read the stored contacts.
SELECT
    agency,
    encounter_date,
    month,
    district,
    responder_type,
    contact_type,
    call_type,                                                -- the contact's call's ('No linked call')
    beat,
    outcome,
    outcome_known,
    call_has_arrest,
    person_key IS NOT NULL                AS identified,
    crisis_seq IS NOT NULL                AS crisis,          -- on-scene, person identified
    days_to_follow_up,
    count(*)                              AS contacts,
    sum(minutes)                          AS minutes,
    count(minutes)                        AS minutes_n
FROM encounter_facts_stored
GROUP BY ALL
ORDER BY agency, encounter_date, district, responder_type, contact_type, call_type, beat, outcome;
