"""A benchmark folder: articles plus questions with gold documents.

The format is that of `shared/bench/rtqa-dev` (see its README):
`articles.jsonl.gz` (or `articles.jsonl`) in the corpus JSON Lines format and
`questions.jsonl` with `id`, `question`, `answer`, `gold` (document ids, the
quiz's own brief first, then any full article that answers it) and
`has_article_gold`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from index.errors import NewsIndexError

QUESTIONS_FILE = "questions.jsonl"
ARTICLE_FILES = ("articles.jsonl.gz", "articles.jsonl")


class BenchmarkError(NewsIndexError):
    """The benchmark folder or one of its questions cannot be used."""


@dataclass(frozen=True)
class Question:
    """One benchmark question.

    Attributes:
        gold: ids of the documents that answer it, the brief first.
        has_article_gold: some full article (not only the brief) answers it.
        asked: the day it was asked (`date`, optional): the search runs as of that day, as the
            bot answers as of today.
    """

    id: str
    question: str
    answer: str
    gold: tuple[str, ...]
    has_article_gold: bool = False
    asked: date | None = None

    @property
    def article_gold(self) -> frozenset[str]:
        """Full articles that answer it: the gold ids after the brief."""
        return frozenset(self.gold[1:]) if self.has_article_gold else frozenset()


@dataclass(frozen=True)
class Benchmark:
    """Where a benchmark's articles are and its questions."""

    folder: Path
    articles_file: Path
    questions: tuple[Question, ...]

    @property
    def repeated(self) -> int:
        """How many question lines repeat an earlier one verbatim."""
        return len(self.questions) - len({q.id for q in self.questions})


def _question(record: object, path: Path, line: int) -> Question:
    def bad(problem: str) -> BenchmarkError:
        return BenchmarkError(f"{path}:{line}: {problem} — each line needs `id`, `question`, `answer` (strings) "
                              "and `gold` (a non-empty list of article ids), as in shared/bench/rtqa-dev")

    if not isinstance(record, dict):
        raise bad("the line is not a JSON object")
    for name in ("id", "question", "answer"):
        if not isinstance(record.get(name), str) or not str(record.get(name)).strip():
            raise bad(f"`{name}` is missing or not a non-empty string")
    gold = record.get("gold")
    if not isinstance(gold, list) or not gold or not all(isinstance(g, str) and g for g in gold):
        raise bad("`gold` is missing or not a non-empty list of ids")
    asked = None
    if record.get("date") not in (None, ""):
        try:
            asked = date.fromisoformat(str(record["date"])[:10])
        except ValueError:
            raise bad(f"`date` {record['date']!r} is not a YYYY-MM-DD date") from None
    return Question(id=record["id"], question=record["question"].strip(), answer=record["answer"].strip(),
                    gold=tuple(gold), has_article_gold=bool(record.get("has_article_gold", False)), asked=asked)


def load_benchmark(folder: Path | str) -> Benchmark:
    """Read and validate a benchmark folder.

    Raises:
        BenchmarkError: a file is missing, or a question line is malformed (with file and line).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise BenchmarkError(f"{folder} is not a folder — point --benchmark at a folder holding "
                             f"{ARTICLE_FILES[0]} and {QUESTIONS_FILE}")
    articles = next((folder / n for n in ARTICLE_FILES if (folder / n).is_file()), None)
    if articles is None:
        raise BenchmarkError(f"{folder} has no {' or '.join(ARTICLE_FILES)} — a benchmark folder holds the "
                             "articles to index and the questions (see shared/bench/rtqa-dev/README.md)")
    qfile = folder / QUESTIONS_FILE
    if not qfile.is_file():
        raise BenchmarkError(f"{folder} has no {QUESTIONS_FILE} — add the questions, one JSON object a line")
    questions = []
    seen: dict[str, Question] = {}
    for number, raw in enumerate(qfile.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise BenchmarkError(f"{qfile}:{number}: the line is not valid JSON ({exc.msg} at column "
                                 f"{exc.colno}) — fix it (one object a line)") from None
        question = _question(record, qfile, number)
        # a line repeated verbatim is kept and scored as listed (rtqa-dev repeats 17 of its 539)
        if question.id in seen and seen[question.id] != question:
            raise BenchmarkError(f"{qfile}:{number}: question id {question.id!r} appears twice with different "
                                 "content — give each question its own id")
        seen[question.id] = question
        questions.append(question)
    if not questions:
        raise BenchmarkError(f"{qfile} holds no questions — add at least one")
    return Benchmark(folder=folder, articles_file=articles, questions=tuple(questions))
