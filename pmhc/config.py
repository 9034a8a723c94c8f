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
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
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


def _key(loc: tuple, raw: Any = None) -> str:
    """A key as TOML writes it: `[section.sub] key`, `timezone`, `[flags.outcome] order[1].value`."""
    tables: list[str] = []
    node = raw
    i = 0
    # leading names whose value is a table are the [section]; the rest is the key in it
    while i < len(loc) - 1 and isinstance(loc[i], str) and isinstance(node, dict) \
            and isinstance(node.get(loc[i]), dict):
        node = node[loc[i]]
        tables.append(loc[i])
        i += 1
    rest = ""
    for p in loc[i:]:
        rest += f"[{p + 1}]" if isinstance(p, int) else (("." if rest else "") + str(p))
    if not tables:
        return rest or "(file)"
    return f"[{'.'.join(tables)}] {rest}".rstrip()


def _step(ann: Any, p: Any) -> Any:
    """The annotation of the value one step (a field, a dict key, a list index) inside `ann`."""
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        f = ann.model_fields.get(str(p))
        return f.annotation if f is not None else None
    for a in (get_args(ann) if get_origin(ann) in (Union, UnionType) else (ann,)):
        origin = get_origin(a)
        if origin is dict and not isinstance(p, int):
            return get_args(a)[1]
        if origin is list and isinstance(p, int):
            return get_args(a)[0]
    return None


def _model_at(model: type[BaseModel] | None, loc: tuple) -> type[BaseModel] | None:
    """The settings model that describes the value at `loc` (None for a plain value)."""
    ann: Any = model
    for p in loc:
        ann = _step(ann, p)
    for a in (get_args(ann) if get_origin(ann) in (Union, UnionType) else (ann,)):
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a
    return None


def _allowed(model: type[BaseModel] | None, loc: tuple) -> list[str]:
    """Keys a model accepts at the place an unknown key was found."""
    m = _model_at(model, loc[:-1])
    return list(m.model_fields) if m is not None else []


_KIND_WORDS = {"str": "a string", "list[str]": "a list of strings", "bool": "true or false",
               "int": "a whole number", "float": "a number"}


def _clean(loc: tuple, raw: Any, last_may_be_absent: bool) -> tuple[tuple, list[str]]:
    """pydantic's location without the union member tags it inserts ('str', 'list[str]'), and the tags."""
    out, tags, node = [], [], raw
    for n, p in enumerate(loc):
        if isinstance(node, dict) and p in node:
            node = node[p]
        elif isinstance(node, list) and isinstance(p, int) and p < len(node):
            node = node[p]
        elif n == len(loc) - 1 and last_may_be_absent:
            pass
        else:
            tags.append(str(p))
            continue
        out.append(p)
    return tuple(out), tags


def settings_error(path: Path | str, exc: ValidationError, model: type[BaseModel] | None = None,
                   raw: Any = None, prefix: tuple = (), error: type[SettingsError] = SettingsError) -> SettingsError:
    """The first problem of a pydantic error as `file: key: message` (no traceback).
    `prefix` is where `raw` sits in the file (a table section of a profile)."""
    errors = exc.errors()
    e = errors[0]
    kind = e.get("type")
    inner, tags = _clean(tuple(e.get("loc", ())), raw, kind == "missing")
    # one problem per place: the union members' errors at the same place are one
    cleaned = [_clean(tuple(x.get("loc", ())), raw, x.get("type") == "missing")[0] for x in errors]
    same = [x for x, c in zip(errors, cleaned) if c[:len(inner)] == inner] if tags else [e]

    def place(x: dict) -> tuple:  # a union's alternatives are one place: where the union is
        loc = tuple(x.get("loc", ()))
        c, t = _clean(loc, raw, x.get("type") == "missing")
        if not t:
            return c
        first = next(i for i, p in enumerate(loc) if str(p) == t[0])
        return _clean(loc[:first], raw, False)[0]

    places = {place(x) for x in errors}
    loc = tuple(prefix) + inner
    wrapped = raw
    for p in reversed(prefix):
        wrapped = {p: wrapped}
    key = _key(loc, wrapped)
    if kind == "extra_forbidden":
        import difflib

        allowed = _allowed(model, inner)
        close = difflib.get_close_matches(str(inner[-1]), allowed, n=1, cutoff=0.6) if inner else []
        msg = ("unknown setting" + (f" (did you mean {close[0]!r}?)" if close else "")
               + (f"; allowed here: {', '.join(allowed)}" if allowed else ""))
    elif kind == "missing":
        section = _model_at(model, inner)
        needs = [k for k, f in section.model_fields.items() if f.is_required()] if section else []
        msg = "is missing" + (f": add [{key}] with {', '.join(needs)}" if needs else "; add it")
    elif tags:
        kinds = [_KIND_WORDS.get(_clean(tuple(x.get("loc", ())), raw, False)[1][-1], "another kind of value")
                 for x in same if _clean(tuple(x.get("loc", ())), raw, False)[1]]
        msg = "must be " + " or ".join(dict.fromkeys(kinds))
        if "input" in e and not isinstance(e["input"], (dict, list)):
            msg += f" (got {e['input']!r})"
    else:
        msg = str(e.get("msg", "invalid value"))
        msg = msg.removeprefix("Value error, ")
        if "input" in e and not isinstance(e["input"], (dict, list)):
            msg += f" (got {e['input']!r})"
    more = len(places) - 1
    return error(f"{path}: {key}: {msg}" + (f" (and {more} more problem{'s' * (more > 1)})" if more else ""))


def validate(model: type[BaseModel], raw: Any, path: Path | str, *, prefix: tuple = (),
             error: type[SettingsError] = SettingsError):
    """raw TOML data → model instance, or SettingsError naming file, key and allowed values."""
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        raise settings_error(path, e, model, raw, prefix, error) from None


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


CO_RESPONDER_EMPTY = ("unknown", "not_co_responded")


class _DataRules(Strict):
    # What an empty co-responder field means: unknown (default) unless the agency says
    # it means not co-responded.
    co_responder_empty: Literal[CO_RESPONDER_EMPTY] = "unknown"  # type: ignore[valid-type]


AGENCY_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def agency_slug(name: str) -> str:
    """The agency key made from its name ("Harbor City Police Department" →
    "harbor-city-police-department"): lower-case ASCII letters, digits and hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:63].strip("-") or "agency"


class AgencyFile(Strict):
    """config/agency.toml as written by an agency."""
    name: str = "Agency"
    # The agency's key in data shared with other agencies (the Parquet copy's
    # agency=<key> folders); made from `name` when not given.
    key: str | None = None
    program: str = "Co-Responder Program"
    timezone: str = "UTC"
    fiscal_year_start_month: int = Field(7, ge=1, le=12)
    behavioral_health: _BehavioralHealth = _BehavioralHealth()
    repeat_contacts: _RepeatContacts = _RepeatContacts()
    privacy: _Privacy = _Privacy()
    data_rules: _DataRules = _DataRules()
    # CAD disposition code → how the call ended (calls.outcome vocabulary). Codes match
    # without regard to case or surrounding spaces.
    dispositions: dict[str, CallOutcome] = {}

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        return check_timezone(v)

    @field_validator("key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        if v is not None and not AGENCY_KEY.match(v):
            raise ValueError(f"{v!r} is not an agency key: use 1–63 lower-case letters, digits, '-' or '_', "
                             "starting with a letter or digit (e.g. \"harbor-city\")")
        return v

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
    # What an empty co-responder field means: "unknown" (left out of co-response
    # figures) unless the agency says "not_co_responded" ([data_rules] in agency.toml).
    co_responder_empty: str = "unknown"
    key: str = ""  # `key` in agency.toml when given; see agency_key
    source: str = field(default="", compare=False)

    @property
    def agency_key(self) -> str:
        """The agency's key in data shared with other agencies: the configured key, else
        a slug of the name."""
        return self.key or agency_slug(self.name)

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
            raise SettingsError(f"{path}: [dispositions] {code}: is listed twice (codes match without regard to case)")
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
        co_responder_empty=f.data_rules.co_responder_empty,
        key=f.key or "",
        source=str(path),
    )
