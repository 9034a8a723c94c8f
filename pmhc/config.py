"""Agency settings and file locations, read from TOML so an agency edits files, not code.

Paths can be redirected with environment variables (PMHC_DB, PMHC_CONFIG_DIR) so tests
and benchmarks never touch the dashboard's own database.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES_DIR = ROOT / "queries"
SAMPLE_DIR = ROOT / "sample_data"


def config_dir() -> Path:
    return Path(os.environ.get("PMHC_CONFIG_DIR", ROOT / "config"))


def default_db_path() -> Path:
    return Path(os.environ.get("PMHC_DB", ROOT / "data" / "pmhc.duckdb"))


CO_RESPONDER_EMPTY = ("unknown", "not_co_responded")


@dataclass(frozen=True)
class AgencyConfig:
    name: str = "Agency"
    program: str = "Co-Responder Program"
    timezone: str = "UTC"
    fiscal_year_start_month: int = 7
    bh_call_types: tuple[str, ...] = ()
    repeat_min_contacts: int = 2
    repeat_windows_days: tuple[int, ...] = (90, 180, 365)
    suppression_threshold: int = 11
    unstable_numerator: int = 20
    # What an empty co-responder field means: "unknown" (left out of co-response
    # figures) unless the agency says "not_co_responded" ([data_rules] in agency.toml).
    co_responder_empty: str = "unknown"
    source: str = field(default="", compare=False)

    @property
    def bh_rule(self) -> str:
        types = ", ".join(self.bh_call_types) or "(none configured)"
        return (
            "A call is a behavioral-health (BH) call when the CAD export's bh_flag column says so; "
            f"when bh_flag is empty, when its call type is one of: {types}."
        )

    @property
    def co_responder_rule(self) -> str:
        """The empty-field rule shown beside co-response figures."""
        if self.co_responder_empty == "not_co_responded":
            return ("An empty co-responder field counts as not co-responded (agency rule, "
                    "[data_rules] co_responder_empty in config/agency.toml).")
        return ("An empty co-responder field is unknown: such calls are left out of co-response coverage "
                "and of the co-responded vs not comparisons.")


def load_agency(path: Path | None = None) -> AgencyConfig:
    path = Path(path) if path else config_dir() / "agency.toml"
    if not path.exists():
        return AgencyConfig(source=str(path))
    with path.open("rb") as f:
        raw = tomllib.load(f)
    bh = raw.get("behavioral_health", {})
    rep = raw.get("repeat_contacts", {})
    priv = raw.get("privacy", {})
    fy = int(raw.get("fiscal_year_start_month", 7))
    if not 1 <= fy <= 12:
        raise ValueError(f"{path}: fiscal_year_start_month must be 1–12, got {fy}")
    rules = raw.get("data_rules", {})
    co_empty = str(rules.get("co_responder_empty", "unknown"))
    if co_empty not in CO_RESPONDER_EMPTY:
        raise ValueError(f"{path}: [data_rules] co_responder_empty must be one of "
                         f"{', '.join(CO_RESPONDER_EMPTY)}, got {co_empty!r}")
    return AgencyConfig(
        co_responder_empty=co_empty,
        name=raw.get("name", "Agency"),
        program=raw.get("program", "Co-Responder Program"),
        timezone=raw.get("timezone", "UTC"),
        fiscal_year_start_month=fy,
        bh_call_types=tuple(str(t).strip().upper() for t in bh.get("call_types", [])),
        repeat_min_contacts=int(rep.get("min_contacts", 2)),
        repeat_windows_days=tuple(int(d) for d in rep.get("windows_days", [90, 180, 365])),
        suppression_threshold=int(priv.get("suppression_threshold", 11)),
        unstable_numerator=int(priv.get("unstable_numerator", 20)),
        source=str(path),
    )
