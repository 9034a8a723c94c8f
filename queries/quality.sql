-- Data quality: what one import brought in, and checks over the whole database.
-- Read by pmhc/quality.py (the report after each import, the Data page, `pmhc import`).
-- Each check_* query returns one row: affected (rows with the problem), total (rows
-- checked) and examples (up to 5 keys to look up in the source system).

-- name: import_rows_per_month
-- Rows of one import per month, by the table's own date (calls and arrests on the
-- agency's wall clock). Rows re-imported later belong to the later import.
SELECT month, count(*) AS rows
FROM (
    SELECT CAST(date_trunc('month', received_local) AS DATE) AS month
    FROM calls WHERE $table = 'calls' AND _import_id = $import_id
    UNION ALL
    SELECT CAST(date_trunc('month', encounter_date) AS DATE)
    FROM encounters WHERE $table = 'encounters' AND _import_id = $import_id
    UNION ALL
    SELECT CAST(date_trunc('month', timezone($tz, arrested_at)) AS DATE)
    FROM arrests WHERE $table = 'arrests' AND _import_id = $import_id
)
GROUP BY month
ORDER BY month;

-- name: import_filled_calls
-- Non-empty values per column among the calls one import loaded.
SELECT count(*) AS _rows, count(COLUMNS(* EXCLUDE (_import_id, is_bh, received_local)))
FROM calls WHERE _import_id = $import_id;

-- name: import_filled_encounters
-- Non-empty values per column, and 'unmapped' codes per vocabulary column, among the
-- contacts one import loaded.
SELECT count(*) AS _rows, count(COLUMNS(* EXCLUDE (_import_id))),
       count(*) FILTER (WHERE responder_type = 'unmapped') AS unmapped_responder_type,
       count(*) FILTER (WHERE contact_type = 'unmapped')   AS unmapped_contact_type,
       count(*) FILTER (WHERE outcome = 'unmapped')        AS unmapped_outcome
FROM encounters WHERE _import_id = $import_id;

-- name: import_filled_arrests
-- Non-empty values per column, and 'unmapped' charge levels, among the arrests one import loaded.
SELECT count(*) AS _rows, count(COLUMNS(* EXCLUDE (_import_id))),
       count(*) FILTER (WHERE charge_level = 'unmapped') AS unmapped_charge_level
FROM arrests WHERE _import_id = $import_id;

-- name: import_quarantine_reasons
-- Quarantined rows of one import by reason and column, with one example line and message.
SELECT reason, column_name, count(*) AS rows, min(line) AS first_line,
       arg_min(message, line) AS example_message
FROM quarantine WHERE import_id = $import_id
GROUP BY reason, column_name
ORDER BY rows DESC, reason, column_name;

-- name: check_missing_outcome
-- Contacts with no outcome recorded: counted as "unknown" and left out of the
-- diversion and connection-to-care denominators.
SELECT count(*) FILTER (WHERE outcome IS NULL) AS affected, count(*) AS total,
       list(encounter_id ORDER BY encounter_id) FILTER (WHERE outcome IS NULL)[1:5] AS examples
FROM encounters;

-- name: check_unmapped_codes
-- Contacts and arrests holding an export code no profile mapped: shown as "unmapped" in
-- the outcome mix and counted as unknown outcomes.
SELECT sum(affected)::BIGINT AS affected, sum(total)::BIGINT AS total, flatten(list(examples))[1:5] AS examples
FROM (
    SELECT count(*) FILTER (WHERE 'unmapped' IN (responder_type, contact_type, outcome)) AS affected,
           count(*) AS total,
           list(encounter_id ORDER BY encounter_id)
               FILTER (WHERE 'unmapped' IN (responder_type, contact_type, outcome))[1:5] AS examples
    FROM encounters
    UNION ALL
    SELECT count(*) FILTER (WHERE charge_level = 'unmapped'), count(*),
           list(arrest_id ORDER BY arrest_id) FILTER (WHERE charge_level = 'unmapped')[1:5]
    FROM arrests
);

-- name: check_bh_calls_without_disposition
-- Behavioral-health calls whose CAD disposition is empty.
SELECT count(*) FILTER (WHERE disposition IS NULL) AS affected, count(*) AS total,
       list(call_id ORDER BY call_id) FILTER (WHERE disposition IS NULL)[1:5] AS examples
FROM calls WHERE is_bh;

-- name: check_bh_calls_without_co_responder_flag
-- Behavioral-health calls with co_responder_present empty: counted as not co-responded.
SELECT count(*) FILTER (WHERE co_responder_present IS NULL) AS affected, count(*) AS total,
       list(call_id ORDER BY call_id) FILTER (WHERE co_responder_present IS NULL)[1:5] AS examples
FROM calls WHERE is_bh;

-- name: check_encounters_unknown_call
-- Contacts whose call_id names no loaded call: their district is Unknown and a linked
-- arrest cannot be seen. Usually the CAD export covers a shorter period than the log.
SELECT count(*) FILTER (WHERE e.call_id IS NOT NULL AND c.call_id IS NULL) AS affected,
       count(*) FILTER (WHERE e.call_id IS NOT NULL) AS total,
       list(e.encounter_id ORDER BY e.encounter_id)
           FILTER (WHERE e.call_id IS NOT NULL AND c.call_id IS NULL)[1:5] AS examples
FROM encounters e LEFT JOIN calls c ON c.call_id = e.call_id;

-- name: check_arrests_unknown_call
-- Arrests whose call_id names no loaded call: not attributed to any call.
SELECT count(*) FILTER (WHERE a.call_id IS NOT NULL AND c.call_id IS NULL) AS affected,
       count(*) FILTER (WHERE a.call_id IS NOT NULL) AS total,
       list(a.arrest_id ORDER BY a.arrest_id)
           FILTER (WHERE a.call_id IS NOT NULL AND c.call_id IS NULL)[1:5] AS examples
FROM arrests a LEFT JOIN calls c ON c.call_id = a.call_id;

-- name: check_call_times_out_of_order
-- Calls cleared before they were received, on scene before received, or cleared before
-- on scene: time on scene for these calls is wrong or negative.
SELECT count(*) FILTER (WHERE bad) AS affected, count(*) AS total,
       list(call_id ORDER BY call_id) FILTER (WHERE bad)[1:5] AS examples
FROM (
    SELECT call_id,
           coalesce(cleared_at < received_at OR on_scene_at < received_at OR cleared_at < on_scene_at, false) AS bad
    FROM calls
);

-- name: check_calls_open_over_a_day
-- Calls cleared more than 24 hours after they were received (often a unit never cleared in CAD).
SELECT count(*) FILTER (WHERE cleared_at - received_at > INTERVAL 24 HOUR) AS affected,
       count(*) FILTER (WHERE cleared_at IS NOT NULL) AS total,
       list(call_id ORDER BY call_id) FILTER (WHERE cleared_at - received_at > INTERVAL 24 HOUR)[1:5] AS examples
FROM calls;

-- name: check_co_responded_calls_without_contact
-- Calls marked co-responded with no contact in the co-responder log naming them: the log
-- and CAD disagree, so outcome figures miss these calls.
SELECT count(*) FILTER (WHERE e.call_id IS NULL) AS affected, count(*) AS total,
       list(c.call_id ORDER BY c.call_id) FILTER (WHERE e.call_id IS NULL)[1:5] AS examples
FROM calls c
LEFT JOIN (SELECT DISTINCT call_id FROM encounters WHERE call_id IS NOT NULL) e ON e.call_id = c.call_id
WHERE c.co_responder_present;

-- name: check_on_scene_contact_before_call
-- On-scene contacts dated before their call was received (agency wall clock).
SELECT count(*) FILTER (WHERE e.encounter_date < CAST(c.received_local AS DATE)) AS affected,
       count(*) AS total,
       list(e.encounter_id ORDER BY e.encounter_id)
           FILTER (WHERE e.encounter_date < CAST(c.received_local AS DATE))[1:5] AS examples
FROM encounters e JOIN calls c ON c.call_id = e.call_id
WHERE e.contact_type = 'on_scene';

-- name: check_calls_without_district
-- Calls with no district: shown as district "Unknown".
SELECT count(*) FILTER (WHERE district IS NULL OR trim(district) = '') AS affected, count(*) AS total,
       list(call_id ORDER BY call_id) FILTER (WHERE district IS NULL OR trim(district) = '')[1:5] AS examples
FROM calls;

-- name: check_contacts_without_person
-- Contacts with no person identifier: counted as contacts, but not in people served or
-- repeat-contact figures.
SELECT count(*) FILTER (WHERE person_key IS NULL) AS affected, count(*) AS total,
       list(encounter_id ORDER BY encounter_id) FILTER (WHERE person_key IS NULL)[1:5] AS examples
FROM encounters;

-- name: check_dates_in_the_future
-- Calls, contacts or arrests dated after today: usually a wrong date format or year.
SELECT sum(affected)::BIGINT AS affected, sum(total)::BIGINT AS total, flatten(list(examples))[1:5] AS examples
FROM (
    SELECT count(*) FILTER (WHERE received_at > now()) AS affected, count(*) AS total,
           list(call_id ORDER BY call_id) FILTER (WHERE received_at > now())[1:5] AS examples
    FROM calls
    UNION ALL
    SELECT count(*) FILTER (WHERE encounter_date > current_date), count(*),
           list(encounter_id ORDER BY encounter_id) FILTER (WHERE encounter_date > current_date)[1:5]
    FROM encounters
    UNION ALL
    SELECT count(*) FILTER (WHERE arrested_at > now()), count(*),
           list(arrest_id ORDER BY arrest_id) FILTER (WHERE arrested_at > now())[1:5]
    FROM arrests
);

-- name: import_history
-- Every import, newest first. rows_updated: rows that replaced a stored row with different
-- values; rows_unchanged: rows re-imported with the values already stored. rows_merged: export rows merged into a row with the same
-- key by a profile's [collapse]; rows_other_tables: export rows that are records of the
-- profile's other tables only (its [TABLE.where] row filter). Rows in file = loaded +
-- quarantined + merged + other tables. (Imports recorded before the last two were stored
-- have the difference as merged.)
SELECT import_id, imported_at, file_name, table_name, profile, status, rows_in_file, rows_loaded,
       rows_new, rows_updated, rows_unchanged, rows_quarantined,
       coalesce(i.rows_merged, CASE WHEN status = 'loaded' THEN rows_in_file - rows_loaded - rows_quarantined END)
           AS rows_merged,
       coalesce(i.rows_other_tables, 0) AS rows_other_tables,
       message
FROM imports i
ORDER BY import_id DESC;

-- name: quarantine_files
-- Files with quarantined rows: how many, and the import that put them there last.
SELECT file_name, table_name, count(*) AS rows, max(import_id) AS import_id
FROM quarantine
GROUP BY file_name, table_name
ORDER BY import_id DESC, file_name;

-- name: quarantine_rows
-- Quarantined rows with line, column, value, reason and what to do ($file NULL = every file).
SELECT import_id, file_name, table_name, line, column_name, value, reason, message, record
FROM quarantine
WHERE $file IS NULL OR file_name = $file
ORDER BY import_id DESC, file_name, line
LIMIT $limit;
