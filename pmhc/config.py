"""Agency settings and file locations, read from TOML so an agency edits files, not code.

An agency's files live in its **workspace** (`pmhc init DIR`; `PMHC_HOME` or `--home`
points every command and the dashboard at it): `config/` (agency.toml, assumptions.toml,
milestones.csv, program_rollout.csv), `profiles/`, `data/` (database, accounts, audit
log), `secrets/`, `reports/`, `backups/`. Without PMHC_HOME a checkout is its own sample
workspace (the repository's config/, profiles/ and data/), which is what `make run` shows.
`Workspace` names these paths; one agency's settings are one `AgencyConfig`
(`load_agency(workspace)`), so a hub can hold several side by side. Single paths can
still be redirected with environment variables (PMHC_DB, PMHC_CONFIG_DIR,
PMHC_SECRET_FILE) so tests and benchmarks never touch the dashboard's own files.

Every settings file (config/agency.toml here, the assumptions and mapping profiles
elsewhere) is checked by one layer: a pydantic model of the file, and `SettingsError`
whose message names the file, the key and the allowed values (`settings_error`).
TOML is written with tomli-w only (`toml_dumps`, `toml_value`, `write_toml`).
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import schema

_PACKAGE = Path(__file__).resolve().parent


def _resources() -> Path:
    """Where app.py, pages/, queries/, profiles/ and the sample's config/ are: the checkout
    (this package's parent folder), or their copy inside an installed wheel (pmhc/bundle,
    mapped by pyproject.toml) when pmhc runs without the checkout."""
    checkout = _PACKAGE.parent
    if (checkout / "app.py").is_file() and (checkout / "queries").is_dir():
        return checkout
    return _PACKAGE / "bundle"


ROOT = _resources()
QUERIES_DIR = ROOT / "queries"
SAMPLE_DIR = ROOT / "sample_data"
SAMPLE_CONFIG_DIR = ROOT / "config"  # the sample city's settings: examples for a new workspace
SHIPPED_PROFILES_DIR = ROOT / "profiles"
IS_CHECKOUT = ROOT == _PACKAGE.parent


# ------------------------------------------------------------------ the workspace

class SettingsError(ValueError):
    """A settings file that cannot be used: one line naming the file, the key and what is allowed."""


class NoWorkspace(SettingsError):
    """pmhc runs from an installed package and no workspace is named (PMHC_HOME / --home)."""


@dataclass(frozen=True)
class Workspace:
    """Where one agency's files are. `sample`: the checkout itself (config/, data/ of the
    repository; the person-key secret in ~/.config/pmhc as before workspaces existed).
    `env`: the workspace of this process (`current()`), whose single paths PMHC_CONFIG_DIR,
    PMHC_DB and PMHC_SECRET_FILE may redirect; a Workspace made from a folder is that folder."""

    root: Path
    sample: bool = False
    env: bool = False

    def _env(self, name: str) -> str | None:
        return os.environ.get(name) or None if self.env else None

    @classmethod
    def current(cls) -> "Workspace":
        """PMHC_HOME, else the checkout's sample workspace; an installed package without
        PMHC_HOME has none (it would otherwise apply the sample city's settings)."""
        home = os.environ.get("PMHC_HOME", "").strip()
        if home:
            root = Path(home).expanduser().resolve()
            return cls(root, sample=IS_CHECKOUT and root == ROOT, env=True)
        if IS_CHECKOUT:
            return cls(ROOT, sample=True, env=True)
        raise NoWorkspace("no agency workspace: create one with `pmhc init DIR`, then set PMHC_HOME=DIR "
                          "or pass --home DIR")

    @property
    def config_dir(self) -> Path:
        env = self._env("PMHC_CONFIG_DIR")
        return Path(env) if env else self.root / "config"

    @property
    def agency_file(self) -> Path:
        return self.config_dir / "agency.toml"

    @property
    def assumptions_file(self) -> Path:
        return self.config_dir / "assumptions.toml"

    @property
    def milestones_file(self) -> Path:
        return self.config_dir / "milestones.csv"

    @property
    def rollout_file(self) -> Path:
        return self.config_dir / "program_rollout.csv"

    @property
    def profiles_dir(self) -> Path:
        return self.root / "profiles"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def db_path(self) -> Path:
        env = self._env("PMHC_DB")
        return Path(env) if env else self.data_dir / "pmhc.duckdb"

    @property
    def secret_file(self) -> Path:
        env = self._env("PMHC_SECRET_FILE")
        if env:
            return Path(env)
        if self.sample:
            return Path.home() / ".config" / "pmhc" / "person_key_secret"
        return self.root / "secrets" / "person_key_secret"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports" if self.sample else self.root / "reports"

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups" if self.sample else self.root / "backups"

    @property
    def examples_dir(self) -> Path:
        """The sample city's values, offered as labelled examples (never read as settings)."""
        return SAMPLE_CONFIG_DIR if self.sample else self.root / "examples"


def config_dir() -> Path:
    env = os.environ.get("PMHC_CONFIG_DIR")
    return Path(env) if env else Workspace.current().config_dir


def default_db_path() -> Path:
    env = os.environ.get("PMHC_DB")
    return Path(env) if env else Workspace.current().db_path


# ------------------------------------------------------------------ one validation layer

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
    return [f.alias or k for k, f in m.model_fields.items()] if m is not None else []


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


def write_private(path: Path, text: str, mode: int = 0o600) -> Path:
    """Replace a settings file in one step (written beside it, then renamed), so a reader
    never sees half of it; owner-only, like everything in a workspace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.saving")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, mode)
    tmp.replace(path)
    return path


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


# ISO 4217 code → (symbol, name in words). Any other three-letter code is allowed; it is
# then written before amounts as the code itself unless [locale] currency_symbol says.
CURRENCIES = {
    "USD": ("$", "US dollars"), "CAD": ("$", "Canadian dollars"), "AUD": ("$", "Australian dollars"),
    "NZD": ("$", "New Zealand dollars"), "GBP": ("£", "pounds sterling"), "EUR": ("€", "euros"),
    "IEP": ("€", "euros"), "CHF": ("CHF ", "Swiss francs"), "SEK": ("SEK ", "Swedish kronor"),
    "NOK": ("NOK ", "Norwegian kroner"), "DKK": ("DKK ", "Danish kroner"), "ZAR": ("R", "South African rand"),
    "JPY": ("¥", "yen"), "INR": ("₹", "Indian rupees"), "MXN": ("MX$", "Mexican pesos"),
}
# Dates when the agency sets no format: "5 Jan 2025" in short texts, "5 January 2025" in a
# deck or a summary's sentences (pmhc.present.date_text).
DEFAULT_DATE_FORMATS = {"short": "%-d %b %Y", "long": "%-d %B %Y"}


class _Locale(Strict):
    # How money and dates read in pages and exports.
    currency: str = "USD"
    currency_symbol: str | None = None  # default: from the code (CURRENCIES), else the code
    date_format: str | None = None  # strftime, for dates in reports and exports (default DEFAULT_DATE_FORMATS)

    @field_validator("currency")
    @classmethod
    def _code(cls, v: str) -> str:
        v = str(v).strip().upper()
        if len(v) != 3 or not v.isalpha():
            raise ValueError(f"{v!r} is not a currency code; use the three-letter ISO 4217 code, e.g. "
                             "\"USD\", \"CAD\", \"GBP\", \"EUR\"")
        return v

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, v: str | None) -> str | None:
        from datetime import date

        if v is None:
            return v

        try:
            text = date(2025, 1, 5).strftime(v)
        except ValueError as e:
            raise ValueError(f"{v!r} is not a date format ({e}); use strftime codes such as \"%d/%m/%Y\" "
                             "or \"%-d %b %Y\"") from None
        if not any(c in v for c in ("%d", "%-d", "%e", "%x", "%F", "%D")) or text == v:
            raise ValueError(f"{v!r} does not print the day of the month; use e.g. \"%d/%m/%Y\" or "
                             "\"%Y-%m-%d\"")
        return v


class _Import(Strict):
    # The plausible window of dates in an export (pmhc.value_rules.date_window reads it).
    earliest_date: str | None = None
    latest_date: str | None = None
    latest_days_ahead: int | None = None


def _check_terms(v: dict) -> dict:
    from . import present

    allowed = present.term_keys()
    out = {}
    for k, x in (v or {}).items():
        key = str(k).strip()
        if key not in allowed and key.lower() not in allowed:
            import difflib

            close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
            raise ValueError(f"{key!r} is not a term the dashboard uses" + (f" (did you mean {close[0]!r}?)" if close
                                                                            else "")
                             + f"; terms: {', '.join(present.TERMS)}; or a value such as "
                             + ", ".join(present.VALUE_TERMS[:4]) + "…")
        if not str(x).strip():
            raise ValueError(f"{key!r}: the agency's word for it is empty")
        out[key if key in allowed else key.lower()] = str(x).strip()
    return out


class AgencyFile(Strict):
    """config/agency.toml as written by an agency."""
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
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
    # Money and dates in pages and exports.
    locale: _Locale = _Locale()
    # The agency's words for the dashboard's terms ("co-responder" = "mobile crisis team").
    terminology: dict[str, str] = {}
    import_: _Import = Field(_Import(), alias="import")

    @field_validator("terminology", mode="before")
    @classmethod
    def _terms(cls, v):
        return _check_terms(v) if isinstance(v, dict) else v

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
    # Money and dates ([locale]) and the agency's words for terms ([terminology]).
    currency: str = "USD"
    currency_symbol: str = "$"
    date_format: str = ""  # "" = the dashboard's own (DEFAULT_DATE_FORMATS)
    terminology: tuple[tuple[str, str], ...] = ()
    key: str = ""  # `key` in agency.toml when given; see agency_key
    source: str = field(default="", compare=False)

    @property
    def currency_name(self) -> str:
        """'Canadian dollars (CAD)': the unit of money figures in words."""
        name = CURRENCIES.get(self.currency, (None, self.currency))[1]
        return f"{name} ({self.currency})" if name != self.currency else self.currency

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


def load_agency(path: "Path | str | Workspace | None" = None) -> AgencyConfig:
    """One agency's settings: `path` is its agency.toml or its Workspace (default: the
    current workspace). Parsed once per version of the file (keyed by its stamp), so the
    formatter can read the currency on every call."""
    if isinstance(path, Workspace):
        path = path.agency_file
    text = os.fspath(path) if path else os.path.join(os.environ.get("PMHC_CONFIG_DIR") or config_dir(), "agency.toml")
    try:
        st = os.stat(text)
    except FileNotFoundError:
        return AgencyConfig(source=text)
    return _load_agency(text, st.st_mtime_ns, st.st_size, st.st_ino)


@lru_cache(maxsize=16)
def _load_agency(path_text: str, _mtime: int, _size: int, _ino: int) -> AgencyConfig:
    path = Path(path_text)
    return _agency(validate(AgencyFile, read_toml(path), path), path)


def _agency(f: AgencyFile, path: Path) -> AgencyConfig:
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
        currency=f.locale.currency,
        currency_symbol=(f.locale.currency_symbol if f.locale.currency_symbol is not None
                         else CURRENCIES.get(f.locale.currency, (f.locale.currency + " ",))[0]),
        date_format=f.locale.date_format or "",
        terminology=tuple(f.terminology.items()),
        key=f.key or "",
        source=str(path),
    )


def agency_raw(path: Path | str | None = None) -> dict:
    """agency.toml as TOML data (empty when there is none), for a writer that changes part of it."""
    path = Path(path) if path else config_dir() / "agency.toml"
    return read_toml(path) if path.exists() else {}


AGENCY_HEADER = """\
# Agency settings: every figure, page and report reads them. Written by `pmhc init` and
# the dashboard's Settings page (each save is in the audit log); it can also be edited in
# any text editor. Keys are explained in the README ("Deploying for your agency").
"""


def write_agency(changes: dict, path: Path | str | None = None) -> AgencyConfig:
    """Change some settings of agency.toml and keep the rest (sections this version does not
    write included): the merged file is checked by the same model as when it is read, and
    written in one step only when it passes. A value of None removes the key. Returns the
    settings as read back."""
    path = Path(path) if path else config_dir() / "agency.toml"
    raw = agency_raw(path)

    def merge(into: dict, new: dict) -> dict:
        out = dict(into)
        for k, v in new.items():
            if v is None:
                out.pop(k, None)
            elif isinstance(v, dict) and isinstance(out.get(k), dict) and k not in ("dispositions", "terminology"):
                out[k] = merge(out[k], v)
            else:
                out[k] = v
        return out

    merged = merge(raw, changes)
    _agency(validate(AgencyFile, merged, path), path)  # every check of a read, before anything is written
    # scalars first, then sections (a TOML table cannot be followed by a plain key)
    ordered = {k: v for k, v in merged.items() if not isinstance(v, dict)}
    ordered.update({k: v for k, v in merged.items() if isinstance(v, dict)})
    write_private(path, AGENCY_HEADER + "\n" + toml_dumps(ordered))
    return load_agency(path)
