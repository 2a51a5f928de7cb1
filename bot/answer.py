"""Answer composition: a `SearchResult` → plain answer data, before any Discord type is involved.

Pure, so the choice of what to show (which sentence is bold, what the
attribution says, when to admit that nothing reliable was found) is tested
without a client. `bot.render` turns this data into embeds within Discord's
limits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from corpus.article import Article
from corpus.chunking import Passage
from corpus.sentences import sentence_spans
from index.links import fragment_link
from index.results import Hit, SearchResult, join_authors, paragraph_range

_WORD = re.compile(r"[^\W_]+")
# words that say nothing about which sentence answers a question
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers him
his how i if in into is it its itself just me more most my no nor not now of off on once only or other our out over
own said same say says she should so some such than that the their them then there these they this those through to
too under until up very was we were what when where which while who whom why will with would you your
""".split())


@dataclass(frozen=True)
class Sentence:
    """One sentence of a passage as shown: `bold` marks the best answer, `new_paragraph` a break before it."""

    text: str
    bold: bool = False
    new_paragraph: bool = False


@dataclass(frozen=True)
class AnswerItem:
    """One result as it is shown: the passage's sentences and its full attribution."""

    rank: int
    passage_id: str
    article_id: str
    title: str
    title_derived: bool
    url: str | None
    link: str | None
    outlet: str
    authors: tuple[str, ...]
    published: date | None
    paragraphs: str
    sentences: tuple[Sentence, ...]
    score: float

    @property
    def attribution(self) -> str:
        """`CNN · Sebastian Shukla and Nathan Hodge · 2023-05-03 · paragraphs 1-2 of 15` (ISO date: unambiguous)."""
        when = self.published.isoformat() if self.published else "undated"
        return " · ".join(p for p in (self.outlet, join_authors(self.authors), when, self.paragraphs) if p)


@dataclass(frozen=True)
class Answer:
    """Everything one reply shows; `confident` False means: say plainly that nothing reliable was found."""

    question: str
    items: tuple[AnswerItem, ...]
    confident: bool
    index_version: str
    filters_note: str = ""

    @property
    def empty(self) -> bool:
        """True when there is nothing to show."""
        return not self.items


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202 - PyStemmer has no type stubs
    import Stemmer

    return Stemmer.Stemmer("english")


def content_stems(text: str) -> set[str]:
    """Stemmed content words of a text (stopwords dropped), for overlap with a question."""
    words = [w for w in (m.group().casefold() for m in _WORD.finditer(text)) if w not in STOPWORDS]
    return set(_stemmer().stemWords(words))


def best_sentence(question: str, sentences: list[str]) -> int | None:
    """Index of the sentence sharing the most question words (the earlier one on ties), None if none shares any.

    The fallback when search gives no highlight: crude, but it never bolds a
    sentence that has nothing to do with the question.
    """
    wanted = content_stems(question)
    best, best_score = None, 0.0
    for i, sentence in enumerate(sentences):
        stems = content_stems(sentence)
        shared = len(wanted & stems)
        # a mild preference for focused sentences among those sharing as many words
        score = shared - 0.001 * len(stems)
        if shared and score > best_score:
            best, best_score = i, score
    return best


def passage_sentences(passage: Passage, article: Article, question: str,
                      highlight: Sequence[tuple[int, int]] | None) -> tuple[Sentence, ...]:
    """The passage cut into sentences, with the answering one(s) in bold.

    Args:
        highlight: spans of the best sentence(s), offsets into the article text; None → word-overlap fallback.
    """
    spans: list[tuple[int, int, bool]] = []
    for p_start, p_end in article.paragraph_spans:
        lo, hi = max(p_start, passage.start), min(p_end, passage.end)
        if lo < hi:
            spans.extend((a, b, i == 0) for i, (a, b) in enumerate(sentence_spans(article.text, lo, hi)))
    texts = [article.text[a:b] for a, b, _ in spans]
    if highlight is not None:
        bold = {i for i, (a, b, _) in enumerate(spans) if any(a < end and b > start for start, end in highlight)}
    else:
        best = best_sentence(question, texts)
        bold = {best} if best is not None else set()
    return tuple(Sentence(text, i in bold, new and i > 0) for i, (text, (_, _, new)) in enumerate(zip(texts, spans)))


def compose_item(hit: Hit, question: str) -> AnswerItem:
    """One hit → what its card shows."""
    a, p = hit.article, hit.passage
    sentences = passage_sentences(p, a, question, hit.highlight.spans if hit.highlight else None)
    bold = next((s.text for s in sentences if s.bold), sentences[0].text if sentences else "")
    return AnswerItem(rank=hit.rank, passage_id=p.id, article_id=a.id, title=a.title, title_derived=a.title_derived,
                      url=a.url, link=fragment_link(a.url, bold), outlet=a.outlet, authors=a.authors,
                      published=a.published, paragraphs=paragraph_range(p, a), sentences=sentences,
                      score=float(hit.score))


def compose_answer(result: SearchResult, skip: int = 0, filters_note: str = "") -> Answer:
    """The answer data for a search result, leaving out the first `skip` hits (already shown).

    Items are kept even when the result is not confident: the reply then says
    that nothing reliable was found, but the user may still ask to see them.
    """
    items = tuple(compose_item(h, result.question) for h in result.hits[skip:])
    return Answer(result.question, items, bool(result.confident and result.hits), result.index_version, filters_note)
