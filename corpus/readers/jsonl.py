"""Reader for JSON Lines article records, plain or gzip-compressed.

One object a line with `text` (required), `url`, `title`, `authors` (a list, a
JSON-encoded list, or a byline string, read by `corpus.people`), `credits`
(a list of strings), `published` or `publish_date` (read by `corpus.dates`: a
string in a form feeds use, or epoch seconds as a number), `outlet` (derived
from the URL when absent, see `corpus.outlets`) and optionally `id`.

A date that cannot be read for sure does not skip the record: the article is
kept without a date, with a `DroppedDate` warning in `Article.notes`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corpus.article import Article, article_id, derive_title, normalise_body, split_paragraphs
from corpus.dates import first_date
from corpus.errors import BadJsonLine, CorpusError, EmptyBody
from corpus.outlets import choose_outlet
from corpus.people import read_authors
from corpus.text import clean_line


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
        byline = read_authors(record.get("authors"))
    except ValueError as exc:
        raise bad(str(exc), "fix the field or leave it out") from None
    credits = record.get("credits") or []
    if not (isinstance(credits, list) and all(isinstance(c, str) for c in credits)):
        raise bad("`credits` is not a list of strings", "fix the field or leave it out")
    published, notes = first_date([record.get("published"), record.get("publish_date")], path, line=line)
    outlet = record.get("outlet")
    outlet = choose_outlet(outlet if isinstance(outlet, str) else None, url=url)
    title = record.get("title")
    title = clean_line(title) if isinstance(title, str) and clean_line(title) else None
    given_id = record.get("id")
    return Article(
        id=str(given_id) if given_id not in (None, "") else article_id(url, body),
        title=title or derive_title(body),
        title_derived=title is None,
        outlet=outlet,
        authors=byline.names,
        published=published,
        url=url,
        text=body,
        source=f"{path}:{line}",
        credits=tuple(dict.fromkeys([*byline.credits, *(clean_line(c) for c in credits if clean_line(c))])),
        notes=notes,
    )


def jsonl_lines(text: str) -> list[str]:
    """The lines of a JSON Lines text: split at `\n` only (a `\r` before it dropped).

    Why not `str.splitlines`: it also splits at U+2028, U+2029, U+0085 and other characters that JSON allows
    raw inside strings (`json.dumps(..., ensure_ascii=False)` and JavaScript write them so), which would cut
    one valid record in two — and a rewrite of the file (a removal) would then corrupt it.
    """
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def parse_jsonl(lines: Iterator[str], path: Path | str) -> Iterator[Article | CorpusError]:
    """Yield an Article or a typed error per non-blank line; one bad line never stops the rest.

    Whatever a line holds (invalid JSON, numbers beyond Python's limits, nesting deeper than the parser
    goes, values of the wrong type), it becomes a problem of that line, never an exception out of here.
    """
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield BadJsonLine(path, f"the line is not valid JSON ({exc.msg} at column {exc.colno})",
                              "fix the JSON syntax of this line (one object a line)", line=number)
            continue
        except (ValueError, RecursionError) as exc:  # a 5,000-digit number, 100,000 nested brackets
            yield BadJsonLine(path, f"the line cannot be read as JSON ({type(exc).__name__}: {str(exc)[:120]})",
                              "fix this line (one plain object a line)", line=number)
            continue
        try:
            yield record_to_article(record, path, number)
        except CorpusError as exc:
            yield exc
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            yield BadJsonLine(path, f"a value of the record cannot be used ({type(exc).__name__}: {str(exc)[:120]})",
                              "check the types of its fields: text, title, outlet and url are strings, authors a "
                              "list of names, published a date", line=number)
