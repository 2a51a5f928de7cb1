"""Embeds for `/source` (and "Find source"), `/sources` and `/stats`, within Discord's limits.

Titles of the `/sources` list are masked links (`bot.chat.render.text.md_link`: no backslash
escapes in the label, brackets neutralised, the URL encoded); each embed is fitted by
`bot.chat.render.budget` (context and description give way before authors and title).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import discord

from bot.chat.render.answer import fit_sentences
from bot.chat.render.budget import Part, fit_embed
from bot.chat.render.listing import SourcesPage
from bot.chat.render.text import (DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT, FOOTER_LIMIT, TITLE_LIMIT, encode_url,
                                  escape_title, fit_names, fit_text, md_link, plain, shorten)
from bot.presentation import Sentence, format_date, without_datelines
from corpus.article import Article
from corpus.sentences import sentence_spans
from index.search.lookup import Location, SourceAnswer
from index.search.quote import QuoteMatch

SOURCE_COLOUR = discord.Colour.teal()
CONTEXT_CHARS = 350


def display_source(source: str, corpus_dir: Path | None) -> str:
    """The file an article was read from, relative to the corpus folder (no server paths leak)."""
    path, sep, line = source.rpartition(":") if source.rpartition(":")[2].isdigit() else (source, "", "")
    try:
        shown = str(Path(path).resolve().relative_to(Path(corpus_dir).resolve())) if corpus_dir else Path(path).name
    except ValueError:
        shown = Path(path).name
    return shown + (f":{line}" if sep else "")


def format_indexed(value: str | None) -> str:
    """`2024-05-01 12:03 UTC` from an ISO time, or `unknown`."""
    if not value:
        return "unknown"
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return value


def located_sentences(location: Location, bold: bool) -> tuple[Sentence, ...]:
    """The paragraphs of a location as sentences; those overlapping the span in bold when `bold`."""
    article = location.article
    out = []
    for number in range(location.paragraph_first, location.paragraph_last + 1):
        p_start, p_end = article.paragraph_spans[number - 1]
        for i, (a, b) in enumerate(sentence_spans(article.text, p_start, p_end)):
            hit = bold and a < location.end and b > location.start
            out.append(Sentence(article.text[a:b], hit, i == 0 and number > location.paragraph_first))
    return without_datelines(out)


def similarity_text(match: QuoteMatch) -> str:
    """`exact match` or `wording 74% · meaning 89%`."""
    if match.kind == "exact":
        return "exact match (after ignoring case, quote marks and spacing)"
    meaning = f" · meaning {match.meaning:.0%}" if match.meaning is not None else ""
    return f"wording {match.wording:.0f}%{meaning}"


def source_embed(answer: SourceAnswer, corpus_dir: Path | None, index_version: str) -> discord.Embed:
    """Full attribution of a passage, an article or a matched quote; the closest candidates otherwise."""
    if answer.location is None:
        return no_match_embed(answer, index_version)
    loc, article = answer.location, answer.location.article
    link = loc.link or article.url
    embed = discord.Embed(title=fit_text(article.title, TITLE_LIMIT, escape_title),
                          url=encode_url(link) if link else None, colour=SOURCE_COLOUR)
    heading = {"passage": f"Passage `{loc.passage.id if loc.passage else plain(answer.query)[:80]}`",
               "article": "Article (its first paragraph)",
               "quote": "Quote found: " + (similarity_text(answer.quote.match) if answer.quote and answer.quote.match
                                           else "")}[answer.kind]
    sentences = located_sentences(loc, bold=answer.kind == "quote")

    def body(size: int) -> str:
        return f"{heading}\n\n{fit_sentences(sentences, max(0, size - len(heading) - 2))}"

    embed.description = body(DESCRIPTION_LIMIT // 2)
    embed.add_field(name="Outlet", value=fit_text(article.outlet, 200) or "unknown")
    authors_at = len(embed.fields)
    embed.add_field(name="Authors", value=fit_names(article.authors, FIELD_VALUE_LIMIT) or "not named")
    embed.add_field(name="Published", value=format_date(article.published))
    where = loc.paragraphs + (f" · passage `{loc.passage.id}`" if loc.passage else "")
    embed.add_field(name="Where", value=where)
    embed.add_field(name="Read from", value=code_span(display_source(article.source, corpus_dir), FIELD_VALUE_LIMIT))
    embed.add_field(name="Indexed", value=format_indexed(loc.indexed_at))
    embed.add_field(name="Link", value=link_field(link, article.url) if article.url
                    else "the corpus has no URL for this article", inline=False)
    context: list[Part] = []  # After gives way before Before
    for name, text in ((f"Before (paragraph {loc.paragraph_first - 1})", loc.before),
                       (f"After (paragraph {loc.paragraph_last + 1})", loc.after)):
        if text:
            context.insert(0, Part(len(embed.fields), lambda n, t=text: fit_text(t, n), 80))
            embed.add_field(name=name, value=fit_text(text, CONTEXT_CHARS), inline=False)
    embed.set_footer(text=shorten(plain(f"index {index_version}"), FOOTER_LIMIT))
    parts = [*context, Part("description", body, 700),
             Part(authors_at, lambda n: fit_names(article.authors, n) or "not named", 100),
             Part("title", lambda n: fit_text(article.title, n, escape_title), 90),
             Part("description", body, 250)]
    return fit_embed(embed, parts)


def code_span(text: str, limit: int) -> str:
    """`text` as inline code (backticks in it replaced by a look-alike), within `limit`."""
    return fit_text(text, limit, lambda t: "`" + plain(t).replace("`", "ˋ") + "`")


def link_field(link: str | None, url: str) -> str:
    """A masked link to the exact sentence (or the article); the bare address when the link would not fit."""
    for target in (link, url):
        if target:
            text = md_link("open the article at this sentence" if target == link and link != url
                           else "open the article", target)
            if len(text) <= FIELD_VALUE_LIMIT:
                return text
    return shorten(encode_url(url), FIELD_VALUE_LIMIT)


def no_match_embed(answer: SourceAnswer, index_version: str) -> discord.Embed:
    """Nothing matched well: say so, and show the closest passages with their similarity."""
    quote = fit_text(answer.query, 300)
    lines = [f"Nothing in the corpus matches “{quote}” closely."]
    candidates = answer.quote.candidates if answer.quote else ()
    if candidates:
        lines.append("The closest passages:")
        for i, c in enumerate(candidates, 1):
            a = c.article
            when = format_date(a.published)
            snippet = fit_text(a.text[c.start:c.end], 220)
            lines.append(f"**{i}.** {c.similarity:.0%} similar ({similarity_text(c)}): “{snippet}”: "
                         f"*{fit_text(a.title, 120)}* ({fit_text(a.outlet, 60)}, {when}) · passage `{c.passage.id}`")
    else:
        lines.append("The corpus has no passage near it.")
    lines.append("Paste a longer exact quote, a passage id (`p…`) or pick an article title from the suggestions.")
    embed = discord.Embed(title="No close match", description=join_lines(lines, DESCRIPTION_LIMIT),
                          colour=discord.Colour.light_grey())
    embed.set_footer(text=shorten(plain(f"index {index_version}"), FOOTER_LIMIT))
    return fit_embed(embed)


def join_lines(lines: list[str], limit: int, more: str = "… and {n} more") -> str:
    """Whole lines, as many as fit in `limit`, the last one always kept; `more` says how many were left out."""
    if len("\n".join(lines)) <= limit:
        return "\n".join(lines)
    last = lines[-1]
    kept: list[str] = []
    for i, line in enumerate(lines[:-1]):
        note = more.format(n=len(lines) - 1 - i)
        if len("\n".join([*kept, line, note, last])) > limit:
            return shorten("\n".join([*kept, note, last]), limit)
        kept.append(line)
    return shorten("\n".join([*kept, last]), limit)


LISTED_TITLE = 150
LISTED_BYLINE = 80
LISTED_OUTLET = 40


def _listed_article(number: int, a: Article, title: int, byline: int, linked: bool) -> str:
    """`  1.` 3 May 2023 · CNN · [Title](url) · A and B · 12 ¶"""
    head = md_link(a.title, a.url, title) if a.url and linked else f"**{fit_text(a.title, title)}**"
    names = fit_names(a.authors, byline) if byline else ""
    return (f"`{number:>3}.` {format_date(a.published)} · {fit_text(a.outlet, LISTED_OUTLET)} · {head}"
            + (f" · {names}" if names else "") + f" · {a.paragraph_count} ¶")


def listed_article(number: int, a: Article, limit: int) -> str:
    """One line of the list in at most `limit` characters: shorter title and byline first, then no link."""
    for title, byline, linked in ((LISTED_TITLE, LISTED_BYLINE, True), (90, 40, True), (60, 0, True),
                                  (LISTED_TITLE, LISTED_BYLINE, False), (60, 0, False), (30, 0, False)):
        line = _listed_article(number, a, title, byline, linked)
        if len(line) <= limit:
            return line
    return shorten(line, limit)


def sources_embed(page: SourcesPage, footer: str) -> discord.Embed:
    """One page of the article list, newest first, with counts."""
    scope = f"{page.matching} from {fit_text(page.outlet_name, 80, escape_title)} · " if page.outlet else ""
    title = f"Sources: {scope}{page.total} article(s), {len(page.outlets)} outlet(s)"
    lines = []
    if page.clamped:
        lines.append(f"*There are only {page.pages} page(s); showing page {page.page}.*")
    if page.outlet and not page.matching:
        outlets = ", ".join(fit_text(o, LISTED_OUTLET) for o, _ in page.outlets[:20])
        lines.append(f"No article from {fit_text(page.outlet, 100)}. Outlets in the corpus: {outlets}.")
    outlets_line = ""
    if not page.outlet:
        outlets_line = "\n" + shorten("Outlets: " + " · ".join(f"{fit_text(o, LISTED_OUTLET)} {n}"
                                                              for o, n in page.outlets), 900)
    room = DESCRIPTION_LIMIT - len("\n".join(lines)) - len(outlets_line) - 2
    per_line = room // max(1, len(page.articles)) - 1
    lines += [listed_article(number, a, per_line) for number, a in enumerate(page.articles, page.first_number)]
    if outlets_line:
        lines.append(outlets_line)
    embed = discord.Embed(title=shorten(title, TITLE_LIMIT), description=join_lines(lines, DESCRIPTION_LIMIT),
                          colour=SOURCE_COLOUR)
    embed.set_footer(text=shorten(plain(f"page {page.page}/{page.pages} · {footer}"), FOOTER_LIMIT))
    return fit_embed(embed)


@dataclass(frozen=True)
class IndexStats:
    """What `/stats` shows."""

    articles: int
    passages: int
    outlets: int
    model: str
    index_version: str
    built_at: str
    refreshing: bool = False
    helpful: int = 0
    wrong_source: int = 0
    feeds: tuple[tuple[str, str], ...] = ()  # (field name, value): each corpus's feeds and their state

    def footer(self) -> str:
        """The one-line form used under `/sources`."""
        return (f"{self.passages} passages · model {self.model} · index {self.index_version} · "
                f"last refresh {format_indexed(self.built_at)}")


def stats_embed(stats: IndexStats) -> discord.Embed:
    """Corpus and index figures."""
    embed = discord.Embed(title="newsbot index", colour=SOURCE_COLOUR)
    embed.add_field(name="Articles", value=str(stats.articles))
    embed.add_field(name="Passages", value=str(stats.passages))
    embed.add_field(name="Outlets", value=str(stats.outlets))
    embed.add_field(name="Model", value=fit_text(stats.model, 200))
    embed.add_field(name="Index version", value=f"`{stats.index_version}`")
    embed.add_field(name="Last refresh", value=format_indexed(stats.built_at)
                    + (" (a refresh is running now)" if stats.refreshing else ""))
    embed.add_field(name="Feedback", value=f"{stats.helpful} helpful · {stats.wrong_source} wrong source")
    for name, value in stats.feeds:
        embed.add_field(name=name, value=value, inline=False)
    return fit_embed(embed)
