"""Data, for the administrator: import an export from the browser (canonical or through a
mapping profile), see what each import loaded, quarantined or merged and why, read its
data-quality report, check the whole database, and start a profile for a new export.

An import here is the same run as `pmhc import` (pmhc.imports): it writes a new snapshot
of the database and swaps it in, so viewers on other pages keep the previous data until
it commits and see the new data on their next run, with no connection closed under them.

The page body runs only when Streamlit runs the file (module name "__main__"), so tests
can import `run_import` and the header helpers without drawing the page.
"""

from __future__ import annotations

import csv
import gzip
import io
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from pmhc import (access, audit, escape, importer, imports, login, present, profiles, progress, publication_view,
                  quality, schema, snapshots, sql, ui)
from pmhc.config import default_db_path

CANONICAL = "canonical"
UPLOADED_PROFILE = "uploaded"
QUARANTINE_LIMIT = 5000


# ------------------------------------------------------------------ import (no drawing)

def header_of(data: bytes, file_name: str) -> list[str]:
    """The header row of an uploaded CSV (plain or gzip)."""
    if file_name.lower().endswith(".xlsx"):
        from pmhc import reading

        with tempfile.TemporaryDirectory(prefix="pmhc-sheet-") as tmp:
            book, out = Path(tmp) / "sheet.xlsx", Path(tmp) / "sheet.csv"
            book.write_bytes(data)
            try:
                reading.xlsx_to_csv(book, out)
            except reading.Refused:
                return []
            data, file_name = out.read_bytes(), "sheet.csv"
    raw = gzip.decompress(data) if file_name.lower().endswith(".gz") else data
    first = raw.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").rstrip("\r")
    return [h.strip() for h in next(csv.reader(io.StringIO(first)), [])]


def likely_table(header: list[str]) -> str:
    """The canonical table a non-canonical export most resembles (for a draft profile)."""
    found = schema.table_for_header(header)
    if found is not None:
        return found.name
    scores = {t: len(profiles.guess_columns(header, t)) for t in schema.TABLES}
    return max(scores, key=lambda t: scores[t])


def run_import(data: bytes, file_name: str, *, profile_path: Path | None = None, table: str | None = None,
               db_path: Path | None = None, on_progress: progress.Listener | None = None) -> importer.FileReport:
    """Import uploaded bytes into the dashboard database and return the import's report.

    The import writes a new snapshot and swaps it in (pmhc.imports, pmhc.snapshots), so the
    viewers on other pages go on reading the previous data until it commits, and nobody's
    connection is closed under them. Raises imports.RunError for a profile that cannot be used.
    """
    with tempfile.TemporaryDirectory(prefix="pmhc-upload-") as tmp:
        upload = Path(tmp) / Path(file_name).name
        upload.write_bytes(data)
        # Each file's audit line is written as soon as its import returns, before the new data
        # is swapped in and before anything is drawn: a closed tab stops the script at its next
        # Streamlit call, which must not come between an import and its audit line.
        audited: list[bool] = []
        result = imports.run([upload], db_path=db_path or default_db_path(), profile=profile_path, table=table,
                             via="dashboard", display_names=[file_name], on_wait=_say_waiting,
                             on_report=lambda r: audited.append(audit_import(file_name, {"status": r.status}, r,
                                                                             profile_path)),
                             on_progress=on_progress)
    st.cache_data.clear()
    report = result.reports[0]
    report.extra["audited"] = all(audited)
    if len(result.reports) > 1:  # a profile that fills several tables: the others' accounts, shown with the first
        report.extra["also"] = [{"summary": r.summary(), "status": r.status, "quarantined": r.rows_quarantined}
                                for r in result.reports[1:]]
    return report


def _say_waiting() -> None:
    st.info("Another import of this database is running (from the command line or another browser); this one "
            "starts as soon as it has finished.", icon=":material/hourglass_top:")


def profile_from_upload(data: bytes, file_name: str, folder: Path) -> Path:
    """Save an uploaded profile where the import can read it; checks it on the way."""
    path = folder / Path(file_name).name
    path.write_bytes(data)
    profiles.load(path)
    return path


def audit_import(file_name: str, result: dict, report: importer.FileReport | None,
                 profile_path: Path | None) -> bool:
    """One audit-log line per import from this page, with the logged-in user (pmhc.audit)."""
    detail = {"via": "dashboard", "profile": profile_path.name if profile_path else None}
    if report is not None:
        detail |= {"table": report.table, "sha256": report.sha256, "rows_in_file": report.rows_in_file,
                   "rows_loaded": report.rows_loaded, "rows_quarantined": report.rows_quarantined}
    status = result.get("status", "rejected")
    if audit.record_quietly("import", login.current_user(), file_name, "ok" if status == "loaded" else status,
                            role=ui.current_role(), **detail) is None:
        result["summary"] = result.get("summary", "") + " (The audit log could not be written: check " \
                            f"that `{audit.log_path()}` is writable.)"
        return False
    return True


# ------------------------------------------------------------------ drawing

def _pct(x) -> str:
    return present.fmt(x, "rate")  # a share of rows, as every rate reads; a dash when undefined


def show_result(result: dict) -> None:
    """The outcome of the import just run (kept across the rerun that follows it)."""
    if result["status"] == "loaded":
        st.success(result["summary"], icon=":material/check_circle:")
        if result.get("quarantined"):
            st.warning(f"{result['quarantined']:,} row(s) were quarantined: see **Quarantine** below for line, "
                       "column, value and what to do.", icon="⚠️")
    else:
        st.error(result["summary"], icon=":material/error:")
    if result.get("quality_text"):
        with st.expander("Data-quality report of this import (text)", expanded=False):
            st.code(result["quality_text"], language=None)


def import_section(con: duckdb.DuckDBPyConnection | None) -> None:
    st.subheader("Import an export")
    st.caption("Rows are upserted on their key (call_id, encounter_id, arrest_id): importing the same or an "
               "overlapping export again never double-counts. Bad rows are quarantined, never dropped.")
    upload = st.file_uploader(
        "Export file (.csv, .csv.gz or .xlsx)", type=["csv", "gz", "xlsx"], key="data_upload",
        help="Up to 200 MB per file. Gzip a larger export first (a CAD export shrinks about fivefold), or import it "
             "on the server with `pmhc import FILE --db PATH`.")
    shipped = profiles.available()
    options = [CANONICAL] + [str(p) for p in shipped] + [UPLOADED_PROFILE]

    def label(opt: str) -> str:
        if opt == CANONICAL:
            return "Canonical columns (named as in the data model)"
        if opt == UPLOADED_PROFILE:
            return "Upload a mapping profile (TOML)…"
        try:
            return f"Profile: {profiles.load(Path(opt)).name} ({Path(opt).name})"
        except profiles.ProfileError:
            return f"Profile: {Path(opt).name} (has errors)"

    choice = st.selectbox("How the file is laid out", options, format_func=label, key="data_mapping",
                          help="A mapping profile turns an agency's own export (its column names, codes, date "
                               "formats, one row per disposition…) into the canonical model. See the README.")
    table = None
    profile_path: Path | None = None
    profile_upload = None
    if choice == CANONICAL:
        pick = st.selectbox("Table", ["detect"] + list(schema.TABLES), key="data_table",
                            format_func=lambda t: "Detect from the key column" if t == "detect" else t)
        table = None if pick == "detect" else pick
    elif choice == UPLOADED_PROFILE:
        profile_upload = st.file_uploader("Mapping profile (.toml)", type=["toml"], key="data_profile_upload")
    else:
        profile_path = Path(choice)
        try:
            p = profiles.load(profile_path)
            st.caption(f"{p.description or p.name} → " + ", ".join(f"`{o.table.name}`" for o in p.outputs)
                       + ". Reads the columns: "
                       + ", ".join(f"`{c}`" for c in dict.fromkeys(c for o in p.outputs for c in o.source_columns())))
        except profiles.ProfileError as e:
            st.error(str(e))
            profile_path = None

    if upload is not None:
        st.caption(f"{escape.markdown(upload.name)}: columns "
                   + ", ".join(escape.markdown(h) for h in header_of(upload.getvalue(), upload.name)))
    ready = upload is not None and (choice != UPLOADED_PROFILE or profile_upload is not None) \
        and (choice in (CANONICAL, UPLOADED_PROFILE) or profile_path is not None)
    if st.button("Import", type="primary", disabled=not ready, key="data_import"):
        report = None
        with tempfile.TemporaryDirectory(prefix="pmhc-profile-") as tmp:
            try:
                if profile_upload is not None:
                    profile_path = profile_from_upload(profile_upload.getvalue(), profile_upload.name, Path(tmp))
                with st.status(f"Importing {upload.name}…", expanded=True) as box:
                    report = run_import(upload.getvalue(), upload.name, profile_path=profile_path, table=table,
                                        on_progress=progress.StreamlitStatus(box))
                    box.update(label=f"Imported {upload.name}" if report.status == "loaded" else
                               f"{upload.name} was not imported", state="complete" if report.status == "loaded"
                               else "error", expanded=False)
            except profiles.ProfileError as e:
                st.session_state["data_result"] = {"status": "rejected", "summary": f"Profile not used: {e}"}
            except imports.RunError as e:
                st.session_state["data_result"] = {"status": "rejected", "summary": str(e)}
            except (duckdb.Error, OSError) as e:
                st.session_state["data_result"] = {
                    "status": "rejected",
                    "summary": f"The import could not write the new database snapshot ({type(e).__name__}: {e}); "
                               "nothing was changed. Check the free disk space and that the data folder is "
                               "writable, then import again."}
            else:
                also = report.extra.get("also", [])
                st.session_state["data_result"] = {
                    "status": report.status if all(a["status"] == "loaded" for a in also) else "rejected",
                    "summary": "  \n".join([report.summary()] + [a["summary"] for a in also]) + (
                        "" if report.extra.get("audited") else " (The audit log could not be written: check "
                        f"that `{audit.log_path()}` is writable.)"),
                    "quarantined": report.rows_quarantined + sum(a["quarantined"] for a in also),
                    "quality_text": report.extra.get("quality_text"),
                }
        if report is None:  # refused before the importer ran (run_import audits the ones it runs)
            audit_import(upload.name, st.session_state["data_result"], report, profile_path)
        st.rerun()


def quality_report(q: dict) -> None:
    """One import's data-quality report, drawn."""
    st.markdown(f"**{escape.markdown(q['file'])}** → `{q['table']}`" + (f" with profile `{q['profile']}`" if q.get("profile") else "")
                + f" (import {q['import_id']})")
    cols = st.columns(4)
    cols[0].metric("Rows in file", f"{q['rows_in_file']:,}")
    cols[1].metric("Loaded", f"{q['rows_loaded']:,}")
    cols[2].metric("Quarantined", f"{q['rows_quarantined']:,}")
    cols[3].metric("Merged (same key)", f"{q['rows_collapsed']:,}",
                   help="Rows that repeated the key of an earlier row (e.g. one row per disposition) and were "
                        "merged into it by the profile's [collapse], so nothing is counted twice.")
    if q.get("rows_other_tables"):
        st.caption(f"Rows in file = loaded + quarantined + merged + {q['rows_other_tables']:,} rows that are not "
                   f"`{q['table']}` records: the profile's row filter gives them to its other tables only.")
    if q.get("rows_unchanged") is not None:  # reports stored before unchanged rows were counted lack it
        st.caption(f"Loaded = {q['rows_new']:,} new + {q['rows_updated']:,} updated (stored before with other "
                   f"values) + {q['rows_unchanged']:,} unchanged (stored before with the same values).")
    months = pd.DataFrame(q.get("months") or [])
    if not months.empty:
        flagged = months[months["flag"].notna()]
        st.markdown(f"**Rows per month** (by `{q['date_column']}`)"
                    + (": " + ", ".join(f"{r.month} {r.flag}" for r in flagged.itertuples()) if not flagged.empty
                       else ": no gaps or spikes"))
        st.bar_chart(months.set_index("month")["rows"], height=220)
    columns = pd.DataFrame(q.get("columns") or [])
    if not columns.empty:
        st.markdown("**Empty and unmapped values per column**")
        st.dataframe(
            {"column": columns["column"], "from": columns["source"],
             "empty": [f"{n:,} ({_pct(s)})" for n, s in zip(columns["empty"], columns["empty_share"])],
             "unmapped": [f"{n:,} ({_pct(s)})" for n, s in zip(columns["unmapped"], columns["unmapped_share"])]},
            hide_index=True, width="stretch")
    if q.get("unmapped"):
        st.markdown("**Export values not in the profile's value maps** — add them to `[values]` and import "
                    "again; until then they show as *unmapped* in the figures")
        st.dataframe(pd.DataFrame(q["unmapped"]), hide_index=True, width="stretch")
    for col, t in (q.get("time_filled") or {}).items():
        if t["rows"]:
            st.info(f"{t['rows']:,} row(s) had no time for `{col}` and were given {t['time']} as the profile "
                    "says: their date counts, their hour of day is not real.")
    for col, n in (q.get("collapse_conflicts") or {}).items():
        st.info(f"{n:,} merged `{q['collapse_key']}` value(s) had different `{col}` values across their rows; "
                "the first non-empty one was kept.")
    if q.get("quarantine"):
        st.markdown("**Quarantined rows by reason**")
        st.dataframe(pd.DataFrame(q["quarantine"]), hide_index=True, width="stretch")


def report_section(con: duckdb.DuckDBPyConnection) -> None:
    st.subheader("Data-quality report")
    history = sql.df(con, "import_history")
    if history.empty:
        st.info("No imports yet.")
        return
    latest = quality.stored_report(con)
    if latest is None:
        st.info("No data-quality report is stored yet: reports are kept for imports made from this version on.")
        return
    ids = quality.reported_imports(con)
    names = {int(i): f for i, f in zip(history["import_id"], history["file_name"])}
    # Keyed by the newest import, so an import just made replaces the choice: with a fixed key
    # the browser went on showing the earlier pick while the report below was the new one.
    pick = st.selectbox("Import", ids, format_func=lambda i: f"{i}: {names.get(i, '')}",
                        key=f"data_report_pick_{ids[0]}", help="The latest import is shown first.")
    quality_report(quality.stored_report(con, int(pick)) or latest)


def quarantine_section(con: duckdb.DuckDBPyConnection) -> None:
    st.subheader("Quarantine")
    files = sql.df(con, "quarantine_files")
    if files.empty:
        st.success("No quarantined rows.", icon=":material/check_circle:")
        return
    labels = {None: f"Every file ({int(files['rows'].sum()):,} rows)"}
    labels.update({f: f"{f} ({n:,} rows)" for f, n in zip(files["file_name"], files["rows"])})
    pick = st.selectbox("File", list(labels), format_func=labels.get, key="data_quarantine_file")
    rows = sql.df(con, "quarantine_rows", {"file": pick, "limit": QUARANTINE_LIMIT})
    login.audit_view("quarantined rows (raw records)", file=pick, rows=len(rows))
    st.caption("Each row: the file's line (the header is line 1), the column, the value as read, the reason and "
               "what to do. Fix the rows at the source and import the file again; the quarantine of a re-imported "
               "file is replaced, not added to." + (f" Showing the first {QUARANTINE_LIMIT:,}." if len(rows) ==
                                                     QUARANTINE_LIMIT else ""))
    st.dataframe(rows[["file_name", "line", "column_name", "value", "reason", "message", "record"]],
                 hide_index=True, width="stretch")
    st.download_button("Download quarantined rows (CSV)", escape.to_csv(rows),
                       file_name="quarantine.csv", mime="text/csv", key="data_quarantine_download",
                       on_click=login.on_download("quarantine.csv (raw quarantined records)", file=pick,
                                                  rows=len(rows)))


def history_section(con: duckdb.DuckDBPyConnection) -> None:
    st.subheader("Import history")
    history = sql.df(con, "import_history")
    if history.empty:
        st.info("No imports yet.")
        return
    st.caption("Rows in file = loaded + quarantined (+ merged, for exports repeated once per disposition; + other "
               "tables, for rows a several-table profile's row filter gives to its other tables only).")
    st.dataframe(history, hide_index=True, width="stretch",
                 column_config={"imported_at": st.column_config.DatetimeColumn("imported at",
                                                                                format="YYYY-MM-DD HH:mm")})


def checks_section(con: duckdb.DuckDBPyConnection) -> None:
    st.subheader("Checks over the whole database")
    checks = quality.database_checks(con)
    problems = checks[checks["affected"] > 0]
    st.caption(f"{len(problems)} of {len(checks)} checks find rows to look at. Each is a named query in "
               "`queries/quality.sql`.")
    st.dataframe(
        {"check": checks["check"], "rows affected": checks["affected"], "of": checks["total"],
         "share": [_pct(x) for x in checks["share"]], "examples": checks["examples"],
         "effect on the figures": checks["effect"], "what to do": checks["action"]},
        hide_index=True, width="stretch", height=36 * (len(checks) + 1) + 3)


def draft_section(upload) -> None:
    st.subheader("Start a profile from an export's header")
    st.caption("For an export whose columns are not named as in the data model: a draft mapping profile that lists "
               "every column of the file, with best-guess renames commented out for you to check.")
    src = st.file_uploader("Export to start from (.csv or .csv.gz; only its header is read)", type=["csv", "gz"],
                           key="data_draft_upload")
    src = src or upload
    if src is None:
        st.caption("Upload an export here (or above) to draft a profile.")
        return
    header = header_of(src.getvalue(), src.name)
    tables = list(schema.TABLES)
    table = st.selectbox("It fills the table", tables, index=tables.index(likely_table(header)),
                         key="data_draft_table")
    draft = profiles.draft_from_header(header, table, src.name)
    stem = Path(src.name).name.split('.')[0]
    st.code(draft, language="toml")
    st.download_button("Download draft profile", draft.encode("utf-8"), file_name=f"{stem}.toml",
                       mime="application/toml", key="data_draft_download")
    save_draft(draft, stem)


def save_draft(draft: str, stem: str) -> None:
    """Edit the draft here and save it into the workspace's profiles/, where the import
    above (and `pmhc import --profile`) finds it; it is checked like any profile first."""
    from pmhc import agency_settings
    from pmhc.config import SettingsError, Workspace

    with st.expander("Edit the draft and save it into the workspace", expanded=True, icon=":material/edit:"):
        st.caption("Check the guesses, uncomment the lines that are right and fill in the rest, then save the "
                   f"profile into the workspace (`{escape.markdown(str(Workspace.current().profiles_dir))}`): it "
                   "is then offered under “How the file is laid out”, and `pmhc import --profile` reads it there.")
        text = st.text_area("Profile (TOML)", draft, height=420, key=f"data_draft_text_{stem}")
        c1, c2 = st.columns([3, 1])
        name = c1.text_input("File name in profiles/", stem, key="data_draft_name")
        replace = c2.checkbox("Replace a profile of that name", key="data_draft_replace")
        if st.button("Save into the workspace's profiles", icon=":material/save:", key="data_draft_save"):
            try:
                saved = agency_settings.save_profile(text, name, login.current_user(), ui.current_role(), replace)
            except (SettingsError, ValueError, OSError) as e:
                st.error(f"Not saved: {e}", icon=":material/error:")
            else:  # drawn again, so the import above offers the new profile
                st.session_state["data_draft_saved"] = saved.message
                st.rerun()
        if "data_draft_saved" in st.session_state:
            st.success(st.session_state.pop("data_draft_saved"), icon=":material/check:")


def main() -> None:
    ui._leave_folder_navigation()
    spec = access.page("data")
    role = ui.current_role()
    st.title(spec.title)
    if not access.can(role, "import_data"):
        st.error("This page is for administrators: it imports data and shows quarantined rows, which hold raw "
                 "records.", icon=":material/lock:")
        st.stop()
    path = default_db_path()
    st.caption(f"For {spec.audience} · database `{path}`")
    for e in snapshots.unfinished(path):
        st.warning(snapshots.interrupted_message(e) + " The next import records it in the import history.",
                   icon="⚠️")
    result = st.session_state.pop("data_result", None)
    if result:
        show_result(result)
    con = ui.connection()
    import_section(con)
    upload = st.session_state.get("data_upload")
    if con is None:
        st.info(f"No database yet at `{path}`: the first import creates it.", icon=":material/database:")
    else:
        tabs = st.tabs(["Last import report", "Quarantine", "Import history", "Database checks",
                        "Start a profile", "Published periods"])
        with tabs[0]:
            report_section(con)
        with tabs[1]:
            quarantine_section(con)
        with tabs[2]:
            history_section(con)
        with tabs[3]:
            checks_section(con)
        with tabs[4]:
            draft_section(upload)
        with tabs[5]:
            publication_view.section(con)
        return
    draft_section(upload)


if __name__ == "__main__":
    main()
