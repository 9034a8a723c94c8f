-- Counts behind the public release that no figure query returns, so that the
-- suppression audit (pmhc/release.py) can check every rate the public sees against
-- the counts it is built on. Same parameters as queries/savings.sql :: savings_inputs
-- ($start DATE inclusive, $end DATE exclusive, $district NULL = all).

-- name: savings_counts
-- The counts inside the savings-only rates of savings_inputs:
--   ED / hold rate, co-responder = co_responder_ed_contacts ÷ co_responder_scene_contacts;
--   ED / hold rate, CIT only     = cit_ed_contacts ÷ cit_scene_contacts;
--   booked share                 = bh_booked_arrests ÷ bh_linked_arrests.
-- Scene contacts are on-scene contacts with a known outcome; ED = voluntary ED/hospital
-- or an involuntary hold. Arrests are arrest records naming a BH call of the period.
WITH scene AS (
    SELECT responder_type, outcome
    FROM encounter_facts
    WHERE contact_type = 'on_scene' AND outcome_known
      AND encounter_date >= $start AND encounter_date < $end
      AND ($district IS NULL OR district = $district)
), arrests AS (
    SELECT CAST(coalesce(sum(bh_linked_arrests), 0) AS BIGINT) AS linked,
           CAST(coalesce(sum(bh_booked_arrests), 0) AS BIGINT) AS booked
    FROM call_day_rollup
    WHERE call_date >= $start AND call_date < $end
      AND ($district IS NULL OR district = $district)
)
SELECT
    count(*) FILTER (WHERE responder_type IN (SELECT value FROM vocabulary_groups WHERE grp = 'co_responder'))
                                                                  AS co_responder_scene_contacts,
    count(*) FILTER (WHERE responder_type IN (SELECT value FROM vocabulary_groups WHERE grp = 'co_responder')
                       AND outcome IN (SELECT value FROM vocabulary_groups WHERE grp = 'ed_or_hold'))
                                                                  AS co_responder_ed_contacts,
    count(*) FILTER (WHERE responder_type IN (SELECT value FROM vocabulary_groups WHERE grp = 'cit_only'))        AS cit_scene_contacts,
    count(*) FILTER (WHERE responder_type IN (SELECT value FROM vocabulary_groups WHERE grp = 'cit_only')
                       AND outcome IN (SELECT value FROM vocabulary_groups WHERE grp = 'ed_or_hold'))
                                                                  AS cit_ed_contacts,
    (SELECT linked FROM arrests)                                  AS bh_linked_arrests,
    (SELECT booked FROM arrests)                                  AS bh_booked_arrests
FROM scene;

-- name: beat_districts
-- Which districts the calls and contacts of each beat fall in, for the selection. Beats
-- lie inside districts, and a reader who knows the map knows it: the public release ties
-- each beat's counts to its districts' counts (pmhc/release.py), so a small count of a
-- beat cannot be worked out as its district minus the district's other beats.
SELECT DISTINCT beat, district
FROM call_category_rollup
WHERE call_date >= $start AND call_date < $end
  AND ($district IS NULL OR district = $district)
UNION
SELECT DISTINCT beat, district
FROM encounter_facts_stored
WHERE encounter_date >= $start AND encounter_date < $end
  AND ($district IS NULL OR district = $district)
ORDER BY beat, district;
