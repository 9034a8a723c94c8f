-- Values seen in the loaded calls, for the administrator's Settings page: which CAD
-- codes the agency's disposition map and behavioral-health call-type list cover, and how
-- many calls each one decides. Codes are matched as the settings match them: the map on
-- the trimmed code in any case (queries/models.sql :: call_outcome_facts), the BH list on
-- the trimmed call type in upper case (pmhc.importer.reclassify).

-- name: dispositions_seen
-- One row per disposition code: the spelling most calls use, its calls and BH calls, and
-- the calls whose outcome the map decides (the export records no outcome of its own).
SELECT
    lower(trim(disposition))                                       AS code,
    mode(trim(disposition))                                        AS shown,
    count(*)                                                       AS calls,
    count(*) FILTER (WHERE is_bh)                                  AS bh_calls,
    count(*) FILTER (WHERE outcome IS NULL OR outcome = 'unknown') AS decided_by_map
FROM calls
WHERE nullif(trim(disposition), '') IS NOT NULL
GROUP BY 1
ORDER BY calls DESC, code;

-- name: call_types_seen
-- One row per call type: its calls, the calls the export flags as BH or not (bh_flag,
-- which wins over the list), the calls the list decides (bh_flag empty), and the calls
-- counted as BH now.
SELECT
    upper(trim(call_type))                          AS call_type,
    count(*)                                        AS calls,
    count(*) FILTER (WHERE bh_flag IS NOT NULL)     AS flagged_by_export,
    count(*) FILTER (WHERE bh_flag IS NULL)         AS decided_by_list,
    count(*) FILTER (WHERE is_bh)                   AS bh_calls
FROM calls
GROUP BY 1
ORDER BY calls DESC, call_type;
