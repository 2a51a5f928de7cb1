"""Reader for the seed text format shipped in `seeds/`.

The format (documented in the README)::

    date 2023-05-03 By Sebastian Shukla and Nathan Hodge, CNN
    title Moscow accuses Kyiv of drone attack on the Kremlin     (optional)
    url https://edition.cnn.com/...                              (optional)

    First paragraph...

    Second paragraph...

The header block is every line before the first blank line. Its first line is
the date/byline line; `title` and `url` lines may follow in any order. Files
with only the original single header line stay valid.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from corpus.article import Article, article_id, derive_title, normalise_body, split_paragraphs
from corpus.errors import EmptyBody, MalformedHeader
from corpus.outlets import normalise_outlet

_HEADER = re.compile(r"^date\s+(?P<date>\S+)\s+By\s+(?P<byline>.+),\s*(?P<outlet>[^,]+?)\s*$")
_EXTRA = re.compile(r"^(?P<key>[A-Za-z]+):?\s+(?P<value>.+?)\s*$")
_HEADER_HELP = ("write the first line as `date YYYY-MM-DD By Name[, Name…] and Name, Outlet`, "
                "e.g. `date 2023-05-03 By Sebastian Shukla and Nathan Hodge, CNN`")


def split_authors(byline: str) -> tuple[str, ...]:
    """`A, B and C` → (A, B, C). Why: bylines are written as prose, not lists."""
    names = re.split(r",\s*|\s+and\s+|\s*&\s*", byline.strip())
    return tuple(n.strip() for n in names if n.strip())


def parse_seed(text: str, path: Path | str) -> Article:
    """Parse one seed-format file's text into an Article.

    Raises:
        MalformedHeader: the header lines do not follow the format.
        EmptyBody: there is no paragraph after the header.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header: list[tuple[int, str]] = []
    index = 0
    while index < len(lines) and not lines[index].strip() and not header:
        index += 1  # tolerate blank lines before the header
    while index < len(lines) and lines[index].strip():
        header.append((index + 1, lines[index].strip()))
        index += 1
    if not header:
        raise EmptyBody(path, "the file is empty", "add a header line and the article's paragraphs")
    line_no, first = header[0]
    match = _HEADER.match(first)
    if not match:
        raise MalformedHeader(path, f"the header line {first[:80]!r} is not in the seed format",
                              _HEADER_HELP, line=line_no)
    try:
        published = date.fromisoformat(match["date"])
    except ValueError:
        raise MalformedHeader(path, f"{match['date']!r} is not a valid date",
                              "write the date as YYYY-MM-DD, e.g. 2023-05-03", line=line_no) from None
    authors = split_authors(match["byline"])
    if not authors:
        raise MalformedHeader(path, "the byline names no author", _HEADER_HELP, line=line_no)
    extras: dict[str, str] = {}
    for extra_no, extra_line in header[1:]:
        extra = _EXTRA.match(extra_line)
        key = extra["key"].lower() if extra else ""
        if key not in ("title", "url") or key in extras:
            raise MalformedHeader(
                path, f"unexpected header line {extra_line[:80]!r}",
                "after the date line only `title …` and `url …` lines may follow (once each), "
                "then a blank line before the first paragraph", line=extra_no)
        extras[key] = extra["value"]  # type: ignore[index]
    url = extras.get("url")
    if url is not None and not re.match(r"^https?://\S+$", url):
        raise MalformedHeader(path, f"{url!r} is not an http(s) link",
                              "write the url line as `url https://…`", line=line_no + 1 + list(extras).index("url"))
    body = normalise_body(split_paragraphs("\n".join(lines[index:])))
    if not body:
        raise EmptyBody(path, "the article has a header but no text",
                        "add the article's paragraphs after a blank line below the header")
    title = extras.get("title")
    return Article(
        id=article_id(url, body),
        title=title or derive_title(body),
        title_derived=title is None,
        outlet=normalise_outlet(match["outlet"]),
        authors=authors,
        published=published,
        url=url,
        text=body,
        source=str(path),
    )
