"""Sentence boundaries with character offsets, in any script.

The one place that decides where a sentence ends: passage cuts, highlights,
`/source` sentences, text-fragment links and derived titles all use it.

The rule: a sentence ends at terminal punctuation (`.!?…` and the other
scripts' own: `؟ ۔ । ॥ ։ ። ‼ ⁉`), with any closing quotes or brackets after it,
when whitespace follows and the next sentence starts (after opening quotes or
brackets) with a capital of any script (`É`, `Ж`, `Ω`), a digit or a letter of a
script without case (Chinese, Arabic, Hebrew, Devanagari, Hangul…). A period
closing a known abbreviation or an initial ends nothing. Full-width terminators
(`。！？｡`) end a sentence whatever follows: Chinese and Japanese put no space
between sentences.

Why hand-written rules and not a segmenter library: passages and highlights
need exact offsets into the stored text, the corpus has no language tag per
article (English news quoting names and sentences from other languages), and
splitting runs for every passage at build time and for every shown passage at
question time. Segmenters that handle many languages (pysbd, sentencex) need
the language named up front and apply that language's rules to the whole
text; these rules are script-aware instead, cost a regular-expression scan per
paragraph, and keep the English behaviour that highlights were tuned on.
"""

from __future__ import annotations

import re

# Changes whenever boundaries change: it is part of the chunking settings, so an index cut with other rules is
# cut again (see `corpus.chunking.ChunkConfig.describe`).
RULES = "unicode-2"

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "lt", "col", "sgt", "capt",
    "st", "jr", "sr", "inc", "corp", "co", "ltd", "vs", "etc", "no", "fig", "jan", "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k",
    "u.n", "e.g", "i.e", "a.m", "p.m", "d.c", "mt", "ft", "ave", "blvd", "dept", "est",
    "rev", "pres", "supt", "adm", "maj", "cmdr", "atty", "approx",
    # plural titles, titles and references common in news of any country
    "sens", "reps", "govs", "gens", "drs", "profs", "mme", "mlle", "messrs", "hon", "cf", "vol", "nos", "pp",
    "ph.d", "avg",
}
# Terminators that need whitespace and a sentence start after them, and full-width ones that need nothing.
_TERMINATORS = ".!?…‼⁇⁈⁉؟۔।॥։።፧"
_FULL_WIDTH = "。｡！？"
# Closing quotes and brackets that stay with the sentence they end; openers that may precede the next one.
# Guillemets go both ways (French « … », German » … «).
_CLOSERS = "\"'”’»«›‹)]}」』）】〕〗〙〛〉》］｝｣"
_OPENERS = "\"'“‘„‚«»‹›([{¿¡「『（【〔〖〘〚〈《［｛｢"
# French sets closing guillemets apart (`« Non. » Puis`): a spaced `»` followed by a space closes too.
_CANDIDATE = re.compile(f"[{re.escape(_TERMINATORS + _FULL_WIDTH)}]+(?:[{re.escape(_CLOSERS)}]|[ \u00a0\u202f][»›](?=\\s))*")


def _is_abbreviation(text: str, end: int) -> bool:
    """True when the period at `end - 1` closes an abbreviation, an initial or dotted initials (`G.T.`)."""
    start = end - 1
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
    word = text[start:end].rstrip(".").lower()
    return word in _ABBREVIATIONS or all(len(part) == 1 and part.upper() != part for part in word.split("."))


def starts_sentence(char: str) -> bool:
    """True for what a sentence may start with: a capital of any script, a digit, a letter of a caseless script."""
    if char.isupper() or char.istitle() or char.isdecimal():
        return True
    return char.isalpha() and not char.islower()  # caseless: CJK, Arabic, Hebrew, Indic, Hangul, Thai…


def _next_starts_sentence(text: str, stop: int, end: int) -> bool:
    """True when whitespace follows `stop`, then optional openers, then the start of a sentence."""
    i = stop
    if i >= end or not text[i].isspace():
        return False
    while i < end and (text[i].isspace() or text[i] in _OPENERS):  # French spaces its guillemets: `« Oui`
        i += 1
    return i < end and starts_sentence(text[i])


def _ends_sentence(text: str, match: re.Match[str], end: int) -> bool:
    """Whether the terminator (and closers) `match` ends a sentence of `text[:end]`."""
    run = match.group()
    if any(ch in _FULL_WIDTH for ch in run):
        return True
    if run == "." and _is_abbreviation(text, match.end()):
        return False
    return _next_starts_sentence(text, match.end(), end)


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
        if stop <= cursor or stop >= end or not _ends_sentence(text, match, end):
            continue
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


def first_sentence(text: str) -> str:
    """The first sentence of `text` (all of it when it has one), without surrounding whitespace."""
    spans = sentence_spans(text)
    return text[spans[0][0]:spans[0][1]] if spans else ""
