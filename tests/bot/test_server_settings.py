"""Per-server settings: defaults from .env, overrides per server, checked values, stored across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.server_settings import ServerSettings, ServerSettingsStore, SettingError, describe, parse_setting
from bot.settings import Settings

DEFAULTS = ServerSettings.defaults(Settings(cooldown_seconds=10, results_per_answer=3, moderator_role_id=77))


def test_a_change_applies_to_one_server_only_and_survives_a_restart(tmp_path: Path) -> None:
    store = ServerSettingsStore(tmp_path, DEFAULTS)
    assert store.get(1) == store.get(2) == store.get(None) == DEFAULTS
    changed = store.change(1, "results", "5", "mod (1)")
    assert changed.results_per_answer == 5 and store.get(2).results_per_answer == 3
    store.change(1, "channels", "<#1230000001> 4560000001 <#1230000001>", "mod (1)")
    store.change(1, "base_articles", "no", "mod (1)")
    store.close()
    again = ServerSettingsStore(tmp_path, DEFAULTS)
    assert again.get(1).channel_ids == (1230000001, 4560000001) and again.get(1).use_base is False
    assert again.get(1).answers_in(4560000001) and not again.get(1).answers_in(789) and again.get(2).answers_in(789)
    assert again.overrides(1) == {"results_per_answer": 5, "channel_ids": [1230000001, 4560000001], "use_base": False}


def test_setting_a_default_value_follows_env_again(tmp_path: Path) -> None:
    store = ServerSettingsStore(tmp_path, DEFAULTS)
    store.change(1, "cooldown", "30", "m")
    store.change(1, "cooldown", "10", "m")
    assert store.overrides(1) == {}
    later = ServerSettingsStore(tmp_path, ServerSettings.defaults(Settings(cooldown_seconds=2)))
    assert later.get(1).cooldown_seconds == 2


@pytest.mark.parametrize(("name", "raw", "message"), [
    ("results", "9", "results: must be from 1 to 5, got 9"),
    ("results", "many", "expected a whole number from 1 to 5"),
    ("cooldown", "-1", "must be from 0 to 3600"),
    ("moderator_role", "@mods", "expected a role"),
    ("channels", "#news", "expected channels"),
    ("base_articles", "maybe", "expected yes or no"),
    ("colour", "blue", "there is no setting 'colour'; settings: moderator_role, cooldown"),
])
def test_bad_values_say_what_is_wrong(name: str, raw: str, message: str) -> None:
    with pytest.raises(SettingError, match=message):
        parse_setting(name, raw)


def test_roles_and_channels_read_mentions_and_ids() -> None:
    assert parse_setting("moderator_role", "<@&4242424242>") == ("moderator_role_id", 4242424242)
    assert parse_setting("moderator_role", "none") == ("moderator_role_id", None)
    assert parse_setting("channels", "all") == ("channel_ids", ())


def test_describe_marks_what_a_server_changed(tmp_path: Path) -> None:
    store = ServerSettingsStore(tmp_path, DEFAULTS)
    shown = {name: (value, changed) for name, value, changed in describe(store.change(1, "results", "4", "m"), DEFAULTS)}
    assert shown["results"] == ("4", True) and shown["cooldown"] == ("10", False)
    assert shown["moderator_role"] == ("<@&77>", False) and shown["channels"] == ("all channels", False)
