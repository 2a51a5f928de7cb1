"""Text as people see it: the one normalisation every reader applies at intake.

Why at intake, once: everything after the readers (passages, BM25 terms, exact
quote matching in `/source`, duplicate and syndication detection, embeddings)
works on `Article.text` and its offsets. If two copies of an article differ
only in characters nobody can see, they must be the same text before any of
those stages looks at them, and offsets into the stored text stay exact
because nothing rewrites the text afterwards.

What changes (and only this):

- invisible format characters are removed: SOFT HYPHEN U+00AD, ZERO WIDTH SPACE
  U+200B, ZERO WIDTH NON-JOINER U+200C, ZERO WIDTH JOINER U+200D, LEFT-TO-RIGHT
  and RIGHT-TO-LEFT MARK U+200E/U+200F, WORD JOINER U+2060 and ZERO WIDTH
  NO-BREAK SPACE U+FEFF (a byte order mark inside the text). They are Unicode
  category Cf, invisible when rendered, and copy-paste, CMS hyphenation and
  tracking snippets scatter them through web text;
- no-break spaces (U+00A0, FIGURE SPACE U+2007, NARROW NO-BREAK SPACE U+202F)
  become plain spaces; LINE SEPARATOR U+2028 becomes a line break and PARAGRAPH
  SEPARATOR U+2029 a blank line (a paragraph break);
- the result is in Unicode Normalization Form C (UAX #15): "é" typed as e +
  COMBINING ACUTE ACCENT and "é" as one code point are the same text.

The functions are idempotent (`clean_text(clean_text(s)) == clean_text(s)`), so
text saved by one reader and read back by another is unchanged and its offsets
still hold. Accents, case and punctuation are kept: folding them for search is
the search side's job, not intake's.
"""

from __future__ import annotations

import unicodedata

INVISIBLE = "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
NO_BREAK_SPACES = "\u00a0\u2007\u202f"

_TABLE = {ord(c): None for c in INVISIBLE} | {ord(c): " " for c in NO_BREAK_SPACES} | {
    0x2028: "\n", 0x2029: "\n\n"}


def clean_text(raw: str) -> str:
    """`raw` with invisible characters removed, no-break spaces as spaces, in NFC.

    Line breaks and runs of spaces are kept (paragraph splitting comes after).
    Removal happens before composition, so a mark separated from its letter by an
    invisible character composes with it.
    """
    return unicodedata.normalize("NFC", raw.translate(_TABLE))


def clean_line(raw: str) -> str:
    """A one-line value (title, byline, outlet): `clean_text` with every whitespace run as one space, trimmed."""
    return " ".join(clean_text(raw).split())
