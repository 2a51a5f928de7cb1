"""Answer data → Discord embeds that always fit Discord's limits.

Discord rejects a whole message when one limit is exceeded, so every text is
fitted here: passages are trimmed at sentence boundaries around the bold
sentence (never in the middle of one, unless a single sentence alone is too
long), titles and fields are shortened at word boundaries, and the total of
all embeds of a message stays under 6,000 characters.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord
from discord.utils import escape_markdown, escape_mentions

from bot.presentation import Answer, AnswerItem, Sentence

# https://discord.com/developers/docs/resources/message#embed-object-embed-limits
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
FIELDS_LIMIT = 25
MESSAGE_EMBEDS_TOTAL = 6000  # all embeds of one message together
CONTENT_LIMIT = 2000
SAFETY = 40  # slack for counting differences (e.g. characters Discord counts differently)

ELLIPSIS = "…"
ANSWER_COLOUR = discord.Colour.blurple()
NO_ANSWER_COLOUR = discord.Colour.light_grey()


def escape(text: str) -> str:
    """Text from users or articles, shown literally: no markdown, no working mentions."""
    return escape_mentions(escape_markdown(text))


def shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return text[:limit]
    cut = text[: limit - len(ELLIPSIS)]
    if " " in cut.strip():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + ELLIPSIS


def _render(sentence: Sentence, text: str | None = None) -> str:
    shown = escape(text if text is not None else sentence.text)
    return f"**{shown}**" if sentence.bold else shown


def _join(parts: Sequence[tuple[Sentence, str]], cut_before: bool, cut_after: bool) -> str:
    out = ELLIPSIS + " " if cut_before else ""
    for i, (sentence, rendered) in enumerate(parts):
        if i:
            out += "\n\n" if sentence.new_paragraph else " "
        out += rendered
    return out + (" " + ELLIPSIS if cut_after else "")


def fit_sentences(sentences: Sequence[Sentence], budget: int) -> str:
    """The passage in at most `budget` characters, whole sentences only, keeping the bold one.

    Sentences are added around the first bold sentence (after it first, then
    before), and an ellipsis marks each side that was cut. A single sentence
    longer than the budget is the only one ever cut inside, at a word boundary.
    """
    if not sentences:
        return ""
    rendered = [_render(s) for s in sentences]
    whole = _join(list(zip(sentences, rendered)), False, False)
    if len(whole) <= budget:
        return whole
    anchor = next((i for i, s in enumerate(sentences) if s.bold), 0)
    lo, hi = anchor, anchor + 1

    def attempt(a: int, b: int) -> str:
        return _join(list(zip(sentences[a:b], rendered[a:b])), a > 0, b < len(sentences))

    best = attempt(lo, hi)
    if len(best) > budget:
        return _cut_sentence(sentences[anchor], budget, anchor > 0, anchor + 1 < len(sentences))
    grow_after, grow_before = True, True
    while grow_after or grow_before:
        if grow_after:
            if hi < len(sentences) and len(trial := attempt(lo, hi + 1)) <= budget:
                hi, best = hi + 1, trial
            else:
                grow_after = False
        if grow_before:
            if lo > 0 and len(trial := attempt(lo - 1, hi)) <= budget:
                lo, best = lo - 1, trial
            else:
                grow_before = False
    return best


def _cut_sentence(sentence: Sentence, budget: int, cut_before: bool, cut_after: bool) -> str:
    """One over-long sentence shortened at a word boundary until it fits (markup and escapes included)."""
    words = sentence.text.split()
    lo, hi = 0, len(words)
    best = ELLIPSIS
    while lo < hi:  # the longest prefix of words that fits
        mid = (lo + hi + 1) // 2
        text = " ".join(words[:mid]) + ELLIPSIS
        candidate = _join([(sentence, _render(sentence, text))], cut_before, False)
        if len(candidate) <= budget:
            lo, best = mid, candidate
        else:
            hi = mid - 1
    return best[:budget]


def embeds_length(embeds: Sequence[discord.Embed]) -> int:
    """Characters Discord counts towards the 6,000 of a message (title, description, fields, footer, author)."""
    return sum(len(e) for e in embeds)


def _item_embed(item: AnswerItem, index_version: str) -> discord.Embed:
    """A card without its description (added once the budget is known)."""
    title = shorten(item.title, TITLE_LIMIT - 4)
    embed = discord.Embed(title=title, url=item.link or item.url or None, colour=ANSWER_COLOUR)
    embed.add_field(name="Source", value=shorten(escape(item.attribution), FIELD_VALUE_LIMIT), inline=False)
    derived = " · title taken from the text" if item.title_derived else ""
    embed.set_footer(text=shorten(f"#{item.rank} · passage {item.passage_id} (look it up: /source "
                                  f"{item.passage_id}) · score {item.score:.2f} · index {index_version}{derived}",
                                  FOOTER_LIMIT))
    return embed


def answer_embeds(answer: Answer, shown_anyway: bool = False) -> list[discord.Embed]:
    """One card per result, all fitting one message; a plain "nothing reliable" card otherwise.

    Args:
        shown_anyway: the user asked for the closest passages of an answer that is not confident.
    """
    if answer.empty or not (answer.confident or shown_anyway):
        return [no_answer_embed(answer)]
    items = answer.items[:10]
    embeds = [_item_embed(item, answer.index_version) for item in items]
    room = MESSAGE_EMBEDS_TOTAL - SAFETY - embeds_length(embeds)
    budget = min(DESCRIPTION_LIMIT, max(200, room // len(items)))
    for embed, item in zip(embeds, items):
        embed.description = fit_sentences(item.sentences, budget)
    return embeds


def no_answer_embed(answer: Answer) -> discord.Embed:
    """The honest reply when the corpus has nothing that reliably answers the question."""
    question = shorten(escape(answer.question), 600)
    lines = [f"I found nothing in the corpus that reliably answers “{question}”."]
    if answer.filters_note:
        lines.append(f"Searched only {escape(answer.filters_note)}.")
    lines.append("Try other words, widen the filters, or see what the corpus covers with `/sources`.")
    embed = discord.Embed(title="No reliable answer", description="\n".join(lines), colour=NO_ANSWER_COLOUR)
    embed.set_footer(text=f"index {answer.index_version}" if answer.index_version else "")
    return embed


LOW_CONFIDENCE = "*Low confidence: these passages are only loosely related to the question.*"


def question_line(question: str, low_confidence: bool = False) -> str:
    """The message content above an answer: the question, quoted, never pinging anyone."""
    note = "\n" + LOW_CONFIDENCE if low_confidence else ""
    return shorten("> " + escape(question), CONTENT_LIMIT - len(note)) + note
