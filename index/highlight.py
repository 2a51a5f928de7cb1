"""The sentence (or two) of a passage that best answers the question.

Sentences are embedded with the same model as the passages (no second model)
and scored by cosine similarity to the question plus a share of question-term
overlap: the embedding finds the sentence about the right thing, the overlap
prefers the one naming the question's specifics. A neighbouring sentence joins
when it scores nearly as well, because answers often span a sentence boundary.

Offsets are into the article text, like the passage's own, so that
`article.text[h.start:h.end] == h.text` always holds. Sentence vectors are kept
in a bounded in-memory cache, so a passage shown again costs nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from corpus.article import Article
from corpus.chunking import Passage
from corpus.sentences import sentence_spans
from index.encoder import Encoder
from index.lexical import analyze
from index.results import Highlight
from index.sentence_store import SentenceStore

MAX_PAIR_CHARS = 400


def term_overlap(question_terms: set[str], sentence: str) -> float:
    """Share of the question's (stemmed, stopword-free) terms found in the sentence."""
    if not question_terms:
        return 0.0
    return len(question_terms.intersection(analyze(sentence))) / len(question_terms)


def choose_span(spans: Sequence[tuple[int, int]], scores: Sequence[float], pair_margin: float) -> tuple[int, int]:
    """The best sentence, widened to its better neighbour when that scores within `pair_margin`."""
    best = int(np.argmax(scores))
    start, end = spans[best]
    neighbours = sorted((i for i in (best - 1, best + 1) if 0 <= i < len(spans)), key=lambda i: -scores[i])
    for i in neighbours[:1]:
        a, b = min(start, spans[i][0]), max(end, spans[i][1])
        if scores[i] >= scores[best] - pair_margin and b - a <= MAX_PAIR_CHARS:
            start, end = a, b
    return start, end


class Highlighter:
    """Picks highlights for passages; thread-safe, with a bounded cache of sentence vectors."""

    def __init__(self, encoder: Encoder, lexical_weight: float = 0.3, pair_margin: float = 1.0,
                 cache_size: int = 20_000, store: SentenceStore | None = None) -> None:
        self.encoder = encoder
        self.store = store
        self.lexical_weight = lexical_weight
        self.pair_margin = pair_margin
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def _vectors(self, sentences: list[str]) -> np.ndarray:
        with self._lock:
            known = {s: self._cache[s] for s in sentences if s in self._cache}
            for s in known:
                self._cache.move_to_end(s)
        missing = list(dict.fromkeys(s for s in sentences if s not in known))
        if missing and self.store is not None:
            keys = {s: self.store.key(s) for s in missing}
            stored = self.store.lookup(list(keys.values()))
            for s, key in keys.items():
                if key in stored:
                    known[s] = stored[key]
            missing = [s for s in missing if s not in known]
        if missing:
            new = self.encoder.encode(missing)
            with self._lock:
                for s, v in zip(missing, new):
                    known[s] = v
                    self._cache[s] = v
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        if not sentences:
            return np.zeros((0, self.encoder.info.dim), dtype=np.float32)
        return np.stack([known[s] for s in sentences])

    def sentence_scores(self, question: str, query: np.ndarray, sentences: list[str]) -> np.ndarray:
        """Score of each sentence as the answer to the question."""
        terms = set(analyze(question))
        cosine = self._vectors(sentences) @ query
        overlap = np.array([term_overlap(terms, s) for s in sentences], dtype=np.float32)
        return cosine + self.lexical_weight * overlap

    def highlight(self, question: str, query: np.ndarray,
                  passages: Sequence[tuple[Passage, Article]]) -> list[Highlight | None]:
        """One highlight per passage (None for a passage without text), in one model pass."""
        spans_of = [sentence_spans(a.text, p.start, p.end) for p, a in passages]
        texts = [a.text[s:e] for (_, a), spans in zip(passages, spans_of) for s, e in spans]
        scores = self.sentence_scores(question, query, texts) if texts else np.zeros(0)
        out: list[Highlight | None] = []
        offset = 0
        for (_, article), spans in zip(passages, spans_of):
            if not spans:
                out.append(None)
                continue
            block = scores[offset:offset + len(spans)].tolist()
            offset += len(spans)
            start, end = choose_span(spans, block, self.pair_margin)
            out.append(Highlight(text=article.text[start:end], start=start, end=end))
        return out
