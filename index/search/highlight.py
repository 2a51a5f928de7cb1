"""The sentence (or two) of a passage that best answers the question.

Sentences are embedded with the same model as the passages (no second model)
and scored by cosine similarity to the question, plus a share of the
question's terms (the sentence naming the question's specifics) and a share of
the headline's terms that the question lacks. Why the headline: a quiz-style
question describes a story without naming what it asks for, and the headline
usually names exactly that (the country, the band, the mission), so the
sentence repeating it is likely the answer. The two best sentences are the
highlight: on rtqa-dev the sentence restating the question and the one
answering it are often not neighbours.

The same scores choose which passage of an article to show (`best_passage`):
the retriever finds the right article, and the passage whose sentences answer
best is the one worth reading.

Offsets are into the article text, like the passage's own. Sentence vectors
come from the sentence store filled at build time, else from a bounded
in-memory cache, else the model.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from corpus.article import Article
from corpus.chunking import Passage
from corpus.sentences import sentence_spans
from index.encoder import Encoder
from index.analysis import analyze
from index.search.results import Highlight
from index.store.sentences import SentenceStore, passage_sentences


@lru_cache(maxsize=50_000)
def sentence_terms(sentence: str) -> frozenset[str]:
    """A sentence's (stemmed, stopword-free) terms; cached, as shown sentences and headlines recur."""
    return frozenset(analyze(sentence))


def term_overlap(terms: set[str], sentence: str) -> float:
    """Share of these terms found in the sentence."""
    if not terms:
        return 0.0
    return len(terms & sentence_terms(sentence)) / len(terms)


def best_sentences(scores: Sequence[float], count: int) -> list[int]:
    """Indices of the `count` best-scoring sentences (the earlier one on ties), in text order."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    return sorted(order[:count])


class Highlighter:
    """Picks highlights and the best passage of an article; thread-safe, with a bounded vector cache."""

    def __init__(self, encoder: Encoder, lexical_weight: float = 0.3, headline_weight: float = 0.3,
                 sentences: int = 2, cache_size: int = 20_000, store: SentenceStore | None = None) -> None:
        self.encoder = encoder
        self.store = store
        self.lexical_weight = lexical_weight
        self.headline_weight = headline_weight
        self.sentences = max(1, sentences)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def _known(self, sentences: list[str]) -> dict[str, np.ndarray]:
        """Vectors of these sentences that the cache or the store holds (no model call)."""
        with self._lock:
            known = {s: self._cache[s] for s in sentences if s in self._cache}
            for s in known:
                self._cache.move_to_end(s)
        missing = list(dict.fromkeys(s for s in sentences if s not in known))
        if missing and self.store is not None:
            keys = {s: self.store.key(s) for s in missing}
            stored = self.store.lookup(list(keys.values()))
            found = {s: stored[key] for s, key in keys.items() if key in stored}
            known.update(found)
            self._remember(found)
        return known

    def _remember(self, vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            for s, v in vectors.items():
                self._cache[s] = v
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _vectors(self, sentences: list[str]) -> np.ndarray:
        """One vector per sentence: the unknown ones are embedded, in one model pass."""
        known = self._known(sentences)
        missing = list(dict.fromkeys(s for s in sentences if s not in known))
        if missing:
            new = dict(zip(missing, self.encoder.encode(missing)))
            known.update(new)
            self._remember(new)
        if not sentences:
            return np.zeros((0, self.encoder.info.dim), dtype=np.float32)
        return np.stack([known[s] for s in sentences])

    def _terms(self, question: str, headline: str) -> tuple[set[str], set[str]]:
        """The question's terms, and the headline's terms that the question lacks."""
        terms = set(sentence_terms(question))
        return terms, (set(sentence_terms(headline)) - terms if headline and self.headline_weight else set())

    def _score(self, terms: tuple[set[str], set[str]], query: np.ndarray, vectors: np.ndarray,
               sentences: Sequence[str]) -> np.ndarray:
        """Cosine + weighted shares of the question's terms and of the headline's missing terms."""
        asked, lacking = terms
        overlap = np.array([term_overlap(asked, s) for s in sentences], dtype=np.float32)
        named = np.array([term_overlap(lacking, s) for s in sentences], dtype=np.float32)
        return vectors @ query + self.lexical_weight * overlap + self.headline_weight * named

    def sentence_scores(self, question: str, query: np.ndarray, sentences: list[str],
                        headline: str = "") -> np.ndarray:
        """Score of each sentence as the answer to the question."""
        return self._score(self._terms(question, headline), query, self._vectors(sentences), sentences)

    def highlight(self, question: str, query: np.ndarray,
                  passages: Sequence[tuple[Passage, Article]]) -> list[Highlight | None]:
        """One highlight per passage (None for a passage without text), in one model pass at most."""
        spans_of = [sentence_spans(a.text, p.start, p.end) for p, a in passages]
        texts_of = [[a.text[s:e] for s, e in spans] for (_, a), spans in zip(passages, spans_of)]
        vectors = self._vectors([t for texts in texts_of for t in texts])
        out: list[Highlight | None] = []
        offset = 0
        for (_, article), spans, texts in zip(passages, spans_of, texts_of):
            if not spans:
                out.append(None)
                continue
            block = vectors[offset:offset + len(texts)]
            offset += len(texts)
            scores = self._score(self._terms(question, article.title), query, block, texts)
            chosen = best_sentences(scores.tolist(), self.sentences)
            out.append(Highlight.of(article.text, (spans[i] for i in chosen)))
        return out

    def prefetch(self, passages: Sequence[tuple[Passage, Article]]) -> None:
        """Embed, in one model pass, the sentences of these passages that neither store nor cache holds."""
        self._vectors([t for p, a in passages for t in passage_sentences(a, p)])

    def best_passage(self, question: str, query: np.ndarray, article: Article, current: Passage,
                     others: Sequence[Passage]) -> Passage:
        """The passage among `current` and `others` whose best sentence answers best.

        Only passages whose sentence vectors are already stored or cached compete
        with `current`: choosing must never cost a model pass over a whole article.
        """
        best, best_score = current, self.passage_score(question, query, article, current)
        if best_score is None:
            return current
        terms = self._terms(question, article.title)
        texts_of = [passage_sentences(article, p) for p in others]
        known = self._known([t for texts in texts_of for t in texts])
        for passage, texts in zip(others, texts_of):
            if not texts or any(t not in known for t in texts):
                continue
            score = self._best(terms, query, np.stack([known[t] for t in texts]), texts)
            if score > best_score:
                best, best_score = passage, score
        return best

    def passage_score(self, question: str, query: np.ndarray, article: Article, passage: Passage) -> float | None:
        """How well a passage answers: its best sentence's score (None for a passage without sentences)."""
        texts = passage_sentences(article, passage)
        if not texts:
            return None
        return self._best(self._terms(question, article.title), query, self._vectors(texts), texts)

    def _best(self, terms: tuple[set[str], set[str]], query: np.ndarray, vectors: np.ndarray,
              sentences: Sequence[str]) -> float:
        """The best sentence's score: how well the passage of these sentences answers."""
        return float(self._score(terms, query, vectors, sentences).max())
