"""Warnings that keep the article (a date left out): reported wherever problems are, never a reason to skip or refuse."""

from __future__ import annotations

import json
import os
from pathlib import Path

from corpus.errors import DroppedDate
from corpus.folder.planning import plan_refresh
from corpus.folder.scan import problem_from_json, scan_corpus
from corpus.sources.uploads import check_upload

BAD_DATE = json.dumps({"text": "A story whose date cannot be read.", "published": "2023-02-30"}) + "\n"


def test_an_upload_with_a_dropped_date_is_accepted_with_its_note() -> None:
    upload = check_upload("stories.jsonl", BAD_DATE.encode(), max_bytes=10_000)
    [article] = upload.articles
    [note] = upload.notes
    assert article.published is None and [n.message for n in article.notes] == [note.message]
    assert isinstance(note, DroppedDate) and note.location == "stories.jsonl:1"
    assert "February has no 30th day" in note.message


def test_a_scan_reports_the_note_from_a_fresh_read_and_from_its_cache(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(BAD_DATE)
    old = path.stat().st_mtime_ns - 10_000_000_000
    os.utime(path, ns=(old, old))  # not racily new: the next scan trusts its record
    first = scan_corpus(tmp_path)
    again = scan_corpus(tmp_path, cached=first.records)
    assert again.files_read == 0
    for scan in (first, again):
        [note] = scan.problems
        assert isinstance(note, DroppedDate) and note.warning and "February has no 30th day" in note.message
        assert len(scan.refs) == 1
    plan = plan_refresh(first.refs, {}, first.problems)
    assert len(plan.new) == 1 and plan.unreadable[0].warning  # listed with the problems, the article still added
    assert problem_from_json({"type": "DroppedDate", "path": "a", "problem": "p", "fix": "f"}).warning
