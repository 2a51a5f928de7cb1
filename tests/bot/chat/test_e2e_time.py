"""Questions that name a time, end to end: the real bot over real sockets against the local fake Discord.

"last week" restricts the dates and the reply says which window was searched; the `since`/`until` options win
over the words; a window without articles says so and offers the nearest dates (within the outlet asked).
Today is injected (`NewsBot.now`); the index uses the hashed test encoder (fast).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
import pytest_asyncio

from index.library import Library
from tests.support.e2e import TOKEN, e2e_settings, online
from tests.support.e2e_corpus import BAKERY, CHOIR
from tests.support.fake_discord import FakeDiscord
from tests.support.fakes import HashEncoder

pytestmark = [pytest.mark.e2e]

# two closures of one harbour, a week apart (Reuters on Wednesday 3 January, BBC on Tuesday 9 January 2024), and
# stories of 2 and 5 March
STORM = """date 2024-01-03 By Ana Kowalski, Reuters
title Storm Henk closes the harbour at Port Ellen

The harbour at Port Ellen was closed on Wednesday as Storm Henk brought waves of eight metres, the harbour master said.

Ferries to the mainland were cancelled until the storm passes.
"""
ICE = """date 2024-01-09 By Sam Hill, BBC
title Harbour at Port Ellen closed again as ice forms

The harbour at Port Ellen was closed again on Tuesday after ice formed across the inner basin, the harbour master said.

Ferries to the mainland were cancelled for the second time this month.
"""
QUESTION = "Why was the harbour at Port Ellen closed"
WEDNESDAY = datetime(2024, 1, 10, 9, 0, tzinfo=timezone.utc)


@pytest_asyncio.fixture
async def fake():  # noqa: ANN201
    async with FakeDiscord(token=TOKEN) as server:
        yield server


@pytest.fixture()
def library_and_settings(tmp_path: Path, fake: FakeDiscord):  # noqa: ANN201
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in (("storm", STORM), ("ice", ICE), ("bakery", BAKERY), ("choir", CHOIR)):
        (corpus / f"{name}.txt").write_text(text, encoding="utf-8")
    settings = e2e_settings(fake, corpus, tmp_path / "index", NEWSBOT_TIMEZONE="Europe/London")
    library = Library(corpus, tmp_path / "index", HashEncoder(), retrieval=settings.retrieval())
    library.build()
    return library, settings


async def ask(fake: FakeDiscord, question: str, **options: object) -> dict:
    ix = await fake.slash("ask", {"question": question, **options})
    await fake.wait_for_original_edit(ix, timeout=20)
    return fake.final_message(ix)


def card_days(message: dict) -> list[str]:
    """The publication day each answer card's source line gives ("3 January 2024")."""
    assert message["embeds"][0].get("fields"), f"not an answer: {message['embeds']}"
    return [re.findall(r"· (\d+ \w+ 2024) ·", embed["fields"][0]["value"])[0] for embed in message["embeds"]]


async def test_last_week_restricts_the_dates_and_the_reply_says_the_window(fake: FakeDiscord,
                                                                          library_and_settings) -> None:
    library, settings = library_and_settings
    async with online(fake, settings, library) as bot:
        bot.now = lambda: WEDNESDAY
        unrestricted = await ask(fake, QUESTION + "?", results=2)
        assert sorted(card_days(unrestricted)) == ["3 January 2024", "9 January 2024"], "without a window, both answer"
        assert "author" not in unrestricted["embeds"][0]

        answer = await ask(fake, QUESTION + " last week?", results=2)
        assert card_days(answer) == ["3 January 2024"], "last week: Monday 1 to Sunday 7 January"
        assert answer["embeds"][0]["author"]["name"] == "Searched 1–7 January 2024 (“last week” in the question)."
        assert answer["content"] == "> " + QUESTION + " last week?", "the question is shown as asked"

        # the same from a DM (mentions and DMs share the question path)
        mark = fake.mark()
        sent = await fake.send_message(QUESTION + " last week?", guild=False, mentions_bot=False)
        reply = await fake.wait_for_request("POST", rf"^/channels/{sent['channel_id']}/messages$", since=mark,
                                            timeout=20)
        assert reply.json["embeds"][0]["author"]["name"].startswith("Searched 1–7 January 2024")
        assert card_days(reply.json) == ["3 January 2024"]

        # explicit since/until win over the words
        answer = await ask(fake, QUESTION + " last week?", since="2024-01-08", results=2)
        assert card_days(answer)[0] == "9 January 2024" and "3 January 2024" not in card_days(answer)
        assert answer["embeds"][0]["author"]["name"] == (
            "Searched since 8 January 2024 (the since/until options; “last week” in the question was not applied).")
        fake.assert_no_violations()


async def test_a_window_without_articles_offers_the_nearest_dates(fake: FakeDiscord, library_and_settings) -> None:
    library, settings = library_and_settings
    async with online(fake, settings, library) as bot:
        bot.now = lambda: datetime(2024, 1, 20, 12, 0, tzinfo=timezone.utc)
        answer = await ask(fake, QUESTION + " on 15 January?")
        [embed] = answer["embeds"]
        assert embed["title"] == "No articles in that window"
        assert embed["description"].startswith("No articles from 15–16 January 2024; the nearest are from "
                                               "9 January 2024 and 2 March 2024.")
        assert "“on 15 January” in your question" in embed["description"]
        # the nearest dates respect the outlet asked for
        answer = await ask(fake, QUESTION + " on 15 January?", outlet="Reuters")
        assert answer["embeds"][0]["description"].startswith(
            "No articles from 15–16 January 2024; the nearest is from 3 January 2024.")
        fake.assert_no_violations()


async def test_today_is_the_day_in_the_bot_time_zone(fake: FakeDiscord, library_and_settings) -> None:
    library, settings = library_and_settings
    async with online(fake, settings.with_overrides(timezone="Asia/Tokyo"), library) as bot:
        bot.now = lambda: datetime(2024, 1, 3, 20, 0, tzinfo=timezone.utc)  # already Thursday 4 January in Tokyo
        answer = await ask(fake, QUESTION + " yesterday?", results=2)
        assert answer["embeds"][0]["author"]["name"].startswith("Searched 3–4 January 2024")
        assert card_days(answer) == ["3 January 2024"]
