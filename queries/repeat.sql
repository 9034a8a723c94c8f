-- Repeat contacts and follow-up. Parameters as in volume.sql, plus $min_contacts (from
-- config/agency.toml, default 2) and $window_a / $window_b / $window_c (days, default
-- 90 / 180 / 365). A "BH crisis contact" is an on-scene contact in the co-responder log
-- with an identified person; follow-ups and referrals are not crisis contacts.

-- name: repeat_contacts
-- A person is a repeat contact (window N days) when one of their crisis contacts in the
-- period is at least their $min_contacts-th crisis contact within the N days ending on it
-- (earlier contacts before the period count). Repeat rate = repeat people ÷ people with
-- at least one crisis contact in the period. People are counted once per bucket.
-- Reads the person-level facts stored with each contact (queries/rollups.sql ::
-- encounter_facts_stored): repeat_gap_days is the number of days since the person's
-- $min_contacts-th most recent crisis contact up to that day, so a contact has
-- $min_contacts crisis contacts within N days ending on it exactly when it is under N, and
-- nothing is recounted at query time. The facts are stored for the configured
-- $min_contacts (pmhc.metrics uses repeat_contacts_any_n when another one is asked for).
WITH people AS (
    -- a person repeats in a bucket when any of their contacts there does
    SELECT CASE $by WHEN 'month' THEN strftime(e.month, '%Y-%m')
                    WHEN 'district' THEN e.district
                    WHEN 'responder_type' THEN e.responder_type
                    ELSE 'all' END                                            AS bucket,
           e.person_no, min(e.repeat_gap_days) AS days
    FROM encounter_facts_stored e
    WHERE e.crisis_seq IS NOT NULL  -- on-scene contacts with an identified person
      AND e.encounter_date >= $start AND e.encounter_date < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), e.agency))
      AND ($district IS NULL OR e.district = $district)
      AND ($responder_type IS NULL OR e.responder_type = $responder_type)
    GROUP BY ALL
)
SELECT
    bucket,
    count(*)                                                                  AS people_with_contacts,
    count(*) FILTER (WHERE days < $window_a)                                  AS repeat_people_a,
    count(*) FILTER (WHERE days < $window_a) / nullif(count(*), 0)            AS repeat_rate_a,
    count(*) FILTER (WHERE days < $window_b)                                  AS repeat_people_b,
    count(*) FILTER (WHERE days < $window_b) / nullif(count(*), 0)            AS repeat_rate_b,
    count(*) FILTER (WHERE days < $window_c)                                  AS repeat_people_c,
    count(*) FILTER (WHERE days < $window_c) / nullif(count(*), 0)            AS repeat_rate_c
FROM people
GROUP BY bucket
ORDER BY bucket;

-- name: repeat_facts_min_contacts
-- The $min_contacts the stored contact facts were built with (repeat_gap_days; written by
-- pmhc.rollups when it builds encounter_facts_stored): when the agency's setting differs,
-- repeat contacts are counted by repeat_contacts_any_n instead. No row: not built.
SELECT CAST(value AS BIGINT) AS min_contacts
FROM settings
WHERE key = 'rollup:repeat_min_contacts';

-- name: repeat_contacts_any_n
-- repeat_contacts for a $min_contacts other than the one the stored facts were built with
-- (the configuration changed and no import has run since): the same figure, finding the
-- $min_contacts-th most recent crisis contact by joining the stored contacts.
-- A person is a repeat contact (window N days) when one of their crisis contacts in the
-- period is at least their $min_contacts-th crisis contact within the N days ending on it
-- (earlier contacts before the period count). Repeat rate = repeat people ÷ people with
-- at least one crisis contact in the period. People are counted once per bucket.
-- Read from encounter_facts_stored (queries/rollups.sql): a contact has $min_contacts
-- crisis contacts within N days ending on its day exactly when the person's
-- $min_contacts-th most recent crisis contact up to that day (the row numbered
-- crisis_upto − ($min_contacts − 1)) is fewer than N days earlier, so no window is
-- recounted at query time.
WITH contacts AS (
    SELECT e.person_no,
           CASE $by WHEN 'month' THEN strftime(e.month, '%Y-%m')
                    WHEN 'district' THEN e.district
                    WHEN 'responder_type' THEN e.responder_type
                    ELSE 'all' END                                            AS bucket,
           date_diff('day', earlier.encounter_date, e.encounter_date)          AS days_since_nth_latest
    FROM encounter_facts_stored e
    LEFT JOIN encounter_facts_stored earlier
           ON earlier.person_no = e.person_no
          AND earlier.crisis_seq = e.crisis_upto - (CAST($min_contacts AS BIGINT) - 1)
    WHERE e.crisis_seq IS NOT NULL  -- on-scene contacts with an identified person
      AND e.encounter_date >= $start AND e.encounter_date < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), e.agency))
      AND ($district IS NULL OR e.district = $district)
      AND ($responder_type IS NULL OR e.responder_type = $responder_type)
), people AS (
    -- a person repeats in a bucket when any of their contacts there does
    SELECT bucket, person_no, min(days_since_nth_latest) AS days
    FROM contacts
    GROUP BY bucket, person_no
)
SELECT
    bucket,
    count(*)                                                                  AS people_with_contacts,
    count(*) FILTER (WHERE days < $window_a)                                  AS repeat_people_a,
    count(*) FILTER (WHERE days < $window_a) / nullif(count(*), 0)            AS repeat_rate_a,
    count(*) FILTER (WHERE days < $window_b)                                  AS repeat_people_b,
    count(*) FILTER (WHERE days < $window_b) / nullif(count(*), 0)            AS repeat_rate_b,
    count(*) FILTER (WHERE days < $window_c)                                  AS repeat_people_c,
    count(*) FILTER (WHERE days < $window_c) / nullif(count(*), 0)            AS repeat_rate_c
FROM people
GROUP BY bucket
ORDER BY bucket;

-- name: follow_up
-- Follow-up within 14 days: crisis contacts in the period followed by a follow-up or
-- referral contact with the same person 1–14 days later (any responder), ÷ crisis contacts.
-- Follow-up completion: follow-up contacts in the period where the person was reached
-- (a known outcome other than refused / unable to contact) ÷ follow-up contacts.
-- Median days to follow-up: over the crisis contacts followed up within 14 days, the
-- median of the days from the crisis contact to the person's first follow-up or referral
-- contact 1–14 days later (how soon follow-up happens, beside whether it does).
-- From the stored daily contact counts (queries/rollups.sql :: contact_day_rollup), which
-- keep each crisis contact's days to follow-up (stored with it, encounter_facts_stored):
-- the median is the middle of those days counted per value, averaged between the two
-- middle values for an even count (as median() does).
WITH c AS (
    SELECT CASE $by WHEN 'month' THEN strftime(month, '%Y-%m') WHEN 'district' THEN district
                    WHEN 'responder_type' THEN responder_type ELSE 'all' END AS bucket,
           *
    FROM contact_day_rollup
    WHERE encounter_date >= $start AND encounter_date < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
      AND ($district IS NULL OR district = $district)
      AND ($responder_type IS NULL OR responder_type = $responder_type)
), counts AS (
    SELECT bucket,
           sum(contacts) FILTER (WHERE crisis)                                     AS crisis,
           sum(contacts) FILTER (WHERE crisis AND days_to_follow_up IS NOT NULL)   AS followed_up,
           sum(contacts) FILTER (WHERE contact_type = 'follow_up')                 AS fu,
           sum(contacts) FILTER (WHERE contact_type = 'follow_up' AND outcome_known
               AND outcome NOT IN (SELECT value FROM vocabulary_groups WHERE grp = 'not_reached')) AS reached
    FROM c
    GROUP BY bucket
), days AS (
    -- crisis contacts followed up, per number of days (1 to 14), placed in order
    SELECT bucket, days, n,
           sum(n) OVER (PARTITION BY bucket ORDER BY days) - n  AS n_before,
           sum(n) OVER (PARTITION BY bucket)                    AS total
    FROM (SELECT bucket, days_to_follow_up AS days, sum(contacts) AS n
          FROM c WHERE crisis AND days_to_follow_up IS NOT NULL GROUP BY ALL)
), middle AS (
    -- the values at the two middle places (0-based floor and ceiling of (total − 1) / 2)
    SELECT bucket,
           max(CASE WHEN n_before <= floor((total - 1) / 2) AND floor((total - 1) / 2) < n_before + n THEN days END) AS lo,
           max(CASE WHEN n_before <= ceil((total - 1) / 2) AND ceil((total - 1) / 2) < n_before + n THEN days END)   AS hi,
           max(total) AS total
    FROM days
    GROUP BY bucket
)
SELECT k.bucket,
       CAST(coalesce(k.crisis, 0) AS BIGINT)                 AS identified_crisis_contacts,
       CAST(coalesce(k.followed_up, 0) AS BIGINT)            AS followed_up_14d,
       coalesce(k.followed_up, 0) / nullif(k.crisis, 0)      AS follow_up_14d_rate,
       CAST(m.lo AS DOUBLE) + (m.hi - m.lo) * (((m.total - 1) / 2) - floor((m.total - 1) / 2)) AS median_days_to_follow_up,
       CAST(coalesce(k.fu, 0) AS BIGINT)                     AS follow_ups_attempted,
       CAST(coalesce(k.reached, 0) AS BIGINT)                AS follow_ups_reached,
       coalesce(k.reached, 0) / nullif(k.fu, 0)              AS follow_up_completion_rate
FROM counts k
LEFT JOIN middle m USING (bucket)
WHERE k.crisis IS NOT NULL OR k.fu IS NOT NULL
ORDER BY k.bucket;

-- name: repeat_people
-- Person-level list for the coordinator (never public): people with repeat crisis contacts
-- in the period, most contacts first. person_key is the pseudonym stored at import.
WITH rows AS (
    SELECT person_no, person_key, contact_type, encounter_date, outcome, district
    FROM encounter_facts_stored
    WHERE person_no IS NOT NULL AND encounter_date >= $start AND encounter_date < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
      AND ($district IS NULL OR district = $district)
      AND ($responder_type IS NULL OR responder_type = $responder_type)
), repeaters AS (
    SELECT person_no FROM rows WHERE contact_type = 'on_scene'
    GROUP BY person_no HAVING count(*) >= $min_contacts
)
SELECT any_value(person_key)                                                 AS person_key,
       count(*) FILTER (WHERE contact_type = 'on_scene')                     AS crisis_contacts,
       count(*) FILTER (WHERE contact_type IN ('follow_up', 'referral'))     AS follow_up_contacts,
       min(encounter_date)                                                   AS first_contact,
       max(encounter_date)                                                   AS last_contact,
       arg_max(outcome, encounter_date)                                      AS last_outcome,
       string_agg(DISTINCT district, ', ' ORDER BY district)                 AS districts
FROM rows SEMI JOIN repeaters USING (person_no)
GROUP BY person_no  -- one number per person_key
ORDER BY crisis_contacts DESC, last_contact DESC, person_key;
