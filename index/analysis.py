"""Text analysis: text → the terms BM25, highlights and answer composition compare.

The one analyser of the project: passages are indexed, questions scored,
highlight sentences and the answer's fallback bold sentence chosen with the
same words, so a term means the same thing everywhere. English Snowball
stemming (PyStemmer, what bm25s uses) over folded words (`fold`: case and
accents), possessives dropped, stopwords removed.

`fold` is also what the quote matcher (`index.search.quote`) compares, so a
question, a pasted quote and an article agree on `Pokemon`/`Pokémon`,
`CAFÉ`/`cafe`, `ﬁnal`/`final` and full-width `ＮＡＴＯ`/`NATO`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

# Lucene's English list (what bm25s uses) plus question words, which carry no topic.
_STOPWORDS = frozenset("""
a an and are as at be but by for if in into is it no not of on or such that the their then there these they
this to was will with what which who whom whose when where why how did does do has have had were been its
""".split())
_POSSESSIVE = re.compile(r"['’]s$")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


# The combining marks that are accents: the generic diacritics blocks (acute, grave, umlaut, cedilla, breve, tonos…),
# which is what Latin, Greek and Cyrillic letters decompose into. Other scripts' marks (kana voicing, Indic vowel
# signs, Hebrew and Arabic points, Thai tones) change the word, so they stay.
_ACCENT_RANGES = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F))


def _is_accent(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _ACCENT_RANGES)


def fold_char(char: str) -> str:
    """One character folded: compatibility forms decomposed (`ﬁ` → `fi`, `Ａ` → `a`), case folded, accents dropped.

    May be empty (a lone accent) or longer than one character (`ß` → `ss`). Only letters and digits take their
    compatibility forms: `™` or `½` would otherwise glue letters or digits to the word before them.
    """
    form = "NFKD" if unicodedata.category(char)[0] == "L" or unicodedata.category(char) == "Nd" else "NFD"
    text = unicodedata.normalize(form, unicodedata.normalize(form, char).casefold())
    return unicodedata.normalize("NFC", "".join(c for c in text if not _is_accent(c)))


class _FoldTable(dict):
    """`str.translate` table filled on first use of each character (thread-safe: one dict write per character)."""

    def __missing__(self, code: int) -> str:
        value = fold_char(chr(code))
        self[code] = value
        return value


_FOLD = _FoldTable()
# text whose folding is plain lower-casing: ASCII and general punctuation (’ “ ” — – …), most English news
_LOWER_ONLY = re.compile("[\x00-\x7f\u2002-\u206f]*")


_OTHER = re.compile("[^\x00-\x7f\u2002-\u206f]+")


def fold(text: str) -> str:
    """`text` with every character folded (`fold_char`): `"Émile’s CAFÉ"` → `"emile’s cafe"`."""
    if _LOWER_ONLY.fullmatch(text):
        return text.lower()
    parts: list[str] = []
    done = 0
    for match in _OTHER.finditer(text):  # the few characters beyond ASCII and punctuation, through the table
        parts += (text[done:match.start()].lower(), match.group().translate(_FOLD))
        done = match.end()
    parts.append(text[done:].lower())
    return "".join(parts)


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`fold(text)` and, for each of its characters, the offset in `text` of the character it came from."""
    if _LOWER_ONLY.fullmatch(text):
        return text.lower(), list(range(len(text)))
    chars: list[str] = []
    offsets: list[int] = []
    for i, char in enumerate(text):
        folded = _FOLD[ord(char)]
        chars.append(folded)
        offsets.extend([i] * len(folded))
    return "".join(chars), offsets


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202 - PyStemmer has no type stubs
    return Stemmer.Stemmer("english")


def analyze(text: str) -> list[str]:
    """Folded, stopword-free, stemmed terms: `"Moscow's drones"` → `["moscow", "drone"]`, `"Pokémon"` → `["pokemon"]`.
    """
    words = []
    for match in _WORD.finditer(fold(text)):
        word = match.group()
        if "'" in word or "’" in word:
            word = _POSSESSIVE.sub("", word).replace("’", "'")
        if word and word not in _STOPWORDS:
            words.append(word)
    return _stemmer().stemWords(words) if words else []
