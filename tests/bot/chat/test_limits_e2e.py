"""Discord's limits end to end: live blogs with very long headlines and author lists, through the local fake Discord.

The fake refuses (HTTP 400, code 50035) any message over a limit, including the
6,000 characters across the embeds of one message. A confident five-card answer
over these articles reached about 7,800 characters before the cards shared a
budget; it must now be accepted, with every card keeping its bold sentence.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import pytest_asyncio

from index.library import Library
from tests.support.e2e import TOKEN, custom_ids, e2e_settings, online
from tests.support.fake_discord import FakeDiscord, check_message

pytestmark = [pytest.mark.e2e, pytest.mark.model]

QUESTION = "Who does Moscow say flew drones toward the Kremlin?"
FIRST_NAMES = ("Maria-Fernanda", "Sebastian", "Anastasia", "Oleksandr", "Christopher", "Bartholomew", "Gwendolyn")
LAST_NAMES = ("de la Cruz Villanueva-Rodriguez", "Shukla-Hodgkinson", "Konstantinopoulou", "Wojciechowski-Brown",
              "Featherstonehaugh", "Montgomery-Fitzgerald", "Abdurrahmanova")


def authors(i: int) -> list[str]:
    """Twenty-odd long, distinct names (a live blog credits everyone who worked on it)."""
    return [f"{FIRST_NAMES[(i + k) % 7]} {chr(65 + k % 26)}. {LAST_NAMES[(i * 3 + k) % 7]}" for k in range(24)]


def live_blog(i: int) -> dict:
    title = (f"Live updates, day {430 + i}: Russia’s war in Ukraine — *drones* over the Kremlin [{i}], "
             "Zelensky’s response and the latest from the front line as Moscow blames Kyiv for what it calls an "
             "attempt on Putin’s life, with reactions from Washington, London and Brussels through the night")
    paragraphs = [
        "MOSCOW (CNN) — Moscow says Ukraine flew the drones toward the Kremlin overnight.",
        f"Moscow alleged Wednesday that Ukraine flew two drones toward the Kremlin in what it claims was an attempt "
        f"to kill President Vladimir Putin, update {i} of this live blog reports.",
        "The Russian president was not in the building at the time, Kremlin spokesperson Dmitry Peskov said, and "
        "the Kremlin said the attack was foiled without injuries as fragments scattered over the Senate Palace.",
        "Ukraine says it has no knowledge of an attempted drone strike on the Kremlin in Moscow, adding that it does "
        "not use its means to attack other countries, a spokesman for President Volodymyr Zelensky said.",
        "A social media video appears to show smoke in the vicinity of the Kremlin, but it is unclear what the "
        "source of the smoke is, and analysts cautioned that the footage could not be verified independently.",
        "Russia referred to the incident as an act of terrorism, blaming Ukraine, and said it reserves the right "
        "to take retaliatory measures where and when it sees fit, according to a statement from the Kremlin.",
    ]
    return {"id": f"live-{i}", "url": f"https://news.example/live/day_{430 + i}_(updates)",
            "title": title, "authors": authors(i), "published": f"2023-05-0{3 + i % 3}",
            "outlet": "CNN", "text": "\n\n".join(paragraphs)}


@pytest_asyncio.fixture
async def fake():  # noqa: ANN201
    async with FakeDiscord(token=TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def corpus_and_index(tmp_path_factory: pytest.TempPathFactory, encoder) -> tuple[Path, Path]:  # noqa: ANN001
    """Six live blogs, indexed once for the module."""
    root = tmp_path_factory.mktemp("limits-e2e")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "live.jsonl").write_text("\n".join(json.dumps(live_blog(i)) for i in range(6)) + "\n", encoding="utf-8")
    Library(corpus, root / "index", encoder).build()
    return corpus, root / "index"


async def test_a_confident_five_card_answer_over_long_live_blogs_is_accepted(
        fake: FakeDiscord, encoder, corpus_and_index: tuple[Path, Path]) -> None:  # noqa: ANN001
    library = Library(*corpus_and_index, encoder)
    async with online(fake, e2e_settings(fake, *corpus_and_index, NEWSBOT_PER_ARTICLE="1"), library):
        ix = await fake.slash("ask", {"question": QUESTION, "results": 5})
        edit = await fake.wait_for_original_edit(ix, timeout=20)
        assert edit.status == 200, (edit.status, edit.response)
        answer = fake.final_message(ix)
        embeds = answer["embeds"]
        assert len(embeds) == 5, "a confident answer of five cards"
        assert "Low confidence" not in answer["content"]
        assert check_message(answer) == []
        assert sum(len(e["title"]) + len(e.get("description", "")) + len(e["footer"]["text"])
                   + sum(len(f["name"]) + len(f["value"]) for f in e["fields"]) for e in embeds) <= 6000
        for embed in embeds:
            assert "**" in embed["description"], "every card keeps its bold sentence"
            assert "**MOSCOW (CNN)" not in embed["description"], "the dateline is not part of the highlight"
            assert re.match(r"CNN · \w+ [A-Z]\. [\w -]+, ", embed["fields"][0]["value"]), "the first authors named"
            assert "\\*drones\\*" in embed["title"] and " " not in embed["url"] and "%28updates%29" in embed["url"]
        last = embeds[-1]["fields"][0]["value"]
        assert re.search(r" and \d+ others · \d May 2023 · paragraphs? [\d-]+ of \d+$", last), \
            "a later card's author list gives way before the first card's"
        fake.assert_no_violations()

        buttons = custom_ids(answer)
        assert len(buttons) == 11 and len(answer["components"]) <= 5

        ix = await fake.slash("sources")
        await fake.wait_for_callback(ix)
        listing = fake.final_message(ix)["embeds"][0]["description"]
        labels = re.findall(r"\[([^\]]*)\]\(([^)\s]*)\)", listing)
        assert len(labels) == 6, listing
        for label, url in labels:
            assert "\\" not in label and "∗drones∗" in label and "(" in label, label
            assert url.startswith("https://news.example/live/day_") and url.endswith("%28updates%29")

        ix = await fake.slash("source", {"query": "Moscow says Ukraine flew the drones toward the Kremlin overnight"})
        await fake.wait_for_original_edit(ix, timeout=20)
        shown = fake.final_message(ix)["embeds"][0]
        assert shown["description"].startswith("Quote found")
        assert "MOSCOW (CNN) — **Moscow says Ukraine flew the drones" in shown["description"]
        fake.assert_no_violations()
