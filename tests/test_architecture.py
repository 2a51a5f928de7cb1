"""The layering of docs/architecture.md, checked on the source: import direction, no circles, cheap packages.

The graph is read from the code itself (every `import` and `from … import`,
module-level, inside functions and under `if TYPE_CHECKING:` for the direction
rules; only what runs at import for the circle check), so a new module is
checked without being listed anywhere. Run alone with
`python -m pytest tests/test_architecture.py`.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("corpus", "index", "bot")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, top_level_only: bool) -> Iterator[str]:
    """Absolute names imported by a module (`from a.b import c` yields a.b.c when that is a module, else a.b).

    Args:
        top_level_only: only what runs at import (the circle check); else also imports inside functions
            and under `if TYPE_CHECKING:` (the direction rules: a type-only import is a dependency too).
    """
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST, nested: bool) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child) and top_level_only:
                continue
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import) and not (top_level_only and nested):
                yield from (alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and not (top_level_only and nested):
                base = child.module or ""
                if child.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - child.level + 1] + ([base] if base else []))
                for alias in child.names:
                    yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
            yield from visit(child, inner)

    yield from visit(tree, False)


def _graph(top_level_only: bool) -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = set(_imports(tree, module, top_level_only))
    return graph


ALL_IMPORTS = _graph(top_level_only=False)


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


# (importer prefix, forbidden prefix, why)
RULES = [
    ("corpus", "index", "corpus → index → bot: articles know nothing of the index"),
    ("corpus", "bot", "corpus → index → bot"),
    ("corpus", "discord", "only bot.chat talks to Discord"),
    ("index", "bot", "corpus → index → bot"),
    ("index", "discord", "only bot.chat talks to Discord"),
    ("index.store", "index.refresh", "the storage format never depends on the write path"),
    ("index.store", "index.curation", "the storage format never depends on curation"),
    ("index.store", "index.search", "the storage format never depends on search"),
    ("index.store", "index.library", "the storage format never depends on the library"),
    ("index.search", "index.refresh", "searching never writes versions"),
    ("index.search", "index.curation", "searching never changes the corpus"),
    ("bot.cli", "discord", "the command line never loads discord.py (only `newsbot run` does, through bot.chat)"),
    ("bot.chat", "bot.cli", "the Discord front end does not depend on the command line"),
    ("bot.presentation", "discord", "answers as data, shared by both front ends"),
    ("bot.presentation", "bot.chat", "answers as data, shared by both front ends"),
    ("bot.presentation", "bot.cli", "answers as data, shared by both front ends"),
]
CLI_MAY_IMPORT_CHAT = {"bot.cli.run"}  # `newsbot run` starts the bot


@pytest.mark.parametrize(("importer", "forbidden", "why"), RULES, ids=[f"{a}-x-{b}" for a, b, _ in RULES])
def test_imports_run_one_way(importer: str, forbidden: str, why: str) -> None:
    wrong = sorted(f"{module} imports {name}" for module, names in ALL_IMPORTS.items() if _within(module, importer)
                   for name in names if _within(name, forbidden))
    assert not wrong, f"{why}: " + "; ".join(wrong)


def test_only_newsbot_run_reaches_the_discord_front_end_from_the_command_line() -> None:
    wrong = sorted(f"{module} imports {name}" for module, names in ALL_IMPORTS.items()
                   if _within(module, "bot.cli") and module not in CLI_MAY_IMPORT_CHAT
                   for name in names if _within(name, "bot.chat"))
    assert not wrong, "; ".join(wrong)


def test_cogs_never_import_each_other() -> None:
    cogs = [m for m in MODULES if m.startswith("bot.chat.cogs.")]
    wrong = sorted(f"{m} imports {n}" for m in cogs for n in ALL_IMPORTS[m] if n in cogs and n != m)
    assert not wrong, "; ".join(wrong)


def test_no_import_circles() -> None:
    """No strongly connected component of more than one module among module-level imports (Tarjan)."""
    graph = {m: {n for n in names if n in MODULES} for m, names in _graph(top_level_only=True).items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            # a package importing its own submodule is not a circle unless the submodule imports it back
            if len(component) > 1:
                circles.append(sorted(component))

    for module in graph:
        if module not in index:
            connect(module)
    assert not circles, f"import circles: {circles}"


def test_packages_are_cheap_to_import() -> None:
    """Package `__init__` files hold at most a docstring and data: importing a subpackage loads nothing else."""
    heavy = sorted(str(path.relative_to(ROOT)) for module, path in MODULES.items() if path.name == "__init__.py"
                   and any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.walk(ast.parse(path.read_text()))))
    assert not heavy, f"these package __init__ files import modules: {heavy}"


def test_every_module_imports() -> None:
    """Every module of the three packages imports (one interpreter, so a missing name anywhere shows up)."""
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    done = subprocess.run([sys.executable, "-c", code, *MODULES], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_help_loads_neither_the_index_nor_discord() -> None:
    """`newsbot --help` stays instant: no numpy, FAISS, torch, sentence-transformers or discord.py."""
    code = ("import sys\nfrom bot.cli.main import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('numpy', 'faiss', 'torch', 'sentence_transformers', 'discord', 'bm25s', 'trafilatura')"
            " if m in sys.modules]\nprint(heavy, file=sys.stderr)\nraise SystemExit(1 if heavy else 0)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"--help imported {done.stderr.strip()}"


def test_the_question_path_does_not_need_discord() -> None:
    """`newsbot ask`'s modules import without discord.py."""
    code = ("import sys\nimport bot.cli.ask\nprint([m for m in sys.modules if m == 'discord' or m.startswith('discord.')]"
            "[:3], file=sys.stderr)\nraise SystemExit(1 if 'discord' in sys.modules else 0)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"bot.cli.ask imported discord: {done.stderr.strip()}"
