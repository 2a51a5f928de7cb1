"""Text analysis: text → the terms BM25, highlights and answer composition compare.

The one analyser of the project: passages are indexed, questions scored,
highlight sentences and the answer's fallback bold sentence chosen with the
same words, so a term means the same thing everywhere. English Snowball
stemming (PyStemmer, what bm25s uses) over lower-cased words, possessives
dropped, stopwords removed.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

# Lucene's English list (what bm25s uses) plus question words, which carry no topic.
_STOPWORDS = frozenset("""
a an and are as at be but by for if in into is it no not of on or such that the their then there these they
this to was will with what which who whom whose when where why how did does do has have had were been its
""".split())
_POSSESSIVE = re.compile(r"['’]s$")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202 - PyStemmer has no type stubs
    return Stemmer.Stemmer("english")


def analyze(text: str) -> list[str]:
    """Lower-cased, stopword-free, stemmed terms: `"Moscow's drones"` → `["moscow", "drone"]`."""
    words = []
    for match in _WORD.finditer(text.lower()):
        word = match.group()
        if "'" in word or "’" in word:
            word = _POSSESSIVE.sub("", word).replace("’", "'")
        if word and word not in _STOPWORDS:
            words.append(word)
    return _stemmer().stemWords(words) if words else []
