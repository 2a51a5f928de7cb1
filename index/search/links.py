"""Links that open an article at one sentence, with a text fragment (`#:~:text=`).

Why: an answer is only verifiable if a reader can see the sentence in the
original page. Browsers that support text fragments (Chrome, Edge, Safari,
Firefox ≥ 131) scroll to and highlight the quoted text; others simply open the
page, so the link is never worse than the plain URL.
"""

from __future__ import annotations

import re
from urllib.parse import quote

# words of a long sentence used as textStart and textEnd (the browser matches start … end)
START_WORDS = 6
END_WORDS = 3
# a sentence of a script written without spaces (Chinese, Japanese) longer than this is quoted as its first and
# last clause: clause marks are word boundaries for every browser, so both ends still match
LONG_UNSPACED = 40
_CLAUSE_MARK = re.compile(r"[、，；：]")


def _encode(text: str) -> str:
    """Percent-encode a text directive value; `-`, `,` and `&` are syntax there, so they are encoded too."""
    return quote(text, safe="").replace("-", "%2D")


def text_directive(sentence: str) -> str:
    """The `text=` directive that finds `sentence` in a page.

    Short sentences are quoted whole; long ones as `start,end` so that small
    differences in the middle (markup, a changed word) do not break the match:
    the first and last words, or the first and last clauses of a long
    sentence written without spaces (`東京は晴れ、…、大阪は雨。`).
    """
    words = sentence.split()
    if not words:
        return ""
    if len(words) <= START_WORDS + END_WORDS:
        whole = " ".join(words)
        clauses = [c.strip() for c in _CLAUSE_MARK.split(whole)]
        if len(whole) > LONG_UNSPACED and len(clauses) > 1 and clauses[0] and clauses[-1]:
            return "text=" + _encode(clauses[0]) + "," + _encode(clauses[-1])
        return "text=" + _encode(whole)
    return "text=" + _encode(" ".join(words[:START_WORDS])) + "," + _encode(" ".join(words[-END_WORDS:]))


def fragment_link(url: str | None, sentence: str) -> str | None:
    """`url` with a text fragment jumping to `sentence`; None without a URL, the URL alone without text."""
    if not url:
        return None
    directive = text_directive(sentence)
    if not directive:
        return url
    base, sep, fragment = url.partition("#")
    fragment = fragment.split(":~:", 1)[0] if sep else ""
    return f"{base}#{fragment}:~:{directive}"
