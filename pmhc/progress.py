"""Progress of long work (an import, a deck's charts, a benchmark), by stage, with rows done
and rows per second — so a 10-million-row import is not half a minute of silence.

The work reports `Step`s through a `Tracker`; what shows them is chosen for where the
output goes: a tqdm bar in a terminal, one plain line per finished stage when the output
is piped or the `CI` variable is set (logs stay readable), st.status/st.progress on the
Data and Reports pages.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator, TextIO

# The stages of one imported file, in order (pmhc.importer).
IMPORT_STAGES = ("reading", "validating", "upserting", "rollups", "quality report")


@dataclass(frozen=True)
class Step:
    subject: str  # the file, or "deck"
    stage: str
    index: int  # 1-based position of the stage among `of`
    of: int
    rows: int | None  # rows (or items) the stage handled; None at its start when unknown
    seconds: float
    finished: bool
    unit: str = "rows"

    @property
    def rate(self) -> float | None:
        """Rows per second of a finished stage (None when nothing was counted or timed)."""
        if not self.finished or not self.rows or self.seconds <= 0:
            return None
        return self.rows / self.seconds

    def line(self) -> str:
        """One plain line: `calls.csv: validating (2/5) 1,000,000 rows in 1.2 s, 833,333 rows/s`."""
        head = f"{self.subject}: {self.stage} ({self.index}/{self.of})"
        if not self.finished:
            return f"{head} started" + (f", {self.rows:,} {self.unit}" if self.rows is not None else "") + "…"
        done = f" {self.rows:,} {self.unit}" if self.rows is not None else ""
        rate = f", {self.rate:,.0f} {self.unit}/s" if self.rate is not None else ""
        return f"{head}{done} in {self.seconds:.1f} s{rate}"


Listener = Callable[[Step], None]


class Tracker:
    """Times the stages of one subject and tells a listener when each starts and ends."""

    def __init__(self, subject: str, listener: Listener | None, stages: tuple[str, ...] = IMPORT_STAGES,
                 unit: str = "rows") -> None:
        self.subject, self.listener, self.stages, self.unit = subject, listener, stages, unit

        self._open: tuple[str, float] | None = None

    def begin(self, name: str, rows: int | None = None) -> None:
        """Stage `name` starts (`rows` when known beforehand)."""
        self._open = (name, time.perf_counter())
        self._tell(name, rows, 0.0, False)

    def end(self, rows: int | None = None) -> None:
        """The stage begun last is finished, having handled `rows`."""
        if self._open is None:
            return
        name, start = self._open
        self._open = None
        self._tell(name, rows, time.perf_counter() - start, True)

    @contextmanager
    def stage(self, name: str, rows: int | None = None) -> Iterator["_Count"]:
        """`with tracker.stage("reading") as s: …; s.rows = n` — the stage's start and end
        (no end when the work inside fails: the caller reports the failure)."""
        count = _Count(rows)
        self.begin(name, rows)
        yield count
        self.end(count.rows)

    def _tell(self, name, rows, seconds, finished) -> None:
        index = self.stages.index(name) + 1 if name in self.stages else len(self.stages)
        if self.listener is not None:
            self.listener(Step(self.subject, name, index, len(self.stages), rows, seconds, finished, self.unit))


@dataclass
class _Count:
    rows: int | None = None


def interactive(stream: TextIO) -> bool:
    """A bar only for a person at a terminal: not when piped, redirected or under CI."""
    if os.environ.get("CI"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class PlainLines:
    """One line per finished stage (and none of a bar's carriage returns)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def __call__(self, step: Step) -> None:
        if step.finished:
            try:
                print(step.line(), file=self.stream or sys.stderr, flush=True)
            except BrokenPipeError:
                pass

    def close(self) -> None:
        pass


class TerminalBar:
    """A tqdm bar per subject, advancing stage by stage, with rows and rows/s after each;
    every finished stage also stays on screen as a plain line above the bar."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.bars: dict[str, object] = {}

    def __call__(self, step: Step) -> None:
        from tqdm import tqdm

        bar = self.bars.get(step.subject)
        if bar is None:
            bar = self.bars[step.subject] = tqdm(total=step.of, desc=step.subject, unit="stage", file=self.stream,
                                                 leave=True, dynamic_ncols=True,
                                                 bar_format="{desc}: {percentage:3.0f}%|{bar}| {n}/{total} "
                                                            "stages [{elapsed}] {postfix}")
        if step.finished:
            bar.write(step.line(), file=self.stream)
            bar.update(1)
            if step.index == step.of:
                bar.close()
                del self.bars[step.subject]
        else:
            bar.set_postfix_str(step.stage + (f", {step.rows:,} {step.unit}" if step.rows is not None else ""))

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
        self.bars.clear()


class StreamlitStatus:
    """The stages in an st.status box (Data page, Reports page): a bar through the stages
    and one line per finished stage with its rows and rows/s — the command line's steps."""

    def __init__(self, box) -> None:
        import streamlit as st

        self.box, self.st = box, st
        with box:
            self.bar = st.progress(0.0, text="Starting…")

    def __call__(self, step: Step) -> None:
        if step.finished:
            with self.box:
                self.st.write(step.line())
            self.bar.progress(step.index / step.of, text=f"{step.subject}: {step.stage} done")
        else:
            self.bar.progress((step.index - 1) / step.of, text=f"{step.subject}: {step.stage}"
                              + (f" ({step.rows:,} {step.unit})…" if step.rows is not None else "…"))
            self.box.update(label=f"{step.subject}: {step.stage}…")

    def close(self) -> None:
        pass


def for_stream(stream: TextIO | None = None) -> PlainLines | TerminalBar:
    """The listener for output going to `stream` (stderr by default)."""
    stream = stream or sys.stderr
    return TerminalBar(stream) if interactive(stream) else PlainLines(stream)
