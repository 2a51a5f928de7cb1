"""Save an article into the corpus folder as a JSON Lines record, atomically.

Why records: everything fetched (feeds, pages added from Discord) lands in the
folder in a format the loader reads, so the index can always be rebuilt from
the folder alone and a fetch is never needed twice.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path

from corpus.article import Article, article_json


def slug(text: str, limit: int = 40) -> str:
    """A file-name-safe lower-case form of an outlet or host name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit] or "unknown"


def article_record(article: Article, **extra: str) -> dict:
    """The JSON record the `.jsonl` reader turns back into the same article."""
    attribution = article_json(article)
    record: dict = {key: attribution[key] for key in ("id", "url", "outlet", "authors", "published")}
    if article.credits:
        record["credits"] = list(article.credits)
    record["text"] = article.text
    if not article.title_derived:
        record["title"] = article.title
    record["saved_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    record.update(extra)
    return record


def record_path(folder: Path, article: Article) -> Path:
    """Where an article's record goes: one file per article, named by its id, under its outlet."""
    return folder / slug(article.outlet) / f"{article.id}.jsonl"


def save_record(folder: Path, article: Article, **extra: str) -> Path:
    """Write the article's record under `folder` (write to a hidden temp file, fsync, rename); returns its path.

    A reader sees either no file or the complete record; hidden files are never read as corpus.
    """
    path = record_path(folder, article)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(json.dumps(article_record(article, **extra), ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path
