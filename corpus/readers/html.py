"""Reader for saved HTML pages: main text and metadata extracted with trafilatura.

Why trafilatura: separating an article's body from navigation, adverts and
comments, and finding its title, byline, date, publisher and canonical link in
the many ways news sites mark them up, is a large, well-tested body of
heuristics that hand-written code would only approximate.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from corpus.article import Article, article_id, derive_title, normalise_body
from corpus.errors import CorpusError, EmptyBody, UnreadableFile
from corpus.readers.jsonl import parse_date
from corpus.outlets import normalise_outlet, outlet_from_url
from corpus.readers.seed import split_authors

log = logging.getLogger(__name__)

HTML_SUFFIXES = (".html", ".htm")


class UnextractableHtml(CorpusError):
    """The page holds no article text that could be extracted."""


def _authors(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    names: list[str] = []
    for part in re.split(r"\s*;\s*", raw):
        names.extend(split_authors(re.sub(r"^by\s+", "", part.strip(), flags=re.I)))
    return tuple(dict.fromkeys(n for n in names if n))


def _published(raw: str | None) -> date | None:
    try:
        return parse_date(raw)
    except ValueError:
        return None


def article_from_html(html: str | bytes, source: str, url: str | None = None,
                      fallback: dict | None = None) -> Article:
    """Extract one article from a page.

    Args:
        html: the page (bytes are decoded by trafilatura, which reads the page's charset).
        source: where it came from, for attribution and error messages.
        url: the address it was fetched from; the page's canonical link wins when present.
        fallback: values from elsewhere (a feed entry): `title`, `authors`, `published`, `outlet`,
            used where the page itself says nothing.

    Raises:
        UnextractableHtml: no article text found.
        EmptyBody: the extracted text is empty.
    """
    import trafilatura  # imported here: ~0.4 s, paid only when an HTML page is read

    fallback = fallback or {}
    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          include_tables=False)
    except Exception as exc:  # noqa: BLE001 - trafilatura raises many parser errors; all mean the same here
        raise UnextractableHtml(source, f"the page could not be parsed ({exc})",
                                "check that it is a complete HTML page") from None
    if doc is None or not (doc.text or "").strip():
        raise UnextractableHtml(source, "no article text was found in the page",
                                "save the article page itself (not an index or a login page), or use a .jsonl record")
    title = " ".join((doc.title or fallback.get("title") or "").split()) or None
    lines = [line for line in doc.text.split("\n") if line.strip()]
    if title and lines and " ".join(lines[0].split()) == title:
        lines = lines[1:]  # the headline repeated as the first line of the body
    body = normalise_body(lines)
    if not body:
        raise EmptyBody(source, "the page has a headline but no article text",
                        "save the full article page, or use a .jsonl record")
    canonical = doc.url if doc.url and re.match(r"^https?://\S+$", doc.url) else url
    outlet = doc.sitename or fallback.get("outlet")
    outlet = normalise_outlet(outlet) if outlet else (outlet_from_url(canonical) if canonical else "unknown outlet")
    authors = _authors(doc.author) or tuple(fallback.get("authors") or ())
    published = _published(doc.date) or fallback.get("published")
    return Article(
        id=article_id(canonical, body),
        title=title or derive_title(body),
        title_derived=title is None,
        outlet=outlet,
        authors=authors,
        published=published,
        url=canonical,
        text=body,
        source=source,
    )


def read_html_file(path: Path) -> Iterator[Article | CorpusError]:
    """Reader for `.html` / `.htm` files saved from a browser or a crawler."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield UnreadableFile(path, f"the file cannot be read ({exc})", "check that it exists and is readable")
        return
    try:
        yield article_from_html(raw, str(path))
    except CorpusError as exc:
        yield exc
