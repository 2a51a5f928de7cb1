"""The article record every reader produces and every later stage consumes.

An `Article` is immutable and self-describing: it carries its attribution
(outlet, authors, date, title, link) and where it was read from, so any passage
cut from it can always be traced back to a verifiable source.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from corpus.sentences import first_sentence
from corpus.text import clean_text

if TYPE_CHECKING:
    from corpus.errors import CorpusError

PARAGRAPH_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Article:
    """One news article.

    Attributes:
        id: stable id: from the record's own id, else the URL, else the content.
        title: the headline, or a derived one (see `title_derived`).
        outlet: the publisher, e.g. "CNN".
        authors: the people who wrote it, in byline order, one clean name each (see `corpus.people`).
        published: publication date, when known.
        url: canonical link, when known.
        text: the body, paragraphs separated by exactly one blank line.
        source: where it was read from, as `path` or `path:line`.
        title_derived: True when the title was made from the first sentence.
        also_published_by: other outlets that published the same text (syndicated
            copies indexed once under this article), for "also published by …".
        credits: what the byline credited besides authors, as written: agencies ("Associated Press"),
            "Editing by …", "Photographs by …", "Staff and news services" (see `corpus.people`).
            Not part of the fingerprint or of equality.
        notes: warnings from reading it that did not stop it being read (a publication date that
            was left out, say: `corpus.errors.DroppedDate`); the loader reports them with the file's
            problems. Not part of the fingerprint or of equality.
    """

    id: str
    title: str
    outlet: str
    authors: tuple[str, ...]
    published: date | None
    url: str | None
    text: str
    source: str
    title_derived: bool = False
    also_published_by: tuple[str, ...] = ()
    credits: tuple[str, ...] = field(default=(), compare=False)
    notes: tuple[CorpusError, ...] = field(default=(), compare=False, repr=False)

    @cached_property
    def paragraph_spans(self) -> tuple[tuple[int, int], ...]:
        """Character spans (start, end) of the body's paragraphs, computed on first use and kept.

        Why lazily: listing every article (the bot's catalogue at start-up, `newsbot sources`) reads
        thousands of bodies and needs no paragraph; computing them all cost 0.2 s at 10,595 articles.
        Not a field, so `dataclasses.replace(article, text=...)` never carries stale spans.
        """
        return paragraph_spans(self.text)

    @property
    def paragraph_count(self) -> int:
        """How many paragraphs the body has (for "paragraphs 1-2 of 15")."""
        return len(self.paragraph_spans)

    @property
    def fingerprint(self) -> str:
        """Hash of everything that is indexed or shown, to detect changed articles."""
        parts = [self.id, self.title, self.outlet, "|".join(self.authors),
                 self.published.isoformat() if self.published else "", self.url or "", self.text]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def article_json(article: Article) -> dict:
    """The article's attribution as JSON-ready data: the one shape `--json`, `sources --json` and records share.

    Keys: id, title, title_derived (the title was made from the first sentence), outlet, authors (list),
    published (ISO `YYYY-MM-DD` or None), url, also_published_by (list). The body is not included.
    """
    return {"id": article.id, "title": article.title, "title_derived": article.title_derived,
            "outlet": article.outlet, "authors": list(article.authors),
            "published": article.published.isoformat() if article.published else None, "url": article.url,
            "also_published_by": list(article.also_published_by)}


def paragraph_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Character spans of the paragraphs of a normalised body."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in re.finditer(re.escape(PARAGRAPH_SEPARATOR), text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return tuple(s for s in spans if s[1] > s[0])


def normalise_body(paragraphs: list[str]) -> str:
    """Join paragraphs with one blank line, each cleaned (`corpus.text.clean_text`) and its whitespace runs collapsed.

    Why: offsets into `Article.text` must be stable whatever line endings, stray
    spaces or invisible characters the source had; every reader builds its body here.
    """
    cleaned = [" ".join(clean_text(p).split()) for p in paragraphs]
    return PARAGRAPH_SEPARATOR.join(p for p in cleaned if p)


def split_paragraphs(raw: str) -> list[str]:
    """Split raw text into paragraphs on blank lines (any line-ending style), after `clean_text`.

    Cleaning first means a line holding only invisible characters or no-break spaces is blank.
    """
    raw = clean_text(raw).replace("\r\n", "\n").replace("\r", "\n")
    return [p for p in re.split(r"\n\s*\n", raw) if p.strip()]


def canonical_url(url: str) -> str:
    """A URL without fragment, default trailing slash or case differences in the host."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def article_id(url: str | None, text: str) -> str:
    """Stable id: a hash of the canonical URL, else of the text."""
    basis = canonical_url(url) if url else " ".join(text.split())
    prefix = "u" if url else "c"
    return prefix + hashlib.sha256(basis.encode()).hexdigest()[:15]


def derive_title(text: str, limit: int = 90) -> str:
    """A readable title from the first sentence (`corpus.sentences`), shortened at a word boundary."""
    first = text.split(PARAGRAPH_SEPARATOR, 1)[0]
    sentence = first_sentence(first) or first
    sentence = re.sub(r"^\(\w+\)\s*", "", sentence).strip()
    if len(sentence) <= limit:
        return sentence.rstrip(".。｡")
    cut = sentence[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
