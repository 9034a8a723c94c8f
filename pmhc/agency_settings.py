"""What the administrator's Settings page changes, without drawing: each change is checked
by the same settings layer as a file read from disk (pmhc.config), written to the
workspace in one step, recorded in the audit log, and — for the settings the SQL reads
(disposition map, BH call types, time zone) — brought into the database through the
importer's snapshot swap (pmhc.apply_settings), so every page shows it on its next run
without a restart.

Tables of what the loaded data holds (disposition codes and call types with their call
counts) come from queries/settings.sql.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from . import apply_settings, audit, metrics, schema, sql
from .config import AgencyConfig, Workspace, agency_raw, load_agency, write_agency, write_private

UNMAPPED = "(not mapped)"


@dataclass
class Saved:
    """What a save did, for the page to say."""
    message: str
    applied: list[str] = field(default_factory=list)
    audited: bool = True


def _record(section: str, who: str, role: str | None, where: Path, **detail) -> bool:
    return audit.record_quietly("settings_saved", who, section, role=role, file=str(where),
                                path=audit.log_path(Workspace.current().db_path), **detail) is not None


def _finish(section: str, where: Path, who: str, role: str | None, applies: bool, **detail) -> Saved:
    applied = apply_settings.apply(via="settings page") if applies else []
    done = _record(section, who, role, where, applied=", ".join(applied) or None, **detail)
    msg = f"Saved {section} to `{where}`."
    if applied:
        msg += f" The database now holds {', '.join(applied)}: every page and report uses it from now on."
    return Saved(msg, applied, done)


# ------------------------------------------------------------------ agency.toml

def save_agency(changes: dict, section: str, who: str, role: str | None = None) -> Saved:
    """Write `changes` into agency.toml (SettingsError, naming the key, when they do not pass)."""
    ws = Workspace.current()
    before = agency_raw(ws.agency_file)
    write_agency(changes, ws.agency_file)
    touched = {k: (before.get(k), v) for k, v in changes.items() if before.get(k) != v}
    applies = any(k in changes for k in ("dispositions", "behavioral_health", "timezone", "data_rules"))
    return _finish(section, ws.agency_file, who, role, applies,
                   changed=", ".join(sorted(touched)) or "nothing",
                   **{f"{k}_before": _short(b) for k, (b, _) in touched.items()},
                   **{f"{k}_after": _short(a) for k, (_, a) in touched.items()})


def _short(v) -> str | None:
    if v is None:
        return None
    text = str(v)
    return text if len(text) <= 300 else text[:297] + "…"


def set_disposition(code: str, outcome: str | None, who: str, role: str | None = None) -> Saved:
    """Map one CAD disposition code to an outcome (None removes it from the map)."""
    code = code.strip()
    if not code:
        raise ValueError("give the disposition code as the export writes it")
    ws = Workspace.current()
    current = dict(agency_raw(ws.agency_file).get("dispositions") or {})
    current = {k: v for k, v in current.items() if k.strip().lower() != code.lower()}
    if outcome is not None:
        current[code] = outcome
    return save_agency({"dispositions": current}, f"the disposition map ({code} → "
                       f"{schema.label(outcome) if outcome else 'not mapped'})", who, role)


def set_bh_call_types(types: list[str], who: str, role: str | None = None) -> Saved:
    clean = list(dict.fromkeys(t.strip().upper() for t in types if t and t.strip()))
    return save_agency({"behavioral_health": {"call_types": clean}}, "the behavioral-health call types", who, role)


def set_term(key: str, word: str | None, who: str, role: str | None = None) -> Saved:
    ws = Workspace.current()
    terms = dict(agency_raw(ws.agency_file).get("terminology") or {})
    terms.pop(key, None)
    if word and word.strip():
        terms[key] = word.strip()
    return save_agency({"terminology": terms}, f"the terminology ({key})", who, role)


# ------------------------------------------------------------------ unit costs (assumptions.toml)

def save_cost(key: str, value: float, low: float, high: float, source: str, year: int, who: str,
              role: str | None = None, cfg: AgencyConfig | None = None) -> Saved:
    """Set one unit cost (or the annual program cost) with its range, source and year."""
    cfg = cfg or load_agency()
    if key not in metrics.SAVINGS_PARAMS:
        raise ValueError(f"unknown unit cost {key!r}")
    if not str(source).strip():
        raise ValueError("give the source of the value (e.g. “County jail budget FY2026, p. 14”): every unit "
                         "cost carries one")
    if not 0 <= low <= value <= high:
        raise ValueError(f"needs 0 ≤ low ≤ value ≤ high (got {low:g}, {value:g}, {high:g})")
    ws = Workspace.current()
    current = metrics.load_assumptions(ws.assumptions_file)
    before = current.get(key)
    current[key] = metrics.Assumption(key, before.label if before else metrics.ASSUMPTION_LABELS[key],
                                      metrics.assumption_unit(key, cfg.currency), float(value), float(low),
                                      float(high), " ".join(str(source).split()), int(year))
    metrics.save_assumptions(current, ws.assumptions_file)
    was = f"{before.value:g} ({before.low:g}–{before.high:g})" if before else "not set"
    return _finish(f"the unit cost {key}", ws.assumptions_file, who, role, False,
                   change=f"{was} → {value:g} ({low:g}–{high:g})", source=" ".join(str(source).split()),
                   year=int(year))


def remove_cost(key: str, who: str, role: str | None = None) -> Saved:
    ws = Workspace.current()
    current = metrics.load_assumptions(ws.assumptions_file)
    before = current.pop(key, None)
    metrics.save_assumptions(current, ws.assumptions_file)
    return _finish(f"the unit cost {key} (removed: figures that need it are not measured)", ws.assumptions_file,
                   who, role, False, change=f"{before.value:g} → not set" if before else "not set")


# ------------------------------------------------------------------ milestones.csv

def _write_milestones(rows: list[tuple[date, str]], path: Path) -> None:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["date", "label"])
    for d, label in sorted(rows):
        w.writerow([d.isoformat(), " ".join(label.split())])
    write_private(path, out.getvalue())


def _milestones(path: Path) -> list[tuple[date, str]]:
    from . import charts

    m = charts.load_milestones(path)
    return [(pd.Timestamp(d).date(), str(label)) for d, label in zip(m["date"], m["label"])]


def add_milestone(when: date, label: str, who: str, role: str | None = None) -> Saved:
    if not label or not label.strip():
        raise ValueError("describe the milestone (e.g. “Night shift added”)")
    ws = Workspace.current()
    rows = _milestones(ws.milestones_file) + [(when, label)]
    _write_milestones(rows, ws.milestones_file)
    return _finish("the milestones", ws.milestones_file, who, role, False, added=f"{when} {label.strip()}")


def remove_milestone(when: date, label: str, who: str, role: str | None = None) -> Saved:
    ws = Workspace.current()
    rows = _milestones(ws.milestones_file)
    rows.remove((when, label))
    _write_milestones(rows, ws.milestones_file)
    return _finish("the milestones", ws.milestones_file, who, role, False, removed=f"{when} {label}")


# ------------------------------------------------------------------ what the loaded data holds

def dispositions_table(con: duckdb.DuckDBPyConnection | None, cfg: AgencyConfig) -> pd.DataFrame:
    """Every disposition code in the loaded calls with its calls and what the agency's map
    makes of it, unmapped codes first (then by calls); codes the map lists that no loaded
    call uses come last."""
    seen = sql.df(con, "dispositions_seen") if con is not None else pd.DataFrame(
        columns=["code", "shown", "calls", "bh_calls", "decided_by_map"])
    mapped = dict(cfg.dispositions)
    rows = [{"code": r.shown, "key": r.code, "calls": int(r.calls), "bh_calls": int(r.bh_calls),
             "decided_by_map": int(r.decided_by_map),
             "maps_to": schema.label(mapped[r.code]) if r.code in mapped else UNMAPPED,
             "outcome": mapped.get(r.code)} for r in seen.itertuples()]
    keys = {r["key"] for r in rows}
    raw = {k.strip().lower(): k.strip() for k in (agency_raw(cfg.source).get("dispositions") or {})} \
        if cfg.source else {}
    rows += [{"code": raw.get(k, k.upper()), "key": k, "calls": 0, "bh_calls": 0, "decided_by_map": 0,
              "maps_to": schema.label(v), "outcome": v} for k, v in mapped.items() if k not in keys]
    out = pd.DataFrame(rows, columns=["code", "key", "calls", "bh_calls", "decided_by_map", "maps_to", "outcome"])
    out["_unmapped"] = out["outcome"].isna()
    return out.sort_values(["_unmapped", "calls", "code"], ascending=[False, False, True],
                           ignore_index=True).drop(columns="_unmapped")


def call_types_table(con: duckdb.DuckDBPyConnection | None, cfg: AgencyConfig) -> pd.DataFrame:
    """Every call type in the loaded calls with its calls, whether the agency's list names
    it, and how many calls are BH now; listed types no loaded call has come last."""
    seen = sql.df(con, "call_types_seen") if con is not None else pd.DataFrame(
        columns=["call_type", "calls", "flagged_by_export", "decided_by_list", "bh_calls"])
    listed = set(cfg.bh_call_types)
    out = seen.assign(on_list=seen["call_type"].isin(listed))
    extra = [t for t in cfg.bh_call_types if t not in set(seen["call_type"])]
    if extra:
        out = pd.concat([out, pd.DataFrame({"call_type": extra, "calls": 0, "flagged_by_export": 0,
                                            "decided_by_list": 0, "bh_calls": 0, "on_list": True})],
                        ignore_index=True)
    return out



# ------------------------------------------------------------------ profiles

def save_profile(text: str, file_name: str, who: str, role: str | None = None, replace: bool = False) -> Saved:
    """Save a mapping profile (a draft from the Data page, edited) into the workspace's
    profiles/, after it passes every check a profile gets when an import reads it."""
    import re
    import tomllib

    from . import profiles

    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(file_name.strip()).stem).strip("_")
    if not stem:
        raise ValueError("give the profile a file name, e.g. cad_calls")
    ws = Workspace.current()
    path = ws.profiles_dir / f"{stem}.toml"
    if path.exists() and not replace:
        raise ValueError(f"{path.name} exists in {ws.profiles_dir}; tick “replace” or choose another name")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path.name}: not valid TOML: {e}") from None
    profiles.from_dict(raw, path)  # ProfileError names the key to fix
    write_private(path, text if text.endswith("\n") else text + "\n")
    return _finish(f"the profile {path.name}", path, who, role, False)
