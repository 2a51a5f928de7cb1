"""Sentence boundaries with character offsets.

Why hand-written: passages must never cut a sentence and highlights need exact
offsets; a small rule set tuned for news prose (abbreviations, initials, quotes)
does that without a language model or a download.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "lt", "col", "sgt", "capt",
    "st", "jr", "sr", "inc", "corp", "co", "ltd", "vs", "etc", "no", "fig", "jan", "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k",
    "u.n", "e.g", "i.e", "a.m", "p.m", "d.c", "mt", "ft", "ave", "blvd", "dept", "est",
    "rev", "pres", "supt", "adm", "maj", "cmdr", "atty", "approx",
}
# A candidate end: terminal punctuation, optional closing quotes/brackets, whitespace.
_CANDIDATE = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+)")
_NEXT_STARTS_SENTENCE = re.compile(r"\s+[\"'“‘(\[]*[A-Z0-9]")


def _is_abbreviation(text: str, end: int) -> bool:
    """True when the period at `end - 1` closes an abbreviation or an initial."""
    start = end - 1
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
    word = text[start:end].rstrip(".").lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the sentences in `text[start:end]`, offsets into `text`.

    Spans exclude the whitespace between sentences, so that
    `text[a:b]` is always a sentence with no leading or trailing space.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    while cursor < end and text[cursor].isspace():
        cursor += 1
    for match in _CANDIDATE.finditer(text, cursor, end):
        stop = match.end()
        if text[match.start()] == "." and match.end() - match.start() == 1 and _is_abbreviation(text, match.start() + 1):
            continue
        if not _NEXT_STARTS_SENTENCE.match(text, stop, end):
            continue
        if stop > cursor:
            spans.append((cursor, stop))
        cursor = stop
        while cursor < end and text[cursor].isspace():
            cursor += 1
    tail_end = end
    while tail_end > cursor and text[tail_end - 1].isspace():
        tail_end -= 1
    if tail_end > cursor:
        spans.append((cursor, tail_end))
    return spans
