"""newsbot end to end: /source, "Find source", /sources, /stats, more results and autocomplete.

The real bot over real sockets against the local fake Discord, on the seed
article plus a dozen short reports indexed with the real model.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import pytest_asyncio

from index.library import Library
from index.search.service import SearchService
from tests.conftest import SEED_QUESTION, SEEDS
from tests.support.e2e_corpus import write_harbour_articles
from tests.support.e2e import TOKEN, custom_ids, e2e_settings, embed_text, online
from tests.support.fake_discord import FakeDiscord

pytestmark = [pytest.mark.e2e, pytest.mark.model]

EPHEMERAL = 1 << 6
REWORDED = "Moscow claimed on Wednesday that Ukraine sent two drones at the Kremlin overnight, to assassinate Putin"


@pytest_asyncio.fixture
async def fake():  # noqa: ANN201
    async with FakeDiscord(token=TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def corpus_and_index(tmp_path_factory: pytest.TempPathFactory, encoder) -> tuple[Path, Path]:  # noqa: ANN001
    """seeds/ plus 12 harbour reports, indexed once for the module."""
    root = tmp_path_factory.mktemp("sources-e2e")
    corpus = root / "corpus"
    shutil.copytree(SEEDS, corpus)
    write_harbour_articles(corpus, 12)
    Library(corpus, root / "index", encoder).build()
    return corpus, root / "index"


@pytest.fixture()
def library(corpus_and_index: tuple[Path, Path], encoder) -> Library:  # noqa: ANN001
    return Library(*corpus_and_index, encoder)


def fields(message: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0].get("fields", [])}


async def test_source_by_passage_id_and_by_reworded_quote(fake: FakeDiscord, library: Library,
                                                          corpus_and_index: tuple[Path, Path], encoder) -> None:  # noqa: ANN001
    top = SearchService.open(corpus_and_index[1], encoder).search(SEED_QUESTION, k=1).hits[0].passage
    async with online(fake, e2e_settings(fake, *corpus_and_index), library):
        ix = await fake.slash("source", {"query": top.id})
        assert (await fake.wait_for_callback(ix)).json["type"] == 5
        await fake.wait_for_original_edit(ix, timeout=10)
        shown = fake.final_message(ix)
        got = fields(shown)
        assert got["Outlet"] == "CNN" and got["Authors"] == "Sebastian Shukla and Nathan Hodge"
        assert got["Published"] == "3 May 2023" and got["Read from"] == "`000_404b26da54f33bfd.txt`"
        assert got["Where"].startswith(f"paragraphs {top.paragraph_first}-{top.paragraph_last} of 12")
        assert got["Indexed"].endswith("UTC") and "no URL" in got["Link"]
        assert f"After (paragraph {top.paragraph_last + 1})" in got
        assert shown["embeds"][0]["description"].startswith(f"Passage `{top.id}`")

        ix = await fake.slash("source", {"query": REWORDED})
        await fake.wait_for_original_edit(ix, timeout=10)
        shown = fake.final_message(ix)
        got = fields(shown)
        assert shown["embeds"][0]["description"].startswith("Quote found: wording")
        assert got["Where"].startswith("paragraph 1 of 12"), "the same paragraph as the passage's first"
        assert "**Moscow alleged Wednesday" in shown["embeds"][0]["description"]

        ix = await fake.slash("source", {"query": "The central bank raised interest rates to fight inflation"})
        await fake.wait_for_original_edit(ix, timeout=10)
        shown = fake.final_message(ix)
        assert shown["embeds"][0]["title"] == "No close match" and "% similar" in shown["embeds"][0]["description"]
        fake.assert_no_violations()


async def test_find_source_menu_and_text_fragment_links(fake: FakeDiscord, library: Library,
                                                        corpus_and_index: tuple[Path, Path]) -> None:
    async with online(fake, e2e_settings(fake, *corpus_and_index), library):
        quoted = await fake.send_message("“Passengers waited 9 hours at the harbour terminal,” the operator said.",
                                         mentions_bot=False, author=fake.moderator_user)
        ix = await fake.context_menu_message("Find source", quoted)
        assert (await fake.wait_for_callback(ix)).json == {"type": 5, "data": {"flags": EPHEMERAL}}
        await fake.wait_for_original_edit(ix, timeout=10)
        shown = fake.final_message(ix)
        assert shown["flags"] & EPHEMERAL
        embed = shown["embeds"][0]
        assert embed["title"] == "Harbour report 7: ferry number 7 returns to the harbour"
        assert embed["url"] == ("https://news.example/harbour/7#:~:text="
                                "Passengers%20waited%209%20hours%20at%20the,the%20operator%20said.")
        assert fields(shown)["Where"].startswith("paragraph 2 of 2") and "exact" in embed["description"]
        assert fields(shown)["Outlet"] == "BBC" and fields(shown)["Published"] == "8 January 2024"
        fake.assert_no_violations()


async def test_sources_pages_with_buttons_and_stats(fake: FakeDiscord, library: Library,
                                                    corpus_and_index: tuple[Path, Path]) -> None:
    async with online(fake, e2e_settings(fake, *corpus_and_index), library) as bot:
        ix = await fake.slash("sources")
        await fake.wait_for_callback(ix)
        page = fake.final_message(ix)
        assert all(a.text == "" for a in (await bot.catalog()).articles), "the catalogue holds no article bodies"
        embed = page["embeds"][0]
        assert embed["title"] == "Sources: 13 article(s), 3 outlet(s)"
        assert embed["footer"]["text"].startswith("page 1/2") and "all-MiniLM-L6-v2" in embed["footer"]["text"]
        lines = [line for line in embed["description"].splitlines() if line.startswith("`")]
        assert len(lines) == 10 and "12 January 2024" in lines[0] and "Harbour report 11" in lines[0]
        assert all(line.endswith(" · 2 ¶") for line in lines), "paragraph counts read from the articles themselves"
        assert "Outlets: BBC 6 · Reuters 6 · CNN 1" in embed["description"]
        prev, nxt = custom_ids(page)
        click = await fake.click(page, nxt)
        assert (await fake.wait_for_callback(click)).json["type"] == 7, "the list message is edited in place"
        page = fake.message(page)
        assert page["embeds"][0]["footer"]["text"].startswith("page 2/2") and "3 May 2023" in embed_text(page)
        assert "· 12 ¶" in embed_text(page)  # the seed article's twelve paragraphs

        ix = await fake.slash("sources", {"outlet": "reuters"})
        await fake.wait_for_callback(ix)
        embed = fake.final_message(ix)["embeds"][0]
        assert embed["title"].startswith("Sources: 6 from Reuters")

        ix = await fake.slash("stats")
        await fake.wait_for_callback(ix)
        got = fields(fake.final_message(ix))
        assert got["Articles"] == "13" and got["Outlets"] == "3" and got["Model"] == "all-MiniLM-L6-v2"
        assert got["Index version"].startswith("`v0001") and got["Last refresh"].endswith("UTC")
        fake.assert_no_violations()


async def test_more_results_and_autocomplete(fake: FakeDiscord, library: Library,
                                             corpus_and_index: tuple[Path, Path]) -> None:
    async with online(fake, e2e_settings(fake, *corpus_and_index), library):
        ix = await fake.slash("ask", {"question": "Which ferry returned to the harbour after engine repairs?",
                                      "results": 2})
        await fake.wait_for_original_edit(ix, timeout=10)
        answer = fake.final_message(ix)
        assert len(answer["embeds"]) == 2
        more = next(b for b in custom_ids(answer) if b.startswith("nb:more:"))
        click = await fake.click(answer, more, user=fake.moderator_user)
        assert (await fake.wait_for_callback(click)).json == {"type": 5, "data": {"flags": EPHEMERAL}}
        await fake.wait_for_original_edit(click, timeout=10)
        extra = fake.final_message(click)
        assert extra["flags"] & EPHEMERAL and len(extra["embeds"]) == 2
        assert extra["embeds"][0]["footer"]["text"].startswith("#3 ")
        shown_first = {e["footer"]["text"].split(" · ")[1] for e in answer["embeds"]}
        assert shown_first.isdisjoint(e["footer"]["text"].split(" · ")[1] for e in extra["embeds"])

        ix = await fake.autocomplete("source", {"query": ""}, focused="query")
        choices = await fake.wait_for_choices(ix)
        recent = [c for c in choices if c["name"].endswith("a passage shown to you")]
        assert len(recent) == 2 and all(c["value"].startswith("p") for c in recent)
        assert any(c["value"].startswith("a:") and "Harbour report 11" in c["name"] for c in choices)
        ix = await fake.autocomplete("ask", {"question": "x", "outlet": "reu"}, focused="outlet")
        assert await fake.wait_for_choices(ix) == [{"name": "Reuters (6 articles)", "value": "Reuters"}]

        title_choice = next(c for c in choices if "Harbour report 3:" in c["name"])
        ix = await fake.slash("source", {"query": title_choice["value"]})
        await fake.wait_for_original_edit(ix, timeout=10)
        shown = fake.final_message(ix)
        assert shown["embeds"][0]["description"].startswith("Article (its first paragraph)")
        assert fields(shown)["Where"].startswith("paragraph 1 of 2")
        fake.assert_no_violations()
