"""`newsbot corpus add | remove | removed | restore | history` called in-process, with the real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from corpus.folder.removal import removed_dir
from tests.support.e2e_corpus import LIGHTHOUSE
from tests.support.e2e import copy_index
from tests.support.local_site import article_page, local_site

pytestmark = pytest.mark.model

LIGHTHOUSE_TITLE = "Keepers return to the Skerryvore lighthouse for a summer of repairs"


def test_cli_adds_a_file_and_a_page_removes_restores_and_shows_history(
        seed_corpus: Path, seed_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    paths = ["--corpus", str(seed_corpus), "--index", str(copy_index(seed_index, tmp_path / "idx"))]
    upload = tmp_path / "lighthouse.txt"
    upload.write_text(LIGHTHOUSE, encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"title": "no text"}\n', encoding="utf-8")

    assert main(["corpus", "add", str(bad), *paths]) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl: 1 problem(s) in the file, so nothing was added" in err
    assert "bad.jsonl:2: the record has no `text` field" in err

    assert main(["corpus", "add", str(upload), "--yes", *paths]) == 0
    out = capsys.readouterr().out
    assert out.startswith(LIGHTHOUSE_TITLE) and "1 article(s), 1 passage(s)" in out
    assert "added the file added/lighthouse.txt (1 article)" in out and "added 1, updated 0" in out
    assert (seed_corpus / "added" / "lighthouse.txt").read_text(encoding="utf-8") == LIGHTHOUSE

    with local_site() as site:
        url = site.add("/otters.html", article_page("Otters return to the canal", [
            "A family of otters has been filmed in the city canal for the first time in forty years.",
            "Volunteers who cleared the towpath said clean water brought back fish and the otters."]))
        monkeypatch.delenv("NEWSBOT_ALLOW_PRIVATE_URLS", raising=False)
        assert main(["corpus", "add", url, "--yes", *paths]) == 2
        assert "resolves to the private or local address 127.0.0.1" in capsys.readouterr().err
        monkeypatch.setenv("NEWSBOT_ALLOW_PRIVATE_URLS", "true")
        assert main(["corpus", "add", url, "--preview", *paths]) == 0
        assert capsys.readouterr().out.startswith("Otters return to the canal\n  Example News · Jane Roe")
        assert main(["corpus", "add", url, "--yes", *paths]) == 0
        assert "added “Otters return to the canal” from " in capsys.readouterr().out
        assert main(["corpus", "add", url, "--yes", *paths]) == 2
        assert "is already in the corpus — add --update" in capsys.readouterr().err

    assert main(["corpus", "remove", "skerryvore lighthouse", "--yes", *paths]) == 0
    assert "added/lighthouse.txt → removed/added/lighthouse.txt (file)" in capsys.readouterr().out
    assert (removed_dir(seed_corpus) / "added" / "lighthouse.txt").exists()
    assert main(["corpus", "removed", *paths]) == 0
    assert LIGHTHOUSE_TITLE in capsys.readouterr().out
    assert main(["corpus", "restore", LIGHTHOUSE_TITLE, "--yes", *paths]) == 0
    assert "added 1" in capsys.readouterr().out
    assert (seed_corpus / "added" / "lighthouse.txt").exists()
    assert main(["corpus", "restore", LIGHTHOUSE_TITLE, "--yes", *paths]) == 2
    assert "no article among the removed articles matches" in capsys.readouterr().err

    assert main(["history", *paths]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert " corpus restore by cli" in lines[1] and "restored “" + LIGHTHOUSE_TITLE in lines[1]
    assert main(["corpus", "history", "--json", "-n", "6", *paths]) == 0
    kinds = [json.loads(x)["kind"] for x in capsys.readouterr().out.splitlines()]
    assert kinds == ["refresh", "corpus restore", "refresh", "corpus remove", "refresh", "corpus add"]
