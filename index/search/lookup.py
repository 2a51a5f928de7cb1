"""Source lookup: a passage id, an article (id or title) or a quote → the exact place in an article.

Shared by `/source`, the "Find source" message command and anything else that
must answer "where does this come from?". Pure apart from the read-only search
service it is given; it never imports discord.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from corpus.article import Article
from corpus.chunking import Passage
from corpus.sentences import sentence_spans
from index.search.links import fragment_link
from index.search.quote import QuoteFinder, QuoteResult
from index.search.service import SearchService

PASSAGE_ID = re.compile(r"^p[0-9a-f]{3,12}$")
ARTICLE_PREFIX = "a:"
ARTICLE_ID = re.compile(r"^[uc][0-9a-f]{15}$")


@dataclass(frozen=True)
class Location:
    """A span of an article with everything needed to verify it by hand.

    Attributes:
        start, end: the span, offsets into `article.text`.
        paragraph_first, paragraph_last: 1-based paragraph numbers of the span.
        sentence: the first sentence of the span (the text the link jumps to).
        link: the article URL with a text fragment for `sentence`, or None.
        before, after: the paragraphs just before and after the span (context), or None.
        indexed_at: when the article was first indexed (ISO time), if known.
    """

    article: Article
    passage: Passage | None
    start: int
    end: int
    paragraph_first: int
    paragraph_last: int
    sentence: str
    link: str | None
    before: str | None
    after: str | None
    indexed_at: str | None = None

    @property
    def paragraphs(self) -> str:
        """`paragraph 3 of 15` or `paragraphs 3-4 of 15`."""
        total = self.article.paragraph_count
        if self.paragraph_first == self.paragraph_last:
            return f"paragraph {self.paragraph_first} of {total}"
        return f"paragraphs {self.paragraph_first}-{self.paragraph_last} of {total}"

    @property
    def text(self) -> str:
        """The located text itself."""
        return self.article.text[self.start:self.end]


def paragraph_of(article: Article, offset: int) -> int:
    """1-based number of the paragraph containing (or preceding) `offset`."""
    starts = [s for s, _ in article.paragraph_spans]
    return max(1, bisect_right(starts, offset))


def locate(article: Article, start: int, end: int, passage: Passage | None = None,
           indexed_at: str | None = None) -> Location:
    """Describe the span [start, end) of an article: paragraphs, first sentence, link, neighbours."""
    first, last = paragraph_of(article, start), paragraph_of(article, max(start, end - 1))
    p_start, p_end = article.paragraph_spans[first - 1]
    sentence = next((article.text[a:b] for a, b in sentence_spans(article.text, p_start, p_end) if b > start),
                    article.text[start:end])
    spans = article.paragraph_spans

    def para(n: int) -> str | None:
        return article.text[spans[n - 1][0]:spans[n - 1][1]] if 1 <= n <= len(spans) else None

    return Location(article, passage, start, end, first, last, sentence, fragment_link(article.url, sentence),
                    para(first - 1), para(last + 1), indexed_at)


@dataclass(frozen=True)
class SourceAnswer:
    """What a lookup found: `kind` is "passage", "article", "quote" or "none"; `quote` for quotes."""

    kind: str
    query: str
    location: Location | None = None
    quote: QuoteResult | None = None


class SourceLookup:
    """Resolves `/source` queries against one search service."""

    def __init__(self, service: SearchService) -> None:
        self.service = service
        self.quotes = QuoteFinder(service)

    def passage_location(self, passage: Passage, article: Article) -> Location:
        """Where a passage stands (its whole span)."""
        return locate(article, passage.start, passage.end, passage, self.service.meta.indexed_at(article.id))

    def article_location(self, article: Article) -> Location:
        """An article as a whole: its first paragraph stands for it."""
        passages = self.service.meta.passages_of(article.id)
        first = passages[0][1] if passages else None
        start, end = article.paragraph_spans[0]
        return locate(article, start, end, first, self.service.meta.indexed_at(article.id))

    def find_article(self, query: str) -> Article | None:
        """An article by `a:<id>`, bare id, or exact title (case and spacing ignored)."""
        key = query.removeprefix(ARTICLE_PREFIX).strip()
        if ARTICLE_ID.match(key):
            found = self.service.meta.article(key)
            if found:
                return found
        wanted = " ".join(query.split()).casefold()
        return next((a for a in self.service.articles() if " ".join(a.title.split()).casefold() == wanted), None)

    def lookup(self, query: str) -> SourceAnswer:
        """Passage id, then article, then quote matching."""
        query = " ".join(query.split())
        if PASSAGE_ID.match(query.lower()):
            found = self.service.passage(query)
            if found:
                passage, article = found
                return SourceAnswer("passage", query, self.passage_location(passage, article))
        article = self.find_article(query)
        if article:
            return SourceAnswer("article", query, self.article_location(article))
        result = self.quotes.find(query)
        if result.match is None:
            return SourceAnswer("none", query, quote=result)
        m = result.match
        location = locate(m.article, m.start, m.end, m.passage, self.service.meta.indexed_at(m.article.id))
        return SourceAnswer("quote", query, location, result)
