"""One message's embeds fitted into Discord's limits: each text, each embed, and 6,000 across all of them.

Discord rejects a whole message when a single limit is broken. Every renderer
of `bot.chat.render` ends with `fit_embeds` (or `fit_embed`):

1. each text is held to its own limit (title 256, description 4096, field name
   256 and value 1024, footer 2048, author 256), at most 25 fields an embed and
   10 embeds a message;
2. while the message is over its budget (6,000 characters across all embeds,
   less a safety margin), the renderer's `Part`s are shortened in the order it
   lists them, least important first (the descriptions of later cards, author
   lists, …), each re-rendered by its own function (whole sentences, "and 3
   others") and never below its floor;
3. should the parts not be enough, the longest texts are cut until it fits, so
   no message the bot builds can be refused for its size.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import discord

from bot.chat.render.text import (AUTHOR_LIMIT, DESCRIPTION_LIMIT, EMBEDS_LIMIT, FIELD_NAME_LIMIT, FIELD_VALUE_LIMIT,
                                  FIELDS_LIMIT, FOOTER_LIMIT, MESSAGE_EMBEDS_TOTAL, SAFETY, TITLE_LIMIT, shorten)

log = logging.getLogger(__name__)

Slot = str | int  # "title", "description", "footer", "author", or the index of a field (its value)

BUDGET = MESSAGE_EMBEDS_TOTAL - SAFETY
SLOT_LIMITS = {"title": TITLE_LIMIT, "description": DESCRIPTION_LIMIT, "footer": FOOTER_LIMIT, "author": AUTHOR_LIMIT}
EMPTY_FIELD = "—"  # Discord refuses an empty field name or value


@dataclass(frozen=True)
class Part:
    """A text of a message that may be shortened to fit the budget.

    Attributes:
        slot: where it is ("title", "description", "footer", "author" or a field's index).
        render: the text in at most `n` characters (its own way of shortening: sentences, names, words).
        floor: the budget never asks for fewer characters than this.
        embed: which embed of the message (0 for a message of one embed).
    """

    slot: Slot
    render: Callable[[int], str]
    floor: int = 0
    embed: int = 0


def embeds_length(embeds: Iterable[discord.Embed]) -> int:
    """Characters Discord counts towards the 6,000 of a message (title, description, fields, footer, author)."""
    return sum(len(e) for e in embeds)


def get_text(embed: discord.Embed, slot: Slot) -> str:
    """The text in a slot ('' when empty)."""
    if isinstance(slot, int):
        return embed.fields[slot].value or "" if slot < len(embed.fields) else ""
    if slot == "footer":
        return embed.footer.text or ""
    if slot == "author":
        return embed.author.name or ""
    return getattr(embed, slot) or ""


def set_text(embed: discord.Embed, slot: Slot, text: str) -> None:
    """Replace the text in a slot, keeping everything else of it (icons, urls, inline)."""
    if isinstance(slot, int):
        field = embed.fields[slot]
        embed.set_field_at(slot, name=field.name or EMPTY_FIELD, value=text or EMPTY_FIELD, inline=bool(field.inline))
    elif slot == "footer":
        embed.set_footer(text=text, icon_url=embed.footer.icon_url)
    elif slot == "author":
        embed.set_author(name=text, url=embed.author.url, icon_url=embed.author.icon_url)
    else:
        setattr(embed, slot, text)


def _slots(embed: discord.Embed) -> list[Slot]:
    slots: list[Slot] = [s for s in ("title", "description", "footer", "author") if get_text(embed, s)]
    return slots + list(range(len(embed.fields)))


def clamp_embed(embed: discord.Embed) -> discord.Embed:
    """Each text of one embed within its own limit; no more than 25 fields; no empty field."""
    while len(embed.fields) > FIELDS_LIMIT:
        embed.remove_field(len(embed.fields) - 1)
    for slot, limit in SLOT_LIMITS.items():
        text = get_text(embed, slot)
        if len(text) > limit:
            set_text(embed, slot, shorten(text, limit))
    for i, field in enumerate(embed.fields):
        name, value = field.name or "", field.value or ""
        if len(name) > FIELD_NAME_LIMIT or len(value) > FIELD_VALUE_LIMIT or not name.strip() or not value.strip():
            embed.set_field_at(i, name=shorten(name, FIELD_NAME_LIMIT) if name.strip() else EMPTY_FIELD,
                               value=shorten(value, FIELD_VALUE_LIMIT) if value.strip() else EMPTY_FIELD,
                               inline=bool(field.inline))
    return embed


def fit_embeds(embeds: Sequence[discord.Embed], parts: Iterable[Part] = (), budget: int = BUDGET
               ) -> list[discord.Embed]:
    """The embeds of one message within every limit; `parts` are shortened in their order first.

    Returns the (at most 10) embeds, changed in place.
    """
    embeds = [clamp_embed(e) for e in list(embeds)[:EMBEDS_LIMIT]]
    for part in parts:
        over = embeds_length(embeds) - budget
        if over <= 0:
            return embeds
        if part.embed >= len(embeds):
            continue
        embed = embeds[part.embed]
        current = len(get_text(embed, part.slot))
        target = max(part.floor, current - over)
        if target >= current:
            continue
        text = part.render(target)
        set_text(embed, part.slot, text if len(text) <= target else shorten(text, target))
    _cut_longest(embeds, budget)
    return embeds


def fit_embed(embed: discord.Embed, parts: Iterable[Part] = (), budget: int = BUDGET) -> discord.Embed:
    """One embed (a message's only one) within every limit; see `fit_embeds`."""
    return fit_embeds([embed], parts, budget)[0]


def _cut_longest(embeds: list[discord.Embed], budget: int) -> None:
    """The last resort: cut the longest texts at a word until the message fits."""
    over = embeds_length(embeds) - budget
    if over > 0:
        log.debug("message over its budget by %d characters after shortening its parts", over)
    while over > 0:
        slots = [(len(get_text(e, s)), i, s) for i, e in enumerate(embeds) for s in _slots(e)]
        size, i, slot = max(slots, key=lambda t: t[0])
        if size <= 1:
            return  # cannot happen within Discord's own limits (10 embeds of 25 fields)
        set_text(embeds[i], slot, shorten(get_text(embeds[i], slot), max(1, size - over)))
        over = embeds_length(embeds) - budget
