"""`--server ID` on the command line sees and changes exactly what that Discord server does; `newsbot servers`."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.support.e2e import copy_index
from tests.support.e2e_corpus import LIGHTHOUSE

pytestmark = pytest.mark.model

LIGHTHOUSE_TITLE = "Keepers return to the Skerryvore lighthouse for a summer of repairs"
SERVER = "123456789012345678"
QUESTION = "Who returns to the Skerryvore lighthouse?"


def sources(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    assert main(["sources", "--json", *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def test_a_servers_collection_from_the_command_line(seed_corpus: Path, seed_index: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    index = copy_index(seed_index, tmp_path / "idx")
    paths = ["--corpus", str(seed_corpus), "--index", str(index)]
    upload = tmp_path / "lighthouse.txt"
    upload.write_text(LIGHTHOUSE, encoding="utf-8")
    base_before = sorted(p.name for p in seed_corpus.rglob("*") if p.is_file())

    assert main(["corpus", "add", str(upload), "--yes", "--server", SERVER, *paths]) == 0
    assert "added 1" in capsys.readouterr().out
    assert sorted(p.name for p in seed_corpus.rglob("*") if p.is_file()) == base_before, "the base folder is untouched"
    assert (index / "servers" / SERVER / "corpus" / "added" / "lighthouse.txt").is_file()

    server_titles = [s["title"] for s in sources(capsys, "--server", SERVER, *paths)]
    base_titles = [s["title"] for s in sources(capsys, *paths)]
    assert LIGHTHOUSE_TITLE in server_titles and LIGHTHOUSE_TITLE not in base_titles
    assert set(base_titles) < set(server_titles), "a server sees the base corpus too"

    assert main(["ask", QUESTION, "--json", "-k", "1", "--server", SERVER, *paths]) == 0
    [hit] = json.loads(capsys.readouterr().out)["results"]
    assert hit["article"]["title"] == LIGHTHOUSE_TITLE
    assert main(["ask", QUESTION, "--json", *paths]) == 0
    assert all(r["article"]["title"] != LIGHTHOUSE_TITLE for r in json.loads(capsys.readouterr().out)["results"])

    # a base article "removed" for a server is hidden there only
    [seed] = [s for s in sources(capsys, *paths)]
    assert main(["corpus", "remove", seed["id"], "--yes", "--server", SERVER, *paths]) == 0
    assert f"hidden in server {SERVER}" in capsys.readouterr().out
    assert seed["id"] not in [s["id"] for s in sources(capsys, "--server", SERVER, *paths)]
    assert seed["id"] in [s["id"] for s in sources(capsys, *paths)]
    assert main(["corpus", "removed", "--server", SERVER, *paths]) == 0
    assert f"hidden in server {SERVER}" in capsys.readouterr().out
    assert main(["history", "--server", SERVER, *paths]) == 0
    history = capsys.readouterr().out
    assert "corpus hide" in history and "corpus add" in history
    assert main(["corpus", "restore", seed["id"], "--server", SERVER, "--yes", *paths]) == 0
    assert seed["id"] in [s["id"] for s in sources(capsys, "--server", SERVER, *paths)]

    assert main(["refresh", "--server", SERVER, *paths]) == 0
    assert "nothing to do" in capsys.readouterr().out

    assert main(["servers", "list", *paths]) == 0
    assert f"{SERVER}: 1 article(s) of its own" in capsys.readouterr().out
    assert main(["servers", "export", SERVER, "--to", str(tmp_path), *paths]) == 0
    exported = Path(capsys.readouterr().out.split(" to ", 1)[1].strip())
    with tarfile.open(exported) as tar:
        assert "corpus/added/lighthouse.txt" in tar.getnames()
    assert main(["servers", "delete", SERVER, "--yes", *paths]) == 0
    assert not (index / "servers" / SERVER).exists()
    assert main(["servers", "export", SERVER, *paths]) == 2
    assert "has no collection" in capsys.readouterr().err
    capsys.readouterr()


def test_a_malformed_server_id_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["ask", "anything", "--server", "my-server"])
    assert stop.value.code == 2 and "is not a Discord server id" in capsys.readouterr().err
