"""Stored totals, so that figures cost the same at 10 million calls as at 100 thousand.

The figure queries for calls read daily tables built here instead of scanning every
call; the contact figures read the contacts with their call's district, arrest link and
person-level facts already joined (encounter_facts_stored). Each table is defined by the
named query of the same name in queries/rollups.sql; this module only stores its results.

An import changes a few days and a few people, so the tables are not rebuilt but
**recomputed where the import touched them**, inside the import's own transaction: the
import notes (note_replaced, note_loaded, note_full) the days of the calls and arrests it
replaced or loaded, and the people and calls of the contacts, and update() recomputes
exactly those days and people from the named queries — the same SQL as a full build, so
the result equals a rebuild (tests/test_rollups.py compares them). A table whose input
was empty before the import (a first import) is simply built whole. A failed import rolls
its notes back with its rows. One run of several files (pmhc.imports) may update once at
its end: the notes of all its files add up.

In a hub every stored row is of one agency (its first column) and every note names the
agency of the rows it is about, so an import of one agency's export recomputes that
agency's days and people only: importing the fiftieth agency does not recount the other
forty-nine, and an agency's rows never mix with another's (the same incident number or
pseudonym in two agencies is two calls or two people).

A database written by an older version (table missing or defined by different SQL) gets
its tables rebuilt the next time it is opened for writing.
"""

from __future__ import annotations

import hashlib

import duckdb

from . import sql

# Stored table (= named query) → base tables whose change makes it stale.
ROLLUPS: dict[str, tuple[str, ...]] = {
    "call_day_rollup": ("calls", "arrests"),
    "call_category_rollup": ("calls", "arrests"),
    "bh_hour_rollup": ("calls",),
    "call_outcome_day_rollup": ("calls", "arrests"),
    "arrest_day_rollup": ("arrests", "calls"),
    "encounter_facts_stored": ("calls", "encounters", "arrests"),
    "contact_day_rollup": ("calls", "encounters", "arrests"),  # built from encounter_facts_stored, after it
}
# Tables with one row per local call day (and more keys): recomputed by day.
CALL_DAY_TABLES = ("call_day_rollup", "call_category_rollup", "bh_hour_rollup", "call_outcome_day_rollup")

PERSON_NUMBERS_DDL = ("CREATE TABLE IF NOT EXISTS person_numbers "
                      "(agency VARCHAR NOT NULL, person_key VARCHAR NOT NULL, person_no INTEGER NOT NULL)")
MIN_CONTACTS = "rollup:repeat_min_contacts"  # the $min_contacts encounter_facts_stored was built with

# What an import touched, kept in temp tables of the import's connection (so a rollback
# forgets them with the rows).
# Every note but _scope_full names the agency of its rows.
_SCOPE = {
    "_scope_full": "name VARCHAR",  # base tables that were empty before: build their rollups whole
    "_scope_days": "agency VARCHAR, day DATE",  # local call days
    "_scope_arrest_days": "agency VARCHAR, day DATE",  # local arrest days
    "_scope_calls": "agency VARCHAR, call_id VARCHAR",  # calls whose row or arrest link changed
    "_scope_people": "agency VARCHAR, person_key VARCHAR",  # people whose contacts changed
    "_scope_encounters": "agency VARCHAR, encounter_id VARCHAR",  # contacts that changed (those without a person)
}


def _definition_hash(name: str) -> str:
    return hashlib.sha256(sql.get(name).sql.encode("utf-8")).hexdigest()[:16]


def min_contacts(cfg=None) -> int:
    from .config import load_agency

    return int((cfg or load_agency()).repeat_min_contacts)


def stored_min_contacts(con) -> int | None:
    """The $min_contacts the stored contact facts were built with (None: not built), on a
    database or any engine the named queries run on (queries/repeat.sql)."""
    rows = sql.records(con, "repeat_facts_min_contacts")
    return int(rows[0]["min_contacts"]) if rows and rows[0]["min_contacts"] is not None else None


def _query(name: str) -> str:
    return sql.get(name).sql.strip().rstrip(";")


def _exec(con, name: str, text: str, cfg=None, mc: int | None = None, params: dict | None = None) -> None:
    params = dict(params or {})
    if "$min_contacts" in text:
        params["min_contacts"] = mc if mc is not None else min_contacts(cfg)
    con.execute(text, params)


def _record(con: duckdb.DuckDBPyConnection, name: str, cfg=None) -> None:
    con.execute("INSERT OR REPLACE INTO settings VALUES ($k, $v)",
                {"k": f"rollup:{name}", "v": _definition_hash(name)})
    if name == "encounter_facts_stored":
        con.execute("INSERT OR REPLACE INTO settings VALUES ($k, $v)", {"k": MIN_CONTACTS, "v": str(min_contacts(cfg))})


def _number_people(con: duckdb.DuckDBPyConnection, whole: bool = False) -> None:
    """Give every person (agency and person_key) in encounter_facts_scope a person_no if
    they have none: numbers are kept, new people get the next ones (in key order), so a
    recomputed row keeps its person's number. A table of an older version (numbered by
    person_key alone) is numbered again on a whole build (`whole`)."""
    if whole:
        cols = {r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'person_numbers' "
            "AND database_name = current_database() AND schema_name = current_schema()").fetchall()}
        if cols and "agency" not in cols:
            con.execute("DROP TABLE person_numbers")
    con.execute(PERSON_NUMBERS_DDL)
    con.execute(
        """INSERT INTO person_numbers
        SELECT s.agency, s.person_key, (SELECT coalesce(max(person_no), 0) FROM person_numbers)
                                       + row_number() OVER (ORDER BY s.agency, s.person_key)
        FROM (SELECT DISTINCT agency, person_key FROM encounter_facts_scope WHERE person_key IS NOT NULL) s
        ANTI JOIN person_numbers n ON n.agency = s.agency AND n.person_key = s.person_key""")


def build(con: duckdb.DuckDBPyConnection, name: str, cfg=None) -> None:
    """Build one stored table whole from its named query."""
    if name == "encounter_facts_stored":
        con.execute("CREATE OR REPLACE TEMP TABLE encounter_facts_scope AS SELECT * FROM encounter_facts")
        _number_people(con, whole=True)
    # Table names come from ROLLUPS (constants); the SELECT is the named query.
    _exec(con, name, f"CREATE OR REPLACE TABLE {name} AS {_query(name)}", cfg)
    if name == "encounter_facts_stored":
        con.execute("DROP TABLE IF EXISTS encounter_facts_scope")
    _record(con, name, cfg)


def build_agency(con: duckdb.DuckDBPyConnection, name: str, agency: str, cfg=None) -> None:
    """Recompute one stored table's rows of `agency` from its named query (its settings
    changed, say its disposition map); the other agencies' rows stay."""
    con.execute(f"DELETE FROM {name} WHERE agency = $a", {"a": agency})
    _exec(con, name, f"INSERT INTO {name} SELECT q.* FROM ({_query(name)}) q WHERE q.agency = $a", cfg,
          mc=_stored_mc(con), params={"a": agency})


def ensure(con: duckdb.DuckDBPyConnection, cfg=None) -> list[str]:
    """Build any stored table that is missing, was built by different SQL, or (contact facts)
    with another repeat-contact setting; returns their names."""
    stored = dict(con.execute("SELECT key, value FROM settings WHERE key LIKE 'rollup:%'").fetchall())
    existing = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = current_schema()").fetchall()}
    built = []
    for name in ROLLUPS:
        stale = name not in existing or stored.get(f"rollup:{name}") != _definition_hash(name)
        if name == "encounter_facts_stored" and stored.get(MIN_CONTACTS) != str(min_contacts(cfg)):
            stale = True
        if stale or (name == "contact_day_rollup" and "encounter_facts_stored" in built):
            build(con, name, cfg)  # (the contact counts are made from the stored contacts)
            built.append(name)
    return built


def refresh_rollups(con: duckdb.DuckDBPyConnection, changed_table: str | None = None, cfg=None,
                    agency: str | None = None) -> list[str]:
    """Build whole the stored tables that depend on `changed_table` (all of them when None);
    with `agency`, recompute only that agency's rows of them (its days and people, as an
    import of all its rows would), leaving the other agencies' rows as they are.

    Runs on the caller's connection and transaction, so it sees its rows. Returns the
    names of the tables built or recomputed."""
    if agency is not None:
        for t in ((changed_table,) if changed_table else ("calls", "encounters", "arrests")):
            note_rows(con, t, "agency = $a", {"a": agency})
        return update(con, cfg)
    names = [n for n, deps in ROLLUPS.items() if changed_table is None or changed_table in deps]
    for name in names:
        build(con, name, cfg)
    return names


# ---------------------------------------------------------------- what an import touched

def _scope(con: duckdb.DuckDBPyConnection) -> None:
    for t, cols in _SCOPE.items():
        con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {t} ({cols})")


def note_full(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """`table` was empty before this import: its rollups are built whole at update()."""
    _scope(con)
    con.execute("INSERT INTO _scope_full VALUES ($t)", {"t": table})


def note_rows(con: duckdb.DuckDBPyConnection, table, where: str, params: dict | None = None) -> None:
    """The stored rows of `table` matching `where` are changing (note them before they are
    replaced, or once loaded)."""
    table = getattr(table, "name", table)
    params = params or {}
    _scope(con)
    if table == "calls":
        con.execute(f"INSERT INTO _scope_days SELECT DISTINCT agency, CAST(received_local AS DATE) FROM calls "
                    f"WHERE {where}", params)
        con.execute(f"INSERT INTO _scope_calls SELECT agency, call_id FROM calls WHERE {where}", params)
    elif table == "encounters":
        con.execute(f"INSERT INTO _scope_people SELECT DISTINCT agency, person_key FROM encounters "
                    f"WHERE ({where}) AND person_key IS NOT NULL", params)
        con.execute(f"INSERT INTO _scope_encounters SELECT agency, encounter_id FROM encounters WHERE {where}", params)
    elif table == "arrests":
        con.execute(f"INSERT INTO _scope_calls SELECT DISTINCT agency, call_id FROM arrests "
                    f"WHERE ({where}) AND call_id IS NOT NULL", params)
        con.execute(f"INSERT INTO _scope_arrest_days SELECT DISTINCT agency, CAST(arrested_local AS DATE) FROM arrests "
                    f"WHERE {where}", params)


def note_loaded(con: duckdb.DuckDBPyConnection, table, import_id: int) -> None:
    """The rows import `import_id` loaded into `table`."""
    note_rows(con, table, "_import_id = $import_id", {"import_id": import_id})


def pending(con: duckdb.DuckDBPyConnection) -> bool:
    _scope(con)
    return any(con.execute(f"SELECT EXISTS (SELECT 1 FROM {t})").fetchall()[0][0] for t in _SCOPE)


def _clear(con: duckdb.DuckDBPyConnection) -> None:
    for t in _SCOPE:
        con.execute(f"DELETE FROM {t}")


def _by_days(con: duckdb.DuckDBPyConnection, name: str, column: str, days: str) -> None:
    """Recompute the rows of day-keyed table `name` for the (agency, day) pairs in temp
    table `days`: another agency's rows of the same days stay as they are."""
    lo, hi = con.execute(f"SELECT min(day), max(day) FROM {days}").fetchall()[0]
    if lo is None:
        return
    agencies = [r[0] for r in con.execute(f"SELECT DISTINCT agency FROM {days} ORDER BY 1").fetchall()]
    con.execute(f"DELETE FROM {name} WHERE EXISTS (SELECT 1 FROM {days} d "
                f"WHERE d.agency = {name}.agency AND d.day = {name}.{column})")
    # The agencies and the range are pushed into the scan of the base table; the pairs pick
    # the days in it.
    _exec(con, name, f"INSERT INTO {name} SELECT q.* FROM ({_query(name)}) q "
                     f"WHERE q.agency IN (SELECT unnest($agencies::VARCHAR[])) "
                     f"AND q.{column} BETWEEN DATE '{lo.isoformat()}' AND DATE '{hi.isoformat()}' "
                     f"AND EXISTS (SELECT 1 FROM {days} d WHERE d.agency = q.agency AND d.day = q.{column})",
          mc=_stored_mc(con), params={"agencies": agencies})


def _stored_mc(con: duckdb.DuckDBPyConnection) -> int | None:
    """The $min_contacts the stored contact facts were built with: a part recomputed by an
    import keeps it (another agency's settings may differ; the figures check it, metrics)."""
    rows = con.execute("SELECT value FROM settings WHERE key = $k", {"k": MIN_CONTACTS}).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


def _by_people(con: duckdb.DuckDBPyConnection, cfg=None) -> None:
    """Recompute encounter_facts_stored for every contact of the people the import touched
    (and contacts without a person that changed or whose call changed), each of its agency."""
    con.execute("""CREATE OR REPLACE TEMP TABLE _people AS
        SELECT agency, person_key FROM _scope_people
        UNION SELECT e.agency, e.person_key FROM encounters e
              SEMI JOIN _scope_calls s ON s.agency = e.agency AND s.call_id = e.call_id
              WHERE e.person_key IS NOT NULL""")
    t = "{t}"
    where = (f"EXISTS (SELECT 1 FROM _people p WHERE p.agency = {t}.agency AND p.person_key = {t}.person_key) "
             f"OR ({t}.person_key IS NULL AND "
             f"(EXISTS (SELECT 1 FROM _scope_encounters s WHERE s.agency = {t}.agency "
             f"AND s.encounter_id = {t}.encounter_id) "
             f"OR EXISTS (SELECT 1 FROM _scope_calls s WHERE s.agency = {t}.agency AND s.call_id = {t}.call_id)))")
    # the days of the contacts replaced and of those recomputed: contact_day_rollup's days
    stored, facts = where.format(t="encounter_facts_stored"), where.format(t="encounter_facts")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _contact_days AS SELECT DISTINCT agency, encounter_date AS day "
                f"FROM encounter_facts_stored WHERE {stored}")
    con.execute(f"DELETE FROM encounter_facts_stored WHERE {stored}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE encounter_facts_scope AS SELECT * FROM encounter_facts WHERE {facts}")
    con.execute("INSERT INTO _contact_days SELECT DISTINCT agency, encounter_date FROM encounter_facts_scope")
    _number_people(con)
    _exec(con, "encounter_facts_stored", f"INSERT INTO encounter_facts_stored {_query('encounter_facts_stored')}",
          cfg, mc=_stored_mc(con))
    con.execute("DROP TABLE IF EXISTS encounter_facts_scope")
    con.execute("DROP TABLE IF EXISTS _people")


def update(con: duckdb.DuckDBPyConnection, cfg=None) -> list[str]:
    """Bring the stored tables up to date with what the notes say changed; returns the
    names of the tables recomputed (whole or in part). Clears the notes."""
    _scope(con)
    full = {r[0] for r in con.execute("SELECT DISTINCT name FROM _scope_full").fetchall()}
    done = []
    for name, deps in ROLLUPS.items():
        if full & set(deps):
            build(con, name, cfg)
            done.append(name)
    days_needed = [n for n in CALL_DAY_TABLES if n not in done]
    if days_needed and con.execute("SELECT EXISTS (SELECT 1 FROM _scope_days) OR EXISTS "
                                   "(SELECT 1 FROM _scope_calls)").fetchall()[0][0]:
        con.execute("""CREATE OR REPLACE TEMP TABLE _days AS
            SELECT agency, day FROM _scope_days WHERE day IS NOT NULL
            UNION SELECT DISTINCT c.agency, CAST(c.received_local AS DATE) FROM calls c
                  SEMI JOIN _scope_calls s ON s.agency = c.agency AND s.call_id = c.call_id""")
        for name in days_needed:
            _by_days(con, name, "call_date", "_days")
            done.append(name)
        con.execute("DROP TABLE IF EXISTS _days")
    if "arrest_day_rollup" not in done and con.execute(
            "SELECT EXISTS (SELECT 1 FROM _scope_arrest_days) OR EXISTS (SELECT 1 FROM _scope_calls)").fetchall()[0][0]:
        # the days of the arrests noted, and of arrests naming a call that came or changed
        con.execute("""CREATE OR REPLACE TEMP TABLE _days AS
            SELECT agency, day FROM _scope_arrest_days WHERE day IS NOT NULL
            UNION SELECT DISTINCT a.agency, CAST(a.arrested_local AS DATE) FROM arrests a
                  SEMI JOIN _scope_calls s ON s.agency = a.agency AND s.call_id = a.call_id""")
        _by_days(con, "arrest_day_rollup", "arrest_date", "_days")
        con.execute("DROP TABLE IF EXISTS _days")
        done.append("arrest_day_rollup")
    if "encounter_facts_stored" not in done and con.execute(
            "SELECT EXISTS (SELECT 1 FROM _scope_people) OR EXISTS (SELECT 1 FROM _scope_encounters) "
            "OR EXISTS (SELECT 1 FROM _scope_calls)").fetchall()[0][0]:
        _by_people(con, cfg)
        done.append("encounter_facts_stored")
        if "contact_day_rollup" not in done:
            _by_days(con, "contact_day_rollup", "encounter_date", "_contact_days")
            done.append("contact_day_rollup")
    con.execute("DROP TABLE IF EXISTS _contact_days")
    _clear(con)
    return done


# A person number for every person in the contacts, for a copy without the stored table
# (numbers differ from the database's, but only serve distinct counts and joins).
PERSON_NUMBERS_SELECT = ("SELECT agency, person_key, CAST(dense_rank() OVER (ORDER BY agency, person_key) AS INTEGER) "
                         "AS person_no FROM (SELECT DISTINCT agency, person_key FROM encounters "
                         "WHERE person_key IS NOT NULL)")


def computed_sql(name: str, cfg=None) -> str:
    """The named query with its $min_contacts written in, to compute a stored table on the
    fly over views (encounter_facts_stored reads encounter_facts_scope and person_numbers)."""
    return _query(name).replace("$min_contacts", str(int(min_contacts(cfg))))


def view_sql(con: duckdb.DuckDBPyConnection, name: str, cfg=None) -> str:
    """The named query as the body of a view computed on the fly (a Parquet copy without
    stored tables, pmhc.parquet): its inputs as views, its $min_contacts written in."""
    if name == "encounter_facts_stored":
        con.execute("CREATE OR REPLACE VIEW encounter_facts_scope AS SELECT * FROM encounter_facts")
        con.execute(f"CREATE OR REPLACE VIEW person_numbers AS {PERSON_NUMBERS_SELECT}")
        con.execute("INSERT OR REPLACE INTO settings VALUES ($k, $v)", {"k": MIN_CONTACTS, "v": str(min_contacts(cfg))})
    return computed_sql(name, cfg)


def rebuilt_equal(con: duckdb.DuckDBPyConnection, name: str, cfg=None) -> bool:
    """Whether stored table `name` holds exactly what a whole build would (for tests and
    `pmhc doctor`-style checks): compared as multisets of rows."""
    if name == "encounter_facts_stored":
        con.execute("CREATE OR REPLACE TEMP TABLE encounter_facts_scope AS SELECT * FROM encounter_facts")
    params = {"min_contacts": min_contacts(cfg)} if "$min_contacts" in _query(name) else {}
    diff = con.execute(f"SELECT count(*) FROM ((SELECT * FROM {name} EXCEPT ALL ({_query(name)})) "
                       f"UNION ALL (({_query(name)}) EXCEPT ALL SELECT * FROM {name}))", params).fetchall()[0][0]
    if name == "encounter_facts_stored":
        con.execute("DROP TABLE IF EXISTS encounter_facts_scope")
    return diff == 0

