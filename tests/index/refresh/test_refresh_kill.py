"""kill -9 a refresh for real, at several points: the index must load, verify, count right and answer.

A subprocess refreshes a corpus where every article changed (a few seconds of
work with the fake encoder), printing each progress event; the test kills it
with SIGKILL when a chosen event appears, then checks the index as the bot
would find it on its next start, lets that start clean up, and checks that the
next refresh completes and matches a full build.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.store.layout import TMP_PREFIX, VERSIONS, current_version, version_path
from index.library import Library
from index.store.manifest import Manifest
from index.search.service import SearchService
from tests.conftest import ROOT
from tests.support.fakes import HashEncoder
from tests.support.refresh import age, bench_records, edit, version_content, write_records

pytestmark = pytest.mark.slow

WORKER = """
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from index.library import Library
from tests.support.fakes import HashEncoder

def progress(stage, done, total):
    print(stage, done, total, flush=True)

Library(Path(sys.argv[2]), Path(sys.argv[3]), HashEncoder(), keep_versions=2).refresh(progress=progress, actor="victim")
print("DONE", flush=True)
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str, dict]:
    """A 300-article corpus and its index; then every article is edited, so a refresh has real work.

    Also returns what a full build of the edited corpus holds, to compare each finished refresh with.
    """
    root = tmp_path_factory.mktemp("kill")
    corpus = root / "corpus"
    paths = write_records(corpus, bench_records(300))
    age(corpus, 60)
    version = Library(corpus, root / "idx", HashEncoder()).refresh().version
    for n, path in enumerate(paths):
        edit(path, f"Revision {n}: the story was updated with new figures and reactions from officials.")
    age(corpus, 30)
    Library(corpus, root / "full", HashEncoder()).build()
    return corpus, root / "idx", version, version_content(version_path(root / "full"))


def _kill_at(base: tuple, tmp_path: Path, event: str, delay: float) -> tuple[Path, list[str]]:
    corpus, idx, _, _ = base
    case = tmp_path / "idx"
    shutil.copytree(idx, case)
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(ROOT), str(corpus), str(case)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    seen: list[str] = []
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            seen.append(line.strip())
            if line.startswith(event):
                time.sleep(delay)
                os.kill(proc.pid, signal.SIGKILL)
                break
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"the refresh ended before {event!r}: {seen[-3:]}"
    return case, seen


def _check_serving(case: Path, expected: set[str]) -> str:
    enc = HashEncoder()
    version = current_version(case)
    assert version in expected
    folder = version_path(case)
    manifest = Manifest.load(folder)
    manifest.verify(folder)  # every file's checksum matches the manifest
    service = SearchService.open(case, enc, verify=True)
    assert service.meta.counts() == (manifest.articles, manifest.passages) == (manifest.articles, service.vectors.count)
    assert service.search("officials said the government", k=3).hits
    service.close()
    return version


@pytest.mark.parametrize("event, delay", [
    ("read", 0.0), ("embedding", 0.0), ("writing 0", 0.0), ("writing 1", 0.0), ("writing 2", 0.0),
    ("switching", 0.0),
])
def test_killed_refresh_leaves_a_working_index(base, tmp_path: Path, event: str, delay: float,  # noqa: ANN001
                                               caplog: pytest.LogCaptureFixture) -> None:
    corpus, _, old_version, full = base
    case, seen = _kill_at(base, tmp_path, event, delay)
    versions = set(os.listdir(case / VERSIONS))
    partial = {v for v in versions if v.startswith(TMP_PREFIX)}
    served = _check_serving(case, {v for v in versions if not v.startswith(TMP_PREFIX)})
    if not event.startswith("switching"):
        assert served == old_version, seen
    # the next start cleans up and says so
    library = Library(corpus, case, HashEncoder(), keep_versions=2)
    with caplog.at_level(logging.WARNING):
        library.service.search("anything")
    assert not [v for v in os.listdir(case / VERSIONS) if v.startswith(TMP_PREFIX)]
    if partial:
        assert "removed 1 partial index version(s) left by an interrupted build" in caplog.text
    # the next refresh finishes the job; the killed one shows as interrupted in the history
    report = library.refresh()
    assert [h.status for h in library.history(2)][1] in ("interrupted", "ok")
    if served == old_version:
        assert library.history(2)[1].status == "interrupted"
        assert not report.plan.unchanged and len(report.plan.changed) >= 290
    assert version_content(version_path(case)) == full


def test_a_killed_lock_holder_does_not_leave_the_lock_stuck(tmp_path: Path) -> None:
    code = ("import sys, time; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
            "from index.store.lock import RefreshLock; lock = RefreshLock(Path(sys.argv[2]), actor='erin'); lock.acquire(); "
            "print('locked', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(ROOT), str(tmp_path / "idx")], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"  # type: ignore[union-attr]
        from index.errors import IndexBusy
        from index.store.lock import RefreshLock

        with pytest.raises(IndexBusy, match=f"by erin \\(process {proc.pid} "):
            RefreshLock(tmp_path / "idx").acquire()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with RefreshLock(tmp_path / "idx") as lock:  # the kernel released it with the process
            assert lock.held
    finally:
        proc.kill()
        proc.wait()
