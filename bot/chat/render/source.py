"""Embeds for `/source` (and "Find source"), `/sources` and `/stats`, within Discord's limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import discord

from bot.presentation import Sentence, format_date, join_authors
from bot.chat.render.listing import SourcesPage
from bot.chat.render.answer import (DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT, TITLE_LIMIT, escape, fit_sentences, shorten)
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


def md_link(label: str, url: str) -> str:
    """A markdown link whose URL cannot break out of the parentheses."""
    safe = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f"[{escape(label)}]({safe})"


def located_sentences(location: Location, bold: bool) -> tuple[Sentence, ...]:
    """The paragraphs of a location as sentences; those overlapping the span in bold when `bold`."""
    article = location.article
    out = []
    for number in range(location.paragraph_first, location.paragraph_last + 1):
        p_start, p_end = article.paragraph_spans[number - 1]
        for i, (a, b) in enumerate(sentence_spans(article.text, p_start, p_end)):
            hit = bold and a < location.end and b > location.start
            out.append(Sentence(article.text[a:b], hit, i == 0 and number > location.paragraph_first))
    return tuple(out)


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
    embed = discord.Embed(title=shorten(article.title, TITLE_LIMIT), url=loc.link or article.url or None,
                          colour=SOURCE_COLOUR)
    heading = {"passage": f"Passage `{loc.passage.id if loc.passage else answer.query}`",
               "article": "Article (its first paragraph)",
               "quote": "Quote found: " + (similarity_text(answer.quote.match) if answer.quote and answer.quote.match
                                           else "")}[answer.kind]
    body = fit_sentences(located_sentences(loc, bold=answer.kind == "quote"), DESCRIPTION_LIMIT // 2)
    embed.description = shorten(f"{heading}\n\n{body}", DESCRIPTION_LIMIT)
    embed.add_field(name="Outlet", value=shorten(escape(article.outlet), FIELD_VALUE_LIMIT))
    embed.add_field(name="Authors", value=shorten(escape(join_authors(article.authors)) or "not named", 1024))
    embed.add_field(name="Published", value=format_date(article.published))
    where = loc.paragraphs + (f" · passage `{loc.passage.id}`" if loc.passage else "")
    embed.add_field(name="Where", value=where)
    embed.add_field(name="Read from", value=shorten(f"`{display_source(article.source, corpus_dir)}`", 1024))
    embed.add_field(name="Indexed", value=format_indexed(loc.indexed_at))
    if article.url:
        link = md_link("open the article at this sentence", loc.link or article.url)
        embed.add_field(name="Link", value=link if len(link) <= FIELD_VALUE_LIMIT else shorten(article.url, 1024),
                        inline=False)
    else:
        embed.add_field(name="Link", value="the corpus has no URL for this article", inline=False)
    if loc.before:
        embed.add_field(name=f"Before (paragraph {loc.paragraph_first - 1})",
                        value=shorten(escape(loc.before), CONTEXT_CHARS), inline=False)
    if loc.after:
        embed.add_field(name=f"After (paragraph {loc.paragraph_last + 1})",
                        value=shorten(escape(loc.after), CONTEXT_CHARS), inline=False)
    embed.set_footer(text=f"index {index_version}")
    return embed


def no_match_embed(answer: SourceAnswer, index_version: str) -> discord.Embed:
    """Nothing matched well: say so, and show the closest passages with their similarity."""
    quote = shorten(escape(answer.query), 300)
    lines = [f"Nothing in the corpus matches “{quote}” closely."]
    candidates = answer.quote.candidates if answer.quote else ()
    if candidates:
        lines.append("The closest passages:")
        for i, c in enumerate(candidates, 1):
            a = c.article
            when = format_date(a.published)
            snippet = shorten(escape(a.text[c.start:c.end]), 220)
            lines.append(f"**{i}.** {c.similarity:.0%} similar ({similarity_text(c)}): “{snippet}”: "
                         f"*{shorten(escape(a.title), 120)}* ({escape(a.outlet)}, {when}) · passage `{c.passage.id}`")
    else:
        lines.append("The corpus has no passage near it.")
    lines.append("Paste a longer exact quote, a passage id (`p…`) or pick an article title from the suggestions.")
    embed = discord.Embed(title="No close match", description=shorten("\n".join(lines), DESCRIPTION_LIMIT),
                          colour=discord.Colour.light_grey())
    embed.set_footer(text=f"index {index_version}")
    return embed


def sources_embed(page: SourcesPage, footer: str) -> discord.Embed:
    """One page of the article list, newest first, with counts."""
    scope = f"{page.matching} from {escape(page.outlet_name)} · " if page.outlet else ""
    title = f"Sources: {scope}{page.total} article(s), {len(page.outlets)} outlet(s)"
    lines = []
    if page.clamped:
        lines.append(f"*There are only {page.pages} page(s); showing page {page.page}.*")
    if page.outlet and not page.matching:
        lines.append(f"No article from {escape(page.outlet)}. Outlets in the corpus: "
                     + ", ".join(escape(o) for o, _ in page.outlets[:20]) + ".")
    for number, a in enumerate(page.articles, page.first_number):
        when = format_date(a.published)
        name = shorten(a.title, 150)
        head = md_link(name, a.url) if a.url else f"**{escape(name)}**"
        byline = shorten(join_authors(a.authors), 80)
        lines.append(f"`{number:>3}.` {when} · {escape(a.outlet)} · {head}"
                     + (f" · {escape(byline)}" if byline else "") + f" · {a.paragraph_count} ¶")
    if not page.outlet:
        lines.append("\n" + shorten("Outlets: " + " · ".join(f"{escape(o)} {n}" for o, n in page.outlets), 900))
    embed = discord.Embed(title=shorten(title, TITLE_LIMIT), description=shorten("\n".join(lines), DESCRIPTION_LIMIT),
                          colour=SOURCE_COLOUR)
    embed.set_footer(text=shorten(f"page {page.page}/{page.pages} · {footer}", 2048))
    return embed


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
    embed.add_field(name="Model", value=escape(stats.model))
    embed.add_field(name="Index version", value=f"`{stats.index_version}`")
    embed.add_field(name="Last refresh", value=format_indexed(stats.built_at)
                    + (" (a refresh is running now)" if stats.refreshing else ""))
    embed.add_field(name="Feedback", value=f"{stats.helpful} helpful · {stats.wrong_source} wrong source")
    return embed
