"""Reader for JSON Lines article records, plain or gzip-compressed.

One object a line with `text` (required), `url`, `title`, `authors` (a list, a
JSON-encoded list, or a byline string), `published` or `publish_date`,
`outlet` (derived from the URL's host when absent) and optionally `id`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from corpus.article import Article, article_id, derive_title, normalise_body, split_paragraphs
from corpus.errors import BadJsonLine, CorpusError, EmptyBody
from corpus.outlets import normalise_outlet, outlet_from_url
from corpus.readers.seed import split_authors


def parse_authors(value: Any) -> tuple[str, ...]:
    """Authors from a list, a JSON-encoded list (as some crawls store it) or a byline."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError:
                value = stripped.strip("[]")
        if isinstance(value, str):
            return split_authors(re.sub(r"^by\s+", "", value, flags=re.I))
    if isinstance(value, list):
        return tuple(" ".join(str(v).split()) for v in value if str(v).strip())
    raise ValueError(f"authors must be a list of names or a string, not {type(value).__name__}")


def parse_date(value: Any) -> date | None:
    """`YYYY-MM-DD` or an ISO timestamp → date; empty → None."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"the date must be a string like 2023-05-03, not {value!r}")
    text = value.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            raise ValueError(f"{value!r} is not a date like 2023-05-03") from None


def record_to_article(record: Any, path: Path | str, line: int) -> Article:
    """Validate one decoded JSON record and turn it into an Article."""
    def bad(problem: str, fix: str) -> BadJsonLine:
        return BadJsonLine(path, problem, fix, line=line)

    if not isinstance(record, dict):
        raise bad("the line is not a JSON object", 'write one object a line, e.g. {"title": …, "text": …}')
    text = record.get("text")
    if not isinstance(text, str):
        raise bad("the record has no `text` field" if text is None else "`text` is not a string",
                  "give every record the article body as a string in `text`")
    body = normalise_body(split_paragraphs(text))
    if not body:
        raise EmptyBody(path, "the record's `text` is empty", "remove the record or fill in its text", line=line)
    url = record.get("url") or None
    if url is not None and (not isinstance(url, str) or not re.match(r"^https?://\S+$", url.strip())):
        raise bad(f"`url` {url!r} is not an http(s) link", "give the article's link as https://… or leave it out")
    url = url.strip() if url else None
    try:
        authors = parse_authors(record.get("authors"))
        published = parse_date(record.get("published", record.get("publish_date")))
    except ValueError as exc:
        raise bad(str(exc), "fix the field or leave it out") from None
    outlet = record.get("outlet")
    outlet = normalise_outlet(outlet) if isinstance(outlet, str) and outlet.strip() else (
        outlet_from_url(url) if url else "unknown outlet")
    title = record.get("title")
    title = " ".join(title.split()) if isinstance(title, str) and title.strip() else None
    given_id = record.get("id")
    return Article(
        id=str(given_id) if given_id not in (None, "") else article_id(url, body),
        title=title or derive_title(body),
        title_derived=title is None,
        outlet=outlet,
        authors=authors,
        published=published,
        url=url,
        text=body,
        source=f"{path}:{line}",
    )


def parse_jsonl(lines: Iterator[str], path: Path | str) -> Iterator[Article | CorpusError]:
    """Yield an Article or a typed error per non-blank line; one bad line never stops the rest."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield BadJsonLine(path, f"the line is not valid JSON ({exc.msg} at column {exc.colno})",
                              "fix the JSON syntax of this line (one object a line)", line=number)
            continue
        try:
            yield record_to_article(record, path, number)
        except CorpusError as exc:
            yield exc
