"""The lexical (BM25) side of retrieval, saved beside the FAISS index in each version.

Why BM25 next to the dense model: names, numbers and rare words ("Patriot
Front", "USB-C") are where a small sentence-embedding model is weakest and
exact term matching is strongest. bm25s stores each term's precomputed BM25
contribution per passage (a sparse column per term, saved as flat arrays and
memory-mapped); a question's scores are those of its terms' columns added up
(`LexicalIndex.question`), or looked up for chosen rows (`normalised_rows`);
`index.analysis` turns passages and questions into terms identically.

Rows are passage rows: row i here is FAISS id i and metadata row i.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from corpus.article import Article
from corpus.chunking import Passage
from index.analysis import analyze
from index.errors import IndexCorrupt
from index.store.manifest import BLOCK_DIGESTS, npy_block_sha256
from index.store.termcounts import TermCounts, bm25_scores, count_terms, patch_counts

if TYPE_CHECKING:
    from index.store.rowfiles import RowPlan
    from index.store.writers import Progress

log = logging.getLogger(__name__)

PREFIX = "bm25."
PARAMS_FILE = PREFIX + "config.json"
# what a patched version starts from: term counts aligned with bm25s's score entries, and passage lengths
TF_FILE = PREFIX + "tf.npy"
LENGTHS_FILE = PREFIX + "lengths.npy"
_FILES = {"data_name": PREFIX + "data.npy", "indices_name": PREFIX + "indices.npy",
          "indptr_name": PREFIX + "indptr.npy", "vocab_name": PREFIX + "vocab.json",
          "params_name": PREFIX + "params.json", "nnoc_name": PREFIX + "nonoccurrence.npy"}

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


def lexical_text(article: Article, passage: Passage, config: LexicalConfig) -> str:
    """The text a passage is indexed under."""
    if config.title and article.title and not article.title_derived:
        return f"{article.title}\n{passage.text}"
    return passage.text


def _passage_terms(text: str) -> list[str]:
    """A passage's terms; an empty passage gets one empty token, so that it has a length like any other."""
    return analyze(text) or [""]


class LexicalIndex:
    """BM25 scores of passages for a question: of every passage (`question`, `normalised`), or of chosen ones
    (`normalised_rows`)."""

    def __init__(self, retriever, config: LexicalConfig, counts: TermCounts | None = None) -> None:  # noqa: ANN001
        # retriever: a bm25s.BM25, None when the index is empty
        self._bm25 = retriever
        self.config = config
        self._counts = counts  # kept by a fresh build so that `save` can store them for later patches
        self.count = int(retriever.scores["num_docs"]) if retriever is not None else 0
        # document frequency of each term, for the per-question yardstick of `normalised`
        self._df = (np.diff(np.asarray(retriever.scores["indptr"])).astype(np.float64)
                    if retriever is not None else np.zeros(0))
        self._vocab: dict[str, int] = retriever.vocab_dict if retriever is not None else {}
        self._in_order: dict[int, bool] = {}  # term id → its postings are in row order (`normalised_rows`)

    @classmethod
    def build(cls, texts: Sequence[str], config: LexicalConfig = LexicalConfig()) -> LexicalIndex:
        """Index the texts under rows 0..n-1."""
        vocab: dict[str, int] = {}
        return cls.from_counts(count_terms([_passage_terms(t) for t in texts], vocab), vocab, config)

    @classmethod
    def from_counts(cls, counts: TermCounts, vocab: dict[str, int], config: LexicalConfig) -> LexicalIndex:
        """The index of passages whose term counts are known (a build or a patch)."""
        if counts.rows == 0:  # an emptied corpus (every article removed) still gets a valid, empty index
            return cls(None, config, counts)
        retriever = _bm25s().BM25(k1=config.k1, b=config.b)
        retriever.scores = {"data": bm25_scores(counts, config.k1, config.b), "indices": counts.indices,
                            "indptr": counts.indptr, "num_docs": counts.rows}
        retriever.vocab_dict = vocab
        retriever.nonoccurrence_array = None
        return cls(retriever, config, counts)

    def big_arrays(self) -> dict[str, np.ndarray]:
        """File name → the array `save` writes to it, for the large files (scores, their rows, term counts)."""
        if self._bm25 is None:
            return {}
        out = {_FILES["data_name"]: self._bm25.scores["data"], _FILES["indices_name"]: self._bm25.scores["indices"]}
        if self._counts is not None:
            out[TF_FILE] = self._counts.tf
        return {name: a for name, a in out.items() if isinstance(a, np.ndarray)}

    def save(self, folder: Path) -> list[str]:
        """Write the index as flat files into a version folder; returns their names."""
        if self._bm25 is not None:
            self._bm25.save(str(folder), show_progress=False, **_FILES)
            if self._counts is not None:
                np.save(folder / TF_FILE, self._counts.tf)
                np.save(folder / LENGTHS_FILE, self._counts.lengths)
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
            # memory-mapped: a question reads only its terms' columns (~250 MB each of scores and rows at
            # 1M passages would otherwise sit on the heap of every serving process)
            retriever = (None if passages == 0 else
                         bm25s.BM25.load(str(folder), mmap=True, show_progress=False, **_FILES))
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

    def idf(self, df: np.ndarray | float) -> np.ndarray:
        """Lucene's BM25 idf (the one bm25s scores with) for document frequencies."""
        return np.log1p((self.count - np.asarray(df) + 0.5) / (np.asarray(df) + 0.5))

    def normalised(self, question: str) -> np.ndarray:
        """BM25 scores as a fraction of the most a passage could score for this question.

        Returns float32 in [0, 1], shape (passages,).

        The yardstick is (k1 + 1) times the summed idf of ALL the question's
        terms, unknown ones included (with the idf of a term no passage has):
        a question whose main words the corpus has never seen cannot score
        high by matching its one common word. Why not min-max over the
        candidates: this yardstick depends only on the question and the index,
        so 0.3 means the same in every query and can be fused with cosine
        similarities and compared with a fixed confidence threshold.
        """
        return self.question(question).dense()

    def question(self, question: str) -> QuestionScores:
        """The question's BM25 scores over every passage, normalised only where they are read
        (`QuestionScores`: the search reads a few hundred rows of a million)."""
        ids, ceiling = self._terms_and_ceiling(question)
        if not ids:
            return QuestionScores(None, 0.0, self.count)
        raw = np.zeros(self.count, dtype=np.float32)
        data, indices, indptr = (self._bm25.scores[name] for name in ("data", "indices", "indptr"))
        for term in ids:  # repeated terms count again, as bm25s scores them; add.at: one unbuffered pass
            start, end = int(indptr[term]), int(indptr[term + 1])
            np.add.at(raw, indices[start:end], data[start:end])
        return QuestionScores(raw, ceiling, self.count)

    def normalised_rows(self, question: str, rows: Sequence[int]) -> np.ndarray:
        """`normalised(question)[rows]` without scoring every passage: each term's postings are searched
        for the rows (float32, aligned with `rows`)."""
        rows = np.asarray(rows, dtype=np.int64)
        ids, ceiling = self._terms_and_ceiling(question)
        out = np.zeros(len(rows), dtype=np.float32)
        if not ids or not len(rows):
            return out
        data, indices, indptr = (self._bm25.scores[name] for name in ("data", "indices", "indptr"))
        wanted = rows.astype(indices.dtype)
        for term in ids:
            start, end = int(indptr[term]), int(indptr[term + 1])
            postings, scores = indices[start:end], data[start:end]  # this term's rows and their scores
            if not self._ascending(term, postings):  # a version patched before postings were kept in order
                hit = np.flatnonzero(np.isin(postings, wanted))
                order = np.argsort(postings[hit])
                postings, scores = postings[hit][order], scores[hit][order]
            if not len(postings):
                continue
            at = np.minimum(np.searchsorted(postings, wanted), len(postings) - 1)
            found = postings[at] == wanted
            out[found] += scores[at[found]]
        return np.minimum(out / ceiling, 1.0).astype(np.float32)

    def _ascending(self, term: int, postings: np.ndarray) -> bool:
        """Whether a term's postings are in row order (checked once a term, then remembered)."""
        known = self._in_order.get(term)
        if known is None:
            known = bool(np.all(postings[1:] > postings[:-1]))
            self._in_order[term] = known
        return known

    def _terms_and_ceiling(self, question: str) -> tuple[list[int], float]:
        """The question's known term ids (repeats kept) and its yardstick (see `normalised`); no ids when
        nothing can score."""
        vocab = self._vocab
        terms = [t for t in analyze(question) if t]
        if not terms:
            return [], 0.0
        ids = [vocab[t] for t in terms if t in vocab]
        dfs = np.array([self._df[vocab[t]] if t in vocab else 0.0 for t in terms])
        ceiling = float((self.config.k1 + 1.0) * self.idf(dfs).sum())
        if not ids or ceiling <= 0:
            return [], 0.0
        return ids, ceiling


class QuestionScores:
    """One question's raw BM25 scores over every passage row and its yardstick (`LexicalIndex.normalised`).

    Normalising a million scores costs more than the few hundred the search reads: `of` normalises only
    the rows asked for, and `top` ranks raw scores (the same order).
    """

    def __init__(self, raw: np.ndarray | None, ceiling: float, count: int) -> None:
        """`raw`: float32 (count,), None when the question has no known term (every score 0)."""
        self.raw = raw
        self.ceiling = ceiling
        self.count = count

    def of(self, rows: np.ndarray) -> np.ndarray:
        """Normalised scores of `rows` (float32 in [0, 1], aligned with `rows`)."""
        if self.raw is None:
            return np.zeros(len(rows), dtype=np.float32)
        return np.minimum(self.raw[rows] / self.ceiling, 1.0).astype(np.float32)

    def dense(self) -> np.ndarray:
        """Every row's normalised score (float32, shape (count,))."""
        return self.of(slice(None)) if self.raw is not None else np.zeros(self.count, dtype=np.float32)

    def top(self, depth: int, allowed: np.ndarray | None = None) -> np.ndarray:
        """Rows of the `depth` best positive scores (among `allowed` rows when given), int64, ascending;
        ties at the cut go to the lower rows (see `top_positive`)."""
        if self.raw is None:
            return np.zeros(0, dtype=np.int64)
        return top_positive(self.raw, depth, allowed)


SAMPLE_STRIDE = 64  # `top_positive` finds its cut from every 64th score


def top_positive(scores: np.ndarray, depth: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Rows of the `depth` largest positive `scores` (among the `allowed` rows, int array, when given).

    Returns int64 rows, ascending; where several rows tie at the cut, the lower rows are kept, so the
    answer does not depend on how a selection algorithm breaks ties.

    Without `allowed`, every `SAMPLE_STRIDE`-th score gives a cut that at least `depth` scores pass
    (checked; else every positive score is the pool), so the exact selection runs over a few thousand
    rows instead of every matching one (~570,000 of a million for a common-worded question).
    """
    if depth <= 0:
        return np.zeros(0, dtype=np.int64)
    pool = None
    if allowed is not None:
        allowed = np.asarray(allowed, dtype=np.int64)
        pool = np.sort(allowed[scores[allowed] > 0])
    elif len(scores) > depth * SAMPLE_STRIDE:
        sample = scores[::SAMPLE_STRIDE]
        keep = min(len(sample), 2 * (depth // SAMPLE_STRIDE) + 8)  # twice the expected share, and some
        cut = float(np.partition(sample, len(sample) - keep)[len(sample) - keep])
        if cut > 0:
            pool = np.flatnonzero(scores >= cut)
            if len(pool) < depth:
                pool = None
    if pool is None:
        pool = np.flatnonzero(scores > 0)
    if len(pool) <= depth:
        return pool.astype(np.int64)
    values = scores[pool]
    kth = np.partition(values, len(values) - depth)[len(values) - depth]
    above = pool[values > kth]
    tied = pool[values == kth][: depth - len(above)]  # pool is ascending: the lowest tied rows
    return np.sort(np.concatenate([above, tied])).astype(np.int64)


class LexicalWriter:
    """The extra writer (an `index.store.writers.PatchingWriter`) that gives every version its lexical index.

    A full build analyses every passage; a patched version (see
    `index.refresh.patch`) starts from the base version's term counts and
    analyses only the incoming passages, so a one-article refresh does not
    re-read 100,000 passages. Both give the same scores (tested).
    """

    def __init__(self, config: LexicalConfig = LexicalConfig()) -> None:
        self.config = config

    def __call__(self, folder: Path, pairs: Sequence[tuple[Article, Passage]], texts: Sequence[str],
                 progress: Progress | None = None) -> dict:
        """Write the lexical index of `pairs` (row order) into a version folder.

        Returns:
            the manifest record: the `LexicalConfig` fields and "files", the names written.
        """
        return self._save(folder, LexicalIndex.build([lexical_text(a, p, self.config) for a, p in pairs],
                                                     self.config))

    def patch(self, folder: Path, base: Path, plan: RowPlan, pairs: Sequence[tuple[Article, Passage]],
              progress: Progress | None = None) -> dict | None:
        """Write the patched version's lexical index from `base`'s; None when `base` cannot be patched.

        Args:
            pairs: the incoming passages with their articles, aligned with `plan.targets`.
        """
        counts, vocab = self._base_counts(base, plan.n_old)
        if counts is None:
            return None
        added = count_terms([_passage_terms(lexical_text(a, p, self.config)) for a, p in pairs], vocab)
        patched = patch_counts(counts, plan.old_to_new(), added, np.asarray(plan.targets, dtype=np.int64),
                               plan.n_new)
        return self._save(folder, LexicalIndex.from_counts(patched, vocab, self.config))

    def _base_counts(self, base: Path, rows: int) -> tuple[TermCounts | None, dict[str, int]]:
        """The base version's term counts and vocabulary, or None when they are missing or built otherwise."""
        try:
            params = json.loads((base / PARAMS_FILE).read_text())
            if params.pop("passages", None) != rows or LexicalConfig(**params) != self.config:
                return None, {}
            if rows == 0:
                return TermCounts(np.zeros(0, np.uint16), np.zeros(0, np.int32), np.zeros(1, np.int64),
                                  np.zeros(0, np.int32)), {}
            vocab = json.loads((base / _FILES["vocab_name"]).read_text(encoding="utf-8"))
            # the big arrays memory-mapped (the base version is immutable): the patch reads each entry once
            # while copying it into the patched arrays, instead of first loading 400 MB at a million passages
            counts = TermCounts(np.load(base / TF_FILE, mmap_mode="r"),
                                np.load(base / _FILES["indices_name"], mmap_mode="r"),
                                np.load(base / _FILES["indptr_name"]).astype(np.int64), np.load(base / LENGTHS_FILE))
        except (OSError, ValueError, TypeError) as exc:
            log.info("lexical index of %s not patchable (%s): rebuilding it", base.name, exc)
            return None, {}
        if len(counts.tf) != len(counts.indices) or counts.terms != len(vocab) or counts.rows != rows:
            log.info("lexical index of %s is inconsistent: rebuilding it", base.name)
            return None, {}
        return counts, vocab

    def _save(self, folder: Path, index: LexicalIndex) -> dict:
        """Write the files; their block checksums (the three big arrays') are computed from memory in another
        thread while they are written, instead of reading 640 MB back afterwards at a million passages."""
        big = index.big_arrays()
        saved = threading.Event()
        with ThreadPoolExecutor(max_workers=1) as pool:
            digests = {name: pool.submit(npy_block_sha256, array, folder / name, saved.wait)
                       for name, array in big.items()}
            try:
                files = index.save(folder)
            finally:
                saved.set()
            known = {name: d for name, future in digests.items() if (d := future.result()) is not None}
        log.info("lexical index: %d passages, %d files", index.count, len(files))
        return {**self.config.describe(), "files": files, BLOCK_DIGESTS: known}
