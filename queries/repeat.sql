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
           e.encounter_date - earlier.encounter_date                          AS days_since_nth_latest
    FROM encounter_facts_stored e
    LEFT JOIN encounter_facts_stored earlier
           ON earlier.person_no = e.person_no
          AND earlier.crisis_seq = e.crisis_upto - (CAST($min_contacts AS BIGINT) - 1)
    WHERE e.crisis_seq IS NOT NULL  -- on-scene contacts with an identified person
      AND e.encounter_date >= $start AND e.encounter_date < $end
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
WITH crisis AS (
    -- followed_up_14d and days_to_follow_up are stored with the contact
    -- (queries/rollups.sql :: encounter_facts_stored)
    SELECT e.month, e.district, e.responder_type, e.followed_up_14d AS followed_up, e.days_to_follow_up AS days
    FROM encounter_facts_stored e
    WHERE e.crisis_seq IS NOT NULL  -- on-scene contacts with an identified person
      AND e.encounter_date >= $start AND e.encounter_date < $end
      AND ($district IS NULL OR e.district = $district)
      AND ($responder_type IS NULL OR e.responder_type = $responder_type)
), fu AS (
    SELECT month, district, responder_type,
           outcome_known AND outcome NOT IN (SELECT value FROM vocabulary_groups WHERE grp = 'not_reached') AS reached
    FROM encounter_facts_stored
    WHERE contact_type = 'follow_up'
      AND encounter_date >= $start AND encounter_date < $end
      AND ($district IS NULL OR district = $district)
      AND ($responder_type IS NULL OR responder_type = $responder_type)
), buckets AS (
    SELECT CASE $by WHEN 'month' THEN strftime(month, '%Y-%m') WHEN 'district' THEN district
                    WHEN 'responder_type' THEN responder_type ELSE 'all' END AS bucket,
           1 AS crisis, followed_up::INTEGER AS followed_up, days, 0 AS fu, 0 AS reached
    FROM crisis
    UNION ALL
    SELECT CASE $by WHEN 'month' THEN strftime(month, '%Y-%m') WHEN 'district' THEN district
                    WHEN 'responder_type' THEN responder_type ELSE 'all' END,
           0, 0, NULL, 1, reached::INTEGER
    FROM fu
)
SELECT bucket,
       CAST(sum(crisis) AS BIGINT)                   AS identified_crisis_contacts,
       CAST(sum(followed_up) AS BIGINT)              AS followed_up_14d,
       sum(followed_up) / nullif(sum(crisis), 0)     AS follow_up_14d_rate,
       median(days)                                  AS median_days_to_follow_up,
       CAST(sum(fu) AS BIGINT)                       AS follow_ups_attempted,
       CAST(sum(reached) AS BIGINT)                  AS follow_ups_reached,
       sum(reached) / nullif(sum(fu), 0)             AS follow_up_completion_rate
FROM buckets
GROUP BY ALL
ORDER BY bucket;

-- name: repeat_people
-- Person-level list for the coordinator (never public): people with repeat crisis contacts
-- in the period, most contacts first. person_key is the pseudonym stored at import.
WITH rows AS (
    SELECT person_no, person_key, contact_type, encounter_date, outcome, district
    FROM encounter_facts_stored
    WHERE person_no IS NOT NULL AND encounter_date >= $start AND encounter_date < $end
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
