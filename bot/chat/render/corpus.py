"""Messages of `/corpus …`: the preview of an addition or removal, problems of a refused file, the history.

Everything is fitted to Discord's limits here (`bot.chat.render.budget`: the first lines and
lists give way before authors and title), and text from pages, files and users is escaped so
it shows literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import discord

from bot.chat.render.budget import Part, fit_embed
from bot.chat.render.source import code_span, display_source, join_lines
from bot.chat.render.text import (CONTENT_LIMIT, DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT, TITLE_LIMIT, encode_url,
                                  escape_title, fit_names, fit_text, shorten)
from corpus.article import Article
from corpus.errors import CorpusError
from corpus.folder.planning import ArticleRef
from corpus.sources.uploads import UploadRejected
from index.curation.changes import Preview, history_line
from bot.presentation import format_date
from index.store.state import HistoryEntry

PREVIEW_COLOUR = discord.Colour.blurple()
REMOVE_COLOUR = discord.Colour.red()
FIRST_LINES_CHARS = 600
TITLES_LISTED = 10


def first_lines(article: Article, limit: int = FIRST_LINES_CHARS) -> str:
    """The opening paragraphs, shortened at a word boundary."""
    return fit_text(article.text.replace("\n\n", "\n"), limit)


def _article_embed(article: Article, colour: discord.Colour) -> discord.Embed:
    embed = discord.Embed(title=fit_text(article.title, TITLE_LIMIT, escape_title), description=first_lines(article),
                          colour=colour, url=encode_url(article.url) if article.url else None)
    embed.add_field(name="Outlet", value=fit_text(article.outlet, 200) or "unknown")
    embed.add_field(name="Authors", value=fit_names(article.authors, FIELD_VALUE_LIMIT) or "not named")
    embed.add_field(name="Date", value=format_date(article.published) or "undated")
    return embed


def _article_parts(article: Article) -> list[Part]:
    """What the budget may shorten in an article's embed, after the lists the caller added."""
    return [Part("description", lambda n: first_lines(article, n), 200),
            Part(1, lambda n: fit_names(article.authors, n) or "not named", 100),
            Part("title", lambda n: fit_text(article.title, n, escape_title), 90)]


def preview_embed(preview: Preview, corpus_dir: Path) -> discord.Embed:
    """Title, outlet, authors, date, first lines and passage count of what would be added."""
    embed = _article_embed(preview.article, PREVIEW_COLOUR)
    embed.add_field(name="Passages", value=str(preview.passages))
    lists: list[Part] = []
    if preview.upload is not None:
        embed.add_field(name="File",
                        value=fit_text(preview.upload.name, 200) + f" · {len(preview.articles)} article(s)")
        if len(preview.articles) > 1:
            titles = [f"• {fit_text(a.title, 90)}" for a in preview.articles[:TITLES_LISTED]]
            if len(preview.articles) > TITLES_LISTED:
                titles.append(f"… and {len(preview.articles) - TITLES_LISTED} more")
            lists.append(Part(len(embed.fields), lambda n, t=titles: join_lines(t, n), 120))
            embed.add_field(name="Articles", value=join_lines(titles, FIELD_VALUE_LIMIT), inline=False)
    if preview.existing:
        lists.append(Part(len(embed.fields), lambda n: existing_text(preview.existing, corpus_dir, n), 120))
        embed.add_field(name="Already in the corpus", value=existing_text(preview.existing, corpus_dir),
                        inline=False)
    embed.set_footer(text="Nothing is saved until you confirm.")
    return fit_embed(embed, [*lists, *_article_parts(preview.article)])


def existing_text(existing: Sequence[ArticleRef], corpus_dir: Path, limit: int = FIELD_VALUE_LIMIT) -> str:
    """`“Title” in feeds/x.jsonl:1`, one line per copy."""
    lines = [f"“{fit_text(r.title, 120)}” in {fit_text(display_source(r.source, corpus_dir), 200)}"
             for r in existing[:5]]
    if len(existing) > 5:
        lines.append(f"… and {len(existing) - 5} more")
    return join_lines(lines, limit)


def removal_embed(article: Article, corpus_dir: Path) -> discord.Embed:
    """The article that would leave the index, and the file it is read from."""
    embed = _article_embed(article, REMOVE_COLOUR)
    embed.add_field(name="File", value=fit_text(display_source(article.source, corpus_dir), 300))
    embed.set_footer(text="Its file moves to removed/ (nothing is deleted); /corpus restore brings it back.")
    return fit_embed(embed, _article_parts(article))


def problem_text(error: CorpusError) -> str:
    """`problem — fix`, without a server path."""
    return f"{error.problem} — {error.fix}"


def refused_file_text(error: UploadRejected) -> str:
    """Why a file was refused, with each of its problems located by file and line, within one message."""
    head = f"Cannot add {code_span(error.path.name, 120)}: {shorten(problem_text(error), 800)}"
    if not error.problems:
        return head
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
        return fit_embed(embed)
    lines: list[str] = []
    for i, entry in enumerate(entries):
        line = fit_text(history_line(entry), 400)
        if sum(len(x) + 1 for x in lines) + len(line) > DESCRIPTION_LIMIT - 60:
            lines.append(f"… and {len(entries) - i} older")
            break
        lines.append(line)
    embed.description = "\n".join(lines)
    embed.set_footer(text="Refreshes, rollbacks and corpus changes; newest first. Also: newsbot history")
    return fit_embed(embed)
