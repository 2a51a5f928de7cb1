"""Messages of `/corpus …`: the preview of an addition or removal, problems of a refused file, the history.

Everything is fitted to Discord's limits here (see `bot.chat.render.answer`), and text
from pages, files and users is escaped so it shows literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import discord

from bot.chat.render.answer import (CONTENT_LIMIT, DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT, TITLE_LIMIT, escape, shorten)
from bot.chat.render.source import display_source
from corpus.article import Article
from corpus.errors import CorpusError
from corpus.folder.planning import ArticleRef
from corpus.sources.uploads import UploadRejected
from index.curation.changes import Preview, history_line
from bot.presentation import format_date, join_authors
from index.store.state import HistoryEntry

PREVIEW_COLOUR = discord.Colour.blurple()
REMOVE_COLOUR = discord.Colour.red()
FIRST_LINES_CHARS = 600
TITLES_LISTED = 10


def first_lines(article: Article, limit: int = FIRST_LINES_CHARS) -> str:
    """The opening paragraphs, shortened at a word boundary."""
    return shorten(escape(article.text.replace("\n\n", "\n")), limit)


def _article_embed(article: Article, colour: discord.Colour) -> discord.Embed:
    embed = discord.Embed(title=shorten(escape(article.title), TITLE_LIMIT), description=first_lines(article),
                          colour=colour, url=article.url or None)
    embed.add_field(name="Outlet", value=shorten(escape(article.outlet), FIELD_VALUE_LIMIT))
    embed.add_field(name="Authors", value=shorten(escape(join_authors(article.authors)) or "not named",
                                                  FIELD_VALUE_LIMIT))
    embed.add_field(name="Date", value=format_date(article.published) or "undated")
    return embed


def preview_embed(preview: Preview, corpus_dir: Path) -> discord.Embed:
    """Title, outlet, authors, date, first lines and passage count of what would be added."""
    embed = _article_embed(preview.article, PREVIEW_COLOUR)
    embed.add_field(name="Passages", value=str(preview.passages))
    if preview.upload is not None:
        embed.add_field(name="File", value=f"{escape(preview.upload.name)} · {len(preview.articles)} article(s)")
        if len(preview.articles) > 1:
            titles = [f"• {shorten(escape(a.title), 90)}" for a in preview.articles[:TITLES_LISTED]]
            if len(preview.articles) > TITLES_LISTED:
                titles.append(f"… and {len(preview.articles) - TITLES_LISTED} more")
            embed.add_field(name="Articles", value=shorten("\n".join(titles), FIELD_VALUE_LIMIT), inline=False)
    if preview.existing:
        embed.add_field(name="Already in the corpus", value=existing_text(preview.existing, corpus_dir),
                        inline=False)
    embed.set_footer(text="Nothing is saved until you confirm.")
    return embed


def existing_text(existing: Sequence[ArticleRef], corpus_dir: Path) -> str:
    """`“Title” in feeds/x.jsonl:1`, one line per copy."""
    lines = [f"“{shorten(escape(r.title), 120)}” in {escape(display_source(r.source, corpus_dir))}"
             for r in existing[:5]]
    if len(existing) > 5:
        lines.append(f"… and {len(existing) - 5} more")
    return shorten("\n".join(lines), FIELD_VALUE_LIMIT)


def removal_embed(article: Article, corpus_dir: Path) -> discord.Embed:
    """The article that would leave the index, and the file it is read from."""
    embed = _article_embed(article, REMOVE_COLOUR)
    embed.add_field(name="File", value=escape(display_source(article.source, corpus_dir)))
    embed.set_footer(text="Its file moves to removed/ (nothing is deleted); /corpus restore brings it back.")
    return embed


def problem_text(error: CorpusError) -> str:
    """`problem — fix`, without a server path."""
    return f"{error.problem} — {error.fix}"


def refused_file_text(error: UploadRejected) -> str:
    """Why a file was refused, with each of its problems located by file and line, within one message."""
    head = f"Cannot add `{error.path.name}`: {problem_text(error)}"
    if not error.problems:
        return shorten(head, CONTENT_LIMIT)
    lines: list[str] = []
    budget = CONTENT_LIMIT - len(head) - 40
    for i, problem in enumerate(error.problems):
        line = shorten(problem.message.replace("```", "'''"), 300)
        if sum(len(x) + 1 for x in lines) + len(line) > budget:
            lines.append(f"… and {len(error.problems) - i} more")
            break
        lines.append(line)
    return head + "\n```\n" + "\n".join(lines) + "\n```"


def history_embed(entries: Sequence[HistoryEntry]) -> discord.Embed:
    """The latest refreshes and corpus changes, newest first, who and when."""
    embed = discord.Embed(title="Corpus history", colour=PREVIEW_COLOUR)
    if not entries:
        embed.description = "Nothing has changed on this index yet."
        return embed
    lines: list[str] = []
    for i, entry in enumerate(entries):
        line = shorten(escape(history_line(entry)), 400)
        if sum(len(x) + 1 for x in lines) + len(line) > DESCRIPTION_LIMIT - 60:
            lines.append(f"… and {len(entries) - i} older")
            break
        lines.append(line)
    embed.description = "\n".join(lines)
    embed.set_footer(text="Refreshes, rollbacks and corpus changes; newest first. Also: newsbot history")
    return embed
