"""Refresh planning: what is new, changed, unchanged, gone or a duplicate. Pure.

Planning works on `ArticleRef`s (an article's identity and content hashes,
without its text), so a refresh can plan a 100,000-passage corpus from a cache
of unchanged files without reading them, and only the articles that must be
embedded are ever read in full.

Duplicates are collapsed in three passes, each over the survivors of the one
before: the same id, the same canonical URL, the same normalised text. Records
that carry their own distinct ids under one URL (the briefs of one quiz page,
say) are separate documents, so the URL pass merges a URL's copies only when at
most one of them carries an id of its own. A copy
with the same text from another outlet is a *syndicated copy*: it is not
indexed again, but its outlet is recorded on the kept article so an answer can
say "also published by …". Which copy is kept is stable: the one already in the
index, else the earliest published, else the first in folder order — so adding
a copy never changes passage ids that users may have typed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from corpus.article import Article, article_id, canonical_url
from corpus.errors import CorpusError
from corpus.outlets import outlet_key

SAME_ID = "same id"
SAME_URL = "same URL"
SAME_TEXT = "same text"
SYNDICATED = "syndicated copy"


def text_key(text: str) -> str:
    """Hash of the words of a text, case-folded: equal for copies that differ only in punctuation or spacing."""
    words = re.findall(r"\w+", text.casefold())
    return hashlib.sha256(" ".join(words).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class ArticleRef:
    """What planning needs to know of an article, without its text (cheap to cache per file)."""

    id: str
    fingerprint: str
    title: str
    outlet: str
    url: str | None
    text_key: str
    published: str | None
    source: str
    file: str

    @classmethod
    def of(cls, article: Article, file: str) -> ArticleRef:
        """The reference of a freshly read article; `file` is the file it was read from."""
        return cls(id=article.id, fingerprint=article.fingerprint, title=article.title, outlet=article.outlet,
                   url=canonical_url(article.url) if article.url else None, text_key=text_key(article.text),
                   published=article.published.isoformat() if article.published else None,
                   source=article.source, file=file)

    def to_json(self) -> list:
        """Plain list (fields in order) for the file cache: compact, and quick to read back."""
        return [self.id, self.fingerprint, self.title, self.outlet, self.url, self.text_key, self.published,
                self.source, self.file]

    @classmethod
    def from_json(cls, data: Sequence) -> ArticleRef:
        """Inverse of `to_json`."""
        return cls(*data)


@dataclass(frozen=True)
class Duplicate:
    """A copy that is not indexed, and the copy that is."""

    id: str
    title: str
    source: str
    outlet: str
    kept_id: str
    kept_source: str
    kept_outlet: str
    reason: str

    @property
    def syndicated(self) -> bool:
        """True for the same story from another outlet (its outlet is recorded on the kept copy)."""
        return self.reason == SYNDICATED

    def describe(self) -> str:
        """One line for summaries."""
        if self.syndicated:
            return (f"{self.source} ({self.outlet}): same text as {self.kept_source} ({self.kept_outlet}), indexed "
                    f"once with {self.outlet} recorded as also publishing it")
        return f"{self.source}: {self.reason} as {self.kept_source}, which is the copy indexed"


@dataclass(frozen=True)
class Dedup:
    """The outcome of collapsing duplicates."""

    kept: list[ArticleRef]
    duplicates: list[Duplicate]
    also_published_by: dict[str, tuple[str, ...]]


def _group_pass(refs: list[ArticleRef], key: Callable[[ArticleRef], str | None],
                reason_of: Callable[[ArticleRef, ArticleRef], str], rank: Callable[[ArticleRef], tuple],
                out: list[Duplicate], merged: dict[str, list[ArticleRef]]) -> list[ArticleRef]:
    """One pass: group by `key`, keep the best-ranked of each group, record the others."""
    first: dict[str, ArticleRef] = {}
    groups: dict[str, list[ArticleRef]] = {}  # only keys seen more than once: most keys are unique
    for ref in refs:
        k = key(ref)
        if k is None:
            continue
        if k in first:
            groups.setdefault(k, [first[k]]).append(ref)
        else:
            first[k] = ref
    if not groups:
        return refs
    dropped: set[int] = set()
    for members in groups.values():
        keeper = min(members, key=rank)
        for other in members:
            if other is keeper:
                continue
            dropped.add(id(other))
            out.append(Duplicate(other.id, other.title, other.source, other.outlet, keeper.id, keeper.source,
                                 keeper.outlet, reason_of(other, keeper)))
            merged.setdefault(keeper.id, []).append(other)
    return [r for r in refs if id(r) not in dropped]


def deduplicate(refs: Sequence[ArticleRef], prefer: Collection[str] = ()) -> Dedup:
    """Collapse duplicates (see the module docstring); `prefer` are ids already indexed."""
    order = {id(r): i for i, r in enumerate(refs)}
    prefer = set(prefer)

    def rank(ref: ArticleRef) -> tuple:
        return (ref.id not in prefer, ref.published or "9999-99-99", order[id(ref)])

    def text_reason(other: ArticleRef, keeper: ArticleRef) -> str:
        return SYNDICATED if outlet_key(other.outlet) != outlet_key(keeper.outlet) else SAME_TEXT

    def id_reason(other: ArticleRef, keeper: ArticleRef) -> str:
        # ids made from the text (records without URL or id) are equal for syndicated copies too
        if other.text_key == keeper.text_key and outlet_key(other.outlet) != outlet_key(keeper.outlet):
            return SYNDICATED
        return SAME_ID

    duplicates: list[Duplicate] = []
    merged: dict[str, list[ArticleRef]] = {}
    syndicated: dict[str, list[ArticleRef]] = {}
    kept = _group_pass(list(refs), lambda r: r.id, id_reason, lambda r: (order[id(r)],), duplicates, syndicated)
    by_url: dict[str, list[ArticleRef]] = {}
    for ref in kept:
        if ref.url:
            by_url.setdefault(ref.url, []).append(ref)
    own_ids = {url: {r.id for r in group if r.id != article_id(url, "")}
               for url, group in by_url.items() if len(group) > 1}
    kept = _group_pass(kept, lambda r: r.url if r.url and len(own_ids.get(r.url, ())) <= 1 else None,
                       lambda o, k: SAME_URL, rank, duplicates, merged)
    kept = _group_pass(kept, lambda r: r.text_key, text_reason, rank, duplicates, syndicated)
    also: dict[str, tuple[str, ...]] = {}
    for ref in kept:
        if ref.id not in syndicated:  # most articles: no copy at all
            also[ref.id] = ()
            continue
        own = outlet_key(ref.outlet)
        outlets: dict[str, str] = {}
        for other in syndicated.get(ref.id, []):
            if outlet_key(other.outlet) != own and other.text_key == ref.text_key:
                outlets.setdefault(outlet_key(other.outlet), other.outlet)
        also[ref.id] = tuple(sorted(outlets.values(), key=str.casefold))
    return Dedup(kept=kept, duplicates=_point_at_final_keepers(duplicates, kept), also_published_by=also)


def _point_at_final_keepers(duplicates: list[Duplicate], kept: list[ArticleRef]) -> list[Duplicate]:
    """A copy kept in one pass may be dropped in a later one: name the copy finally indexed."""
    kept_by_id = {r.id: r for r in kept}
    dropped = {d.id: d.kept_id for d in duplicates if d.id != d.kept_id}
    out = []
    for dup in duplicates:
        target, hops = dup.kept_id, 0
        while target not in kept_by_id and target in dropped and hops < len(duplicates):
            target, hops = dropped[target], hops + 1
        final = kept_by_id.get(target)
        if final is not None and final.id != dup.kept_id:
            dup = replace(dup, kept_id=final.id, kept_source=final.source, kept_outlet=final.outlet)
        out.append(dup)
    return out


class IndexedArticle(NamedTuple):
    """What the index version in service knows of an article.

    A named tuple, not a frozen dataclass: a refresh makes one per indexed article (87,000 at a million
    passages), and a frozen dataclass costs four times as much to make.
    """

    id: str
    fingerprint: str
    title: str
    source: str
    also_published_by: tuple[str, ...] = ()


class PlanEntry(NamedTuple):
    """One article in a plan: enough to list it to a moderator (a named tuple for the reason
    `IndexedArticle` is one: a plan lists every unchanged article)."""

    id: str
    title: str
    source: str
    note: str = ""

    def describe(self) -> str:
        """`title (source)` plus the note, for summaries."""
        return f"{self.title} ({self.source})" + (f": {self.note}" if self.note else "")


@dataclass(frozen=True)
class RefreshPlan:
    """What a refresh will do (or, for a dry run, would do).

    Attributes:
        new: articles not in the index yet (embedded).
        changed: articles whose content changed (re-chunked; only changed passages embedded).
        unchanged: articles kept as they are (passages and vectors reused).
        removed: indexed articles gone from the folder (or now a duplicate of another).
        relabelled: unchanged text whose attribution metadata changed (file moved, new syndicated copy).
        duplicates: copies not indexed, with the copy kept.
        unreadable: every file, record, page or feed that could not be read, with its reason.
        kept: every article of the new version, in folder order.
        also_published_by: kept article id → other outlets of the same text.
    """

    new: tuple[PlanEntry, ...] = ()
    changed: tuple[PlanEntry, ...] = ()
    unchanged: tuple[PlanEntry, ...] = ()
    removed: tuple[PlanEntry, ...] = ()
    relabelled: tuple[PlanEntry, ...] = ()
    duplicates: tuple[Duplicate, ...] = ()
    unreadable: tuple[CorpusError, ...] = ()
    kept: tuple[ArticleRef, ...] = field(default=(), repr=False, compare=False)
    also_published_by: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def has_changes(self) -> bool:
        """True when the index differs from the folder and a new version is needed."""
        return bool(self.new or self.changed or self.removed or self.relabelled)

    def counts_line(self) -> str:
        """`added 3, updated 1, removed 0, unchanged 120`."""
        return (f"added {len(self.new)}, updated {len(self.changed)}, removed {len(self.removed)}, "
                f"unchanged {len(self.unchanged) + len(self.relabelled)}")


def plan_refresh(refs: Sequence[ArticleRef], indexed: Mapping[str, IndexedArticle],
                 unreadable: Sequence[CorpusError] = ()) -> RefreshPlan:
    """Compare the folder (`refs`, in folder order) with the index in service (`indexed`)."""
    dedup = deduplicate(refs, prefer=indexed.keys())
    new, changed, unchanged, relabelled = [], [], [], []
    entry_of = PlanEntry._make  # tuple.__new__: a third of the cost of the named constructor, per article
    for ref in dedup.kept:
        entry = entry_of((ref.id, ref.title, ref.source, ""))
        old = indexed.get(ref.id)
        also = dedup.also_published_by.get(ref.id, ())
        if old is None:
            new.append(entry)
        elif old.fingerprint != ref.fingerprint:
            changed.append(entry)
        elif tuple(old.also_published_by) != also:
            relabelled.append(PlanEntry(ref.id, ref.title, ref.source,
                                        "also published by " + (", ".join(also) if also else "no other outlet now")))
        elif old.source != ref.source:
            relabelled.append(PlanEntry(ref.id, ref.title, ref.source, f"moved from {old.source}"))
        else:
            unchanged.append(entry)
    kept_ids = {r.id for r in dedup.kept}
    dup_of = {d.id: d for d in dedup.duplicates if d.id != d.kept_id}
    removed = []
    for old in indexed.values():
        if old.id not in kept_ids:
            dup = dup_of.get(old.id)
            note = f"now a duplicate of {dup.kept_source}" if dup else "no longer in the corpus folder"
            removed.append(PlanEntry(old.id, old.title, old.source, note))
    removed.sort(key=lambda e: e.source)
    return RefreshPlan(new=tuple(new), changed=tuple(changed), unchanged=tuple(unchanged), removed=tuple(removed),
                       relabelled=tuple(relabelled), duplicates=tuple(dedup.duplicates),
                       unreadable=tuple(unreadable), kept=tuple(dedup.kept),
                       also_published_by=dict(dedup.also_published_by))
