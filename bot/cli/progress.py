"""Progress of long commands on the terminal: a tqdm bar per counted stage and one line per stage, on stderr."""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

_UNITS = {"embedding": "passage", "questions": "question"}


class TerminalProgress:
    """A `Progress` callback (stage, done, total) that shows one tqdm bar per stage."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or stage not in _UNITS:
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
    """A progress callback printing one line per stage to stderr (after a tqdm bar for embedding)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._stage = ""
        self._started = time.perf_counter()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or stage == self._stage:
            return
        self._stage = stage
        print(f"[{time.perf_counter() - self._started:6.1f}s] {stage} …", file=sys.stderr)


class CommandProgress:
    """What `refresh` and `corpus` commands show: stage lines and an embedding bar, on a terminal only.

    Use as a context manager so a bar left open by an error is closed.
    """

    def __init__(self, lines: bool = True) -> None:
        tty = sys.stderr.isatty()
        self.bar = TerminalProgress(enabled=tty)
        self.lines = StageLines(enabled=tty and lines)

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.lines(stage, done, total)
        self.bar(stage, done, total)

    def __enter__(self) -> CommandProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()
