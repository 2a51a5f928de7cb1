"""What a new user met on the command line (issue #12, section 8): each failure, fixed by its mechanism.

Fast: a deterministic fake encoder stands in for the model (`fake_model`), and the corpora are small
files written here. The one test that needs a real process (a closed pipe) runs `newsbot` in a subprocess.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.support.fakes import HashEncoder

ROOT = Path(__file__).resolve().parents[3]

DRONES = """date 2023-05-03 By Ann Smith, CNN
title Drones fly toward the Kremlin

Moscow alleged Wednesday that Ukraine flew two drones toward the Kremlin overnight.

The Kremlin called it an attempt on the life of President Putin. Kyiv denied any part in it.
"""
HARBOUR = """date 2023-06-01 By Bo Lee, Reuters
title Harbour reopens after the storm

The harbour of the old town reopened on Thursday after a storm closed it for a week.

Fishing boats went out at dawn and the ferry to the islands ran on time again.
"""
BRIDGE = """date 2023-07-09 By Cy Ode, AP
title Bridge repairs finish early

Workers finished the repairs of the river bridge two weeks early, the city said on Sunday.

Traffic returns to both lanes on Monday morning after a month of closures.
"""


@pytest.fixture()
def fake_model(monkeypatch: pytest.MonkeyPatch) -> HashEncoder:
    """Every command's library embeds with the fake encoder (no model is loaded)."""
    encoder = HashEncoder()
    monkeypatch.setattr("bot.cli.common.encoder_for", lambda *_a, **_k: encoder)
    for name in ("NEWSBOT_CORPUS_DIR", "NEWSBOT_INDEX_DIR", "NEWSBOT_RESULTS"):
        monkeypatch.delenv(name, raising=False)
    return encoder


def write_corpus(folder: Path, **files: str) -> Path:
    """A corpus folder holding these files (name with `_` for `.`: drones_txt → drones.txt)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        stem, _, suffix = name.rpartition("_")
        (folder / f"{stem}.{suffix}").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture()
def paths(tmp_path: Path) -> list[str]:
    """`--corpus` (three small articles) and `--index` of a fresh folder."""
    corpus = write_corpus(tmp_path / "corpus", drones_txt=DRONES, harbour_txt=HARBOUR, bridge_txt=BRIDGE)
    return ["--corpus", str(corpus), "--index", str(tmp_path / "idx")]


# --- 5. a command in a pipe -----------------------------------------------------------------------

def test_a_closed_pipe_ends_the_command_quietly(tmp_path: Path) -> None:
    """`newsbot sources | head`: the reader has gone; no BrokenPipeError traceback, status 141 like `cat`."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    script = ("import sys; from bot.cli.main import main; sys.exit(main(sys.argv[1:]))")
    proc = subprocess.run([sys.executable, "-c", script, "--help"], stdout=write_end, stderr=subprocess.PIPE,
                          cwd=ROOT, timeout=60, text=True, check=False)
    os.close(write_end)
    # argparse's own --help: printed before any command runs (the harder case is below)
    assert "Traceback" not in proc.stderr

    corpus = write_corpus(tmp_path / "corpus", drones_txt=DRONES, harbour_txt=HARBOUR)
    index = tmp_path / "idx"
    build = subprocess.run([sys.executable, "-c", script, "build", "--corpus", str(corpus), "--index", str(index)],
                           capture_output=True, cwd=ROOT, timeout=600, text=True, check=False)
    assert build.returncode == 0, build.stderr
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = subprocess.run([sys.executable, "-c", script, "sources", "--corpus", str(corpus), "--index", str(index)],
                          stdout=write_end, stderr=subprocess.PIPE, cwd=ROOT, timeout=120, text=True, check=False)
    os.close(write_end)
    assert proc.returncode == 141, proc.stderr
    assert proc.stderr == ""


def test_broken_pipe_in_process(fake_model: HashEncoder, paths: list[str], monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", *paths]) == 0
    capsys.readouterr()

    class Closed:
        def write(self, _text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", Closed())
    assert main(["sources", *paths]) == 141
    assert capsys.readouterr().err == ""


# --- 6. -k --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("k", ["0", "11", "100", "-1", "three"])
def test_k_outside_one_to_ten_is_a_usage_error(k: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["ask", "anything", "-k", k])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("newsbot ask: error: argument -k: ") and "from 1 to 10" in err


def test_history_n_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["history", "-n", "0"])
    assert "argument -n: must be at least 1, got 0" in capsys.readouterr().err


def test_k_is_taken_as_given(fake_model: HashEncoder, paths: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", *paths]) == 0
    capsys.readouterr()
    for k, expected in (("1", 1), ("2", 2), ("10", 3)):  # three articles, one passage each
        assert main(["ask", "the harbour after the storm", "--json", "-k", k, *paths]) == 0
        assert len(json.loads(capsys.readouterr().out)["results"]) == expected


# --- 10. --json in score order --------------------------------------------------------------------

def test_json_results_in_score_order(fake_model: HashEncoder, paths: list[str], monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Whatever order the ranking hands hits in (a refocused passage can score below the next), --json is sorted."""
    from dataclasses import replace

    from index.collections import SearchView

    original = SearchView.search

    def shuffled(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        result = original(self, *args, **kwargs)
        return replace(result, hits=list(reversed(result.hits)))

    monkeypatch.setattr(SearchView, "search", shuffled)
    assert main(["build", *paths]) == 0
    capsys.readouterr()
    assert main(["ask", "harbour storm ferry boats", "--json", "-k", "3", *paths]) == 0
    scores = [r["score"] for r in json.loads(capsys.readouterr().out)["results"]]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    assert main(["ask", "harbour storm ferry boats", "-k", "3", *paths]) == 0
    text = capsys.readouterr().out
    assert text.index("[1]") < text.index("Harbour reopens") < text.index("[2]")


# --- 10. smaller ones ---------------------------------------------------------------------------------

def test_build_reports_each_skipped_file_once_and_an_empty_jsonl_like_an_empty_txt(
        fake_model: HashEncoder, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    corpus = write_corpus(tmp_path / "corpus", drones_txt=DRONES, empty_txt="", blank_jsonl="\n  \n",
                          broken_jsonl="{oops\n")
    with caplog.at_level("WARNING"):
        assert main(["build", "--corpus", str(corpus), "--index", str(tmp_path / "idx")]) == 0
    out, err = capsys.readouterr()
    everything = out + err + caplog.text
    for name, problem in (("empty.txt", "the file is empty"), ("blank.jsonl", "the file is empty"),
                          ("broken.jsonl:1", "the line is not valid JSON")):
        assert everything.count(f"{name}: {problem}") == 1, everything
    assert "skipped " + str(corpus / "blank.jsonl") + ": the file is empty — add one JSON object a line" in out

    # the refresh summary lists the empty .jsonl among the skipped, like the empty .txt
    (corpus / "more.jsonl").write_text("", encoding="utf-8")
    assert main(["refresh", "--no-feeds", "--corpus", str(corpus), "--index", str(tmp_path / "idx")]) == 0
    out = capsys.readouterr().out
    assert "skipped 4:" in out and f"{corpus / 'more.jsonl'}: the file is empty" in out


def test_load_corpus_leaves_reporting_to_its_caller(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from corpus.readers.loader import load_corpus

    corpus = write_corpus(tmp_path / "corpus", drones_txt=DRONES, none_jsonl="")
    with caplog.at_level("WARNING"):
        report = load_corpus(corpus)
    assert [p.problem for p in report.skipped] == ["the file is empty"]
    assert not caplog.records


def test_the_duplicate_line_names_the_copy_kept(fake_model: HashEncoder, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A syndicated copy added later, sorting first: the line names the copy the index holds, as `sources` does."""
    corpus = write_corpus(tmp_path / "corpus", zeta_txt=HARBOUR)
    paths = ["--corpus", str(corpus), "--index", str(tmp_path / "idx")]
    assert main(["build", *paths]) == 0
    capsys.readouterr()
    write_corpus(corpus, alpha_txt=HARBOUR.replace("By Bo Lee, Reuters", "By Bo Lee, AP"))
    assert main(["build", *paths]) == 0
    out = capsys.readouterr().out
    [line] = [x for x in out.splitlines() if "duplicate" in x]
    assert "kept the first" not in line
    assert main(["sources", "--json", *paths]) == 0
    [article] = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    kept = article["source"]
    dropped = ({str(corpus / "alpha.txt"), str(corpus / "zeta.txt")} - {kept}).pop()
    outlet = {"alpha.txt": "AP", "zeta.txt": "Reuters"}
    assert line == (f"  duplicate: {dropped} ({outlet[Path(dropped).name]}): same text as {kept} "
                    f"({outlet[Path(kept).name]}), indexed once with {outlet[Path(dropped).name]} recorded as also "
                    "publishing it")
    assert article["also_published_by"] == [outlet[Path(dropped).name]]


def test_progress_lines_when_stderr_is_not_a_terminal(fake_model: HashEncoder, paths: list[str],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", *paths]) == 0
    err = capsys.readouterr().err
    stages = [line.split("] ", 1)[1] for line in err.splitlines() if line.startswith("[")]
    assert "read …" in stages and "embedding …" in stages and "switching …" in stages


def test_count_lines_every_few_seconds_off_a_terminal() -> None:
    import io

    from bot.cli.progress import CommandProgress

    out = io.StringIO()
    progress = CommandProgress(out=out, every=0.0)
    for done in range(0, 101, 50):
        progress("embedding", done, 100)
    progress("writing", 0, 1)
    lines = [line.split("] ", 1)[1] for line in out.getvalue().splitlines()]
    assert lines == ["embedding …", "embedding: 50 of 100 passages (50%)", "embedding: 100 of 100 passages (100%)",
                     "writing …"]


# --- 1. a read-only index folder ------------------------------------------------------------------------

def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under `folder` with its size and modification time: what a reader must leave as it was."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))}


@pytest.fixture()
def read_only(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Play a read-only folder: `os.access` says "not writable" under the folders given (tests run as root, for
    whom permission bits mean nothing; a real read-only mount is in the next test). Whatever the code then
    still writes shows up in `snapshot`."""
    import index.store.access as access

    frozen: list[Path] = []
    real = os.access

    def access_(path, mode, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if mode & os.W_OK and any(Path(path).absolute().is_relative_to(f) for f in frozen):
            return False
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(access.os, "access", access_)
    return frozen


def test_reading_commands_write_nothing_and_writing_ones_name_the_folder(
        fake_model: HashEncoder, paths: list[str], tmp_path: Path, read_only: list[Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    index = tmp_path / "idx"
    assert main(["build", *paths]) == 0
    assert main(["ask", "drones", *paths]) == 0  # answered once: the sentence store and state are there
    gc.collect()  # those commands' databases closed (a WAL database's side files go when the last one closes)
    read_only += [index.absolute(), (tmp_path / "corpus").absolute()]
    before = snapshot(index)
    capsys.readouterr()

    assert main(["ask", "harbour storm", *paths]) == 0
    assert "Harbour reopens" in capsys.readouterr().out
    assert main(["sources", *paths]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert main(["history", *paths]) == 0
    assert " build by " in capsys.readouterr().out
    assert main(["feedback", "--index", str(index)]) == 0
    from bot.cli.run import prepare_library
    from bot.cli.common import make_library
    from bot.settings import Settings

    library = make_library(Settings(corpus_dir=tmp_path / "corpus", index_dir=index))
    prepare_library(library)  # `newsbot run` before going online: the index loads
    assert library.service.search("bridge repairs", k=1).hits
    assert snapshot(index) == before
    capsys.readouterr()

    for command, what in ((["refresh", "--no-feeds"], "a refresh"), (["build"], "a build"),
                          (["rollback"], "a rollback"), (["corpus", "remove", "Harbour", "--yes"], "a corpus change"),
                          (["corpus", "restore", "Harbour", "--yes"], "a corpus change")):
        assert main([*command, *paths]) == 2, command
        out, err = capsys.readouterr()
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert err.startswith(f"newsbot: error: the index folder {index.absolute()} is not writable (permission "
                              f"denied), and {what} writes there — make it writable, or point --index")
    assert snapshot(index) == before


def test_a_read_only_mount(fake_model: HashEncoder, paths: list[str], tmp_path: Path) -> None:
    """The same on a real read-only bind mount (EROFS, which binds root too), where the system allows one."""
    index = tmp_path / "idx"
    assert main(["build", *paths]) == 0
    assert main(["ask", "drones", *paths]) == 0
    gc.collect()
    try:
        probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind {index} {index} && "
                                f"mount -o remount,bind,ro {index}"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        pytest.skip("no unshare here")
    if probe.returncode != 0:
        pytest.skip(f"cannot mount read-only here: {probe.stderr.decode()[:200]}")
    before = snapshot(index)
    script = (
        "import sys, json\n"
        "import bot.cli.common as common\n"
        "from tests.support.fakes import HashEncoder\n"
        "encoder = HashEncoder()\n"
        "common.encoder_for = lambda *a, **k: encoder\n"
        "from bot.cli.main import main\n"
        "paths = json.loads(sys.argv[1])\n"
        "codes = [main([*c, *paths]) for c in (['ask', 'harbour storm'], ['sources'], ['history'],\n"
        "                                      ['refresh', '--no-feeds'], ['rollback'])]\n"
        "print('CODES', codes)\n")
    mount = f"mount --bind {index} {index} && mount -o remount,bind,ro {index} && exec \"$@\""
    proc = subprocess.run(["unshare", "-m", "sh", "-c", mount, "sh", sys.executable, "-c", script, json.dumps(paths)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert "CODES [0, 0, 0, 2, 2]" in proc.stdout, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Harbour reopens" in proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("newsbot: error:")]
    assert len(errors) == 2 and all("is not writable (read-only file system)" in e for e in errors)
    assert snapshot(index) == before


# --- 7. corpus restore and remove -----------------------------------------------------------------------

def test_restore_asks_like_remove_and_reuses_the_stored_vectors(fake_model: HashEncoder, paths: list[str],
                                                                tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "corpus"
    assert main(["build", *paths]) == 0
    assert main(["corpus", "remove", "Harbour reopens", "--yes", *paths]) == 0
    assert not (corpus / "harbour.txt").exists()
    capsys.readouterr()

    assert main(["corpus", "restore", "Harbour reopens", *paths]) == 2  # no terminal to ask on, no --yes
    out, err = capsys.readouterr()
    assert out.startswith("Harbour reopens after the storm\n  Reuters · ")
    assert err.strip() == "newsbot: error: no terminal to ask for confirmation on — add --yes to confirm"
    assert not (corpus / "harbour.txt").exists()

    calls = len(fake_model.calls)
    assert main(["corpus", "restore", "Harbour reopens", "--yes", *paths]) == 0
    out = capsys.readouterr().out
    assert (corpus / "harbour.txt").exists() and "added 1" in out
    assert ", 0 embedded, " in out and len(fake_model.calls) == calls  # its passages' vectors came back, not the model
    assert main(["ask", "harbour storm ferry", "--json", "-k", "1", *paths]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["article"]["title"] == "Harbour reopens after the storm"


def test_a_failed_remove_names_what_was_looked_for_and_suggests(fake_model: HashEncoder, paths: list[str],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", *paths]) == 0
    capsys.readouterr()
    assert main(["corpus", "remove", "harbor stroms", "--yes", *paths]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and ".:" not in err
    assert err.startswith("newsbot: error: no article in the index matches 'harbor stroms' — did you mean "
                          "“Harbour reopens after the storm” (")
    assert err.endswith("? Give the id, or more of the title")

    assert main(["corpus", "remove", "the", "--yes", *paths]) == 2  # two titles hold "the"
    err = capsys.readouterr().err.strip()
    assert err.startswith("newsbot: error: 2 articles in the index match 'the' — give the id of the one you mean: ")
    assert "“Drones fly toward the Kremlin” (" in err and "“Harbour reopens after the storm” (" in err

    assert main(["corpus", "remove", "qqqq", "--yes", *paths]) == 2
    assert capsys.readouterr().err.strip() == ("newsbot: error: no article in the index matches 'qqqq' — check the "
                                               "spelling, or give the article's id")


# --- 4. --corpus once an index exists ---------------------------------------------------------------------

def test_an_index_of_another_corpus_is_named_in_a_warning(fake_model: HashEncoder, paths: list[str], tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", *paths]) == 0
    other = write_corpus(tmp_path / "other", bridge_txt=BRIDGE)
    index = str(tmp_path / "idx")
    capsys.readouterr()
    assert main(["ask", "harbour storm", "--corpus", str(other), "--index", index]) == 0
    out, err = capsys.readouterr()
    assert "Harbour reopens" in out  # it still answers, from what it holds…
    [warning] = [line for line in err.splitlines() if line.startswith("newsbot: warning:")]
    corpus = (tmp_path / "corpus").resolve()
    assert warning == (f"newsbot: warning: the index {index} holds the articles of {corpus}, not of {other}, and "
                       f"answers from them — `newsbot build --corpus {other} --index {index}` replaces them with "
                       f"those of {other}; another --index keeps both")  # …and says so, with the fix
    assert main(["sources", "--corpus", str(other), "--index", index]) == 0
    assert "newsbot: warning: the index" in capsys.readouterr().err
    assert main(["ask", "harbour storm", *paths]) == 0
    assert "warning" not in capsys.readouterr().err  # the corpus it was built from: nothing to say
    assert main(["build", "--corpus", str(other), "--index", index]) == 0
    assert main(["sources", "--corpus", str(other), "--index", index]) == 0
    out, err = capsys.readouterr()
    assert "Bridge repairs" in out and "warning" not in err


def test_sources_never_builds_from_a_corpus_nobody_named(fake_model: HashEncoder, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    index = tmp_path / "idx"
    assert main(["sources", "--index", str(index)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"newsbot: error: there is no index in {index} yet — `newsbot build` makes one from ")
    assert not (index / "CURRENT").exists()
    corpus = write_corpus(tmp_path / "corpus", drones_txt=DRONES)
    assert main(["sources", "--corpus", str(corpus), "--index", str(index)]) == 0  # named: built, then listed
    assert "Drones fly toward the Kremlin" in capsys.readouterr().out
