"""The lexical (BM25) side of retrieval, saved beside the FAISS index in each version.

Why BM25 next to the dense model: names, numbers and rare words ("Patriot
Front", "USB-C") are where a small sentence-embedding model is weakest and
exact term matching is strongest. bm25s does the scoring with sparse matrices
(fast, no server); this module owns the text analysis (English stemming and
stopwords) so that passages and questions are analysed identically.

Rows are passage rows: row i here is FAISS id i and metadata row i.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from corpus.article import Article
from corpus.chunking import Passage
from index.errors import IndexCorrupt

log = logging.getLogger(__name__)

PREFIX = "bm25."
PARAMS_FILE = PREFIX + "config.json"
_FILES = {"data_name": PREFIX + "data.npy", "indices_name": PREFIX + "indices.npy",
          "indptr_name": PREFIX + "indptr.npy", "vocab_name": PREFIX + "vocab.json",
          "params_name": PREFIX + "params.json", "nnoc_name": PREFIX + "nonoccurrence.npy"}

# Lucene's English list (what bm25s uses) plus question words, which carry no topic.
_STOPWORDS = frozenset("""
a an and are as at be but by for if in into is it no not of on or such that the their then there these they
this to was will with what which who whom whose when where why how did does do has have had were been its
""".split())
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass(frozen=True)
class LexicalConfig:
    """How the lexical index is built (a change means rebuilding it, not re-embedding).

    Attributes:
        k1: term-frequency saturation of BM25.
        b: length normalisation of BM25 (0: none, 1: full); 0.9 measured best on rtqa-dev
            (passages are of similar length, so a long one is long because it rambles).
        title: index each passage with its article's headline, so a passage
            that never repeats the subject still matches it.
    """

    k1: float = 1.2
    b: float = 0.9
    title: bool = True

    def describe(self) -> dict[str, object]:
        """Plain dict for the manifest and the eval fingerprint."""
        return asdict(self)


def _bm25s():  # noqa: ANN202 - the bm25s module
    """Import bm25s, undoing its import-time `setLevel(DEBUG)` that would print its chatter in our logs."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202 - PyStemmer has no type stubs
    import Stemmer

    return Stemmer.Stemmer("english")


def analyze(text: str) -> list[str]:
    """Lower-cased, stopword-free, stemmed terms: `"Moscow's drones"` → `["moscow", "drone"]`."""
    words = []
    for match in _WORD.finditer(text.lower()):
        word = re.sub(r"['’]s$", "", match.group()).replace("’", "'")
        if word and word not in _STOPWORDS:
            words.append(word)
    return _stemmer().stemWords(words) if words else []


def lexical_text(article: Article, passage: Passage, config: LexicalConfig) -> str:
    """The text a passage is indexed under."""
    if config.title and article.title and not article.title_derived:
        return f"{article.title}\n{passage.text}"
    return passage.text


class LexicalIndex:
    """BM25 scores of every passage for a question, as one dense array."""

    def __init__(self, retriever, config: LexicalConfig) -> None:  # noqa: ANN001 - bm25s.BM25, None when empty
        self._bm25 = retriever
        self.config = config
        self.count = int(retriever.scores["num_docs"]) if retriever is not None else 0
        # document frequency of each term, for the per-question yardstick of `normalised`
        self._df = (np.diff(np.asarray(retriever.scores["indptr"])).astype(np.float64)
                    if retriever is not None else np.zeros(0))
        self._vocab: dict[str, int] = retriever.vocab_dict if retriever is not None else {}

    @classmethod
    def build(cls, texts: Sequence[str], config: LexicalConfig = LexicalConfig()) -> LexicalIndex:
        """Index the texts under rows 0..n-1."""
        bm25s = _bm25s()
        if not texts:  # an emptied corpus (every article removed) still gets a valid, empty index
            return cls(None, config)
        retriever = bm25s.BM25(k1=config.k1, b=config.b)
        # an empty passage still needs a token so that rows stay aligned with FAISS ids
        retriever.index([analyze(t) or [""] for t in texts], show_progress=False)
        return cls(retriever, config)

    def save(self, folder: Path) -> list[str]:
        """Write the index as flat files into a version folder; returns their names."""
        if self._bm25 is not None:
            self._bm25.save(str(folder), show_progress=False, **_FILES)
        (folder / PARAMS_FILE).write_text(json.dumps({**self.config.describe(), "passages": self.count},
                                                     sort_keys=True))
        return sorted(p.name for p in folder.iterdir() if p.name.startswith(PREFIX))

    @classmethod
    def load(cls, folder: Path, expected_count: int) -> LexicalIndex:
        """Read a saved index (never rebuilds it).

        Raises:
            IndexCorrupt: files unreadable or their passage count differs from the manifest's.
        """
        bm25s = _bm25s()
        try:
            params = json.loads((folder / PARAMS_FILE).read_text())
            passages = params.pop("passages", None)
            config = LexicalConfig(**params)
            retriever = (None if passages == 0 else
                         bm25s.BM25.load(str(folder), mmap=False, show_progress=False, **_FILES))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise IndexCorrupt(f"the lexical index in {folder} is unreadable ({exc}) — run `newsbot build` "
                               "to rebuild the index") from None
        index = cls(retriever, config)
        if index.count != expected_count:
            raise IndexCorrupt(f"the lexical index in {folder} holds {index.count} passages, the manifest says "
                               f"{expected_count} — run `newsbot build` to rebuild the index")
        return index

    def term_ids(self, question: str) -> list[int]:
        """Vocabulary ids of the question's terms (unknown terms dropped, repeats kept)."""
        return [self._vocab[t] for t in analyze(question) if t in self._vocab and t != ""]

    def scores(self, question: str) -> np.ndarray:
        """Raw BM25 score of every passage row (zeros when no term is known)."""
        ids = self.term_ids(question)
        if not ids:
            return np.zeros(self.count, dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)

    def idf(self, df: np.ndarray | float) -> np.ndarray:
        """Lucene's BM25 idf (the one bm25s scores with) for document frequencies."""
        return np.log1p((self.count - np.asarray(df) + 0.5) / (np.asarray(df) + 0.5))

    def normalised(self, question: str) -> np.ndarray:
        """BM25 scores as a fraction of the most a passage could score for this question.

        The yardstick is (k1 + 1) times the summed idf of ALL the question's
        terms, unknown ones included (with the idf of a term no passage has):
        a question whose main words the corpus has never seen cannot score
        high by matching its one common word. Why not min-max over the
        candidates: this yardstick depends only on the question and the index,
        so 0.3 means the same in every query and can be fused with cosine
        similarities and compared with a fixed confidence threshold.
        """
        vocab = self._vocab
        terms = [t for t in analyze(question) if t]
        if not terms:
            return np.zeros(self.count, dtype=np.float32)
        ids = [vocab[t] for t in terms if t in vocab]
        dfs = np.array([self._df[vocab[t]] if t in vocab else 0.0 for t in terms])
        ceiling = float((self.config.k1 + 1.0) * self.idf(dfs).sum())
        if not ids or ceiling <= 0:
            return np.zeros(self.count, dtype=np.float32)
        raw = np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)
        return np.minimum(raw / ceiling, 1.0).astype(np.float32)


def lexical_writer(config: LexicalConfig = LexicalConfig()):  # noqa: ANN201 - returns an index.builder.ExtraWriter
    """An `extra_writers` entry for `build_version` that saves the lexical index into the version."""

    def write(folder: Path, pairs: list[tuple[Article, Passage]], _embedded: list[str]) -> dict:
        index = LexicalIndex.build([lexical_text(a, p, config) for a, p in pairs], config)
        files = index.save(folder)
        log.info("lexical index: %d passages, %d files", index.count, len(files))
        return {**config.describe(), "files": files}

    return write
