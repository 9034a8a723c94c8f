"""Agency settings and file locations, read from TOML so an agency edits files, not code.

Paths can be redirected with environment variables (PMHC_DB, PMHC_CONFIG_DIR) so tests
and benchmarks never touch the dashboard's own database.

Every settings file (config/agency.toml here, the assumptions and mapping profiles
elsewhere) is checked by one layer: a pydantic model of the file, and `SettingsError`
whose message names the file, the key and the allowed values (`settings_error`).
TOML is written with tomli-w only (`toml_dumps`, `toml_value`).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import schema

ROOT = Path(__file__).resolve().parent.parent
QUERIES_DIR = ROOT / "queries"
SAMPLE_DIR = ROOT / "sample_data"


def config_dir() -> Path:
    return Path(os.environ.get("PMHC_CONFIG_DIR", ROOT / "config"))


def default_db_path() -> Path:
    return Path(os.environ.get("PMHC_DB", ROOT / "data" / "pmhc.duckdb"))


# ------------------------------------------------------------------ one validation layer

class SettingsError(ValueError):
    """A settings file that cannot be used: one line naming the file, the key and what is allowed."""


class Strict(BaseModel):
    """Base of every settings model: unknown keys are errors (a typo never passes silently)."""
    model_config = ConfigDict(extra="forbid", frozen=True)


def _key(loc: tuple) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts.append(f"[{p + 1}]")
        else:
            parts.append(("." if parts else "") + str(p))
    return "".join(parts) or "(file)"


def _model_at(model: type[BaseModel] | None, loc: tuple) -> type[BaseModel] | None:
    """The settings model that describes the value at `loc` (None for a plain value)."""
    for p in loc:
        if model is None:
            return None
        f = model.model_fields.get(str(p))
        ann = getattr(f, "annotation", None)
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return model


def _allowed(model: type[BaseModel] | None, loc: tuple) -> list[str]:
    """Keys a model accepts at the place an unknown key was found."""
    m = _model_at(model, loc[:-1])
    return list(m.model_fields) if m is not None else []


def settings_error(path: Path | str, exc: ValidationError, model: type[BaseModel] | None = None) -> SettingsError:
    """The first problem of a pydantic error as `file: key: message` (no traceback)."""
    e = exc.errors()[0]
    loc = tuple(e.get("loc", ()))
    key = _key(loc)
    if e.get("type") == "extra_forbidden":
        allowed = _allowed(model, loc)
        msg = "unknown setting" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
    elif e.get("type") == "missing":
        section = _model_at(model, loc)
        needs = [k for k, f in section.model_fields.items() if f.is_required()] if section else []
        msg = "is missing" + (f": add [{key}] with {', '.join(needs)}" if needs else "; add it")
    else:
        msg = str(e.get("msg", "invalid value"))
        msg = msg.removeprefix("Value error, ")
        if "input" in e and e.get("type") not in ("missing",):
            msg += f" (got {e['input']!r})"
    more = len(exc.errors()) - 1
    return SettingsError(f"{path}: {key}: {msg}" + (f" (and {more} more problem{'s' * (more > 1)})" if more else ""))


def validate(model: type[BaseModel], raw: Any, path: Path | str):
    """raw TOML data → model instance, or SettingsError naming file, key and allowed values."""
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        raise settings_error(path, e, model) from None


def read_toml(path: Path) -> dict:
    try:
        with Path(path).open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise SettingsError(f"{path}: not valid TOML: {e}") from None


def check_timezone(name: str) -> str:
    """An IANA time zone name that zoneinfo knows, or ValueError saying what to write."""
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        import difflib

        close = difflib.get_close_matches(str(name), sorted(available_timezones()), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"{name!r} is not a time zone name{hint}; use an IANA name such as "
                         "\"America/Chicago\" or \"UTC\"") from None
    return str(name)


TimeZoneName = Annotated[str, Field(description="IANA time zone name")]


def toml_dumps(data: dict) -> str:
    """The one TOML writer (tomli-w): settings files the program writes (accounts, assumptions)."""
    return tomli_w.dumps(data)


def toml_value(value: Any) -> str:
    """One TOML value as text (quoted and escaped by tomli-w), for commented drafts."""
    return tomli_w.dumps({"v": value}).split("=", 1)[1].strip()


# ------------------------------------------------------------------ config/agency.toml

CallOutcome = Literal[schema.CALL_OUTCOMES]  # type: ignore[valid-type]


class _BehavioralHealth(Strict):
    call_types: list[str] = []


class _RepeatContacts(Strict):
    min_contacts: int = Field(2, ge=1)
    windows_days: list[Annotated[int, Field(gt=0)]] = [90, 180, 365]


class _Privacy(Strict):
    suppression_threshold: int = Field(11, ge=1)
    unstable_numerator: int = Field(20, ge=0)


class AgencyFile(Strict):
    """config/agency.toml as written by an agency."""
    name: str = "Agency"
    program: str = "Co-Responder Program"
    timezone: str = "UTC"
    fiscal_year_start_month: int = Field(7, ge=1, le=12)
    behavioral_health: _BehavioralHealth = _BehavioralHealth()
    repeat_contacts: _RepeatContacts = _RepeatContacts()
    privacy: _Privacy = _Privacy()
    # CAD disposition code → how the call ended (calls.outcome vocabulary). Codes match
    # without regard to case or surrounding spaces.
    dispositions: dict[str, CallOutcome] = {}

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        return check_timezone(v)

    @field_validator("dispositions", mode="before")
    @classmethod
    def _lower_outcomes(cls, v):
        if isinstance(v, dict):
            return {k: (x.strip().lower() if isinstance(x, str) else x) for k, x in v.items()}
        return v


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
    # (disposition code as matched: trimmed, lower case, outcome) pairs; see [dispositions]
    dispositions: tuple[tuple[str, str], ...] = ()
    source: str = field(default="", compare=False)

    @property
    def bh_rule(self) -> str:
        types = ", ".join(self.bh_call_types) or "(none configured)"
        return (
            "A call is a behavioral-health (BH) call when the CAD export's bh_flag column says so; "
            f"when bh_flag is empty, when its call type is one of: {types}."
        )

    @property
    def disposition_rule(self) -> str:
        if not self.dispositions:
            return ("No disposition map is configured (config/agency.toml [dispositions]): a call's outcome is "
                    "known only when its export records it.")
        return ("A call whose export records no outcome takes it from its CAD disposition code: "
                + "; ".join(f"{code.upper()} → {schema.label(out)}" for code, out in self.dispositions)
                + ". Other codes are unmapped.")


def load_agency(path: Path | None = None) -> AgencyConfig:
    path = Path(path) if path else config_dir() / "agency.toml"
    if not path.exists():
        return AgencyConfig(source=str(path))
    f: AgencyFile = validate(AgencyFile, read_toml(path), path)
    codes: dict[str, str] = {}
    for code, outcome in f.dispositions.items():
        k = code.strip().lower()
        if k in codes:
            raise SettingsError(f"{path}: dispositions.{code}: is listed twice (codes match without regard to case)")
        codes[k] = outcome
    return AgencyConfig(
        name=f.name,
        program=f.program,
        timezone=f.timezone,
        fiscal_year_start_month=f.fiscal_year_start_month,
        bh_call_types=tuple(str(t).strip().upper() for t in f.behavioral_health.call_types),
        repeat_min_contacts=f.repeat_contacts.min_contacts,
        repeat_windows_days=tuple(f.repeat_contacts.windows_days),
        suppression_threshold=f.privacy.suppression_threshold,
        unstable_numerator=f.privacy.unstable_numerator,
        dispositions=tuple(sorted(codes.items())),
        source=str(path),
    )
