"""`/corpus` messages fit Discord's limits however many problems, articles or history entries there are."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.chat.render.answer import CONTENT_LIMIT, DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT, MESSAGE_EMBEDS_TOTAL, embeds_length
from bot.chat.render.corpus import history_embed, preview_embed, refused_file_text
from corpus.article import Article
from corpus.errors import BadJsonLine
from corpus.sources.uploads import CheckedUpload, UploadRejected
from index.curation.changes import Preview
from index.store.state import HistoryEntry


def article(i: int) -> Article:
    return Article(id=f"c{i:015x}", title=f"Headline number {i} " + "word " * 60, outlet="@everyone News",
                   authors=("A. Writer",), published=date(2024, 1, 2), url=None,
                   text=("A sentence of the article body. " * 80).strip(), source=f"upload.jsonl:{i}")


def test_a_refused_file_lists_its_problems_within_one_message() -> None:
    problems = tuple(BadJsonLine("news.jsonl", "the line is not valid JSON (Expecting value at column 1)",
                                 "fix the JSON syntax of this line (one object a line)", line=i) for i in range(1, 301))
    text = refused_file_text(UploadRejected("news.jsonl", "300 problem(s) in the file, so nothing was added",
                                            "fix them and send the file again", problems))
    assert len(text) <= CONTENT_LIMIT
    assert text.startswith("Cannot add `news.jsonl`: 300 problem(s)") and "news.jsonl:1: the line" in text
    assert text.endswith("more\n```") and text.count("```") == 2


def test_the_preview_of_a_large_file_fits() -> None:
    articles = tuple(article(i) for i in range(40))
    upload = CheckedUpload("upload.jsonl", b"", articles)
    embed = preview_embed(Preview(articles, 400, upload=upload), Path("."))
    fields = {f.name: f.value for f in embed.fields}
    assert fields["File"] == "upload.jsonl · 40 article(s)" and fields["Passages"] == "400"
    assert fields["Articles"].endswith("… and 30 more") and len(fields["Articles"]) <= FIELD_VALUE_LIMIT
    assert "\\@everyone" in fields["Outlet"] or "@\u200beveryone" in fields["Outlet"], "mentions stay text"
    assert len(embed.description) <= DESCRIPTION_LIMIT and embeds_length([embed]) <= MESSAGE_EMBEDS_TOTAL


def test_a_long_history_fits_one_embed() -> None:
    entries = [HistoryEntry(id=i, kind="corpus remove", actor="mod (1)", started_at="2024-05-01T10:00:00+00:00",
                            finished_at=None, status="ok", version_before=None, version_after=None, added=0,
                            updated=0, removed=1, unchanged=0, duplicates=0, skipped=0, embedded=0, seconds=0.0,
                            summary="removed “" + "long title " * 40 + "”", details={}) for i in range(25, 0, -1)]
    embed = history_embed(entries)
    assert len(embed.description) <= DESCRIPTION_LIMIT and embed.description.startswith("\\#25 2024-05-01")
    assert embeds_length([embed]) <= MESSAGE_EMBEDS_TOTAL
