-- Repeat contacts and follow-up. Parameters as in volume.sql, plus $min_contacts (from
-- config/agency.toml, default 2) and $window_a / $window_b / $window_c (days, default
-- 90 / 180 / 365). A "BH crisis contact" is an on-scene contact in the co-responder log
-- with an identified person; follow-ups and referrals are not crisis contacts.

-- name: repeat_contacts
-- A person is a repeat contact (window N days) when one of their crisis contacts in the
-- period is at least their $min_contacts-th crisis contact within the N days ending on it
-- (earlier contacts before the period count). Repeat rate = repeat people ÷ people with
-- at least one crisis contact in the period. People are counted once per bucket.
WITH contacts AS (
    SELECT person_key, encounter_date, month, district, responder_type,
           count(*) OVER w_a AS n_a, count(*) OVER w_b AS n_b, count(*) OVER w_c AS n_c
    FROM encounter_facts_stored
    WHERE contact_type = 'on_scene' AND person_key IS NOT NULL AND encounter_date < $end
      -- contacts older than the longest window before the period cannot count
      AND encounter_date > CAST($start AS DATE)
          - CAST(greatest($window_a, $window_b, $window_c) AS INTEGER)
    WINDOW w_a AS (PARTITION BY person_key ORDER BY encounter_date
                   RANGE BETWEEN to_days(CAST($window_a AS INTEGER) - 1) PRECEDING AND CURRENT ROW),
           w_b AS (PARTITION BY person_key ORDER BY encounter_date
                   RANGE BETWEEN to_days(CAST($window_b AS INTEGER) - 1) PRECEDING AND CURRENT ROW),
           w_c AS (PARTITION BY person_key ORDER BY encounter_date
                   RANGE BETWEEN to_days(CAST($window_c AS INTEGER) - 1) PRECEDING AND CURRENT ROW)
)
SELECT
    CASE $by WHEN 'month' THEN strftime(month, '%Y-%m')
             WHEN 'district' THEN district
             WHEN 'responder_type' THEN responder_type
             ELSE 'all' END                                                   AS bucket,
    count(DISTINCT person_key)                                                AS people_with_contacts,
    count(DISTINCT person_key) FILTER (WHERE n_a >= $min_contacts)            AS repeat_people_a,
    count(DISTINCT person_key) FILTER (WHERE n_a >= $min_contacts)
        / nullif(count(DISTINCT person_key), 0)                               AS repeat_rate_a,
    count(DISTINCT person_key) FILTER (WHERE n_b >= $min_contacts)            AS repeat_people_b,
    count(DISTINCT person_key) FILTER (WHERE n_b >= $min_contacts)
        / nullif(count(DISTINCT person_key), 0)                               AS repeat_rate_b,
    count(DISTINCT person_key) FILTER (WHERE n_c >= $min_contacts)            AS repeat_people_c,
    count(DISTINCT person_key) FILTER (WHERE n_c >= $min_contacts)
        / nullif(count(DISTINCT person_key), 0)                               AS repeat_rate_c
FROM contacts
WHERE encounter_date >= $start
  AND ($district IS NULL OR district = $district)
  AND ($responder_type IS NULL OR responder_type = $responder_type)
GROUP BY ALL
ORDER BY bucket;

-- name: follow_up
-- Follow-up within 14 days: crisis contacts in the period followed by a follow-up or
-- referral contact with the same person 1–14 days later (any responder), ÷ crisis contacts.
-- Follow-up completion: follow-up contacts in the period where the person was reached
-- (a known outcome other than refused / unable to contact) ÷ follow-up contacts.
WITH crisis AS (
    SELECT e.encounter_id, e.person_key, e.encounter_date, e.month, e.district, e.responder_type,
           EXISTS (SELECT 1 FROM encounter_facts_stored f
                   WHERE f.person_key = e.person_key AND f.contact_type IN ('follow_up', 'referral')
                     AND f.encounter_date > e.encounter_date
                     AND f.encounter_date <= e.encounter_date + 14) AS followed_up
    FROM encounter_facts_stored e
    WHERE e.contact_type = 'on_scene' AND e.person_key IS NOT NULL
      AND e.encounter_date >= $start AND e.encounter_date < $end
      AND ($district IS NULL OR e.district = $district)
      AND ($responder_type IS NULL OR e.responder_type = $responder_type)
), fu AS (
    SELECT month, district, responder_type,
           outcome_known AND outcome <> 'refused_unable_to_contact' AS reached
    FROM encounter_facts_stored
    WHERE contact_type = 'follow_up'
      AND encounter_date >= $start AND encounter_date < $end
      AND ($district IS NULL OR district = $district)
      AND ($responder_type IS NULL OR responder_type = $responder_type)
), buckets AS (
    SELECT CASE $by WHEN 'month' THEN strftime(month, '%Y-%m') WHEN 'district' THEN district
                    WHEN 'responder_type' THEN responder_type ELSE 'all' END AS bucket,
           1 AS crisis, followed_up::INTEGER AS followed_up, 0 AS fu, 0 AS reached
    FROM crisis
    UNION ALL
    SELECT CASE $by WHEN 'month' THEN strftime(month, '%Y-%m') WHEN 'district' THEN district
                    WHEN 'responder_type' THEN responder_type ELSE 'all' END,
           0, 0, 1, reached::INTEGER
    FROM fu
)
SELECT bucket,
       CAST(sum(crisis) AS BIGINT)                   AS identified_crisis_contacts,
       CAST(sum(followed_up) AS BIGINT)              AS followed_up_14d,
       sum(followed_up) / nullif(sum(crisis), 0)     AS follow_up_14d_rate,
       CAST(sum(fu) AS BIGINT)                       AS follow_ups_attempted,
       CAST(sum(reached) AS BIGINT)                  AS follow_ups_reached,
       sum(reached) / nullif(sum(fu), 0)             AS follow_up_completion_rate
FROM buckets
GROUP BY ALL
ORDER BY bucket;

-- name: repeat_people
-- Person-level list for the coordinator (never public): people with repeat crisis contacts
-- in the period, most contacts first. person_key is the pseudonym stored at import.
SELECT person_key,
       count(*) FILTER (WHERE contact_type = 'on_scene')                     AS crisis_contacts,
       count(*) FILTER (WHERE contact_type IN ('follow_up', 'referral'))     AS follow_up_contacts,
       min(encounter_date)                                                   AS first_contact,
       max(encounter_date)                                                   AS last_contact,
       arg_max(outcome, encounter_date)                                      AS last_outcome,
       string_agg(DISTINCT district, ', ' ORDER BY district)                 AS districts
FROM encounter_facts_stored
WHERE person_key IS NOT NULL AND encounter_date >= $start AND encounter_date < $end
  AND ($district IS NULL OR district = $district)
  AND ($responder_type IS NULL OR responder_type = $responder_type)
GROUP BY person_key
HAVING count(*) FILTER (WHERE contact_type = 'on_scene') >= $min_contacts
ORDER BY crisis_contacts DESC, last_contact DESC, person_key;
