"""Search results as plain data, and their attribution, shared by CLI, bot and benchmarks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from corpus.article import Article, article_json
from corpus.chunking import Passage


@dataclass(frozen=True)
class Highlight:
    """The sentence(s) of a passage that best answer the question.

    `spans` are offsets into the article text, in text order; neighbouring sentences
    form one span, so the highlight is one stretch of the article (`text ==
    article_text[start:end]`) unless its two sentences lie apart: `text` then joins
    them with " … " and `start`/`end` enclose both.
    """

    spans: tuple[tuple[int, int], ...]
    text: str

    @property
    def start(self) -> int:
        """Offset of the first highlighted character."""
        return self.spans[0][0]

    @property
    def end(self) -> int:
        """Offset just past the last highlighted character."""
        return self.spans[-1][1]

    @classmethod
    def of(cls, article_text: str, spans: Iterable[tuple[int, int]]) -> Highlight:
        """The highlight of these sentence spans; spans separated by whitespace alone are merged."""
        merged: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if merged and not article_text[merged[-1][1]:start].strip():
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        if not merged:
            raise ValueError("a highlight needs at least one span")
        return cls(tuple(merged), " … ".join(article_text[a:b] for a, b in merged))


@dataclass(frozen=True)
class Hit:
    """One passage returned for a question, with everything needed to attribute it."""

    passage: Passage
    article: Article
    score: float
    rank: int
    highlight: Highlight | None = None

    def to_dict(self) -> dict:
        """The `--json` shape documented in the README."""
        a = self.article
        data = {
            "passage_id": self.passage.id,
            "score": round(float(self.score), 4),
            "text": self.passage.text,
            "article": article_json(a),
            "paragraphs": [self.passage.paragraph_first, self.passage.paragraph_last],
            "paragraph_count": a.paragraph_count,
            "start": self.passage.start,
            "end": self.passage.end,
        }
        if self.highlight:
            mark = self.highlight
            data["highlight"] = {"text": mark.text, "start": mark.start, "end": mark.end,
                                 "spans": [list(span) for span in mark.spans]}
        return data


@dataclass(frozen=True)
class SearchResult:
    """The answer to one question: hits best first, and whether they are trustworthy."""

    question: str
    hits: list[Hit]
    index_version: str
    confident: bool = True
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The `--json` document."""
        return {"question": self.question, "confident": self.confident, "index_version": self.index_version,
                "results": [h.to_dict() for h in self.hits]}
