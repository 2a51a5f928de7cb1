"""Reader for saved HTML pages: main text extracted with trafilatura, attribution from the page's own metadata.

Why trafilatura: separating an article's body from navigation, adverts and
comments, and finding its title and canonical link in the many ways news sites
mark them up, is a large, well-tested body of heuristics that hand-written code
would only approximate.

Why the attribution is read here first: trafilatura normalises what it finds
(it drops the periods of initials, "Tyler G. Jones" → "Tyler G Jones", and turns
dates into bare days), so the publisher's own metadata is read as written and
passed through the same clean-ups every reader uses (`corpus.people`,
`corpus.dates`, `corpus.outlets`). In order of trust:

- authors: JSON-LD `author` of the article object (schema.org), else the
  `author` / `article:author` / `byl` / `dc.creator` / `parsely-author` meta
  tags, else the feed entry's authors (`fallback`), else trafilatura's byline
  (its spelling restored from the page where the page has it);
- date: JSON-LD `datePublished`, `article:published_time` and the other
  publication-date meta tags, `<time itemprop="datePublished">`, else the feed
  entry's date, else trafilatura's (htmldate, without its free-text search)
  when the page names no date at all;
- outlet: `og:site_name`, JSON-LD `publisher.name`, else the feed's title, else
  the address (see `corpus.outlets`).
"""

from __future__ import annotations

import html as html_entities
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.article import Article, article_id, derive_title, normalise_body
from corpus.dates import first_date
from corpus.errors import CorpusError, EmptyBody, UnreadableFile
from corpus.outlets import choose_outlet
from corpus.people import Byline, merge, read_authors, read_byline
from corpus.text import clean_line

log = logging.getLogger(__name__)
# trafilatura logs its own ERROR lines for pages it cannot extract; the reader reports each such page once, as a
# problem with its reason, so trafilatura's lines would only repeat it in the build output
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

HTML_SUFFIXES = (".html", ".htm")

_AUTHOR_META = ("author", "article:author", "byl", "dc.creator", "dcterms.creator", "parsely-author",
                "sailthru.author", "cxenseparse:author")
_DATE_META = ("article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
              "publish-date", "publish_date", "published_time", "dc.date.issued", "dcterms.issued", "dc.date",
              "dcterms.date", "date", "sailthru.date", "parsely-pub-date", "article.published")
_ARTICLE_TYPES = re.compile(r"(Article|Posting|Report)$")


class UnextractableHtml(CorpusError):
    """The page holds no article text that could be extracted."""


@dataclass
class PageMetadata:
    """Attribution as the page itself states it (raw strings, before any clean-up).

    Attributes:
        authors: author names or bylines, in the page's order.
        organisations: authors that the page marks as organisations (schema.org `Organization`).
        dates: publication-date candidates, most trusted first.
        site_name: `og:site_name`.
        publisher: JSON-LD `publisher.name`.
    """

    authors: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    site_name: str | None = None
    publisher: str | None = None


def _json_ld_objects(tree: Any) -> list[dict]:
    objects: list[dict] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content() or "", strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack[:0] = item
            elif isinstance(item, dict):
                objects.append(item)
                if isinstance(item.get("@graph"), list):
                    stack[:0] = item["@graph"]
    return objects


def _types(obj: dict) -> list[str]:
    kind = obj.get("@type")
    return [k for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str)]


def _name(value: Any, by_id: dict[str, dict]) -> tuple[str | None, bool]:
    """A schema.org person or organisation as (its name, whether it is an organisation).

    HTML entities are decoded: some sites write `O&#39;Neil` inside the JSON.
    """
    if isinstance(value, str):
        return html_entities.unescape(value), False
    if isinstance(value, dict):
        if set(value) <= {"@id"} and value.get("@id") in by_id:
            value = by_id[value["@id"]]
        name = value.get("name")
        if isinstance(name, list):
            name = next((n for n in name if isinstance(n, str)), None)
        organisation = any(t.endswith("Organization") for t in _types(value))
        return (html_entities.unescape(name) if isinstance(name, str) else None), organisation
    return None, False


def page_metadata(tree: Any) -> PageMetadata:
    """The page's own attribution: JSON-LD article objects and meta tags (see the module docstring)."""
    meta = PageMetadata()
    objects = _json_ld_objects(tree)
    by_id = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    for obj in objects:
        if not any(_ARTICLE_TYPES.search(t) for t in _types(obj)):
            continue
        authors = obj.get("author") or obj.get("creator")
        for author in authors if isinstance(authors, list) else [authors] if authors else []:
            name, organisation = _name(author, by_id)
            if name:
                (meta.organisations if organisation else meta.authors).append(name)
        if isinstance(obj.get("datePublished"), str):
            meta.dates.append(obj["datePublished"])
        publisher, _ = _name(obj.get("publisher"), by_id)
        meta.publisher = meta.publisher or publisher
    tags: dict[str, list[str]] = {}
    for element in tree.iter("meta"):
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "").strip().lower()
        content = element.get("content")
        if key and content and content.strip():
            tags.setdefault(key, []).append(content.strip())
    if not meta.authors:
        for key in _AUTHOR_META:
            values = [v for v in tags.get(key, []) if not re.match(r"^https?://", v, re.I)]
            if values:
                meta.authors = values
                break
    meta.dates += [v for key in _DATE_META for v in tags.get(key, [])]
    meta.dates += [t.get("datetime") for t in tree.xpath('//time[@itemprop="datePublished" or @pubdate]')
                   if t.get("datetime")]
    meta.site_name = (tags.get("og:site_name") or [None])[0]
    return meta


def _as_written(names: str, page_text: str) -> str:
    """trafilatura's `A B; C D` with each name spelt as on the page: `Tyler G Jones` → `Tyler G. Jones`.

    Joined with commas, so a suffix trafilatura split off ("Carla Mendes; Sr") rejoins its name.
    """
    found = []
    for name in names.split(";"):
        tokens = name.split()
        if not tokens:
            continue
        pattern = r"(?<!\w)" + r"\.?\s*".join(re.escape(t) for t in tokens) + r"\.?(?!\w)"
        match = re.search(pattern, page_text, re.I)
        found.append(" ".join(match.group(0).split()) if match else name.strip())
    return ", ".join(found)


def article_from_html(html: str | bytes, source: str, url: str | None = None,
                      fallback: dict | None = None) -> Article:
    """Extract one article from a page.

    Args:
        html: the page (bytes are decoded by trafilatura, which reads the page's charset).
        source: where it came from, for attribution and error messages.
        url: the address it was fetched from; the page's canonical link wins when present.
        fallback: what a feed entry says, used where the page itself says nothing: `title` (str),
            `authors` (bylines or names: str or list, read by `corpus.people`), `published`
            (date candidates, most trusted first, read by `corpus.dates`) and `outlet` (the feed's title).

    A date that cannot be read for sure leaves the article without one and puts a
    `DroppedDate` warning in `Article.notes`.

    Raises:
        UnextractableHtml: no article text found.
        EmptyBody: the extracted text is empty.
    """
    import trafilatura  # imported here: ~0.4 s, paid only when an HTML page is read
    from trafilatura.utils import load_html

    fallback = fallback or {}
    try:
        tree = load_html(html)
        if tree is None:
            raise ValueError("not an HTML document")
        meta = page_metadata(tree)
        page_text = "" if meta.authors else " ".join(tree.xpath("//body//text()[not(ancestor::script)]"))
        doc = trafilatura.bare_extraction(tree, url=url, with_metadata=True, include_comments=False,
                                          include_tables=False,
                                          date_extraction_params={"extensive_search": False, "original_date": True})
    except Exception as exc:  # noqa: BLE001 - lxml and trafilatura raise many parser errors; all mean the same here
        raise UnextractableHtml(source, f"the page could not be parsed ({exc})",
                                "check that it is a complete HTML page") from None
    if doc is None or not (doc.text or "").strip():
        raise UnextractableHtml(source, "no article text was found in the page",
                                "save the article page itself (not an index or a login page), or use a .jsonl record")
    title = clean_line(doc.title or "") or clean_line(fallback.get("title") or "") or None
    lines = [line for line in doc.text.split("\n") if line.strip()]
    if title and lines and clean_line(lines[0]) == title:
        lines = lines[1:]  # the headline repeated as the first line of the body
    body = normalise_body(lines)
    if not body:
        raise EmptyBody(source, "the page has a headline but no article text",
                        "save the full article page, or use a .jsonl record")
    reason = not_an_article(tree, body)
    if reason:
        raise UnextractableHtml(source, f"the page holds no article: {reason}",
                                "save the article page itself, or use a .jsonl record")
    canonical = doc.url if doc.url and re.match(r"^https?://\S+$", doc.url) else url
    byline = _byline(meta, fallback.get("authors"), doc.author, page_text)
    dates: list[Any] = [*meta.dates, *_listed(fallback.get("published"))]
    if not dates and doc.date:
        dates.append(doc.date)  # htmldate's reading, only when neither the page nor the feed names a date
    published, notes = first_date(dates, source)
    return Article(
        id=article_id(canonical, body),
        title=title or derive_title(body),
        title_derived=title is None,
        outlet=choose_outlet(meta.site_name, meta.publisher, fallback.get("outlet"), url=canonical),
        authors=byline.names,
        published=published,
        url=canonical,
        text=body,
        source=source,
        credits=byline.credits,
        notes=notes,
    )


MIN_ARTICLE_WORDS = 12  # below this, what extraction kept is a label or a menu, not even a news brief
FORM_PAGE_WORDS = 120  # a page with a password field and less text than this is a sign-in form


def not_an_article(tree: Any, body: str) -> str | None:
    """Why an extracted page is boilerplate rather than an article (None when it reads as one).

    Rules (what extraction keeps of pages that are not articles, seen in login walls and section fronts):
    a password field with little text is a sign-in or sign-up form; fewer than `MIN_ARTICLE_WORDS` words is
    a label or a menu; a body that is mostly very short lines (four words or fewer), at least eight of them,
    is a list of links (navigation, a section front), not prose.
    """
    words = len(body.split())
    if tree.xpath("//input[translate(@type, 'PASWORD', 'pasword')='password']") and words < FORM_PAGE_WORDS:
        return f"a sign-in form ({words} words of text beside a password field)"
    if words < MIN_ARTICLE_WORDS:
        return f"only {words} word(s) of text were found (a menu, a label or a placeholder page)"
    lines = [line for paragraph in body.split("\n\n") for line in paragraph.split("\n") if line.strip()]
    short = sum(len(line.split()) <= 4 for line in lines)
    if len(lines) >= 8 and short / len(lines) >= 0.8:
        return f"a list of links ({short} of its {len(lines)} lines are four words or fewer)"
    return None


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _byline(meta: PageMetadata, feed_authors: Any, extracted: str | None, page_text: str) -> Byline:
    """The first source that names people (page metadata, feed, trafilatura), with every credit seen."""
    organisations = Byline(credits=tuple(clean_line(o) for o in meta.organisations if clean_line(o)))
    sources: Iterable[Any] = (meta.authors, feed_authors,
                              _as_written(extracted, page_text) if extracted else None)
    credits = [organisations]
    for value in sources:
        if not value:
            continue
        try:
            byline = read_authors(value) if not isinstance(value, str) else read_byline(value)
        except ValueError:
            continue
        credits.append(Byline(credits=byline.credits))
        if byline.names:
            return merge(Byline(names=byline.names), *credits)
    return merge(*credits)


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
