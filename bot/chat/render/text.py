"""Discord's limits, and text made safe for the place it is shown in.

Every renderer of `bot.chat.render` builds its texts with these helpers, and
fits its embeds with `bot.chat.render.budget`:

- `escape`: text shown literally where full markdown renders (descriptions, field values);
- `escape_title`: the same for embed titles, where only inline markdown renders (no headings,
  lists, quotes or links, so those are left alone instead of showing a stray backslash);
- `md_link`: a masked link `[label](url)`: Discord shows backslash escapes inside the label
  literally and a bracket in it breaks the link, so the label gets look-alike characters
  instead of escapes, and the URL is percent-encoded so it cannot leave the parentheses;
- `fit_text`: a text shortened at a word boundary so that its escaped form fits a limit;
- `choice`: an autocomplete choice within its 100 characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from urllib.parse import quote

from discord import app_commands
from discord.utils import escape_markdown, escape_mentions

# https://discord.com/developers/docs/resources/message#embed-object-embed-limits
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
FIELDS_LIMIT = 25
MESSAGE_EMBEDS_TOTAL = 6000  # all embeds of one message together
EMBEDS_LIMIT = 10
CONTENT_LIMIT = 2000
COMPONENTS_LIMIT = 25
BUTTON_LABEL_LIMIT = 80
CHOICE_LIMIT = 100  # autocomplete choice name and (string) value
CHOICES_LIMIT = 25
SAFETY = 40  # slack for counting differences (e.g. characters Discord counts differently)

ELLIPSIS = "…"


def escape(text: str) -> str:
    """Text from users or articles, shown literally: no markdown, no working mentions."""
    return escape_mentions(escape_markdown(text))


_INLINE_MARKDOWN = re.compile(r"([\\*_~|`])")


def escape_title(text: str) -> str:
    """An embed title shown literally: inline markdown escaped (bold, italics, strike, spoiler, code).

    Titles render no headings, quotes, lists or masked links, so `#`, `>`, `-` and brackets stay
    as they are (an escape there would show its backslash).
    """
    return escape_mentions(_INLINE_MARKDOWN.sub(r"\\\1", " ".join(text.split())))


def plain(text: str) -> str:
    """Text for places without markdown (footers, author names, button labels): whitespace collapsed."""
    return " ".join(text.split())


def shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return text[:max(0, limit)]
    cut = text[: limit - len(ELLIPSIS)]
    if " " in cut.strip():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:\\") + ELLIPSIS


def fit_text(text: str, limit: int, transform: Callable[[str], str] = escape) -> str:
    """`transform(text)` in at most `limit` characters: the raw text is shortened until its form fits.

    Shortening before escaping never leaves half an escape or half a mention
    behind; escapes and mention guards only ever lengthen a text, so the loop
    ends after a few rounds.
    """
    whole = transform(text)
    if len(whole) <= limit:
        return whole
    size = min(len(text), limit)
    while size > 0:
        out = transform(shorten(text, size))
        if len(out) <= limit:
            return out
        size -= max(1, len(out) - limit)
    return ELLIPSIS[:max(0, limit)]


# Inside a masked link's label: look-alikes instead of backslash escapes (Discord would show those).
_LABEL_CHARS = str.maketrans({
    "[": "(", "]": ")",  # a bracket in the label ends (or nests) the link
    "*": "∗", "_": "ˍ", "~": "∼", "|": "∣", "`": "ˋ", "\\": "⧵",
})
_LABEL_TAGS = re.compile(r"<(?=[@#:/]|a:|t:)")  # <#channel>, <:emoji:…>, <t:…>, </command:…>


def link_label(text: str) -> str:
    """Text for the label of a masked link: no markdown, no brackets, no mentions, one line."""
    label = _LABEL_TAGS.sub("‹", plain(text).translate(_LABEL_CHARS))
    return escape_mentions(label) or "link"


# Characters kept as they are in a URL: reserved and unreserved ones, and `%` (already encoded);
# everything else (spaces, parentheses, angle brackets, quotes, non-ASCII) is percent-encoded.
_URL_SAFE = ":/?#[]@!$&'*+,;=%~-._"


def encode_url(url: str) -> str:
    """A URL that cannot break out of markdown's parentheses or an embed's url: `)`, spaces etc. encoded."""
    return quote(url.strip(), safe=_URL_SAFE).replace("(", "%28").replace(")", "%29")


def md_link(label: str, url: str, label_limit: int | None = None) -> str:
    """`[label](url)` with the label sanitised for a link and the URL encoded."""
    shown = fit_text(label, label_limit, link_label) if label_limit else link_label(label)
    return f"[{shown}]({encode_url(url)})"


def fit_names(names: Sequence[str], limit: int, transform: Callable[[str], str] = escape,
              joiner: Callable[[Sequence[str]], str] | None = None) -> str:
    """`A, B and C` within `limit`, else `A, B and 5 others`, else the first name shortened.

    The most authors that fit are named; `transform` (escaping) is applied to the whole.
    """
    join = joiner or _join_names
    names = [plain(n) for n in names if n.strip()]
    whole = transform(join(names))
    if len(whole) <= limit:
        return whole
    for kept in range(len(names) - 1, 0, -1):
        others = len(names) - kept
        text = transform(join([*names[:kept], f"{others} other" + ("s" if others > 1 else "")]))
        if len(text) <= limit:
            return text
    others = len(names) - 1
    tail = f" and {others} other" + ("s" if others > 1 else "") if others else ""
    room = limit - len(transform(tail))
    return fit_text(names[0], room, transform) + transform(tail) if room > 8 else fit_text(join(names), limit,
                                                                                            transform)


def _join_names(names: Sequence[str]) -> str:
    names = list(names)
    return "".join(names) if len(names) <= 1 else ", ".join(names[:-1]) + " and " + names[-1]


def choice(name: str, value: str) -> app_commands.Choice[str]:
    """An autocomplete choice with its name and value within Discord's 100 characters (the name never empty)."""
    return app_commands.Choice(name=shorten(plain(name), CHOICE_LIMIT) or ELLIPSIS, value=value[:CHOICE_LIMIT])
