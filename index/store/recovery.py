"""What the next command does about a run that died: its partial version removed, its history row marked.

A refresh, build, rollback or corpus change writes its history row as `running` first and its version
in a scratch folder (`versions/.tmp-<pid>-…`). Killed (`kill -9`, a power loss, a closed terminal), it
leaves both behind. Whichever command next takes the refresh lock — a refresh, a build, a rollback, the
first question of `ask` or the bot, `history` — removes the scratch folders of dead processes and marks
the rows still `running` as `interrupted` (while the lock is held no run is alive, so every such row is
dead). A command that cannot take the lock (another run holds it, the folder is read-only) leaves them
to the next one.
"""

from __future__ import annotations

from pathlib import Path

from index.store.durability import ensure_durable
from index.store.layout import clean_partial_versions
from index.store.lock import RefreshLock
from index.store.state import StateStore


def clean_up(index_dir: Path, state: StateStore, found_by: str = "") -> list[str]:
    """Remove dead runs' scratch folders and mark their history rows interrupted; returns the folders removed.

    Call only while holding the refresh lock. `found_by` names the command, for the rows' summary.
    """
    removed = clean_partial_versions(index_dir)
    partial = [n for n in removed if "-pruned-" not in n and "broken-" not in n]  # not old or damaged versions
    state.mark_interrupted(found_by, partial)
    return removed


def recover(index_dir: Path, what: str, check_serving: bool = True) -> str | None:
    """Take the lock briefly, `clean_up`, and (with `check_serving`) make sure the serving version is intact
    (`index.store.durability.ensure_durable`: the newest intact one serves instead of a damaged one).

    Returns:
        The version serving afterwards (None: no index, or not checked).

    Raises:
        IndexBusy: another run holds the lock (it does all this itself).
        IndexReadOnly: the folder cannot be written.
        IndexCorrupt: with `check_serving`, no version is intact.
    """
    with RefreshLock(index_dir, what, what), StateStore(index_dir) as state:
        clean_up(index_dir, state, what)
        return ensure_durable(index_dir) if check_serving else None
