"""Answer composition: a `SearchResult` → plain answer data, before any Discord type is involved.

The one presentation path of both front ends: `newsbot ask` (`bot.cli.ask`)
and the Discord bot (`bot.chat.render`) render the same `Answer`, with the
same attribution, dates and bold sentences. Pure, so the choice of what to
show (which sentence is bold, what the attribution says, when to admit that
nothing reliable was found) is tested without a client.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from corpus.article import Article, derive_title
from corpus.chunking import Passage
from corpus.sentences import sentence_spans
from index.analysis import analyze
from index.search.links import fragment_link
from index.search.results import Hit, SearchResult


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

    also_published_by: tuple[str, ...] = ()

    @property
    def attribution(self) -> str:
        """`CNN · Sebastian Shukla and Nathan Hodge · 3 May 2023 · paragraphs 1-2 of 15`."""
        return " · ".join(p for p in (self.outlet, join_authors(self.authors), format_date(self.published),
                                      self.paragraphs) if p)


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


def content_stems(text: str) -> set[str]:
    """Stemmed content words of a text, by the project's one analyser (`index.analysis`)."""
    return set(analyze(text))


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
    return without_datelines(Sentence(text, i in bold, new and i > 0)
                             for i, (text, (_, _, new)) in enumerate(zip(texts, spans)))


# A dateline opening an article's first sentence: `WASHINGTON (CNN) —`, `LONDON, May 3 (Reuters) -`,
# `(AP) —`, `KYIV, Ukraine (AP) —`, `(CNN)`, `Hong Kong CNN —`, `WASHINGTON —`. The place is a few
# capitalised words (with an optional `, May 3` or `, Ukraine`), the agency a short capitalised name.
_PLACE = r"[A-Z][\w.'’-]*(?:[ -][A-Z][\w.'’-]*){0,4}(?:,(?: [\w.'’-]+){1,3})?"
_AGENCY = r"\([A-Z][\w&.'’ -]{0,28}\)"
_DASH = r"(?:—|–|--?)"
_DATELINE = re.compile(
    rf"^(?:(?:{_PLACE} )?{_AGENCY}\s*{_DASH}|{_AGENCY}(?=\s*[A-Z“\"'‘])|{_PLACE} CNN {_DASH}"
    rf"|[A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+){{0,3}}(?:, [\w.'’ -]{{1,30}})? {_DASH}(?=\s*[A-Z“\"'‘0-9]))"
    r"(?=\s*\S)")


def split_dateline(text: str) -> tuple[str, str]:
    """(`WASHINGTON (CNN) —`, the rest) when a sentence opens with a dateline; ('', text) otherwise."""
    match = _DATELINE.match(text)
    if match is None:
        return "", text
    return match.group(0).strip(), text[match.end():].lstrip()


def without_datelines(sentences: Iterable[Sentence]) -> tuple[Sentence, ...]:
    """Bold sentences with their dateline split off as a plain sentence: the highlight is the news, not the place."""
    out: list[Sentence] = []
    for sentence in sentences:
        dateline, rest = split_dateline(sentence.text) if sentence.bold else ("", sentence.text)
        if dateline:
            out += [Sentence(dateline, False, sentence.new_paragraph), Sentence(rest, True, False)]
        else:
            out.append(sentence)
    return tuple(out)


def compose_item(hit: Hit, question: str) -> AnswerItem:
    """One hit → what its card shows."""
    a, p = hit.article, hit.passage
    sentences = passage_sentences(p, a, question, hit.highlight.spans if hit.highlight else None)
    bold = next((s.text for s in sentences if s.bold), sentences[0].text if sentences else "")
    title, derived = " ".join(a.title.split()), a.title_derived
    if not title:  # readers always give a title; an index written otherwise still shows a readable one
        title, derived = derive_title(a.text) or a.outlet or "Untitled article", True
    return AnswerItem(rank=hit.rank, passage_id=p.id, article_id=a.id, title=title, title_derived=derived,
                      url=a.url, link=fragment_link(a.url, bold), outlet=a.outlet, authors=a.authors,
                      published=a.published, paragraphs=paragraph_range(p, a), sentences=sentences,
                      score=float(hit.score), also_published_by=a.also_published_by)


def compose_answer(result: SearchResult, skip: int = 0, filters_note: str = "") -> Answer:
    """The answer data for a search result, leaving out the first `skip` hits (already shown).

    Items are kept even when the result is not confident: the reply then says
    that nothing reliable was found, but the user may still ask to see them.
    """
    items = tuple(compose_item(h, result.question) for h in result.hits[skip:])
    return Answer(result.question, items, bool(result.confident and result.hits), result.index_version, filters_note)


def format_date(value: date | None) -> str:
    """`3 May 2023` (the month named, so no reader confuses day and month), or `undated`."""
    return f"{value.day} {value.strftime('%B %Y')}" if value else "undated"


def join_authors(authors: Iterable[str]) -> str:
    """`A`, `A and B`, `A, B and C`; no authors → ``."""
    authors = list(authors)
    if len(authors) <= 1:
        return "".join(authors)
    return ", ".join(authors[:-1]) + " and " + authors[-1]


def paragraph_range(passage: Passage, article: Article) -> str:
    """`paragraph 3 of 15` or `paragraphs 1-2 of 15`."""
    first, last, total = passage.paragraph_first, passage.paragraph_last, article.paragraph_count
    return f"paragraph {first} of {total}" if first == last else f"paragraphs {first}-{last} of {total}"
