"""Stopping a refresh or build within a batch when the user presses Ctrl+C.

Python delivers Ctrl+C (SIGINT) to the main thread only, as a `KeyboardInterrupt` between two bytecodes.
The main thread of a refresh stops at once (the model returns after its current batch), but a refresh
also embeds in worker threads (a patched version's sentence vectors are written beside its row files),
and leaving a `with ThreadPoolExecutor` block waits for them: a Ctrl+C used to wait minutes for the
sentences to finish. So while a run works, Ctrl+C also sets a `StopFlag`, and every progress report of
the run — the encoders report after each batch, in whichever thread — raises `Interrupted` once it is
set. Every thread then stops at its next batch, the scratch version is removed as for any failure, the
history records the run as interrupted, and the version serving before keeps serving.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from index.store.writers import Progress


class Interrupted(KeyboardInterrupt):
    """A run asked to stop (Ctrl+C): raised at the next batch boundary of each thread working for it."""


class StopFlag:
    """Set once when the run must stop; checked by every progress report of the run."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        """Ask every thread of the run to stop at its next batch."""
        self._event.set()

    @property
    def is_set(self) -> bool:
        """True once a stop was asked for."""
        return self._event.is_set()

    def check(self) -> None:
        """Raises:
            Interrupted: a stop was asked for.
        """
        if self._event.is_set():
            raise Interrupted("stopped")

    def progress(self, inner: Progress | None) -> Progress:
        """A progress callback that checks the flag, then reports to `inner` (if any)."""
        def report(stage: str, done: int, total: int) -> None:
            self.check()
            if inner is not None:
                inner(stage, done, total)
        return report


@contextmanager
def stop_on_interrupt(flag: StopFlag) -> Iterator[StopFlag]:
    """While the block runs, Ctrl+C sets `flag` and then interrupts the main thread as it would have.

    Only where Ctrl+C reaches Python at all: in the main thread, with Python's own handler (or another
    callable one, which is still called) installed; an ignored SIGINT stays ignored, and elsewhere (the
    bot refreshes in a worker thread) the block simply runs.
    """
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):  # SIG_IGN (started in the background) or SIG_DFL: not ours to change
        yield flag
        return

    def handler(signum: int, frame: object) -> None:
        flag.set()
        previous(signum, frame)  # Python's default raises KeyboardInterrupt in the main thread

    signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)
