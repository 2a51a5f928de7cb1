"""Answer data → Discord embeds that always fit Discord's limits.

Discord rejects a whole message when one limit is exceeded, so every text is
fitted here: passages are trimmed at sentence boundaries around the bold
sentence (never in the middle of one, unless a single sentence alone is too
long), titles and attributions are shortened at word boundaries (authors as
"A, B and 3 others"), and the cards of one message share its 6,000 characters
through `bot.chat.render.budget`: the descriptions of later cards give way
first, then author lists, then titles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import discord

from bot.chat.render.budget import Part, embeds_length, fit_embed, fit_embeds
from bot.chat.render.text import (AUTHOR_LIMIT, CONTENT_LIMIT, DESCRIPTION_LIMIT, ELLIPSIS, FIELD_NAME_LIMIT,
                                  FIELD_VALUE_LIMIT, FIELDS_LIMIT, FOOTER_LIMIT, MESSAGE_EMBEDS_TOTAL, SAFETY,
                                  TITLE_LIMIT, encode_url, escape, escape_title, fit_names, fit_text, plain, shorten)
from bot.presentation import Answer, AnswerItem, Sentence, format_date

__all__ = ["AUTHOR_LIMIT", "CONTENT_LIMIT", "DESCRIPTION_LIMIT", "ELLIPSIS", "FIELD_NAME_LIMIT", "FIELD_VALUE_LIMIT",
           "FIELDS_LIMIT", "FOOTER_LIMIT", "MESSAGE_EMBEDS_TOTAL", "SAFETY", "TITLE_LIMIT", "answer_embeds",
           "attribution_text", "embeds_length", "empty_window_embed", "escape", "fit_sentences", "no_answer_embed", "question_line",
           "shorten"]

ANSWER_COLOUR = discord.Colour.blurple()
NO_ANSWER_COLOUR = discord.Colour.light_grey()

# How far the budget may shorten each part of a card, in the order it does so.
ROOMY_DESCRIPTION = 900  # later cards first, down to a comfortable passage
ATTRIBUTION_FLOOR = 160  # outlet, date, paragraphs and the first author(s)
SHORT_DESCRIPTION = 320  # the bold sentence and a little around it
TITLE_FLOOR = 90
TIGHT_DESCRIPTION = 120


def _render(sentence: Sentence, text: str | None = None) -> str:
    shown = escape((text if text is not None else sentence.text).strip())
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


def attribution_text(item: AnswerItem, limit: int = FIELD_VALUE_LIMIT) -> str:
    """`CNN · A, B and C · 3 May 2023 · paragraphs 1-2 of 15`, escaped, in at most `limit` characters.

    Too long, the author list gives way first ("A, B and 12 others"), then the outlet's name.
    """
    tail = [format_date(item.published), item.paragraphs]
    outlet = plain(item.outlet)

    def build(authors: str, outlet_text: str) -> str:
        return " · ".join(p for p in (outlet_text, authors, *(escape(t) for t in tail)) if p)

    whole = build(fit_names(item.authors, FIELD_VALUE_LIMIT), fit_text(outlet, 200))
    if len(whole) <= limit:
        return whole
    outlet_text = fit_text(outlet, max(12, min(60, limit // 4)))
    room = limit - len(build("", outlet_text)) - 3
    if item.authors and room >= 12:
        return build(fit_names(item.authors, room), outlet_text)
    return fit_text(" · ".join(p for p in (outlet, *tail) if p), limit)


def card_title(item: AnswerItem, limit: int) -> str:
    """A card's title within `limit` characters, escaped; never empty (a blank title reads "Untitled article")."""
    return fit_text(item.title, limit, escape_title) or fit_text("Untitled article", limit, escape_title)


def _item_embed(item: AnswerItem, index_version: str) -> discord.Embed:
    """A card: title (linked), the passage, its attribution and where to look it up."""
    link = item.link or item.url
    embed = discord.Embed(title=card_title(item, TITLE_LIMIT), url=encode_url(link) if link else None,
                          description=fit_sentences(item.sentences, DESCRIPTION_LIMIT), colour=ANSWER_COLOUR)
    embed.add_field(name="Source", value=attribution_text(item), inline=False)
    derived = " · title taken from the text" if item.title_derived else ""
    embed.set_footer(text=shorten(plain(f"#{item.rank} · passage {item.passage_id} (look it up: /source "
                                        f"{item.passage_id}) · score {item.score:.2f} · index {index_version}"
                                        f"{derived}"), FOOTER_LIMIT))
    return embed


def card_parts(items: Sequence[AnswerItem]) -> list[Part]:
    """What the budget may shorten in a message of answer cards, least important first."""
    later_first = list(reversed(range(len(items))))

    def passage(i: int) -> Callable[[int], str]:
        return lambda n: fit_sentences(items[i].sentences, n)

    def attribution(i: int) -> Callable[[int], str]:
        return lambda n: attribution_text(items[i], n)

    def title(i: int) -> Callable[[int], str]:
        return lambda n: card_title(items[i], n)

    return ([Part("description", passage(i), ROOMY_DESCRIPTION, i) for i in later_first]
            + [Part(0, attribution(i), ATTRIBUTION_FLOOR, i) for i in later_first]
            + [Part("description", passage(i), SHORT_DESCRIPTION, i) for i in later_first]
            + [Part("title", title(i), TITLE_FLOOR, i) for i in later_first]
            + [Part("description", passage(i), TIGHT_DESCRIPTION, i) for i in later_first])


def answer_embeds(answer: Answer, shown_anyway: bool = False) -> list[discord.Embed]:
    """One card per result, all fitting one message; a plain "nothing reliable" card otherwise.

    Args:
        shown_anyway: the user asked for the closest passages of an answer that is not confident.
    """
    if answer.empty and answer.window is not None and answer.window.empty:
        return [empty_window_embed(answer)]
    if answer.empty or not (answer.confident or shown_anyway):
        return [no_answer_embed(answer)]
    items = answer.items[:10]
    embeds = [_item_embed(item, answer.index_version) for item in items]
    if answer.window is not None:  # the first card says which days were searched, at its top
        embeds[0].set_author(name=shorten(plain(answer.window.line()), AUTHOR_LIMIT))
    return fit_embeds(embeds, card_parts(items))


def empty_window_embed(answer: Answer) -> discord.Embed:
    """The reply when no article lies in the window searched: says so, and offers the nearest days that have one."""
    window = answer.window
    assert window is not None
    lines = [escape(window.empty_line())]
    if window.phrase:
        lines.append(f"The window came from “{fit_text(window.phrase, 100)}” in your question: ask with other "
                     "time words, or with the `since`/`until` options around those dates.")
    else:
        lines.append("Widen `since`/`until`, or ask around those dates.")
    embed = discord.Embed(title="No articles in that window", description="\n".join(lines), colour=NO_ANSWER_COLOUR)
    if answer.index_version:
        embed.set_footer(text=shorten(plain(f"index {answer.index_version}"), FOOTER_LIMIT))
    return fit_embed(embed)


def no_answer_embed(answer: Answer) -> discord.Embed:
    """The honest reply when the corpus has nothing that reliably answers the question."""
    question = fit_text(answer.question, 600)
    lines = [f"I found nothing in the corpus that reliably answers “{question}”."]
    if answer.filters_note:
        lines.append(f"Searched only {fit_text(answer.filters_note, 1500)}.")
    if answer.window is not None:
        lines.append(escape(answer.window.line()))
    lines.append("Try other words, widen the filters, or see what the corpus covers with `/sources`.")
    embed = discord.Embed(title="No reliable answer", description="\n".join(lines), colour=NO_ANSWER_COLOUR)
    embed.set_footer(text=shorten(plain(f"index {answer.index_version}"), FOOTER_LIMIT) if answer.index_version
                     else "")
    return fit_embed(embed)


LOW_CONFIDENCE = "*Low confidence: these passages are only loosely related to the question.*"


def question_line(question: str, low_confidence: bool = False) -> str:
    """The message content above an answer: the question, quoted, never pinging anyone."""
    note = "\n" + LOW_CONFIDENCE if low_confidence else ""
    return "> " + fit_text(plain(question), CONTENT_LIMIT - len(note) - 2) + note
