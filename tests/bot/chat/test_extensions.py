"""The cogs load as discord.py extensions: the package lists them without importing them."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

from bot.chat.cogs import EXTENSIONS


def test_importing_the_cogs_package_loads_no_cog() -> None:
    code = "import sys, bot.chat.cogs; print(sorted(m for m in sys.modules if m.startswith('bot.chat')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['bot.chat', 'bot.chat.cogs']"


def test_every_extension_has_a_setup_coroutine() -> None:
    assert len(set(EXTENSIONS)) == len(EXTENSIONS) == 8
    for name in EXTENSIONS:
        module = importlib.import_module(name)
        assert inspect.iscoroutinefunction(module.setup), name
        assert module.setup.__doc__, name
