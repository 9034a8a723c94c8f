"""`pmhc` command line: the same functions the dashboard uses, for scripts and grant writers."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .config import default_db_path


def _say(text: str = "", err: bool = False) -> None:
    """Print without letting a closed pipe (`pmhc import … | head`) stop the import: once the
    reader is gone, the rest of the output goes nowhere and the import carries on."""
    stream = sys.stderr if err else sys.stdout
    try:
        print(text, file=stream, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


def _cmd_import(args: argparse.Namespace) -> int:
    from . import imports, progress

    db = args.db or str(default_db_path())

    def report(r) -> None:
        _say(r.summary())
        _audit_import(args, r.file, r)
        if r.status == "loaded" and r.rows_quarantined:
            _say(f"  {r.rows_quarantined:,} row(s) quarantined: see `pmhc quarantine --db {db}` "
                 "or the Data page for line, column and reason")
        if r.extra.get("quality_text"):
            _say(r.extra["quality_text"])

    shown = progress.for_stream(sys.stderr)  # a bar at a terminal, plain lines when piped or under CI
    try:
        result = imports.run(args.files, db_path=db, profile=args.profile, table=args.table, via="cli",
                             on_wait=lambda: _say("Waiting for another import of this database to finish…", err=True),
                             on_report=report, on_progress=shown)
    finally:
        shown.close()
    for e in result.interrupted:
        _say(f"Note: an earlier import of {', '.join(e.get('files') or [])} (started {e.get('started_at')}) did not "
             "finish; it is now in the import ledger as 'interrupted' and none of its rows were loaded.")
    _say("Tables now hold: " + ", ".join(f"{k} {v:,}" for k, v in result.counts.items()))
    return 1 if result.failed else 0


def _audit_import(args: argparse.Namespace, path: str, report) -> None:
    from . import audit

    entry = audit.record_quietly(
        "import", audit.os_user(), report.file, "ok" if report.status == "loaded" else report.status,
        path=audit.log_path(args.db), via="cli", table=report.table, sha256=report.sha256,
        rows_in_file=report.rows_in_file, rows_loaded=report.rows_loaded, rows_quarantined=report.rows_quarantined,
        profile=Path(args.profile).name if args.profile else None)
    if entry is None:
        print(f"  warning: the audit log {audit.log_path(args.db)} could not be written", file=sys.stderr)


def _cmd_user(args: argparse.Namespace) -> int:
    from . import audit, auth

    path = Path(args.file) if args.file else auth.users_file()
    log = audit.log_path(args.db)
    try:
        if args.user_command == "list":
            users = auth.list_users(path)
            for u in users:
                scope = "" if u.scope.every_agency and not u.scope.person_lists else f"\t{u.scope.text}"
                print(f"{u.name}\t{u.role}\tcreated {u.created or '?'}{scope}")
            if not users:
                print(f"No accounts in {path}. Add one with `pmhc user add NAME --role admin`.")
            return 0
        if args.user_command == "remove":
            auth.remove_user(args.name, path)
            audit.record_quietly("user_removed", audit.os_user(), args.name, path=log)
            print(f"Removed {args.name} from {path}.")
            return 0
        password = _read_password(args)
        if args.user_command == "add":
            user = auth.add_user(args.name, args.role, password, path, _account_scope(args))
            audit.record_quietly("user_added", audit.os_user(), args.name, path=log, account_role=user.role)
            print(f"Added {user.name} ({auth.access.ROLE_LABELS[user.role]}) to {path} (mode 0600).")
        else:
            auth.set_password(args.name, password, path)
            audit.record_quietly("password_changed", audit.os_user(), args.name, path=log)
            print(f"Changed the password of {args.name}.")
    except auth.AuthError as e:
        print(f"pmhc user {args.user_command}: {e}", file=sys.stderr)
        return 2
    return 0


def _account_scope(args: argparse.Namespace):
    """--agencies and --person-lists of `pmhc user add`, checked against the workspace: in a
    hub an analyst's or administrator's agencies must be named ('*' for every agency)."""
    from . import auth
    from .access import Scope
    from .config import Workspace

    scope = Scope.of(args.agencies, args.person_lists)
    ws = Workspace.current()
    if not scope.every_agency:
        unknown = sorted(set(scope.agencies) - set(ws.agency_keys()))
        if unknown:
            raise auth.AuthError(f"--agencies: {', '.join(unknown)} not an agency of {ws.root} (agencies: "
                                 f"{', '.join(ws.agency_keys()) or 'none yet'})")
    elif ws.is_hub and args.agencies is None and args.role in ("analyst", "admin"):
        raise auth.AuthError("this is a hub: name the agencies the account may see with --agencies KEY[,KEY…], "
                             "or --agencies '*' for every agency (a hub administrator)")
    return scope


def _cmd_period(args: argparse.Namespace) -> int:
    """Grant periods with public figures (pmhc.publication): publish, list, withdraw; audited.
    In a hub each is one agency's: publishing and withdrawing need `--agency KEY`."""
    from . import audit, publication

    db = args.db or str(default_db_path())
    wait = lambda: _say("Waiting for an import of this database to finish…", err=True)  # noqa: E731
    try:
        if args.period_command == "publish":
            g = publication.publish(args.name, args.date_from, args.date_to, who=audit.os_user(), db_path=db,
                                    on_wait=wait)
            whose = f" of agency {g.agency!r}" if g.agency else ""
            _say(f"Published {g.name!r} ({g.months_label}){whose}: public views, `pmhc report` and "
                 "`pmhc figures --public` now offer it, its figures protected together with its months. "
                 "Recorded in the audit log.")
        elif args.period_command == "withdraw":
            g = publication.withdraw(args.name, who=audit.os_user(), db_path=db, on_wait=wait)
            whose = f" of agency {g.agency!r}" if g.agency else ""
            _say(f"Withdrew {g.name!r} ({g.months_label}){whose}: it is no longer offered to the public.")
        else:
            from .db import connect

            con = connect(db, read_only=True)
            try:
                mine = publication.agency_in_view()
                # a hub with no agency named: every agency's, each line led by its key
                periods = publication.every_agencys(con) if mine is None else publication.grant_periods(con, mine)
            finally:
                con.close()
            for g in periods:
                lead = f"{g.agency or '(every agency)'}\t" if mine is None else ""
                _say(f"{lead}{g.name}\t{g.first_month}..{g.last_month}\t"
                     f"published {g.published_at:%Y-%m-%d} by {g.published_by}")
            if not periods:
                _say("No grant periods published. Months, quarters, calendar and fiscal years are always published; "
                     "add one with `pmhc period publish NAME --from YYYY-MM --to YYYY-MM`"
                     + (" --agency KEY." if mine is None else "."))
    except publication.PublicationError as e:
        _say(f"pmhc period {args.period_command}: {e}", err=True)
        return 2
    return 0


def _read_password(args: argparse.Namespace) -> str:
    """From stdin (--password-stdin, for scripts) or typed twice at a prompt; never an argument
    (it would stay in the shell history and the process list)."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("Again: ") != first:
        from .auth import AuthError

        raise AuthError("the two passwords differ")
    return first


def _cmd_quarantine(args: argparse.Namespace) -> int:
    from .db import connect, rows

    con = connect(args.db, read_only=True)
    try:
        rs = rows(con, "SELECT file_name, line, column_name, value, reason, message FROM quarantine "
                       "ORDER BY file_name, line LIMIT $n", {"n": args.limit})
    finally:
        con.close()
    for r in rs:
        print(f"{r['file_name']}:{r['line']} [{r['column_name']}] {r['reason']}: {r['message']}"
              + (f" (value: {r['value']!r})" if r["value"] is not None else ""))
    if not rs:
        print("No quarantined rows.")
    return 0


def _cmd_figures(args: argparse.Namespace) -> int:
    from . import figures_cli

    return figures_cli.run(args)


def _audit_export(args: argparse.Namespace, code: int, **detail) -> int:
    from . import audit

    audit.record_quietly("export", audit.os_user(), str(args.out), "ok" if code == 0 else f"exit {code}",
                         path=audit.log_path(args.db), via="cli", command=args.command, **detail)
    return code


def _cmd_report(args: argparse.Namespace) -> int:
    from . import reports

    if args.month or args.quarter:
        return _cmd_packet(args)
    if not (args.date_from and args.date_to):
        _say("pmhc report: give the period: --from YYYY-MM --to YYYY-MM, or --month last / --quarter last "
             "for the scheduled packet", err=True)
        return 2
    if not (args.format and args.out):
        _say("pmhc report: --format and --out are needed with --from/--to (--month and --quarter write all "
             "three files into the workspace's reports/ folder)", err=True)
        return 2
    code = reports.cli_run(args)
    return _audit_export(args, code, format=args.format, period=f"{args.date_from}..{args.date_to}",
                         district=args.district, internal=bool(getattr(args, "internal", False)))


def _cmd_packet(args: argparse.Namespace) -> int:
    """`pmhc report --month last`: the deck, workbook and one-pager of the last full month (or
    quarter) into the workspace's reports/ folder — the scheduled monthly packet."""
    from . import metrics, progress, schema
    from .config import Workspace, load_agency
    from .db import connect
    from .release import is_published, not_published_reason
    from .reports import packet
    from .reports.images import ChartImageError

    if args.month and args.quarter or args.date_from or args.date_to:
        _say("pmhc report: give one of --month, --quarter or --from/--to", err=True)
        return 2
    cfg = load_agency()
    try:
        period = packet.month_period(args.month, cfg) if args.month else packet.quarter_period(args.quarter, cfg)
    except ValueError as e:
        _say(f"pmhc report: {e}", err=True)
        return 2
    public = not args.internal
    if public and not is_published(period, cfg.fiscal_year_start_month):
        _say(f"pmhc report: {not_published_reason(period)}", err=True)
        return 2
    formats = [args.format] if args.format else list(packet.FORMATS)
    folder = Path(args.out) if args.out else Workspace.current().reports_dir / packet.folder_name(period)
    if args.responder_type and args.responder_type not in schema.RESPONDER_TYPES:
        _say(f"pmhc report: --responder-type {args.responder_type!r} is not one of "
             f"{', '.join(schema.RESPONDER_TYPES)}", err=True)
        return 2
    con = connect(args.db, read_only=True, cfg=cfg)
    try:
        if args.district and args.district not in metrics.districts(con):
            _say(f"pmhc report: district {args.district!r} is not in the data; districts: "
                 f"{', '.join(metrics.districts(con))}", err=True)
            return 2
        shown = progress.for_stream(sys.stderr)
        try:
            files, notes = packet.write(con, period, folder, cfg, public=public, district=args.district,
                                        responder_type=args.responder_type, formats=formats, on_progress=shown)
        except ChartImageError as e:
            _say(f"pmhc report: {e}", err=True)
            return 2
        finally:
            shown.close()
    finally:
        con.close()
    for note in notes:
        _say(f"pmhc report: note: {note}", err=True)
    release = "public release (small counts suppressed)" if public else "INTERNAL release (exact small counts)"
    _say(f"Wrote the {period.label} packet, {release}, to {folder}: " + ", ".join(p.name for p in files))
    args.out = folder
    return _audit_export(args, 0, format=",".join(formats), period=f"{period.start}..{period.last_day}",
                         district=args.district, internal=not public, scheduled=True)


AGENCY_ASKS = {"name": "Agency name (e.g. Lakeside Police Department)",
               "timezone": "Time zone (IANA name, e.g. America/Chicago)",
               "fiscal_year_start": "First month of the fiscal year (1-12 or a name, e.g. July)",
               "currency": "Currency (ISO code, e.g. USD, CAD, GBP)"}


def _agency_answers(args: argparse.Namespace) -> tuple[dict, list[str]]:
    """A new agency's name, clock, fiscal year and currency (`pmhc init`, `pmhc agency add`):
    the flags', and at a terminal the answers to what they leave out (and its BH call
    types); returns the values and the flags still missing (a script must give them)."""
    values = {k: getattr(args, k) for k in AGENCY_ASKS}
    missing = [k for k, v in values.items() if not v]
    if missing and sys.stdin.isatty():
        for k in missing:
            values[k] = input(f"{AGENCY_ASKS[k]}: ").strip()
        if args.bh_call_types is None:
            args.bh_call_types = input("Behavioral-health call types, comma-separated (CAD call types; "
                                       "Enter to pick them later on the Settings page): ")
    return values, [k for k, v in values.items() if not v]


def _cmd_init(args: argparse.Namespace) -> int:
    """Create an agency workspace, asking for what the flags do not give (at a terminal)."""
    from . import audit, workspace

    if args.hub:
        return _init_hub(args)
    values, missing = _agency_answers(args)
    if missing:
        _say("pmhc init: give " + ", ".join(f"--{k.replace('_', '-')}" for k in missing)
             + " (or run it at a terminal to be asked)", err=True)
        return 2
    types = [t.strip() for t in (args.bh_call_types or "").split(",") if t.strip()]
    ws = workspace.init(args.dir, name=values["name"], timezone=values["timezone"],
                        fiscal_year_start_month=values["fiscal_year_start"], currency=values["currency"],
                        bh_call_types=types, program=args.program, date_format=args.date_format)
    os.environ["PMHC_HOME"] = str(ws.root)
    audit.record_quietly("workspace_created", audit.os_user(), str(ws.root), path=audit.log_path(ws.db_path),
                         agency=values["name"])
    _say(f"Created the workspace {ws.root} for {values['name']}:\n"
         f"  settings   {ws.agency_file}\n"
         f"  profiles   {ws.profiles_dir}/\n"
         f"  database   {ws.db_path} (made by the first import)\n"
         f"  secret     {ws.secret_file} (mode 0600: back it up apart from the database backups)\n"
         f"  examples   {ws.examples_dir}/ (the sample city's values, not applied)\n"
         "No program cost, unit costs or milestones are set: figures that need them say \"not measured\" "
         "until you set them (Settings page).\n"
         "Next:\n"
         f"  export PMHC_HOME={ws.root}\n"
         "  pmhc user add YOUR_NAME --role admin\n"
         "  pmhc import --profile PROFILE.toml EXPORT.csv     (or upload it on the Data page)\n"
         "  pmhc serve")
    if not types:
        _say("Note: no behavioral-health call types yet; pick them on the Settings page once calls are loaded.")
    return 0


def _init_hub(args: argparse.Namespace) -> int:
    """`pmhc init DIR --hub`: a regional hub's workspace; its agencies come with `pmhc agency add`."""
    from . import audit, workspace

    name = args.name or (input("Hub name (e.g. State CIT Program): ").strip() if sys.stdin.isatty() else "")
    if not name:
        _say("pmhc init --hub: give --name (or run it at a terminal to be asked)", err=True)
        return 2
    ws = workspace.init_hub(args.dir, name=name, timezone=args.timezone or "UTC", currency=args.currency or "USD",
                            program=args.program)
    os.environ["PMHC_HOME"] = str(ws.root)
    audit.record_quietly("workspace_created", audit.os_user(), str(ws.root), path=audit.log_path(ws.db_path),
                         agency=f"hub: {name}")
    _say(f"Created the hub {ws.root} for {name}:\n"
         f"  hub settings {ws.hub_file}\n"
         f"  agencies     {ws.agencies_dir}/ (none yet)\n"
         f"  database     {ws.db_path} (one for every agency; made by the first import)\n"
         f"  secret       {ws.secret_file} (mode 0600: back it up apart from the database backups)\n"
         "Next:\n"
         f"  export PMHC_HOME={ws.root}\n"
         "  pmhc agency add lakeside --name \"Lakeside Police Department\" --timezone America/Chicago \\\n"
         "      --fiscal-year-start July --currency USD --bh-call-types \"PERSON IN CRISIS\"\n"
         "  pmhc user add YOUR_NAME --role admin --agencies '*'\n"
         "  pmhc import --agency lakeside --profile PROFILE.toml EXPORT.csv\n"
         "  pmhc serve")
    return 0


def _cmd_agency(args: argparse.Namespace) -> int:
    """`pmhc agency add|list`: the agencies of a hub."""
    from . import audit, workspace
    from .config import Workspace, agency_configs

    ws = Workspace.current()
    if args.agency_command == "list":
        configs = agency_configs(ws)
        for key, cfg in configs.items():
            fy = f"FY from month {cfg.fiscal_year_start_month}"
            _say(f"{key}\t{cfg.name}\t{cfg.timezone}\t{fy}\t{cfg.currency}")
        if not configs:
            _say(f"No agencies in the hub {ws.root} yet: add one with `pmhc agency add KEY --name …`.")
        return 0
    values, missing = _agency_answers(args)
    if missing:
        _say("pmhc agency add: give " + ", ".join(f"--{k.replace('_', '-')}" for k in missing), err=True)
        return 2
    types = [t.strip() for t in (args.bh_call_types or "").split(",") if t.strip()]
    agency = workspace.add_agency(ws, args.key, name=values["name"], timezone=values["timezone"],
                                  fiscal_year_start_month=values["fiscal_year_start"], currency=values["currency"],
                                  bh_call_types=types, program=args.program, date_format=args.date_format)
    audit.record_quietly("agency_added", audit.os_user(), args.key, path=audit.log_path(ws.db_path),
                         agency=values["name"])
    _say(f"Added {values['name']} ({args.key}) to the hub {ws.root}:\n"
         f"  settings   {agency.agency_file}\n"
         f"  profiles   {agency.profiles_dir}/\n"
         f"Import its exports with `pmhc import --agency {args.key} …`; give its staff accounts with "
         f"`pmhc user add NAME --role analyst --agencies {args.key}`.")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from . import serve

    return serve.serve(args.port, args.address)


def _cmd_doctor(args: argparse.Namespace) -> int:
    from . import doctor
    from .config import Workspace

    ws = Workspace.current()
    findings = doctor.run(ws)
    _say(f"pmhc doctor: workspace {ws.root}")
    for f in findings:
        _say(f.line())
    problems = sum(f.level == doctor.PROBLEM for f in findings)
    warnings = sum(f.level == doctor.WARN for f in findings)
    _say(f"{problems} problem(s), {warnings} warning(s)" + (": fix the problems above" if problems else ""))
    return 1 if problems else 0


def _cmd_backup(args: argparse.Namespace) -> int:
    from . import backup

    path = backup.backup(out=args.out)
    _say(f"Wrote the backup {path} ({path.stat().st_size:,} bytes): database, settings, profiles, accounts and "
         "audit log, with the person-key fingerprint. The person-key secret is not in it: back it up apart.")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from . import backup

    manifest = backup.read_manifest(args.archive)
    if not args.yes:
        if not sys.stdin.isatty():
            _say("pmhc restore: this replaces the database, settings and profiles with the backup's "
                 f"(made {manifest.get('created_at')}); pass --yes to go ahead", err=True)
            return 2
        if input(f"Replace this workspace's database, settings and profiles with the backup made "
                 f"{manifest.get('created_at')}? [y/N] ").strip().lower() not in ("y", "yes"):
            _say("Nothing was changed.")
            return 1
    try:
        done = backup.restore(args.archive)
    except backup.BackupError as e:
        _say(f"pmhc restore: {e}", err=True)
        return 2
    if done.safety_backup:
        _say(f"Backed up the workspace as it was to {done.safety_backup}.")
    _say(f"Restored {args.archive}: " + ("the database, " if done.database else "")
         + f"{len(done.files)} settings and profile file(s).")
    for note in done.notes:
        _say(f"  {note}")
    return 0


def _cmd_apply_settings(args: argparse.Namespace) -> int:
    from . import apply_settings

    done = apply_settings.apply(args.db)
    _say(f"Brought {', '.join(done)} into the database." if done else "The database already holds the settings.")
    return 0


def _cmd_export_parquet(args: argparse.Namespace) -> int:
    from . import parquet

    return _audit_export(args, parquet.cli_run(args))


def _cmd_generate(args: argparse.Namespace) -> int:
    from . import generate

    argv = ["--out", args.out, "--years", str(args.years), "--calls-per-year", str(args.calls_per_year),
            "--seed", str(args.seed), "--start", args.start]
    if args.no_gzip:
        argv.append("--no-gzip")
    generate.main(argv)
    return 0


HOME_HELP = "the agency's workspace (default: $PMHC_HOME, else this checkout's sample)"
AGENCY_HELP = ("in a hub, the agency the command is about: its settings, its profiles, its rows (default "
               "$PMHC_AGENCY); in a single-agency workspace only its own key is accepted")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pmhc", description=__doc__)
    p.add_argument("--db", dest="db_before", default=None,
                   help="database file (default: the workspace's data/pmhc.duckdb or $PMHC_DB); also accepted "
                        "after the command")
    p.add_argument("--home", dest="home_before", default=None, metavar="DIR",
                   help=HOME_HELP + "; also accepted after the command")
    p.add_argument("--agency", dest="agency_before", default=None, metavar="KEY",
                   help=AGENCY_HELP + "; also accepted after the command")
    sub = p.add_subparsers(dest="command", required=True)

    imp = sub.add_parser("import", help="import CAD / co-responder / arrest exports into the database")
    imp.add_argument("files", nargs="+", help="CSV files (.csv or .csv.gz) or Excel sheets (.xlsx, first sheet)")
    imp.add_argument("--db", default=None, help="database file (default: data/pmhc.duckdb or $PMHC_DB)")
    imp.add_argument("--table", choices=["calls", "encounters", "arrests"],
                     help="canonical table of the files (default: from the key column in the header)")
    imp.add_argument("--profile", help="mapping profile (TOML) for a non-canonical export")
    imp.set_defaults(func=_cmd_import)

    q = sub.add_parser("quarantine", help="list quarantined rows with file, line, column and reason")
    q.add_argument("--db", default=None)
    q.add_argument("--limit", type=int, default=200)
    q.set_defaults(func=_cmd_quarantine)

    fig = sub.add_parser("figures", help="print headline figures for a period, with definitions")
    fig.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM[-DD]",
                     help="first month (or day) included")
    fig.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM[-DD]",
                     help="last month (or day) included")
    fig.add_argument("--district", default=None)
    fig.add_argument("--responder-type", default=None)
    fig.add_argument("--format", choices=["json", "csv", "table"], default="table")
    fig.add_argument("--by", default=None, metavar="COLUMN",
                     help="split every figure that has this breakdown, with the total: month, district, "
                          "responder_type, contact_type, call_type or beat")
    fig.add_argument("--db", default=None)
    fig.add_argument("--parquet", default=None, metavar="DIR",
                     help="read a Parquet copy written by `pmhc export-parquet` instead of the database file")
    fig.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb",
                     help="spark: run the same queries on Apache Spark over --parquet DIR (README: The Spark path)")
    fig.add_argument("--spark-master", default=None, metavar="URL",
                     help="Spark master (default: spark-submit's, else $PMHC_SPARK_MASTER, else local[*])")
    fig.add_argument("--public", action="store_true",
                     help="the public release (small counts suppressed, as the public dashboard): a month, quarter, "
                          "calendar or fiscal year, or a grant period published with `pmhc period publish`")
    fig.set_defaults(func=_cmd_figures)

    rep = sub.add_parser("report", help="write the council deck, grant workbook or one-page PDF; "
                                        "--month last / --quarter last: the scheduled packet")
    rep.add_argument("--from", dest="date_from", default=None, metavar="YYYY-MM[-DD]",
                     help="first month (or day) included")
    rep.add_argument("--to", dest="date_to", default=None, metavar="YYYY-MM[-DD]",
                     help="last month (or day) included")
    rep.add_argument("--month", default=None, metavar="last|YYYY-MM",
                     help="the packet of one month (last = the last full month on the agency's clock): deck, "
                          "workbook and one-pager into the workspace's reports/YYYY-MM/")
    rep.add_argument("--quarter", default=None, metavar="last|YYYYQn",
                     help="the packet of one calendar quarter (last = the last full quarter), into reports/YYYY-Qn/")
    rep.add_argument("--district", default=None)
    rep.add_argument("--responder-type", default=None,
                     help="narrow co-responder log figures to one responder type")
    rep.add_argument("--format", choices=["pptx", "xlsx", "pdf"], default=None,
                     help="file format (with --month/--quarter: default all three)")
    rep.add_argument("--out", default=None,
                     help="output file (with --month/--quarter: a folder, default the workspace's reports/…)")
    rep.add_argument("--internal", action="store_true",
                     help="internal release: exact small counts (do not publish); default is the public release")
    rep.add_argument("--db", default=None)
    rep.set_defaults(func=_cmd_report)

    pq = sub.add_parser("export-parquet",
                        help="write the data as Parquet partitioned by agency and month (for other engines, e.g. Spark)")
    pq.add_argument("--db", default=None, help="database file (default: data/pmhc.duckdb or $PMHC_DB)")
    pq.add_argument("--out", required=True, help="folder for calls/, encounters/, arrests/ … (this agency's folders are replaced)")
    pq.set_defaults(func=_cmd_export_parquet)

    usr = sub.add_parser("user", help="local dashboard accounts (for agencies without an identity provider)")
    usr.add_argument("--file", default=None, help="accounts file (default: data/users.toml or $PMHC_USERS_FILE)")
    usr.add_argument("--db", default=None, help="database whose audit log records the change (default: $PMHC_DB)")
    usr_sub = usr.add_subparsers(dest="user_command", required=True)
    ua = usr_sub.add_parser("add", help="add an account (asks for the password)")
    ua.add_argument("name")
    ua.add_argument("--role", required=True, choices=["public", "analyst", "admin", "regional"],
                    help="public: council viewer (suppressed figures); analyst: coordinator (all figures, "
                         "person lists); admin: also imports and the audit log; regional: a regional or state "
                         "analyst in a hub (every agency's exact figures, no person lists unless --person-lists)")
    ua.add_argument("--agencies", default=None, metavar="KEY[,KEY…]|*",
                    help="in a hub: the agencies the account may see ('*': every agency); required there for "
                         "analysts and administrators")
    ua.add_argument("--person-lists", action="store_true",
                    help="grant a regional analyst its agencies' person-level lists (repeat contacts)")
    ua.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    usr_sub.add_parser("list", help="list accounts and roles (never passwords)")
    ur = usr_sub.add_parser("remove", help="remove an account")
    ur.add_argument("name")
    up = usr_sub.add_parser("passwd", help="set a new password for an account")
    up.add_argument("name")
    up.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    usr.set_defaults(func=_cmd_user)

    per = sub.add_parser("period", help="grant periods with public figures (besides months, quarters and years)")
    per_sub = per.add_subparsers(dest="period_command", required=True)
    pp = per_sub.add_parser("publish", help="publish a grant period (whole months) for public views and reports")
    pp.add_argument("name", help='what people call it, e.g. "BJA JMHCP 2024-25"')
    pp.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM", help="first month included")
    pp.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM", help="last month included")
    pl = per_sub.add_parser("list", help="list the published grant periods")
    pw = per_sub.add_parser("withdraw", help="stop offering a grant period to the public")
    pw.add_argument("name")
    for sp in (pp, pl, pw):
        sp.add_argument("--db", default=None, help="database file (default: data/pmhc.duckdb or $PMHC_DB)")
        # `pmhc period publish NAME --agency KEY` (after the subcommand): its own dest, since a
        # subcommand's default would otherwise overwrite `pmhc period --agency KEY publish`
        sp.add_argument("--agency", dest="agency_sub", default=None, metavar="KEY",
                        help="in a hub, the agency whose grant period it is (required there to publish or withdraw; "
                             "`list` without it lists every agency's)")
    per.set_defaults(func=_cmd_period)
    ini = sub.add_parser("init", help="create an agency workspace (settings, profiles, database, secret) in DIR")
    ini.add_argument("dir", metavar="DIR", help="a new or empty folder")
    ini.add_argument("--name", help="agency name, e.g. \"Lakeside Police Department\"")
    ini.add_argument("--timezone", help="IANA time zone, e.g. America/Chicago")
    ini.add_argument("--fiscal-year-start", dest="fiscal_year_start", help="first month of the fiscal year (1-12 or "
                                                                           "a name)")
    ini.add_argument("--currency", help="ISO currency code, e.g. USD, CAD, GBP")
    ini.add_argument("--bh-call-types", dest="bh_call_types", default=None,
                     help="behavioral-health CAD call types, comma-separated (or later on the Settings page)")
    ini.add_argument("--program", default=None, help="program name (default: AGENCY co-responder program)")
    ini.add_argument("--date-format", dest="date_format", default=None,
                     help="strftime format of dates in reports (default \"%%-d %%b %%Y\", e.g. 5 Jan 2025)")
    ini.add_argument("--hub", action="store_true",
                     help="a regional hub of many agencies in one database (then `pmhc agency add`); --name, "
                          "--timezone and --currency are the hub's")
    ini.set_defaults(func=_cmd_init)

    ag = sub.add_parser("agency", help="the agencies of a regional hub (`pmhc init DIR --hub`)")
    ag_sub = ag.add_subparsers(dest="agency_command", required=True)
    aa = ag_sub.add_parser("add", help="add an agency with its own settings (agencies/KEY/ in the hub)")
    aa.add_argument("key", metavar="KEY", help="the agency's key: lower-case letters, digits, '-', e.g. lakeside")
    aa.add_argument("--name", help="agency name")
    aa.add_argument("--timezone", help="its IANA time zone (its calls are dated on its own clock)")
    aa.add_argument("--fiscal-year-start", dest="fiscal_year_start", help="first month of its fiscal year")
    aa.add_argument("--currency", help="its ISO currency code")
    aa.add_argument("--bh-call-types", dest="bh_call_types", default=None,
                    help="its behavioral-health CAD call types, comma-separated")
    aa.add_argument("--program", default=None)
    aa.add_argument("--date-format", dest="date_format", default=None)
    ag_sub.add_parser("list", help="list the agencies with time zone, fiscal year and currency")
    ag.set_defaults(func=_cmd_agency)

    srv = sub.add_parser("serve", help="start the dashboard on the workspace")
    srv.add_argument("--port", type=int, default=8501)
    srv.add_argument("--address", default=None, help="address to listen on (default: all; use 127.0.0.1 behind a "
                                                     "reverse proxy on the same machine)")
    srv.set_defaults(func=_cmd_serve)

    doc = sub.add_parser("doctor", help="check the workspace (permissions, secret, profiles, database, disk) and "
                                        "say what to fix")
    doc.set_defaults(func=_cmd_doctor)

    bak = sub.add_parser("backup", help="back up the workspace (database, settings, profiles, accounts, audit log)")
    bak.add_argument("--out", default=None, help="backup file (default: the workspace's backups/)")
    bak.set_defaults(func=_cmd_backup)

    res = sub.add_parser("restore", help="restore the workspace from a `pmhc backup` file")
    res.add_argument("archive", metavar="BACKUP.tar.gz")
    res.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    res.set_defaults(func=_cmd_restore)

    aps = sub.add_parser("apply-settings", help="bring settings the SQL reads (disposition map, BH call types, "
                                                "time zone) into the database after editing agency.toml by hand")
    aps.add_argument("--db", default=None)
    aps.set_defaults(func=_cmd_apply_settings)

    gen = sub.add_parser("generate", help="write synthetic sample data (seeded)")
    gen.add_argument("--out", required=True)
    gen.add_argument("--years", type=int, default=3)
    gen.add_argument("--calls-per-year", type=int, default=60_000)
    gen.add_argument("--seed", type=int, default=20240101)
    gen.add_argument("--start", default="2023-01-01", metavar="YYYY-MM-DD")
    gen.add_argument("--no-gzip", action="store_true")
    gen.set_defaults(func=_cmd_generate)
    for command in sub.choices.values():  # `pmhc serve --home DIR` as well as `pmhc --home DIR serve`
        command.add_argument("--home", default=None, metavar="DIR", help=HOME_HELP)
        if command is not ag:
            command.add_argument("--agency", default=None, metavar="KEY", help=AGENCY_HELP)
    return p


def _use_agency(key: str) -> None:
    """--agency KEY: the agency in view for the whole command (PMHC_AGENCY, so a process the
    command starts, such as the dashboard of `pmhc serve`, is about it too). In a hub the key
    must be one of its agencies; a single-agency workspace accepts only its own key."""
    from .config import SettingsError, Workspace

    ws = Workspace.current()
    keys = ws.agency_keys()
    if key not in keys:
        where = "hub" if ws.is_hub else "single-agency workspace"
        raise SettingsError(f"--agency {key!r}: not an agency of the {where} {ws.root} (agencies: "
                            f"{', '.join(keys) or 'none yet'})")
    os.environ["PMHC_AGENCY"] = key


def main(argv: list[str] | None = None) -> int:
    """Run a command. A user error (missing file, broken profile, database that cannot be
    opened, closed pipe) ends with one line on stderr and exit status 2, never a traceback."""
    from .config import SettingsError

    args = build_parser().parse_args(argv)
    if getattr(args, "db", None) is None:
        args.db = args.db_before  # `pmhc --db PATH import …` as well as `pmhc import … --db PATH`
    home = getattr(args, "home", None) or args.home_before
    if home:  # every command, and the dashboard `pmhc serve` starts, use this workspace
        os.environ["PMHC_HOME"] = str(Path(home).expanduser().resolve())
    agency = getattr(args, "agency_sub", None) or getattr(args, "agency", None) or args.agency_before
    try:
        if agency:
            _use_agency(agency)
        return args.func(args)
    except BrokenPipeError:
        _say()  # points stdout at /dev/null so the exit does not raise again
        return 0
    except KeyboardInterrupt:
        _say(f"pmhc {args.command}: interrupted", err=True)
        return 130
    except SettingsError as e:  # a settings file or profile to fix: one line naming file, key, allowed values
        _say(f"error: {e}", err=True)
        return 2
    except Exception as e:  # noqa: BLE001 — the one place a command's error becomes a message
        from . import imports, profiles

        if os.environ.get("PMHC_DEBUG"):
            raise
        known = (imports.RunError, profiles.ProfileError, OSError, ValueError, LookupError)
        import duckdb

        if isinstance(e, known + (duckdb.Error,)):
            _say(f"pmhc {args.command}: {e}", err=True)
        else:
            _say(f"pmhc {args.command}: internal error ({type(e).__name__}: {e}). Please report it; "
                 "PMHC_DEBUG=1 shows the traceback.", err=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
