"""/corpus add | remove | restore | history: moderators manage the corpus from Discord.

Which corpus a command changes is `bot.chat.targets`'s rule: a home server's moderators
change the base corpus; any other server's moderators change their server's own articles
(a base article they remove is hidden in their server only); only the operator's people
may name the base from elsewhere. The work is `index.curation.operations.CorpusManager`'s
(the same as `newsbot corpus …`);
this cog only asks, previews, confirms and reports. Every reply is ephemeral
(it concerns only the moderator), mentions nobody, and every change is logged
with who made it. Blocking work (fetching, reading files, refreshing) runs in
a thread, with the reply edited as the refresh progresses. A discord.py
extension (`setup`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.checks import NotModerator, moderator_only
from bot.chat.progress import RefreshTracker, run_with_progress
from bot.chat.render.budget import fit_embed
from bot.chat.render.text import CONTENT_LIMIT, choice, shorten
from bot.chat.render.corpus import (existing_text, history_embed, preview_embed, problem_text, refused_file_text,
                                    removal_embed)
from bot.chat.render.source import display_source
from bot.chat.replies import NO_MENTIONS
from bot.chat.targets import CHOICES, Target, actor_of, change_target, target_or_refuse
from bot.chat.views.corpus import ConfirmView
from bot.presentation import format_date
from corpus.errors import CorpusError
from corpus.folder.removal import removed_articles
from corpus.sources.uploads import UploadRejected
from corpus.article import Article
from index.curation.changes import AlreadyInCorpus, Change, Preview, pick_article
from index.curation.operations import CorpusManager
from index.errors import IndexBusy, NewsIndexError
from index.search.lookup import ARTICLE_PREFIX

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

log = logging.getLogger(__name__)



@app_commands.guild_only()
class CorpusCog(commands.GroupCog, group_name="corpus", group_description="Manage the corpus (moderators)"):
    """Add, remove and restore articles; see what changed."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        super().__init__()

    def manager(self, target: Target) -> CorpusManager:
        """The corpus operations on the target's library, with the operator's fetch and upload limits."""
        settings = self.bot.settings
        return CorpusManager(target.library, settings.feed_config().policy, settings.max_attachment_bytes)

    # -- /corpus add ----------------------------------------------------------------------------------
    @app_commands.command(name="add", description="Add an article from a link or a file (moderators)")
    @app_commands.describe(url="Link to the article page (http or https)",
                           file="A file of articles: seed .txt, .jsonl, .jsonl.gz or .html",
                           corpus="Where it goes (default: this server's articles; the shared corpus in the bot's "
                                  "home servers)")
    @app_commands.choices(corpus=CHOICES)
    @moderator_only()
    async def add(self, interaction: discord.Interaction, url: str | None = None,
                  file: discord.Attachment | None = None, corpus: str | None = None) -> None:
        """Preview what a link or file would add; Confirm saves it and refreshes the index."""
        target = await target_or_refuse(self.bot, interaction, "corpus add", corpus)
        if target is None:
            return
        manager = self.manager(target)
        if (url is None) == (file is None):
            await interaction.response.send_message("Give either `url:` (a link to the article) or `file:` "
                                                    "(an attached file), not both.", ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
            return
        limit = manager.max_upload_bytes
        if file is not None and file.size > limit:
            await interaction.response.send_message(
                f"Cannot add `{file.filename}`: it is {file.size:,} bytes, over the {limit:,} byte limit — split it "
                "into smaller files, or ask the operator to raise NEWSBOT_MAX_ATTACHMENT_BYTES.", ephemeral=True,
                allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.defer(thinking=True, ephemeral=True)
        log.info("/corpus add by %s: %s", actor_of(interaction), url if url is not None else f"file {file.filename}")
        try:
            if url is not None:
                preview = await self.bot.run_blocking(manager.preview_url, url)
            else:
                data = await file.read()
                preview = await self.bot.run_blocking(manager.preview_file, file.filename, data)
        except UploadRejected as exc:
            log.info("/corpus add: file refused: %s", exc.message)
            await self._say(interaction, refused_file_text(exc))
            return
        except CorpusError as exc:
            log.info("/corpus add: %s refused: %s", url, exc.message)
            await self._say(interaction, f"Cannot add this page: {problem_text(exc)}")
            return
        except discord.HTTPException as exc:
            await self._say(interaction, f"Cannot download the attachment from Discord ({exc.status}); try again.")
            return
        await self._offer_addition(interaction, preview, target, manager)

    async def _offer_addition(self, interaction: discord.Interaction, preview: Preview, target: Target,
                              manager: CorpusManager) -> None:
        """The preview with Confirm (or Update, for a page already in the corpus) and Cancel."""
        update = preview.upload is None and bool(preview.existing)
        corpus_dir = target.library.corpus_dir
        if update:
            where = existing_text(preview.existing, corpus_dir)
            text = (f"This page is already in the corpus:\n{where}\nUpdate it with the page as it is now? The saved "
                    "copy moves to removed/ and the fresh one replaces it.")
        elif preview.existing:
            text = ("Some of these articles are already in the corpus (same id or link); the index keeps one copy "
                    "of each. Add the file?")
        else:
            text = f"Add this to {target.name}?"

        async def confirmed(click: discord.Interaction) -> None:
            await self._run_change(click, preview_embed(preview, corpus_dir), target,
                                   manager.add, preview, actor_of(click), update=update)

        view = ConfirmView(interaction.user.id, "/corpus add", "Update" if update else "Confirm", confirmed,
                           interaction)
        await interaction.edit_original_response(content=text, embed=preview_embed(preview, corpus_dir),
                                                 view=view, allowed_mentions=NO_MENTIONS)

    # -- /corpus remove ---------------------------------------------------------------------------------
    @app_commands.command(name="remove", description="Take an article out of the index; its file moves to removed/")
    @app_commands.describe(article="The article: start typing its title",
                           corpus="Whose articles (default: this server's; the shared corpus in the bot's home "
                                  "servers). A shared article removed here is only hidden in this server.")
    @app_commands.choices(corpus=CHOICES)
    @moderator_only()
    async def remove(self, interaction: discord.Interaction, article: str, corpus: str | None = None) -> None:
        """Show the article; Remove moves its file to removed/ and refreshes (or hides a shared one here)."""
        target = await target_or_refuse(self.bot, interaction, "corpus remove", corpus)
        if target is None:
            return
        await interaction.response.defer(thinking=True, ephemeral=True)
        log.info("/corpus remove by %s in %s: %s", actor_of(interaction), target.name, article)
        manager = self.manager(target)
        try:
            found, own = await self.bot.run_blocking(self._find_to_remove, target, manager, article)
        except CorpusError as exc:
            await self._say(interaction, f"Nothing to remove: {problem_text(exc)}")
            return
        if own:
            embed = removal_embed(found, target.library.corpus_dir)

            async def confirmed(click: discord.Interaction) -> None:
                await self._run_change(click, embed, target, manager.remove, found.id, actor_of(click))

            view = ConfirmView(interaction.user.id, "/corpus remove", "Remove", confirmed, interaction, danger=True)
            await interaction.edit_original_response(content=f"Remove this article from {target.name}?", embed=embed,
                                                     view=view, allowed_mentions=NO_MENTIONS)
            return
        embed = removal_embed(found, self.bot.library.corpus_dir)
        embed.set_footer(text="Hidden in this server only: other servers still see it; /corpus restore shows it again.")
        embed = fit_embed(embed)

        async def hide(click: discord.Interaction) -> None:
            try:
                await self.bot.run_blocking(self.bot.collections.hide, target.server_id, found.id, actor_of(click),
                                            found.title)
            except NewsIndexError as exc:
                await click.response.edit_message(content=f"Nothing was changed: {exc.message}", embed=embed,
                                                  view=None, allowed_mentions=NO_MENTIONS)
                return
            log.info("%s hid base article %s in server %s", actor_of(click), found.id, target.server_id)
            await click.response.edit_message(content="Hidden in this server: its answers no longer use this "
                                                      "article. Other servers are not affected.", embed=embed,
                                              view=None, allowed_mentions=NO_MENTIONS)

        view = ConfirmView(interaction.user.id, "/corpus remove", "Hide here", hide, interaction, danger=True)
        await interaction.edit_original_response(
            content="This article is in the bot's shared corpus. Hide it in this server? (Only the bot's operators "
                    "can remove it for everyone.)", embed=embed, view=view, allowed_mentions=NO_MENTIONS)

    def _find_to_remove(self, target: Target, manager: CorpusManager, query: str) -> tuple[Article, bool]:
        """The article to remove, and whether it is the target's own (else: a base article to hide here).

        Raises:
            NotInCorpus: nothing this place sees matches.
        """
        if target.is_base:
            return manager.find_indexed(query), True
        return self.bot.collections.find_to_remove(target.server_id, query)

    @remove.autocomplete("article")
    async def remove_autocomplete(self, interaction: discord.Interaction,
                                  current: str) -> list[app_commands.Choice[str]]:
        """Articles this server sees whose title contains what was typed (none for non-moderators)."""
        if not await self.bot.may_moderate(interaction):
            return []
        catalog = await self.bot.catalog(interaction.guild_id)
        return _choices([(a.id, a.title, a.outlet, a.published) for a in catalog.articles], current)

    # -- /corpus restore ----------------------------------------------------------------------------------
    @app_commands.command(name="restore", description="Bring back an article that was removed or hidden (moderators)")
    @app_commands.describe(article="The removed article: start typing its title",
                           corpus="Whose articles (default: this server's; the shared corpus in the bot's home servers)")
    @app_commands.choices(corpus=CHOICES)
    @moderator_only()
    async def restore(self, interaction: discord.Interaction, article: str, corpus: str | None = None) -> None:
        """Move the article's file back from removed/ and refresh (or show a hidden shared article here again)."""
        target = await target_or_refuse(self.bot, interaction, "corpus restore", corpus)
        if target is None:
            return
        await interaction.response.defer(thinking=True, ephemeral=True)
        log.info("/corpus restore by %s in %s: %s", actor_of(interaction), target.name, article)
        manager = self.manager(target)
        try:
            found = await self.bot.run_blocking(manager.find_removed, article)
        except CorpusError as exc:
            hidden = await self.bot.run_blocking(self._hidden_articles, target)
            try:
                shown = pick_article(hidden, article, "among the removed or hidden articles")
            except CorpusError:
                await self._say(interaction, f"Nothing to restore: {problem_text(exc)}")
                return
            try:
                await self.bot.run_blocking(self.bot.collections.unhide, target.server_id, shown.id,
                                            actor_of(interaction), shown.title)
            except NewsIndexError as exc:
                await self._say(interaction, f"Nothing was changed: {exc.message}")
                return
            embed = removal_embed(shown, self.bot.library.corpus_dir)
            embed.colour = discord.Colour.green()
            embed.set_footer(text="Shown in this server again.")
            embed = fit_embed(embed)
            await interaction.edit_original_response(content="This server's answers use this article again.",
                                                     embed=embed, allowed_mentions=NO_MENTIONS)
            return
        embed = removal_embed(found.article, target.library.corpus_dir)
        embed.colour = discord.Colour.green()
        embed.set_footer(text=f"Back from {display_source(str(found.file), target.library.corpus_dir)}")
        embed = fit_embed(embed)
        await self._run_change(interaction, embed, target, manager.restore, found.article.id, actor_of(interaction))

    def _hidden_articles(self, target: Target) -> list[Article]:
        """The base articles hidden in the target's server (none for the base)."""
        return self.bot.collections.hidden_articles(target.server_id)

    @restore.autocomplete("article")
    async def restore_autocomplete(self, interaction: discord.Interaction,
                                   current: str) -> list[app_commands.Choice[str]]:
        """Removed (and, in a server, hidden) articles whose title contains what was typed; none for non-moderators."""
        if not await self.bot.may_moderate(interaction):
            return []
        try:
            target = await change_target(self.bot, interaction, "corpus restore",
                                         getattr(interaction.namespace, "corpus", None))
        except NotModerator:
            return []
        removed = await self.bot.run_blocking(removed_articles, target.library.corpus_dir)
        hidden = await self.bot.run_blocking(self._hidden_articles, target)
        items = [(r.article.id, r.article.title, r.article.outlet, r.article.published) for r in removed]
        items += [(a.id, a.title, a.outlet, a.published) for a in hidden]
        return _choices(items, current)

    # -- /corpus history ----------------------------------------------------------------------------------
    @app_commands.command(name="history", description="The latest refreshes and corpus changes: who, when, what")
    @app_commands.describe(count="How many entries (default 10)",
                           corpus="Whose history (default: this server's; the shared corpus in the bot's home servers)")
    @app_commands.choices(corpus=CHOICES)
    @moderator_only()
    async def history(self, interaction: discord.Interaction, count: app_commands.Range[int, 1, 25] = 10,
                      corpus: str | None = None) -> None:
        """Refreshes, rollbacks, additions, removals, restorations and hidings, newest first."""
        target = await target_or_refuse(self.bot, interaction, "corpus history", corpus)
        if target is None:
            return
        await interaction.response.defer(thinking=True, ephemeral=True)
        log.info("/corpus history by %s in %s", actor_of(interaction), target.name)
        entries = await self.bot.run_blocking(self.bot.collections.history, target.server_id, count)
        await interaction.edit_original_response(embed=history_embed(entries), allowed_mentions=NO_MENTIONS)

    # -- shared -----------------------------------------------------------------------------------------------
    async def _run_change(self, interaction: discord.Interaction, embed: discord.Embed, target: Target,
                          fn: Callable[..., Change], *args: Any, **kwargs: Any) -> None:
        """Make the change and refresh in a thread, editing the message with progress, then the summary.

        `interaction` is a button click (its message is updated) or a deferred command (its reply is edited).
        """
        tracker = RefreshTracker(interaction.user.mention)
        if interaction.response.is_done():
            await self._edit(interaction, tracker.text(), embed)
        else:
            await interaction.response.edit_message(content=tracker.text(), embed=embed, view=None,
                                                    allowed_mentions=NO_MENTIONS)
        task = await run_with_progress(self.bot, tracker, lambda text: self._edit(interaction, text, embed),
                                       fn, *args, progress=tracker, **kwargs)
        await self._edit(interaction, self._outcome(task, tracker), embed)
        asyncio.ensure_future(self.bot.catalog(target.server_id))  # warm the new version's catalogue (and autocomplete)

    def _outcome(self, task: asyncio.Future, tracker: RefreshTracker) -> str:
        try:
            change: Change = task.result()
        except IndexBusy as exc:
            return f"Nothing was changed: {exc.message}."
        except AlreadyInCorpus as exc:
            return f"Nothing was changed: {problem_text(exc)}."
        except (NewsIndexError, CorpusError) as exc:
            log.warning("corpus change failed: %s", exc.message)
            return f"Nothing was changed: {problem_text(exc) if isinstance(exc, CorpusError) else exc.message}"
        except Exception:  # noqa: BLE001 - report, keep serving
            log.exception("corpus change failed")
            return "The change failed on the bot's side (see its log). The bot keeps answering from the current index."
        log.info("corpus change by %s: %s", tracker.actor, "; ".join(change.lines()))
        if change.report is None:  # the change is kept; a refresh that was running (or the next) indexes it
            return "The change is saved, but the index is not updated yet.\n" + "\n".join(
                f"• {line}" for line in change.lines())
        return tracker.summary(change.lines())

    async def _edit(self, interaction: discord.Interaction, text: str, embed: discord.Embed | None = None) -> None:
        try:
            await interaction.edit_original_response(content=shorten(text, CONTENT_LIMIT), embed=embed, view=None,
                                                     allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("could not edit a /corpus message: %s", exc)

    async def _say(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.edit_original_response(content=shorten(text, CONTENT_LIMIT), embed=None, view=None,
                                                 allowed_mentions=NO_MENTIONS)


def _choices(items: list[tuple], current: str) -> list[app_commands.Choice[str]]:
    """Up to 25 `title (outlet, date)` choices whose title contains `current`; the value names the id."""
    wanted = " ".join(current.split()).casefold()
    out: list[app_commands.Choice[str]] = []
    for article_id, title, outlet, published in items:
        if wanted in title.casefold() or wanted == article_id:
            when = format_date(published)
            out.append(choice(f"{title} ({outlet}, {when})", f"{ARTICLE_PREFIX}{article_id}"))
        if len(out) >= 25:
            break
    return out


async def setup(bot: NewsBot) -> None:
    """Extension entry point: add the `/corpus` command group."""
    await bot.add_cog(CorpusCog(bot))
