"""newsbot end to end: /corpus add (link and file), remove, restore, history, for moderators only.

The real bot over real sockets against the local fake Discord; article pages
come from a local web site on 127.0.0.1, allowed by configuration only where
a test says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio

from corpus.folder.removal import removed_dir
from index.library import Library
from tests.support.e2e_corpus import LIGHTHOUSE
from tests.support.e2e import TOKEN, copy_index, custom_ids, e2e_settings, embed_text, online
from tests.support.fake_discord import FakeDiscord
from tests.support.local_site import article_page, local_site

pytestmark = [pytest.mark.e2e, pytest.mark.model]

EPHEMERAL = 1 << 6
LIGHTHOUSE_TITLE = "Keepers return to the Skerryvore lighthouse for a summer of repairs"
LIGHTHOUSE_QUESTION = "Who will live at the Skerryvore lighthouse this summer?"
OTTERS_TITLE = "Otters return to the city canal after forty years"
OTTERS = [
    "A family of otters has been filmed in the city canal for the first time in forty years, the wildlife trust "
    "said on Thursday.",
    "Volunteers who cleared rubbish from the towpath said the clean water had brought back fish and, with them, "
    "the otters.",
    "The trust asked boaters to slow down near the old lock, where the otters have made a holt.",
]


@pytest_asyncio.fixture
async def fake():  # noqa: ANN201
    async with FakeDiscord(token=TOKEN) as server:
        yield server


def button(message: dict, kind: str) -> str:
    return next(i for i in custom_ids(message) if i.startswith(f"nb:corpus:{kind}:"))


async def preview_of(fake: FakeDiscord, ix) -> dict:  # noqa: ANN001
    """The ephemeral preview (or refusal) that replaces the "thinking…" reply."""
    assert (await fake.wait_for_callback(ix)).json["data"]["flags"] & EPHEMERAL
    await fake.wait_for_original_edit(ix, timeout=20)
    return fake.final_message(ix)


async def confirmed(fake: FakeDiscord, message: dict, user, kind: str = "confirm") -> dict:  # noqa: ANN001
    """Press the confirm button and wait for the summary."""
    click = await fake.click(message, button(message, kind), user=user)
    assert (await fake.wait_for_callback(click)).json["type"] == 7, "the click updates the preview at once"
    await fake.wait_for_original_edit(click, timeout=60, predicate=lambda r: r.json.get("content", "").startswith(
        ("Refresh finished", "Nothing was changed")))
    return fake.final_message(click)


async def top_title(fake: FakeDiscord, question: str) -> str:
    ix = await fake.slash("ask", {"question": question})
    await fake.wait_for_original_edit(ix, timeout=20)
    return embed_text(fake.final_message(ix))


async def test_add_by_link_previews_confirms_and_offers_an_update_for_the_same_link(
        fake: FakeDiscord, seed_corpus: Path, seed_index: Path, encoder, tmp_path: Path) -> None:  # noqa: ANN001
    index = copy_index(seed_index, tmp_path / "index")
    library = Library(seed_corpus, index, encoder)
    settings = e2e_settings(fake, seed_corpus, index, NEWSBOT_ALLOW_PRIVATE_URLS="true", NEWSBOT_HOST_DELAY_MS="0")
    with local_site() as site:
        url = site.add("/nature/otters.html", article_page(OTTERS_TITLE, OTTERS, author="Ann Lee", day="2024-04-05",
                                                           site="City Post"))
        async with online(fake, settings, library):
            refused = await fake.slash("corpus", {"url": url}, subcommand="add", user=fake.normal_user)
            data = (await fake.wait_for_callback(refused)).json["data"]
            assert data["flags"] & EPHEMERAL
            assert data["content"].startswith("Only members with the Manage Server permission may use `/corpus add`")
            assert site.hits == [], "a refused member fetches nothing"

            ix = await fake.slash("corpus", {"url": url}, subcommand="add", user=fake.moderator_user)
            preview = await preview_of(fake, ix)
            embed = preview["embeds"][0]
            shown = embed_text(preview)
            assert embed["title"] == OTTERS_TITLE and "Outlet: City Post" in shown and "Authors: Ann Lee" in shown
            assert "Date: 5 April 2024" in shown and "A family of otters has been filmed" in embed["description"]
            assert "Passages: 1" in shown and preview["content"] == "Add this to the shared corpus?"
            assert not list(seed_corpus.rglob("*.jsonl")), "nothing is saved before the confirmation"

            other = await fake.click(preview, button(preview, "confirm"), user=fake.mod_role_only_user)
            data = (await fake.wait_for_callback(other)).json["data"]
            assert data["flags"] & EPHEMERAL and data["content"].startswith("Only the moderator who ran `/corpus add`")

            done = await confirmed(fake, preview, fake.moderator_user)
            assert "added 1" in done["content"] and OTTERS_TITLE in done["content"], done["content"]
            [saved] = seed_corpus.rglob("*.jsonl")
            assert saved.parent.parent == seed_corpus / "added"
            assert OTTERS_TITLE in await top_title(fake, "Where have otters been filmed for the first time in 40 years?")

            again = await fake.slash("corpus", {"url": url}, subcommand="add", user=fake.moderator_user)
            offer = await preview_of(fake, again)
            assert offer["content"].startswith("This page is already in the corpus")
            assert [c["label"] for row in offer["components"] for c in row["components"]] == ["Update", "Cancel"]
            cancel = await fake.click(offer, button(offer, "cancel"), user=fake.moderator_user)
            await fake.wait_for_callback(cancel)
            assert fake.final_message(again)["content"] == "Cancelled: nothing was changed."
            assert fake.final_message(again)["components"] == []
            fake.assert_no_violations()


async def test_files_remove_restore_history_and_private_links_refused_by_default(
        fake: FakeDiscord, seed_corpus: Path, seed_index: Path, encoder, tmp_path: Path) -> None:  # noqa: ANN001
    index = copy_index(seed_index, tmp_path / "index")
    library = Library(seed_corpus, index, encoder)
    mod = fake.moderator_user
    with local_site() as site:
        url = site.add("/nature/otters.html", article_page(OTTERS_TITLE, OTTERS))
        async with online(fake, e2e_settings(fake, seed_corpus, index), library):
            ix = await fake.slash("corpus", {"url": url}, subcommand="add", user=mod)
            text = (await preview_of(fake, ix))["content"]
            assert text.startswith("Cannot add this page: 127.0.0.1 resolves to the private or local address")
            assert "NEWSBOT_ALLOW_PRIVATE_URLS" in text and site.hits == []
            ix = await fake.slash("corpus", {"url": "ftp://example.org/a.html"}, subcommand="add", user=mod)
            assert "only http and https links" in (await preview_of(fake, ix))["content"]

            bad = fake.add_attachment("news.jsonl", b'{"title": "A", "text": "Fine text here."}\n{"title": "B"}\n',
                                      "application/jsonl")
            ix = await fake.slash("corpus", {"file": bad}, subcommand="add", user=mod)
            text = (await preview_of(fake, ix))["content"]
            assert text.startswith("Cannot add `news.jsonl`: 1 problem(s) in the file, so nothing was added")
            assert "news.jsonl:2: the record has no `text` field" in text
            assert not (seed_corpus / "added").exists()

            good = fake.add_attachment("lighthouse.txt", LIGHTHOUSE.encode(), "text/plain")
            ix = await fake.slash("corpus", {"file": good}, subcommand="add", user=mod)
            preview = await preview_of(fake, ix)
            assert preview["embeds"][0]["title"] == LIGHTHOUSE_TITLE and "File: lighthouse.txt" in embed_text(preview)
            done = await confirmed(fake, preview, mod)
            assert "added the file added/lighthouse.txt (1 article)" in done["content"]
            assert (seed_corpus / "added" / "lighthouse.txt").read_text() == LIGHTHOUSE
            assert LIGHTHOUSE_TITLE in await top_title(fake, LIGHTHOUSE_QUESTION)

            typed = await fake.autocomplete("corpus", {"article": "skerryvore"}, focused="article",
                                            subcommand="remove", user=mod)
            [choice] = await fake.wait_for_choices(typed)
            assert choice["name"].startswith(LIGHTHOUSE_TITLE)
            ix = await fake.slash("corpus", {"article": choice["value"]}, subcommand="remove", user=mod)
            preview = await preview_of(fake, ix)
            assert "File: added/lighthouse.txt" in embed_text(preview)
            done = await confirmed(fake, preview, mod)
            assert "removed 1" in done["content"], done["content"]
            assert not (seed_corpus / "added" / "lighthouse.txt").exists()
            assert (removed_dir(seed_corpus) / "added" / "lighthouse.txt").read_text() == LIGHTHOUSE
            assert LIGHTHOUSE_TITLE not in await top_title(fake, LIGHTHOUSE_QUESTION)

            typed = await fake.autocomplete("corpus", {"article": "lighthouse"}, focused="article",
                                            subcommand="restore", user=mod)
            [choice] = await fake.wait_for_choices(typed)
            ix = await fake.slash("corpus", {"article": choice["value"]}, subcommand="restore", user=mod)
            await fake.wait_for_callback(ix)
            await fake.wait_for_original_edit(ix, timeout=60, predicate=lambda r: r.json.get(
                "content", "").startswith("Refresh finished"))
            assert "restored “" + LIGHTHOUSE_TITLE in fake.final_message(ix)["content"]
            assert (seed_corpus / "added" / "lighthouse.txt").read_text() == LIGHTHOUSE
            assert LIGHTHOUSE_TITLE in await top_title(fake, LIGHTHOUSE_QUESTION)

            ix = await fake.slash("corpus", {"count": 10}, subcommand="history", user=mod)
            history = await preview_of(fake, ix)
            lines = history["embeds"][0]["description"].splitlines()
            kinds = [k for line in lines for k in ("corpus restore", "corpus remove", "corpus add", "refresh")
                     if f" {k} by " in line]
            assert kinds == ["refresh", "corpus restore", "refresh", "corpus remove", "refresh", "corpus add"]
            assert all(str(mod.id) in line for line in lines)

            refused = await fake.slash("corpus", {}, subcommand="history", user=fake.normal_user)
            assert "may use `/corpus history`" in (await fake.wait_for_callback(refused)).json["data"]["content"]
            hidden = await fake.autocomplete("corpus", {"article": "light"}, focused="article", subcommand="remove",
                                             user=fake.normal_user)
            assert await fake.wait_for_choices(hidden) == [], "members who may not remove see no suggestions"
            neither = await fake.slash("corpus", {}, subcommand="add", user=mod)
            data = (await fake.wait_for_callback(neither)).json["data"]
            assert data["flags"] & EPHEMERAL and data["content"].startswith("Give either `url:`")
            fake.assert_no_violations()
