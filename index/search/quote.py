"""Find where a pasted quote comes from: exactly, or approximately when reworded or shortened.

Why two measures: a quote copied from a social post differs from the article in
quote marks, case, accents, spacing, omissions ("…") or wording. Normalised text
(folded like the analyser's terms) catches the first kinds exactly; `rapidfuzz`
scores how close the wording is, and the embedding model (the same one as the
index) scores whether the meaning is the same, which is what survives a
paraphrase. Candidates come from dense search of
the quote itself, so only a handful of passages are ever compared.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from rapidfuzz import fuzz

from corpus.article import Article
from corpus.chunking import Passage
from corpus.sentences import sentence_spans
from index.analysis import fold_with_offsets
from index.encoder import Encoder
from index.search.results import SearchResult

_WORD = re.compile(r"[^\W_]+")
_ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:…|\.\.\.)\s*\]|…|\.{3,})\s*")

# how many passages dense search proposes, and how many are compared sentence by sentence
CANDIDATE_PASSAGES = 12
COMPARED_PASSAGES = 4
# a match needs close wording, or the same meaning, or both fairly close (tuned on reworded seed quotes)
WORDING_MATCH = 88.0
MEANING_MATCH = 0.75
BOTH_MATCH = (70.0, 0.65)
WORDING_SHORTLIST = 12  # windows closest in wording that are also compared by meaning
MIN_WORDS = 3  # shorter "quotes" are keywords: they match anywhere, so only their meaning may count
MAX_GAP = 400  # normalised characters allowed between the parts of a quote with omissions


class Searcher(Protocol):
    """What quote matching needs of the search service."""

    encoder: Encoder

    def search(self, question: str, k: int = ..., per_article: int = ...) -> SearchResult:
        """The top `k` passages for `question` (see `index.search.service.SearchService.search`)."""
        ...


@dataclass(frozen=True)
class Normalised:
    """Text reduced to folded words separated by single spaces, with a map back to the original offsets.

    `offsets[i]` is where the original character of normalised character `i` starts, `ends[i]` where it ends
    (past any accents written as separate combining characters, which folding drops).
    """

    text: str
    offsets: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) of the normalised span [start, end)."""
        return self.offsets[start], self.ends[end - 1]


def normalise(text: str) -> Normalised:
    """Words only, folded as the analyser folds them (`index.analysis.fold`: case, accents, compatibility forms).

    Quote marks, dashes and spacing no longer matter, and `Pokemon` matches `Pokémon` here as in BM25.
    """
    folded, source = fold_with_offsets(text)
    # where each folded character's original ends: at the next original character that folding kept
    ends = [len(text)] * len(source)
    following = len(text)
    for k in range(len(source) - 1, -1, -1):
        ends[k] = following
        if k == 0 or source[k - 1] != source[k]:
            following = source[k]
    parts: list[str] = []
    offsets: list[int] = []
    stops: list[int] = []
    for match in _WORD.finditer(folded):
        if parts:
            parts.append(" ")
            offsets.append(offsets[-1])
            stops.append(stops[-1])
        parts.append(match.group())
        offsets.extend(source[match.start():match.end()])
        stops.extend(ends[match.start():match.end()])
    return Normalised("".join(parts), tuple(offsets), tuple(stops))


def quote_parts(quote: str) -> list[str]:
    """The normalised pieces of a quote between omission marks (`…`, `...`, `[…]`)."""
    return [p for p in (normalise(part).text for part in _ELLIPSIS.split(quote)) if p]


@dataclass(frozen=True)
class QuoteMatch:
    """Where (part of) a quote stands in an article, and how close it is.

    Attributes:
        start, end: the matched span, offsets into `article.text`.
        kind: "exact" (same words after normalising), "approximate" or "candidate" (too far to claim).
        wording: 0-100, rapidfuzz similarity of the normalised words.
        meaning: cosine similarity of the embeddings (None for exact matches).
    """

    article: Article
    passage: Passage
    start: int
    end: int
    kind: str
    wording: float
    meaning: float | None = None

    @property
    def similarity(self) -> float:
        """One 0-1 figure for ranking and display: the mean of wording and meaning (wording alone if exact).

        Why the mean: meaning alone cannot tell "waited 9 hours" from "waited 11
        hours", and wording alone misses paraphrases.
        """
        if self.meaning is None:
            return self.wording / 100.0
        return (self.wording / 100.0 + max(0.0, self.meaning)) / 2


@dataclass(frozen=True)
class QuoteResult:
    """The answer to "where does this come from?": a match, or the closest candidates."""

    quote: str
    match: QuoteMatch | None
    candidates: tuple[QuoteMatch, ...] = ()


def find_exact(parts: Sequence[str], article: Article) -> tuple[int, int] | None:
    """Original span of the quote's parts found in order in the article (gaps only at omission marks)."""
    if not parts:
        return None
    norm = normalise(article.text)
    begin = norm.text.find(parts[0])
    while begin != -1:
        # whole words only: the match must not start or end inside a word
        end = begin + len(parts[0])
        ok = (begin == 0 or norm.text[begin - 1] == " ") and (end == len(norm.text) or norm.text[end] == " ")
        for part in parts[1:]:
            if not ok:
                break
            nxt = norm.text.find(part, end)
            ok = nxt != -1 and nxt - end <= MAX_GAP
            end = nxt + len(part)
        if ok:
            return norm.span(begin, end)
        begin = norm.text.find(parts[0], begin + 1)
    return None


def _windows(article: Article, passage: Passage, size: int) -> list[tuple[int, int]]:
    """Spans of 1..size consecutive sentences of a passage, never across a paragraph break."""
    spans: list[tuple[int, int]] = []
    for p_start, p_end in article.paragraph_spans:
        lo, hi = max(p_start, passage.start), min(p_end, passage.end)
        if lo >= hi:
            continue
        sentences = sentence_spans(article.text, lo, hi)
        for i in range(len(sentences)):
            for w in range(1, size + 1):
                if i + w <= len(sentences):
                    spans.append((sentences[i][0], sentences[i + w - 1][1]))
    return spans


def wording_score(quote_norm: str, window_norm: str) -> float:
    """Partial similarity when the quote may be a shortened window; plain similarity otherwise."""
    if not quote_norm or not window_norm:
        return 0.0
    if len(quote_norm) <= len(window_norm):
        return float(fuzz.partial_ratio(quote_norm, window_norm))
    return float(fuzz.ratio(quote_norm, window_norm))


def is_match(wording: float, meaning: float | None) -> bool:
    """The decision rule: see the thresholds above."""
    meaning = meaning or 0.0
    return wording >= WORDING_MATCH or meaning >= MEANING_MATCH or (
        wording >= BOTH_MATCH[0] and meaning >= BOTH_MATCH[1])


class QuoteFinder:
    """Matches quotes against the indexed text of one search service (thread-safe, read-only)."""

    def __init__(self, service: Searcher, candidates: int = CANDIDATE_PASSAGES,
                 compared: int = COMPARED_PASSAGES, shown: int = 3) -> None:
        self.service = service
        self.candidates = candidates
        self.compared = compared
        self.shown = shown

    def find(self, quote: str) -> QuoteResult:
        """Locate `quote`; `match` is None when nothing is close enough, with the closest in `candidates`."""
        quote = " ".join(quote.split())
        result = self.service.search(quote, k=self.candidates, per_article=0)
        if not result.hits:
            return QuoteResult(quote, None)
        parts = quote_parts(quote)
        long_enough = sum(len(p.split()) for p in parts) >= MIN_WORDS
        if long_enough:
            seen: set[str] = set()
            for hit in result.hits:
                if hit.article.id in seen:
                    continue
                seen.add(hit.article.id)
                span = find_exact(parts, hit.article)
                if span:
                    passage = _passage_at(self.service, hit.article, span[0]) or hit.passage
                    return QuoteResult(quote, QuoteMatch(hit.article, passage, *span, kind="exact", wording=100.0))
        scored = self._compare(quote, result, long_enough)
        best = scored[0] if scored else None
        if best and is_match(best.wording, best.meaning):
            return QuoteResult(quote, QuoteMatch(best.article, best.passage, best.start, best.end,
                                                 "approximate", best.wording, best.meaning))
        closest: list[QuoteMatch] = []
        for cand in scored:
            if all(c.passage.id != cand.passage.id for c in closest):
                closest.append(cand)
            if len(closest) == self.shown:
                break
        return QuoteResult(quote, None, tuple(closest))

    def _compare(self, quote: str, result: SearchResult, use_wording: bool = True) -> list[QuoteMatch]:
        """Sentence windows of the candidate passages, scored and sorted best first.

        Wording is scored on every window (cheap); meaning only on the windows
        of the best dense candidates and on the closest by wording, which keeps
        the embedding work to a few dozen short texts. Near-duplicates (the same
        sentence with another number) are told apart by wording.
        """
        quote_norm = " ".join(quote_parts(quote))
        size = min(3, len(sentence_spans(quote)) + 1)
        windows: list[tuple[Article, Passage, int, int]] = []
        for hit in result.hits:
            windows.extend((hit.article, hit.passage, a, b) for a, b in _windows(hit.article, hit.passage, size))
        if not windows:
            return []
        texts = [article.text[a:b] for article, _, a, b in windows]
        wordings = [wording_score(quote_norm, normalise(t).text) if use_wording else 0.0 for t in texts]
        dense_best = {hit.passage.id for hit in result.hits[: self.compared]}
        by_wording = sorted(range(len(windows)), key=lambda i: wordings[i], reverse=True)[:WORDING_SHORTLIST]
        chosen = sorted({i for i, w in enumerate(windows) if w[1].id in dense_best} | set(by_wording))
        vectors = np.asarray(self.service.encoder.encode([quote] + [texts[i] for i in chosen]))
        meanings = vectors[1:] @ vectors[0]
        scored = [QuoteMatch(windows[i][0], windows[i][1], windows[i][2], windows[i][3], "candidate", wordings[i],
                             float(meaning)) for i, meaning in zip(chosen, meanings)]
        scored.sort(key=lambda m: (is_match(m.wording, m.meaning), m.similarity, m.wording), reverse=True)
        return scored


def _passage_at(service: object, article: Article, offset: int) -> Passage | None:
    """The indexed passage of `article` that contains `offset`, when the service can list them."""
    meta = getattr(service, "meta", None)
    if meta is None:
        return None
    passages = [p for _, p in meta.passages_of(article.id)]
    for p in passages:
        if p.start <= offset < p.end:
            return p
    starts = [p.start for p in passages]
    i = bisect_right(starts, offset) - 1
    return passages[i] if passages and i >= 0 else None
