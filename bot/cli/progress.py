"""Progress of long commands, on stderr: a tqdm bar per counted stage on a terminal, plain lines otherwise.

On a terminal a bar moves in place; written to a file or a pipe (`newsbot build 2> build.log`, a service's
journal) a bar would be one line at the end, so there each stage starts a line and a counted stage adds a
line with its count every `LOG_EVERY` seconds: a 20-minute build shows where it is in its log.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm

_UNITS = {"embedding": "passage", "questions": "question", "sentences": "sentence", "read": "file"}
_BARS = ("embedding", "questions")  # stages shown as a bar on a terminal (the others are quick)
LOG_EVERY = 15.0  # seconds between two count lines of one stage, off a terminal


class TerminalProgress:
    """A `Progress` callback (stage, done, total) that shows one tqdm bar per stage."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or stage not in _BARS:
            return
        bar = self._bars.get(stage)
        if bar is None or bar.total != total:
            bar = self._bars[stage] = tqdm(total=total, desc=stage, unit=_UNITS[stage], leave=False)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    def close(self) -> None:
        """Close any bar left open (e.g. after an error)."""
        for bar in self._bars.values():
            bar.close()


class StageLines:
    """A progress callback printing a line when a stage starts and, with `counts`, its count every `every` seconds.

    `[  12.3s] embedding …` then `[  27.3s] embedding: 1,200 of 45,000 passages (2%)`.
    """

    def __init__(self, enabled: bool, counts: bool = False, every: float = LOG_EVERY,
                 out: TextIO | None = None) -> None:
        self.enabled = enabled
        self.counts = counts
        self.every = every
        self.out = out
        self._stage = ""
        self._started = time.perf_counter()
        self._last = 0.0

    def _print(self, text: str) -> None:
        out = self.out or sys.stderr
        print(f"[{time.perf_counter() - self._started:6.1f}s] {text}", file=out, flush=True)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if stage != self._stage:
            self._stage, self._last = stage, now
            self._print(f"{stage} …")
            return
        unit = _UNITS.get(stage)
        if self.counts and unit and total and (now - self._last >= self.every or done >= total):
            self._last = now
            self._print(f"{stage}: {done:,} of {total:,} {unit}{'' if total == 1 else 's'} "
                        f"({100 * done // total}%)")


class CommandProgress:
    """What `build`, `refresh` and `corpus` commands show on stderr: stage lines and a bar on a terminal,
    stage and count lines otherwise (a log file shows progress too).

    Args:
        lines: on a terminal, print a line per stage besides the bars (a build shows its bar only).
        out: where to write (default: stderr, as it is when called).
        every: seconds between two count lines of one stage, off a terminal.

    Use as a context manager so a bar left open by an error is closed.
    """

    def __init__(self, lines: bool = True, out: TextIO | None = None, every: float = LOG_EVERY) -> None:
        stream = out or sys.stderr
        tty = _isatty(stream)
        self.bar = TerminalProgress(enabled=tty)
        self.lines = StageLines(enabled=lines or not tty, counts=not tty, every=every, out=out)

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.lines(stage, done, total)
        self.bar(stage, done, total)

    def __enter__(self) -> CommandProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False
