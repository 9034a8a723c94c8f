-- Resource savings (estimated cost avoidance). An ESTIMATE: it compares co-responded BH
-- calls with BH calls handled without a co-responder in the same period, which are not a
-- randomised control group; published evaluations disagree about savings.
-- Unit costs come from config/assumptions.toml (each with source and year).

-- name: savings_inputs
-- Rates that only the savings estimate uses. ED transport = on-scene contact ending in
-- voluntary ED/hospital or an involuntary hold. Booked share = share of arrests on BH
-- calls in the period that were booked into jail (1 when there are none).
WITH scene AS (
    -- on-scene contacts with a known outcome, from the stored daily contact counts
    -- (queries/rollups.sql :: contact_day_rollup)
    SELECT responder_type, outcome, sum(contacts) AS n
    FROM contact_day_rollup
    WHERE contact_type = 'on_scene' AND outcome_known
      AND encounter_date >= $start AND encounter_date < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
      AND ($district IS NULL OR district = $district)
    GROUP BY ALL
), bh_arrests AS (
    -- arrest records naming a BH call received in the period, from the stored daily
    -- totals (queries/rollups.sql :: call_day_rollup)
    SELECT sum(bh_linked_arrests) AS arrests, sum(bh_booked_arrests) AS booked
    FROM call_day_rollup
    WHERE call_date >= $start AND call_date < $end
      AND ($agencies IS NULL OR list_contains(string_split($agencies, ','), agency))
      AND ($district IS NULL OR district = $district)
)
SELECT
    (SELECT CAST(coalesce(sum(n), 0) AS BIGINT) FROM scene
     WHERE responder_type IN (SELECT value FROM vocabulary_groups WHERE grp = 'co_responder'))
                                                                     AS co_responder_scene_contacts,
    -- the share of contacts ending in an ED transport (0 or 1 per contact, averaged)
    (SELECT coalesce(sum(n) FILTER (WHERE outcome IN (SELECT value FROM vocabulary_groups WHERE grp = 'ed_or_hold')), 0)
            / nullif(sum(n), 0)
       FROM scene WHERE responder_type IN (SELECT value FROM vocabulary_groups WHERE grp = 'co_responder'))
                                                                     AS ed_rate_co_responder,
    (SELECT coalesce(sum(n) FILTER (WHERE outcome IN (SELECT value FROM vocabulary_groups WHERE grp = 'ed_or_hold')), 0)
            / nullif(sum(n), 0)
       FROM scene WHERE responder_type IN (SELECT value FROM vocabulary_groups WHERE grp = 'cit_only'))
                                                                     AS ed_rate_cit_only,
    (SELECT coalesce(booked / nullif(arrests, 0), 1.0) FROM bh_arrests)
                                                                     AS booked_share;

-- name: savings
-- The formula, over figures computed by their own queries (bound as parameters):
--   arrests avoided   = (arrest rate without co-responder − with) × co-responded BH calls
--   bookings avoided  = arrests avoided × booked share
--   ED transports avoided = (ED rate of CIT-only contacts − of co-responder contacts)
--                           × co-responder on-scene contacts
--   gross avoidance = bookings avoided × (booking + bed-day × average stay)
--                   + ED transports avoided × (ED visit + ambulance transport)
--                   + officer hours returned × loaded officer hour
--   program cost = annual program cost × days in period ÷ 365;  net = gross − program cost
-- Negative avoided counts are kept: if co-responded calls end in more arrests, it shows.
SELECT
    coalesce((CAST($arrest_rate_not_co_responded AS DOUBLE) - CAST($arrest_rate_co_responded AS DOUBLE))
             * CAST($co_responded_bh_calls AS DOUBLE), 0)                     AS arrests_avoided,
    arrests_avoided * CAST($booked_share AS DOUBLE)                           AS bookings_avoided,
    coalesce((CAST($ed_rate_cit_only AS DOUBLE) - CAST($ed_rate_co_responder AS DOUBLE))
             * CAST($co_responder_scene_contacts AS DOUBLE), 0)               AS ed_transports_avoided,
    coalesce(CAST($officer_hours_returned AS DOUBLE), 0)                      AS officer_hours_returned,
    bookings_avoided * (CAST($jail_booking AS DOUBLE)
        + CAST($jail_bed_day AS DOUBLE) * CAST($average_jail_stay_days AS DOUBLE)) AS jail_cost_avoided,
    ed_transports_avoided * (CAST($ed_visit AS DOUBLE) + CAST($ambulance_transport AS DOUBLE))
                                                                              AS ed_cost_avoided,
    officer_hours_returned * CAST($officer_hour AS DOUBLE)                    AS officer_time_value,
    jail_cost_avoided + ed_cost_avoided + officer_time_value                  AS gross_cost_avoidance,
    CAST($program_cost_annual AS DOUBLE) * date_diff('day', CAST($start AS DATE), CAST($end AS DATE)) / 365.0
                                                                              AS program_cost,
    gross_cost_avoidance - program_cost                                       AS net_cost_avoidance;
