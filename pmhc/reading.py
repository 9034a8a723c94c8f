"""A second, independent reading of every export, so that no row can vanish unnoticed.

Why: DuckDB's CSV reader is fast and rejects bad rows one by one, but one stray quote
(`"D2-3`) makes it — like any CSV parser — read the rest of the file as a single value,
and a damaged gzip stream decompresses to garbage that parses. Neither can be seen from
the parser's own output. So each file is also read here, by code that does not share
the parser's assumptions:

1. the bytes are decompressed by Python's `gzip` (which checks the CRC and the length
   and refuses a damaged stream) and their physical lines are counted;
2. when that count equals the records DuckDB returned (header + one line per record,
   the case of nearly every CAD export), nothing else is needed;
3. otherwise (blank lines, values with embedded newlines, a stray quote) the file is
   read again with Python's `csv` module, which yields each record's first physical
   line; the file is refused whole when the two readers disagree or a record spans
   several lines without having the header's number of fields (a quote left open).

This module also turns an .xlsx sheet into the CSV the importer reads (the sheet's row
numbers kept as line numbers) and words DuckDB's reject types as messages that say what
is wrong with the row.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import sys
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

CHUNK = 1 << 22
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a 3 MB field is a row to quarantine, not a crash


class Refused(Exception):
    """The file cannot be imported at all; the message names the line and what to do."""


@dataclass
class Lines:
    """Physical facts about a file's (decompressed) bytes, from one streaming pass."""
    physical: int  # lines, header included (a last line without a newline counts)
    size: int
    sha256: str = ""  # of the file as stored (the compressed bytes of a .gz), for the ledger
    # No control character (a tab, a NUL, a carriage return other than before a line feed):
    # a value can then hold no whitespace but spaces, and for a value of ASCII characters
    # trimming it needs to look at spaces only (pmhc.fast_rows).
    controls: bool = True
    ascii: bool = False  # every byte below 0x80

    @property
    def plain(self) -> bool:
        return self.ascii and not self.controls


def is_gzip(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def open_binary(path: Path):
    return gzip.open(path, "rb") if is_gzip(path) else path.open("rb")


class _Hashing(io.RawIOBase):
    """A file whose bytes are hashed as they are read: a .gz file's digest is taken in the
    same pass that decompresses it."""

    def __init__(self, raw, digest):
        self.raw, self.digest = raw, digest

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self.raw.readinto(b)
        if n:
            self.digest.update(memoryview(b)[:n])
        return n


_PRINTABLE = bytes(range(0x20, 0x7F)) + b"\n\r"
_HIGH = bytes(range(0x80, 0x100))
_CONTROLS = bytes(range(0x00, 0x20)) + b"\x7f"


_SCANS: dict[str, Future] = {}


class scanning:
    """Start count_lines(path) in a thread now, beside DuckDB's read of the same file:
    count_lines(path) within the block returns that pass's result (both read the file
    once, on different cores)."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __enter__(self) -> "scanning":
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="pmhc-scan")
        self.future = self._pool.submit(_count_lines, Path(self.path))
        _SCANS[self.path] = self.future
        return self

    def __exit__(self, *exc) -> None:
        if _SCANS.get(self.path) is self.future:
            del _SCANS[self.path]
        self._pool.shutdown(wait=True)


def count_lines(path: Path) -> Lines:
    """Count physical lines by streaming the bytes, and in the same pass take the file's
    sha256 and what kinds of bytes it holds (Lines.controls, Lines.ascii). Refuses a
    damaged gzip file and text in UTF-16/32 (which the CSV reader would read as garbage)."""
    running = _SCANS.get(str(path))
    if running is not None:
        return running.result()
    return _count_lines(path)


def _count_lines(path: Path) -> Lines:
    n = size = 0
    last = b""
    first = None
    digest = hashlib.sha256()
    controls, high = False, False
    cr = crlf = 0  # carriage returns, and those that end a line (before a line feed)
    try:
        with path.open("rb") as stored:
            hashed = _Hashing(stored, digest)
            f = gzip.GzipFile(fileobj=io.BufferedReader(hashed, CHUNK)) if is_gzip(path) else hashed
            while True:
                chunk = f.read(CHUNK)
                if not chunk:
                    break
                start = 0
                if first is None:
                    first = chunk[:4]
                    start = 3 if chunk.startswith(b"\xef\xbb\xbf") else 0
                n += chunk.count(b"\n")
                # (a UTF-8 byte-order mark before the header is no value's byte)
                odd = (chunk[start:] if start else chunk).translate(None, _PRINTABLE)
                if odd:
                    high = high or bool(odd.translate(None, _CONTROLS))
                    controls = controls or bool(odd.translate(None, _HIGH))
                cr += chunk.count(b"\r")
                crlf += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
                size += len(chunk)
                last = chunk[-1:]
            if is_gzip(path):
                while hashed.readinto(bytearray(CHUNK)):
                    pass  # bytes after the last gzip member (none in a sound file) are hashed too
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as e:
        if not is_gzip(path):
            raise
        raise Refused(
            f"{path.name}: the gzip file is damaged ({e}); nothing was imported. Compress the export again "
            "(or import the uncompressed .csv) — a damaged archive cannot be read without losing or inventing rows."
        ) from None
    if first and (first.startswith((b"\xff\xfe", b"\xfe\xff")) or first[:4] in (b"\x00\x00\xfe\xff",)):
        raise Refused(f"{path.name}: the file is UTF-16 text; nothing was imported. Save it as UTF-8 "
                      "(in Excel: 'CSV UTF-8 (Comma delimited)') and import again.")
    if size and last != b"\n":
        n += 1
    return Lines(physical=n, size=size, sha256=digest.hexdigest(), controls=controls or cr != crlf, ascii=not high)


def fetch_records(path: Path, spans: list[tuple[int, int]]) -> dict[int, bytes]:
    """The raw bytes of the records at physical lines [start, end] (1-based, both included),
    keyed by start line, with their line endings: a few rows read again from the file, for
    the rows the typed reading sends to the text rules (pmhc.fast_rows). One streaming pass;
    only the chunks holding a wanted line are split into lines."""
    if not spans:
        return {}
    wanted = sorted(spans)
    out: dict[int, list[bytes]] = {}
    line = 1  # physical line the next byte belongs to
    i = 0  # first span not finished yet
    carry = b""
    with open_binary(path) as f:
        while i < len(wanted):
            chunk = f.read(CHUNK)
            if not chunk:
                if carry:
                    chunk, carry = carry, b""
                    _take(chunk, line, wanted, i, out, final=True)
                break
            chunk = carry + chunk
            cut = chunk.rfind(b"\n") + 1
            if not cut:
                carry = chunk
                continue
            body, carry = chunk[:cut], chunk[cut:]
            lines_here = body.count(b"\n")
            if wanted[i][0] < line + lines_here:
                _take(body, line, wanted, i, out)
            line += lines_here
            while i < len(wanted) and wanted[i][1] < line:
                i += 1
    return {start: b"".join(parts) for start, parts in out.items()}


def _take(body: bytes, first_line: int, wanted: list[tuple[int, int]], i: int, out: dict, final: bool = False) -> None:
    """Add the lines of `body` (starting at physical line `first_line`) that wanted spans cover."""
    parts = body.split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    parts = [p + b"\n" for p in parts[:-1]] + [parts[-1] + (b"" if final and not body.endswith(b"\n") else b"\n")] \
        if parts else []
    last_line = first_line + len(parts) - 1
    for start, end in wanted[i:]:
        if start > last_line:
            break
        for ln in range(max(start, first_line), min(end, last_line) + 1):
            out.setdefault(start, []).append(parts[ln - first_line])


@dataclass
class Record:
    start: int  # physical line where the record begins
    end: int  # physical line where it ends
    fields: int


def scan_records(path: Path, header_fields: int) -> list[Record]:
    """Every data record's physical lines and field count, read by Python's csv module.

    Refuses the file when a record runs over several lines without having the header's
    number of fields: a quote opened and never closed swallows the lines after it."""
    records: list[Record] = []
    with open_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        reader = csv.reader(text, strict=False)
        prev_end = 0
        try:
            for row in reader:
                start, end = prev_end + 1, reader.line_num
                prev_end = end
                if start == 1 or not row or row == [""]:
                    continue  # header, blank line
                records.append(Record(start, end, len(row)))
        except csv.Error as e:
            raise Refused(f"{path.name}: line {prev_end + 1}: the file cannot be read as CSV ({e}); nothing was "
                          "imported.") from None
    for r in records:
        if r.end > r.start and r.fields != header_fields:
            raise Refused(unclosed_quote(path.name, r.start, r.end - r.start + 1))
    return records


def unclosed_quote(name: str, line: int, spanned: int | None = None) -> str:
    span = f" so lines {line} to {line + spanned - 1} ({spanned:,} lines) would be read as one value" \
        if spanned and spanned > 1 else ""
    return (f"{name}: line {line}: a quote (\") opens a value that is not closed on that line{span}. "
            "Nothing was imported, so no row is lost. Fix that value (a quote inside a quoted value is written "
            "twice: \"\"; a value that starts with a quote must end with one) and import the file again.")


# ---------------------------------------------------------------- DuckDB rejects, worded

_FOUND = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_SIZE = re.compile(r"Maximum line size of (\d+) bytes exceeded\. Actual Size:(\d+)")

# Worst first: one line can have several reject types; the first names the row's problem.
REJECT_ORDER = ("LINE SIZE OVER MAXIMUM", "INVALID ENCODING", "UNQUOTED VALUE", "TOO MANY COLUMNS",
                "MISSING COLUMNS", "INVALID STATE", "CAST")


def reject_reason(error_type: str, message: str, column: str | None, n_header: int) -> tuple[str, str]:
    """(reason, message) for one DuckDB reject: what is wrong with this row and what to do."""
    if error_type == "LINE SIZE OVER MAXIMUM":
        m = _SIZE.search(message or "")
        size = f"{int(m.group(2)):,} bytes long, over the limit of {int(m.group(1)):,} bytes for one row" if m \
            else "longer than the limit for one row"
        return "too_long", (f"the row is {size}: one value is huge (a pasted document?) or a quote is missing; "
                            "shorten the value at the source and import again")
    if error_type == "INVALID ENCODING":
        where = f" (in column {column})" if column else ""
        return "encoding", (f"the row has bytes that are not UTF-8 text{where}: the file was probably saved as "
                            "Latin-1 / Windows-1252; save it as UTF-8 (Excel: 'CSV UTF-8') and import again")
    if error_type == "UNQUOTED VALUE":
        where = f"in column {column} " if column else ""
        return "quote", (f"a quote {where}is not closed where the value ends: write a quote inside a quoted "
                         "value twice (\"\") or remove it")
    if error_type in ("TOO MANY COLUMNS", "MISSING COLUMNS"):
        m = _FOUND.search(message or "")
        found = f"{m.group(2)} fields" if m else ("too many fields" if error_type == "TOO MANY COLUMNS"
                                                   else "too few fields")
        hint = ("a value contains a comma but is not quoted" if error_type == "TOO MANY COLUMNS"
                else "values are missing or the row was cut short")
        return "columns", (f"the row has {found} where the header has {n_header}: {hint}; give every row exactly "
                           f"{n_header} comma-separated fields (quote values that contain commas)")
    return "unreadable", f"the row could not be read ({message}); correct it at the source and import again"


# ---------------------------------------------------------------- Excel sheets

def is_xlsx(path: Path) -> bool:
    return path.name.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods"))


def _cell_text(v) -> str:
    """A cell as the text an export would hold. Excel keeps every number as a float, so a
    whole float is written without ".0" (a priority of 2 stays 2); a date cell stays a date
    only, so a timestamp column reports it as a date without a time instead of midnight."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (date, time)):
        return v.isoformat()
    return str(v)


def xlsx_to_csv(path: Path, out: Path, sheet: str | int | None = None) -> list[int]:
    """Write the first (or the named) sheet of a workbook as CSV text; returns the sheet
    row number of each data record, the line numbers quarantine reports."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = wb.sheet_names
        name = names[sheet] if isinstance(sheet, int) else (sheet or names[0])
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as e:  # calamine raises its own types for damaged or encrypted workbooks
        raise Refused(f"{path.name}: the workbook cannot be read ({type(e).__name__}: {e}); nothing was imported. "
                      "Save it again from Excel as .xlsx, or export the sheet as CSV UTF-8.") from None
    start = 0
    while start < len(rows) and all(_cell_text(c) == "" for c in rows[start]):
        start += 1  # empty rows above the header
    if start == len(rows):
        raise Refused(f"{path.name}: sheet {name!r} is empty; nothing was imported.")
    end = len(rows)
    while end > start + 1 and all(_cell_text(c) == "" for c in rows[end - 1]):
        end -= 1  # empty rows below the data (Excel keeps formatted but empty rows)
    header = [_cell_text(c) for c in rows[start]]
    while header and header[-1] == "":
        header.pop()  # formatted but empty columns right of the header
    width = len(header)
    numbers = []
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        for i in range(start, end):
            cells = [_cell_text(c) for c in rows[i]]
            while len(cells) > width and cells[-1] == "":
                cells.pop()
            cells += [""] * (width - len(cells))
            if i > start:
                numbers.append(i + 1)  # 1-based sheet row
            w.writerow(cells)
    return numbers
