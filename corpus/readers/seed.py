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

The byline goes through `corpus.people` (names and credits), the date through
`corpus.dates` (a date that cannot be read for sure is left out with a
`DroppedDate` warning on the article, never guessed), the text through
`corpus.text`: the same rules as every other reader.
"""

from __future__ import annotations

import re
from pathlib import Path

from corpus.article import Article, article_id, derive_title, normalise_body, split_paragraphs
from corpus.dates import first_date
from corpus.errors import EmptyBody, MalformedHeader
from corpus.outlets import choose_outlet
from corpus.people import read_byline
from corpus.text import clean_line

_HEADER = re.compile(r"^date\s+(?P<date>\S+)\s+By\s+(?P<byline>.+),\s*(?P<outlet>[^,]+?)\s*$")
_EXTRA = re.compile(r"^(?P<key>[A-Za-z]+):?\s+(?P<value>.+?)\s*$")
_HEADER_HELP = ("write the first line as `date YYYY-MM-DD By Name[, Name…] and Name, Outlet`, "
                "e.g. `date 2023-05-03 By Sebastian Shukla and Nathan Hodge, CNN`")


def parse_seed(text: str, path: Path | str) -> Article:
    """Parse one seed-format file's text into an Article.

    A date that cannot be read for sure leaves the article without a date and a
    `DroppedDate` warning in `Article.notes`.

    Raises:
        MalformedHeader: the header lines do not follow the format, or the byline names nobody.
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
    match = _HEADER.match(clean_line(first))
    if not match:
        raise MalformedHeader(path, f"the header line {first[:80]!r} is not in the seed format",
                              _HEADER_HELP, line=line_no)
    published, notes = first_date([match["date"]], path, line=line_no)
    byline = read_byline(match["byline"])
    if not byline:
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
        extras[key] = clean_line(extra["value"])  # type: ignore[index]
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
        outlet=choose_outlet(match["outlet"], url=url),
        authors=byline.names,
        published=published,
        url=url,
        text=body,
        source=str(path),
        credits=byline.credits,
        notes=notes,
    )
