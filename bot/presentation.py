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
    window: Window | None = None

    @property
    def empty(self) -> bool:
        """True when there is nothing to show."""
        return not self.items


@dataclass(frozen=True)
class Window:
    """The publication days an answer was searched in, and where they came from (shown with the answer).

    Attributes:
        since, until: inclusive days (either may be None: an open side).
        phrase: the question's words that named the window ("last week"); '' when the `since`/`until`
            options named it.
        rule: how the phrase was read ("the previous calendar week, Monday to Sunday"); '' for options.
        ignored: the question's time words left unapplied because the options name the window.
        nearest: when no article lies in the window, the closest publication days before and after it
            (either None when there is none); None when the window holds articles.
    """

    since: date | None
    until: date | None
    phrase: str = ""
    rule: str = ""
    ignored: str = ""
    nearest: tuple[date | None, date | None] | None = None

    @property
    def label(self) -> str:
        """`23–30 November 2026`, `since 3 May 2023`, `until 2 March 2023` (the one date format)."""
        return format_window(self.since, self.until)

    @property
    def empty(self) -> bool:
        """True when no article lies in the window."""
        return self.nearest is not None

    def line(self) -> str:
        """`Searched 23–30 November 2026 (“last week” in the question).`, or the options' version."""
        if self.phrase:
            return f"Searched {self.label} (“{self.phrase}” in the question)."
        note = f"; “{self.ignored}” in the question was not applied" if self.ignored else ""
        return f"Searched {self.label} (the since/until options{note})."

    def empty_line(self) -> str:
        """`No articles from 1–7 March 2021; the nearest are from 26 February 2021 and 12 March 2021.`"""
        before, after = self.nearest or (None, None)
        found = [format_date(d) for d in (before, after) if d]
        where = (f"the nearest are from {found[0]} and {found[1]}" if len(found) == 2 else
                 f"the nearest is from {found[0]}" if found else "no article matches the other filters either")
        span = f"from {self.label}" if self.since and self.until else self.label  # "since 1 May 2023"
        return f"No articles {span}; {where}."

    def to_dict(self) -> dict:
        """The `window` object of `--json`."""
        data: dict = {"since": self.since.isoformat() if self.since else None,
                      "until": self.until.isoformat() if self.until else None, "label": self.label,
                      "from": "question" if self.phrase else "options"}
        if self.phrase:
            data.update(phrase=self.phrase, rule=self.rule)
        if self.ignored:
            data["ignored_phrase"] = self.ignored
        if self.nearest is not None:
            data["nearest"] = {"before": self.nearest[0].isoformat() if self.nearest[0] else None,
                               "after": self.nearest[1].isoformat() if self.nearest[1] else None}
        return data


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


def compose_answer(result: SearchResult, skip: int = 0, filters_note: str = "", window: Window | None = None,
                   question: str | None = None) -> Answer:
    """The answer data for a search result, leaving out the first `skip` hits (already shown).

    Items are kept even when the result is not confident: the reply then says
    that nothing reliable was found, but the user may still ask to see them.

    Args:
        window: the publication window searched, shown with the answer.
        question: the question as asked, when the text searched differs (a time phrase taken out).
    """
    items = tuple(compose_item(h, result.question) for h in result.hits[skip:])
    return Answer(question or result.question, items, bool(result.confident and result.hits), result.index_version,
                  filters_note, window)


def format_date(value: date | None) -> str:
    """`3 May 2023` (the month named, so no reader confuses day and month), or `undated`."""
    return f"{value.day} {value.strftime('%B %Y')}" if value else "undated"


def format_window(since: date | None, until: date | None) -> str:
    """A span of days in the format of `format_date`, the parts both ends share written once.

    `3 May 2023`, `23–30 November 2026`, `28 October – 3 November 2026`, `28 December 2025 – 3 January 2026`;
    an open end: `since 3 May 2023`, `until 2 March 2023`; neither: `any date`.
    """
    if since is None and until is None:
        return "any date"
    if since is None:
        return f"until {format_date(until)}"
    if until is None:
        return f"since {format_date(since)}"
    if since == until:
        return format_date(since)
    if since.year != until.year:
        return f"{format_date(since)} – {format_date(until)}"
    if since.month != until.month:
        return f"{since.day} {since.strftime('%B')} – {format_date(until)}"
    return f"{since.day}–{format_date(until)}"


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
