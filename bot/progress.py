"""Progress bars for long builds on the terminal (tqdm, on stderr)."""

from __future__ import annotations

from tqdm import tqdm

_UNITS = {"embedding": "passage", "questions": "question"}


class TerminalProgress:
    """A `Progress` callback that shows one tqdm bar per stage."""

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
