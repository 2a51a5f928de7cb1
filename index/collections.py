"""The base corpus and each server's own collection: stored apart, searched together.

Design (why, and what was weighed, in docs/architecture.md, "Many servers"):

- The base corpus is the operator's `Library` (`NEWSBOT_CORPUS_DIR` → `NEWSBOT_INDEX_DIR`).
- Each server's collection is a `Library` of its own under the index directory,
  `INDEX_DIR/servers/<server id>/corpus` (its article files) and `…/index` (its
  versions, lock, history and sentence vectors). It is refreshed, patched,
  switched and rolled back by exactly the machinery the base corpus uses, and a
  change to it never re-embeds or rewrites the base or another server: its cost
  is that of its own articles.
- A server's questions are answered by one ranking over the base version and
  its collection's version (`index.search.service.search_parts`): scores are
  absolute, so the two compete as if they were one index. A server can hide
  base articles for itself (kept here, in `state.sqlite`), or not use the base
  at all; a DM and the command line without `--server` see the base alone.
- Server collections are loaded on first use and at most `loaded` of them are
  kept in memory (least recently used first out), so memory does not grow with
  the number of servers the bot is in. Large collections leave sooner: those in
  memory hold at most `LOADED_SHARE` of the base's passages together (at least
  `LOADED_FLOOR`), since a loaded collection costs about 7 MB per 1,000 passages,
  nearly twice the base's memory per passage (`newsbot bench-servers`: 16 loaded
  1,000-passage collections took the bot to 1.32 times the base alone; issue #13
  asks for 1.15). The heap memory an evicted collection freed is handed back to
  the system, so loading and evicting in turn does not ratchet the process up.
"""

from __future__ import annotations

import ctypes
import io
import json
import logging
import math
import os
import re
import shutil
import tarfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from corpus.article import Article
from corpus.chunking import Passage
from index.curation.changes import NotInCorpus, pick_article
from index.library import Library
from index.search.ranking import RetrievalConfig
from index.search.results import SearchResult
from index.search.service import Filters, Part, SearchService, nearest_dates, search_parts
from index.store.access import require_writable
from index.store.layout import CURRENT
from index.store.state import HistoryEntry, StateStore, connect_state, utc_now

log = logging.getLogger(__name__)

SERVERS = "servers"
ARCHIVED = "servers-archived"
SCHEMA = """
CREATE TABLE IF NOT EXISTS hidden_articles (
    guild_id INTEGER NOT NULL, article_id TEXT NOT NULL, hidden_at TEXT NOT NULL, actor TEXT,
    PRIMARY KEY (guild_id, article_id)
);
"""
_ARCHIVE_NAME = re.compile(r"^(\d+)-(\d{8}T\d{6}Z)$")
LOADED_SHARE = 0.05  # server collections in memory hold at most this share of the base's passages together …
LOADED_FLOOR = 2_000  # … or this many passages, whichever is more (a small base still keeps a few collections)


@dataclass(frozen=True)
class Scope:
    """What one place answers from.

    Attributes:
        server_id: the Discord server (None: a DM, or the command line without `--server`: the base alone).
        use_base: the server answers from the base corpus too (its `base_articles` setting).
    """

    server_id: int | None = None
    use_base: bool = True

    @property
    def label(self) -> str:
        """`the base corpus` or `server 1234`."""
        return "the base corpus" if self.server_id is None else f"server {self.server_id}"


class Collections:
    """The base library, each server's library (created and loaded on first use), and hidden base articles.

    Thread-safe: the bot calls it from worker threads.
    """

    def __init__(self, base: Library, loaded: int = 16) -> None:
        """`loaded`: most server collections kept in memory at once (least recently used leave first; see
        `LOADED_SHARE` for the passages they may hold together)."""
        self.base = base
        self.root = base.index_dir / SERVERS
        self.archive_root = base.index_dir / ARCHIVED
        self.loaded = max(1, loaded)
        self._libraries: OrderedDict[int, Library] = OrderedDict()
        self._lock = threading.Lock()
        self._db = None
        self._hidden: dict[int, frozenset[str]] = {}
        self._passages: dict[int, int] = {}  # server → passages of its collection's version, once loaded
        self._base_passages = 0  # passages of the base's version, once loaded
        self._switch_listeners: list[Callable[[int | None, str], None]] = []

    # -- where things are ----------------------------------------------------------------------
    def server_dir(self, server_id: int) -> Path:
        """`INDEX_DIR/servers/<id>`: the server's corpus and index folders."""
        return self.root / str(int(server_id))

    def server_ids(self) -> list[int]:
        """Servers that have a collection folder, ascending."""
        if not self.root.is_dir():
            return []
        return sorted(int(p.name) for p in self.root.iterdir() if p.is_dir() and p.name.isdigit())

    def has_collection(self, server_id: int) -> bool:
        """True once the server's collection has a published version."""
        return (self.server_dir(server_id) / "index" / CURRENT).exists()

    def library(self, server_id: int | None, use: bool = True) -> Library:
        """The library of a server's collection (the base library for None); created on first use.

        Args:
            use: count this as a use (the collection becomes the most recently used, and stays in memory).
                False (the feed schedule polling it): the library in memory when it is, else a new one that is
                not kept, so background work never pushes the collections people use out of memory.
        """
        if server_id is None:
            return self.base
        with self._lock:
            library = self._libraries.get(server_id)
            if library is None:
                folder = self.server_dir(server_id)  # created by the first article saved into it, not before
                base = self.base
                library = Library(folder / "corpus", folder / "index", base.encoder, chunking=base.chunking,
                                  keep_versions=base.keep_versions, feeds=replace(base.feeds, urls=()),
                                  retrieval=base.retrieval, lexical=base.lexical, dense=base.dense)
                for listener in self._switch_listeners:
                    library.switch_listeners.append(_bound(listener, server_id))
                if not use:
                    return library
                self._libraries[server_id] = library
            if use:
                self._libraries.move_to_end(server_id)
                self._evict()
            return library

    def _evict(self) -> None:
        """(Under the lock.) The least recently used collections leave memory while more than `loaded` are in it,
        or, once the base is loaded, while they hold more than `LOADED_SHARE` of its passages together (at least
        `LOADED_FLOOR`); the most recently used one always stays."""
        budget = max(LOADED_SHARE * self._base_passages, LOADED_FLOOR) if self._base_passages else math.inf
        held = sum(self._passages.get(s, 0) for s in self._libraries)
        evicted = 0
        while len(self._libraries) > 1 and (len(self._libraries) > self.loaded or held > budget):
            gone, library = self._libraries.popitem(last=False)
            held -= self._passages.pop(gone, 0)
            del library  # (searches still holding its version finish with it; then it is freed)
            evicted += 1
            log.debug("server %s's collection left memory (least recently used)", gone)
        if evicted:
            _return_freed_memory()

    def on_switch(self, listener: Callable[[int | None, str], None]) -> None:
        """Call `listener(server id or None for the base, new version)` after every version switch served here:
        of the base and of every server collection, whatever switched it (a refresh in this process, a
        rollback, or another process's switch picked up by `reload_changed`). It runs in the thread that swapped
        the version in, so it must be quick and thread-safe (e.g. hand the event to an event loop).

        Only versions served here are swapped in: a collection not in memory has nothing to switch (its next
        load reads its current version), so a listener that must see every switch also compares what `CURRENT`
        names with what it last saw (as `bot.chat.following` does)."""
        with self._lock:
            self._switch_listeners.append(listener)
            self.base.switch_listeners.append(_bound(listener, None))
            for server_id, library in self._libraries.items():
                library.switch_listeners.append(_bound(listener, server_id))

    def loaded_libraries(self) -> list[Library]:
        """The base library and the server libraries now in memory."""
        with self._lock:
            return [self.base, *self._libraries.values()]

    # -- hidden base articles --------------------------------------------------------------------
    def _state(self):  # noqa: ANN202 - sqlite3.Connection, opened on first use
        if self._db is None:
            self._db = connect_state(self.base.index_dir, SCHEMA, shared=True)
        return self._db

    def hidden(self, server_id: int | None) -> frozenset[str]:
        """Ids of base articles a server has hidden for itself (none for the base itself)."""
        if server_id is None:
            return frozenset()
        with self._lock:
            cached = self._hidden.get(server_id)
            if cached is None:
                rows = self._state().execute("SELECT article_id FROM hidden_articles WHERE guild_id = ?",
                                             (server_id,)).fetchall()
                cached = self._hidden[server_id] = frozenset(r["article_id"] for r in rows)
            return cached

    def hide(self, server_id: int, article_id: str, actor: str, title: str = "") -> None:
        """Hide a base article from one server's answers; nothing changes for other servers.

        Recorded in the server's own history (`corpus hide`), so its `/corpus history` shows it.

        Raises:
            IndexReadOnly: the index folder cannot be written (nothing is changed).
        """
        require_writable(self.base.index_dir, "hide an article in a server")
        with self._lock:
            self._state().execute("INSERT OR IGNORE INTO hidden_articles (guild_id, article_id, hidden_at, actor) "
                                  "VALUES (?,?,?,?)", (server_id, article_id, utc_now(), actor))
            self._hidden.pop(server_id, None)
        self._record(server_id, "corpus hide", actor, f"hid “{title or article_id}” ({article_id}) of the shared "
                                                      "corpus in this server")

    def unhide(self, server_id: int, article_id: str, actor: str = "", title: str = "") -> bool:
        """Show a hidden base article in the server again; False when it was not hidden.

        Raises:
            IndexReadOnly: the index folder cannot be written (nothing is changed).
        """
        require_writable(self.base.index_dir, "show a hidden article in a server")
        with self._lock:
            cur = self._state().execute("DELETE FROM hidden_articles WHERE guild_id = ? AND article_id = ?",
                                        (server_id, article_id))
            self._hidden.pop(server_id, None)
        if cur.rowcount:
            self._record(server_id, "corpus unhide", actor, f"showed “{title or article_id}” ({article_id}) of the "
                                                            "shared corpus in this server again")
        return cur.rowcount > 0

    def _record(self, server_id: int, kind: str, actor: str, what: str) -> None:
        with StateStore(self.server_dir(server_id) / "index") as state:
            entry = state.start(kind, actor or None, None, os.getpid())
            state.finish(entry, "ok", None, summary=[what])

    def history(self, server_id: int | None, limit: int = 20) -> list[HistoryEntry]:
        """The history of the base corpus (None) or of one server's collection, newest first."""
        if server_id is None:
            return self.base.history(limit)
        index_dir = self.server_dir(server_id) / "index"
        if not index_dir.is_dir():
            return []
        with StateStore(index_dir) as state:
            return state.history(limit)

    # -- what a server may remove or restore ------------------------------------------------------
    def find_to_remove(self, server_id: int, query: str) -> tuple[Article, bool]:
        """The article a server's `/corpus remove` (or `newsbot corpus remove --server`) names, and whether it is
        the server's own (removed from its collection) rather than a base article (hidden there only).

        Raises:
            NotInCorpus: nothing the server sees matches (the message suggests the closest titles).
        """
        if self.has_collection(server_id):
            try:
                return pick_article(self.library(server_id).service.articles(), query, "in this server's articles"), True
            except NotInCorpus:
                pass
        hidden = self.hidden(server_id)
        visible = [a for a in self.base.service.articles() if a.id not in hidden]
        return pick_article(visible, query, "among the articles this server sees"), False

    def hidden_articles(self, server_id: int | None) -> list[Article]:
        """The base articles a server hid for itself, newest first (none for the base)."""
        hidden = self.hidden(server_id)
        return [a for a in self.base.service.articles() if a.id in hidden] if hidden else []

    # -- answering ----------------------------------------------------------------------------------
    def view(self, scope: Scope, retrieval: RetrievalConfig | None = None) -> SearchView:
        """What a place answers from, loaded (may load versions: call it from a worker thread).

        Raises:
            IndexMissing, IndexCorrupt, ModelMismatch: the base index cannot be used as it is.
        """
        parts: list[Part] = []
        if scope.server_id is None or scope.use_base or not self.has_collection(scope.server_id):
            base = self.base.service
            with self._lock:
                self._base_passages = base.manifest.passages
            parts.append(Part(base, self.hidden(scope.server_id)))
        if scope.server_id is not None and self.has_collection(scope.server_id):
            service = self.library(scope.server_id).service
            with self._lock:
                self._passages[scope.server_id] = service.manifest.passages
                self._evict()  # now that its size is known
            parts.append(Part(service))
        return SearchView(scope, parts, retrieval)

    def reload_changed(self) -> list[str]:
        """Load the version another process switched to, for every loaded library; returns the new versions.

        Several bot processes (shards) serve one index directory; each notices a switch within one call.
        """
        swapped = []
        for library in self.loaded_libraries():
            version = library.reload_if_switched()
            if version:
                swapped.append(version)
        return swapped

    # -- a server's collection as a whole --------------------------------------------------------------
    def export(self, server_id: int, dest: Path, extra: dict | None = None) -> Path:
        """Write the server's collection (its article files, removed ones included, hidden base ids and `extra`,
        e.g. its settings) to a `.tar.gz` at `dest` (a folder, or a file path); returns the file.

        Raises:
            FileNotFoundError: the server has nothing to export (no collection, nothing hidden, no `extra`).
        """
        folder = self.server_dir(server_id)
        if not folder.is_dir() and not self.hidden(server_id) and not extra:
            raise FileNotFoundError(f"server {server_id} has no collection here (nothing under {folder})")
        dest = Path(dest)
        target = dest / f"newsbot-server-{server_id}-{_stamp()}.tar.gz" if dest.is_dir() else dest
        target.parent.mkdir(parents=True, exist_ok=True)
        manifest = {"server_id": server_id, "exported_at": utc_now(), "hidden_base_articles": sorted(self.hidden(server_id)),
                    **dict(extra or {})}
        tmp = target.with_name(f".{target.name}.tmp")
        with tarfile.open(tmp, "w:gz") as tar:
            corpus = folder / "corpus"
            if corpus.is_dir():
                tar.add(corpus, arcname="corpus")
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo("server.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        tmp.replace(target)
        return target

    def delete(self, server_id: int) -> bool:
        """Delete the server's collection and hidden list for good; False when there was nothing."""
        with self._lock:
            self._libraries.pop(server_id, None)
            cur = self._state().execute("DELETE FROM hidden_articles WHERE guild_id = ?", (server_id,))
            self._hidden.pop(server_id, None)
        folder = self.server_dir(server_id)
        existed = folder.is_dir()
        if existed:
            shutil.rmtree(folder)
        return existed or cur.rowcount > 0

    def archive(self, server_id: int, now: datetime | None = None) -> Path | None:
        """Move the server's collection aside (the bot left the server); None when it had none.

        It is restored if the bot rejoins (`restore_archived`) and deleted by `purge_archived` after a while.
        """
        folder = self.server_dir(server_id)
        with self._lock:
            self._libraries.pop(server_id, None)
        if not folder.is_dir():
            return None
        self.archive_root.mkdir(parents=True, exist_ok=True)
        target = self.archive_root / f"{server_id}-{_stamp(now)}"
        folder.rename(target)
        return target

    def archived(self) -> Iterator[tuple[int, datetime, Path]]:
        """(server id, when archived, folder) of every archived collection."""
        if not self.archive_root.is_dir():
            return
        for path in sorted(self.archive_root.iterdir()):
            match = _ARCHIVE_NAME.match(path.name)
            if match:
                when = datetime.strptime(match.group(2), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
                yield int(match.group(1)), when, path

    def restore_archived(self, server_id: int) -> Path | None:
        """Bring back the newest archive of a server that the bot rejoined; None when there is none."""
        found = [(when, path) for sid, when, path in self.archived() if sid == server_id]
        if not found or self.server_dir(server_id).exists():
            return None
        _, path = max(found)
        self.root.mkdir(parents=True, exist_ok=True)
        path.rename(self.server_dir(server_id))
        return self.server_dir(server_id)

    def purge_archived(self, days: int, now: datetime | None = None) -> list[int]:
        """Delete archives older than `days` (and those servers' hidden lists); returns their server ids."""
        now = now or datetime.now(timezone.utc)
        gone = []
        for server_id, when, path in list(self.archived()):
            if now - when >= timedelta(days=days):
                shutil.rmtree(path, ignore_errors=True)
                if not self.server_dir(server_id).exists():
                    with self._lock:
                        self._state().execute("DELETE FROM hidden_articles WHERE guild_id = ?", (server_id,))
                        self._hidden.pop(server_id, None)
                gone.append(server_id)
        return gone

    def close(self) -> None:
        """Release the state database."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _bound(listener: Callable[[int | None, str], None], server_id: int | None) -> Callable[[str], None]:
    """A library's switch listener that tells `listener` which collection switched."""
    return lambda version: listener(server_id, version)


_malloc_trim = None


def _return_freed_memory() -> None:
    """Hand the heap memory freed by evicted collections back to the system (glibc's `malloc_trim`).

    glibc keeps freed blocks in the heap for reuse, and loading one collection after another leaves
    them scattered: in `newsbot bench-servers` the process held about 20 MB more after 300 collection
    loads without this. A no-op without glibc; it takes about 0.5 ms.
    """
    global _malloc_trim
    if _malloc_trim is None:
        try:
            _malloc_trim = ctypes.CDLL(None).malloc_trim
        except (OSError, AttributeError, TypeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


def _stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


class SearchView:
    """The search service of one place: the versions it answers from, searched as one.

    It offers what the front ends use of `SearchService` (search, articles, passage lookup, the metadata
    a `/source` lookup needs), so `/ask`, `/source`, `/sources`, autocomplete and "More results" all see
    exactly the same articles in a server.
    """

    def __init__(self, scope: Scope, parts: list[Part], retrieval: RetrievalConfig | None = None) -> None:
        if not parts:
            raise ValueError("a view needs at least one index version")
        self.scope = scope
        self.parts = parts
        self.retrieval = retrieval
        first = parts[0].service
        self.encoder = first.encoder
        self.manifest = first.manifest
        self.version = "+".join(p.service.version for p in parts)
        self.meta = CompositeMeta(parts)

    @property
    def key(self) -> str:
        """Changes whenever what this view shows changes: its versions, and the articles hidden in it."""
        hidden = sorted(i for p in self.parts for i in p.hidden)
        return self.version + (f"|hidden:{hash(tuple(hidden)) & 0xFFFFFFFF:08x}:{len(hidden)}" if hidden else "")

    @property
    def services(self) -> list[SearchService]:
        """The versions this view answers from (the base first when it takes part)."""
        return [p.service for p in self.parts]

    def search(self, question: str, k: int = 5, per_article: int = 2, filters: Filters = Filters(),
               highlight: bool = True, as_of: date | None = None) -> SearchResult:
        """The top `k` passages among this place's articles (see `index.search.service.search_parts`)."""
        return search_parts(self.parts, question, k, per_article, filters, highlight, as_of, self.retrieval)

    def nearest_dates(self, filters: Filters) -> tuple[date | None, date | None]:
        """The publication days nearest to the filters' date window among this place's articles (see
        `index.search.service.nearest_dates`): what to offer when the window holds no article."""
        return nearest_dates(self.parts, filters)

    def embed_query(self, question: str):  # noqa: ANN201 - np.ndarray
        """The question's vector (see `SearchService.embed_query`)."""
        return self.parts[0].service.embed_query(question)

    def passage(self, passage_id: str) -> tuple[Passage, Article] | None:
        """A passage by id (or unique id prefix) with its article, if this place can see it."""
        for part in self.parts:
            found = part.service.passage(passage_id)
            if found and found[1].id not in part.hidden:
                return found
        return None

    def articles(self, with_text: bool = True) -> list[Article]:
        """Every article this place sees, newest first (`with_text=False`: bodies left empty, for listings)."""
        return self.meta.list_articles(with_text)


class CompositeMeta:
    """The metadata lookups `/source` and the catalogue need, across the versions of a view (hidden ones left out)."""

    def __init__(self, parts: list[Part]) -> None:
        self.parts = parts

    def _owner(self, article_id: str) -> SearchService | None:
        for part in self.parts:
            if article_id not in part.hidden and part.service.meta.article(article_id) is not None:
                return part.service
        return None

    def article(self, article_id: str) -> Article | None:
        """An article by id, if visible here."""
        owner = self._owner(article_id)
        return owner.meta.article(article_id) if owner else None

    def passages_of(self, article_id: str) -> list[tuple[int, Passage]]:
        """(row, passage) of a visible article, in order (rows are those of its own version)."""
        owner = self._owner(article_id)
        return owner.meta.passages_of(article_id) if owner else []

    def indexed_at(self, article_id: str) -> str | None:
        """When a visible article was indexed."""
        owner = self._owner(article_id)
        return owner.meta.indexed_at(article_id) if owner else None

    def list_articles(self, with_text: bool = True) -> list[Article]:
        """Every visible article, newest first (undated last), as `MetadataStore.list_articles` orders them."""
        articles = [a for p in self.parts for a in p.service.meta.list_articles(with_text) if a.id not in p.hidden]
        return sorted(articles, key=lambda a: (a.published is None, -(a.published.toordinal() if a.published else 0)))

    def counts(self) -> tuple[int, int]:
        """(articles, passages) visible here."""
        articles = passages = 0
        for part in self.parts:
            a, p = part.service.meta.counts()
            hidden = [len(part.service.meta.passages_of(i)) for i in part.hidden]
            hidden = [n for n in hidden if n]
            articles += a - len(hidden)
            passages += p - sum(hidden)
        return articles, passages
