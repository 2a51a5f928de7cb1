"""Links that open an article at one sentence, with a text fragment (`#:~:text=`).

Why: an answer is only verifiable if a reader can see the sentence in the
original page. Browsers that support text fragments (Chrome, Edge, Safari,
Firefox ≥ 131) scroll to and highlight the quoted text; others simply open the
page, so the link is never worse than the plain URL.
"""

from __future__ import annotations

from urllib.parse import quote

# words of a long sentence used as textStart and textEnd (the browser matches start … end)
START_WORDS = 6
END_WORDS = 3


def _encode(text: str) -> str:
    """Percent-encode a text directive value; `-`, `,` and `&` are syntax there, so they are encoded too."""
    return quote(text, safe="").replace("-", "%2D")


def text_directive(sentence: str) -> str:
    """The `text=` directive that finds `sentence` in a page.

    Short sentences are quoted whole; long ones as `start,end` so that small
    differences in the middle (markup, a changed word) do not break the match.
    """
    words = sentence.split()
    if not words:
        return ""
    if len(words) <= START_WORDS + END_WORDS:
        return "text=" + _encode(" ".join(words))
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
