"""Follows on Discord: after every version switch, each follow gets the new articles that answer it.

One `Following` per bot (`NewsBot.following`). It listens to every version switch of the base corpus and of
each server collection (`index.collections.Collections.on_switch`: a `/refresh` or `/corpus add` here, a
scheduled poll, a rollback, or another process's switch seen by the housekeeping reload), and it also
checks every `RELOAD_SECONDS` what each collection's `CURRENT` names against the version it last processed
(`bot.follows`), so a switch made while the bot was down, or in a collection not in memory, is processed
too, and one already processed never is again.

For a switch, the articles added or changed since the version last processed are searched for each follow
(`index.search.follows.select_updates`: the `/ask` search and confidence, each story once, nothing twice);
what it picks is recorded before the message goes out (`FollowStore.record`), then posted as the usual
answer cards with a line naming the follow. A follow whose channel is gone or where the bot may not post
is marked (shown in `/following`) and logged; nobody is told in public and the loop goes on.

With shards, a process posts only for the servers of its own shards (DM follows: the process with shard 0).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord

from bot.chat.render.text import fit_text, plain, shorten
from bot.chat.render.answer import answer_embeds
from bot.chat.replies import NO_MENTIONS
from bot.chat.views.answer import answer_view
from bot.follows import BASE_SCOPE, Follow, FollowStore
from bot.presentation import Answer, compose_item
from corpus.errors import CorpusError
from index.errors import NewsIndexError
from index.library import Library
from index.search.follows import MORE_LIMIT, Posted, Selection, StoryKeys, changed_articles, select_updates
from index.search.results import Hit
from index.search.service import SearchService
from index.store.layout import pointed_version

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0  # how often pointers are compared with what was processed (as `RELOAD_SECONDS`)


def follow_line(follow: Follow, posted: int, more: int) -> str:
    """The message content above a follow's cards: which follow it is for, and how many more there are.

    `Following #12 “harbour ferry strike” — 2 new articles` and, when more answered, a second line
    `…and 4 more — /ask question: harbour ferry strike`.
    """
    query = fit_text(plain(follow.query), 300)
    line = f"**Following #{follow.id}** “{query}” — {posted} new article{'s' if posted != 1 else ''}"
    if more:
        count = f"{more}+" if more >= MORE_LIMIT else str(more)
        asked = shorten(plain(follow.query).replace("`", "'"), 300)
        line += f"\n…and {count} more — `/ask question: {asked}`"
    return line  # within CONTENT_LIMIT: the query appears twice, in at most 300 characters each


def problem_text(exc: discord.HTTPException) -> str:
    """What `/following` shows for a post Discord refused."""
    if isinstance(exc, discord.NotFound):
        return "the channel is gone"
    if isinstance(exc, discord.Forbidden):
        return "the bot may not post there"
    return f"Discord refused the post ({exc.status})"


class Following:
    """Posts each follow's new articles after every version switch (see the module docstring)."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.store: FollowStore | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self.rounds = 0  # checks completed (tests and logs: something to wait on besides a post)
        self._processing = asyncio.Lock()  # one collection processed at a time (the loop, a new follow's baseline)

    # -- start and stop ---------------------------------------------------------------------
    def start(self) -> None:
        """Open the tables, listen to version switches and start checking (from `setup_hook`)."""
        self.store = FollowStore(self.bot.settings.index_dir)
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self.bot.collections.on_switch(self._switched)
        self._task = asyncio.create_task(self.run(), name="newsbot-follows")

    def stop(self) -> None:
        """Stop checking and listening (the bot closes `store` with its other tables)."""
        if self._task is not None:
            self._task.cancel()
        self._loop = None

    def _switched(self, server_id: int | None, version: str) -> None:
        """A version switch (any thread): wake the loop now rather than at its next check."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    # -- which process posts what -----------------------------------------------------------------
    @property
    def consumer(self) -> str:
        """The shards this process serves, as progress is kept per consumer (`all` unsharded)."""
        count = getattr(self.bot, "shard_count", None)
        ids = getattr(self.bot, "shard_ids", None)
        if not count or count == 1 or not ids:
            return "all"
        return ",".join(str(i) for i in sorted(ids)) + f"/{count}"

    def owns(self, follow: Follow) -> bool:
        """This process posts for the follow: its server is on one of this process's shards (DMs: shard 0)."""
        count = getattr(self.bot, "shard_count", None)
        ids = getattr(self.bot, "shard_ids", None)
        if not count or count == 1 or not ids:
            return True
        shard = 0 if follow.guild_id is None else (follow.guild_id >> 22) % count
        return shard in ids

    # -- the loop -------------------------------------------------------------------------------
    async def run(self, every: float = CHECK_SECONDS) -> None:
        """Check every collection with follows, then wait for a switch or `every` seconds; never stops on an
        error (logged)."""
        assert self._wake is not None
        while True:
            try:
                await self.check()
                self.rounds += 1
            except (NewsIndexError, CorpusError) as exc:
                log.warning("follows: %s", exc.message)
            except (OSError, sqlite3.Error) as exc:
                log.warning("follows: %s", exc)
            except Exception:
                log.exception("follows: processing a version switch failed")
            try:
                await asyncio.wait_for(self._wake.wait(), every)
            except TimeoutError:
                pass
            self._wake.clear()

    async def check(self) -> None:
        """Process every collection whose served version this consumer has not processed yet."""
        store = self._store()
        for scope in sorted(await self.bot.run_blocking(store.scopes)):
            await self.process(scope)

    def _store(self) -> FollowStore:
        if self.store is None:
            raise RuntimeError("follows are not started (NewsBot.setup_hook starts them)")
        return self.store

    def _library(self, scope: int) -> Library | None:
        collections = self.bot.collections
        if scope == BASE_SCOPE:
            return collections.base
        return collections.library(scope) if collections.has_collection(scope) else None

    async def ensure_baseline(self, guild_id: int | None) -> None:
        """Make the collections a new follow reads from start at their current versions, so only what comes
        after it is posted (called when a follow is made; the loop does the same within seconds)."""
        for scope in (BASE_SCOPE,) if guild_id is None else (BASE_SCOPE, guild_id):
            await self.process(scope, baseline_only=True)

    async def process(self, scope: int, baseline_only: bool = False) -> None:
        """Post what one collection's switch brought to the follows it concerns, then record it processed.

        A collection never processed by this consumer gets its current version as a starting point, with
        nothing posted. Raises what reading the index raises (the loop logs it and tries again later).
        """
        async with self._processing:
            await self._process(scope, baseline_only)

    async def _process(self, scope: int, baseline_only: bool) -> None:
        store, consumer = self._store(), self.consumer
        collections = self.bot.collections
        done = await self.bot.run_blocking(store.progress, scope, consumer)
        # the pointer is read without loading the collection (nor touching which collections stay in memory)
        index_dir = collections.base.index_dir if scope == BASE_SCOPE else collections.server_dir(scope) / "index"
        pointed = await self.bot.run_blocking(pointed_version, index_dir)
        if pointed is None:  # a server without a collection yet: its first version will be all new
            if done is None:
                await self.bot.run_blocking(store.mark_processed, scope, consumer, "", [])
            return
        if pointed == done or (done is not None and baseline_only):
            return
        library = await self.bot.run_blocking(self._library, scope)
        if library is None:
            return

        def load() -> tuple[SearchService, list[tuple[str, str]]]:
            library.reload_if_switched()
            service = library.service
            return service, [(a, f) for a, f, *_ in service.meta.article_states()]

        service, states = await self.bot.run_blocking(load)
        if service.version == done:
            return
        if done is None:
            await self.bot.run_blocking(store.mark_processed, scope, consumer, service.version, states)
            log.info("follows: %s starts at index version %s", _label(scope), service.version)
            return
        seen = await self.bot.run_blocking(store.seen, scope, consumer)
        fresh = changed_articles(states, seen)
        if fresh:
            memo: dict[tuple[str, int], StoryKeys] = {}  # fresh articles' story keys, once for every follow
            follows = await self.bot.run_blocking(store.for_scope, scope)
            for follow in follows:
                if not self.owns(follow):
                    continue
                try:
                    await self.update(follow, service, frozenset(fresh), memo)
                except (NewsIndexError, CorpusError, OSError, sqlite3.Error):
                    raise  # the index or the database cannot be read now: the whole switch is tried again later
                except Exception:  # one follow's fault never holds back the others (nor this switch, forever)
                    log.exception("follow #%d: choosing or posting its new articles failed", follow.id)
        await self.bot.run_blocking(store.mark_processed, scope, consumer, service.version, states)
        log.info("follows: processed %s version %s (%d new or changed articles)", _label(scope), service.version,
                 len(fresh))

    # -- one follow ------------------------------------------------------------------------------
    async def update(self, follow: Follow, service: SearchService, fresh: frozenset[str],
                     memo: dict[tuple[str, int], StoryKeys] | None = None) -> None:
        """Pick, record and post what `fresh` (articles of `service`'s version) brings to one follow (`memo`: as
        `index.search.follows.select_updates`)."""
        bot, store = self.bot, self._store()
        settings = bot.settings

        def pick() -> tuple[Selection, str] | None:
            view = bot.view(follow.guild_id)
            if not any(p.service.folder == service.folder for p in view.parts):
                return None  # this place does not answer from that collection (a server without the base)
            parts = [replace(p, only=fresh if p.service.folder == service.folder else frozenset())
                     for p in view.parts]
            selection = select_updates(parts, follow.query, store.posted(follow.id), settings.follow_max_posts,
                                       per_article=settings.per_article, retrieval=view.retrieval, memo=memo)
            return selection, view.version

        picked = await bot.run_blocking(pick)
        if picked is None:
            return
        selection, version = picked
        for skip in selection.skipped:
            log.debug("follow #%d: skipped %s (%s of %s)", follow.id, skip.article_id, skip.reason, skip.like)
        if not selection.posts:
            return
        records = [(hit.passage.id, Posted.of(hit)) for hit in selection.posts]
        recorded = set(await bot.run_blocking(store.record, follow.id, records, service.version))
        posts = [hit for hit in selection.posts if hit.article.id in recorded]
        if posts:
            await self.deliver(follow, posts, selection.more, version)

    async def deliver(self, follow: Follow, posts: list[Hit], more: int, version: str) -> None:
        """Send one follow's recorded posts as one message of answer cards; a refusal marks the follow."""
        bot, store = self.bot, self._store()
        ids = [hit.article.id for hit in posts]
        answer = Answer(follow.query, tuple(compose_item(hit, follow.query) for hit in posts), True, version)
        answer_id = await bot.run_blocking(bot.feedback.record_answer, follow.query, {}, len(posts), version,
                                           [item.passage_id for item in answer.items], None, follow.guild_id,
                                           follow.target_id)
        message_kwargs = {"content": follow_line(follow, len(posts), more), "embeds": answer_embeds(answer),
                          "view": answer_view(answer_id, answer, False, len(posts)), "allowed_mentions": NO_MENTIONS}
        try:
            message = await self._send(follow.target_id, **message_kwargs)
        except discord.HTTPException as exc:
            problem = problem_text(exc)
            if exc.status < 500:  # refused: it certainly did not go out
                await bot.run_blocking(store.forget, follow.id, ids)
            await bot.run_blocking(store.set_problem, follow.id, problem)
            log.warning("follow #%d (%s): could not post in channel %s: %s (%s)", follow.id,
                        _where(follow), follow.target_id, problem, exc)
            return
        await bot.run_blocking(store.mark_sent, follow.id, ids, message.id)
        if follow.problem:
            await bot.run_blocking(store.set_problem, follow.id, None)

    async def _send(self, channel_id: int, **message: Any) -> discord.Message:
        """Post in a channel, thread or DM by id (nothing needs to be cached)."""
        return await self.bot.get_partial_messageable(channel_id).send(**message)


def _label(scope: int) -> str:
    return "the base corpus" if scope == BASE_SCOPE else f"server {scope}'s collection"


def _where(follow: Follow) -> str:
    return f"server {follow.guild_id}" if follow.guild_id is not None else f"DM of user {follow.user_id}"
