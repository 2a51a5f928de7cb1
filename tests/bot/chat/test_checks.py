"""Input checks, cooldown, the moderator rule, Discord settings and token checks: pure and fast."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.chat.checks import is_moderator, who_may
from bot.cli.main import main
from bot.chat.cooldown import Cooldown
from bot.inputs import InputError, check_range, clean_question, parse_day, resolve_outlets, strip_mentions
from bot.chat.progress import RefreshTracker, Refreshing, format_elapsed
from bot.chat.run import StartupError, check_token
from bot.settings import Settings, SettingsError


def test_questions_are_checked_with_the_limit_in_the_message() -> None:
    assert clean_question("  who   won?\n") == "who won?"
    assert clean_question("x" * 300) == "x" * 300
    with pytest.raises(InputError, match="301 characters long; the limit is 300"):
        clean_question("x" * 301)
    with pytest.raises(InputError, match="empty.*300"):
        clean_question("   ")
    with pytest.raises(InputError, match="no words"):
        clean_question("?? !! …")


def test_mentions_of_the_bot_are_stripped_others_kept() -> None:
    assert strip_mentions("<@42> <@!42> who is <@7>? <@&9>", {42, 9}) == "who is <@7>?"


def test_dates_and_ranges() -> None:
    assert parse_day(" 2023-05-03 ", "since") == date(2023, 5, 3) and parse_day(None, "since") is None
    with pytest.raises(InputError, match="`until` must be a date written YYYY-MM-DD"):
        parse_day("May 3", "`until`")
    with pytest.raises(InputError, match="--since must be a date written YYYY-MM-DD"):
        parse_day("2023-13-01", "--since")
    with pytest.raises(InputError, match="after `until`"):
        check_range(date(2024, 1, 2), date(2024, 1, 1))
    with pytest.raises(InputError, match="--since .* is after --until"):
        check_range(date(2024, 1, 2), date(2024, 1, 1), ("--since", "--until"))


def test_outlets_are_checked_against_the_corpus_and_take_its_spelling() -> None:
    known = ["CNN", "The Week", "USA Today"]
    assert resolve_outlets(["cnn", " the week "], known) == ("CNN", "The Week")
    assert resolve_outlets([], known) == ()
    with pytest.raises(InputError, match="No article in the corpus is from 'Fox'. Outlets: CNN, The Week, USA Today"):
        resolve_outlets(["cnn", "Fox"], known)


def test_cooldown_is_per_user_and_counts_down() -> None:
    now = [100.0]
    cooldown = Cooldown(10, clock=lambda: now[0])
    assert cooldown.try_acquire(1) == 0 and cooldown.try_acquire(2) == 0
    now[0] += 4
    assert cooldown.try_acquire(1) == pytest.approx(6) and cooldown.retry_after(1) == pytest.approx(6)
    assert Cooldown.message(5.2) == "You are asking quickly: try again in 6 s."
    now[0] += 6
    assert cooldown.try_acquire(1) == 0
    assert Cooldown(0).try_acquire(1) == 0 and Cooldown(0).try_acquire(1) == 0


def test_moderator_rule() -> None:
    assert is_moderator(True, [], None) and is_moderator(False, [5, 7], 7)
    assert not is_moderator(False, [5], 7) and not is_moderator(False, [5], None)
    assert who_may(None) == "members with the Manage Server permission"
    assert who_may(7).endswith("or the <@&7> role")


def test_discord_endpoints_from_settings() -> None:
    s = Settings.from_env({"DISCORD_API_BASE": "http://127.0.0.1:8080/", "DISCORD_GATEWAY_URL": "ws://127.0.0.1:8080/g",
                           "DISCORD_GUILD_IDS": "1, 2", "NEWSBOT_MODERATOR_ROLE_ID": "9"})
    assert s.api_base == "http://127.0.0.1:8080/api/v10" and s.gateway_url == "ws://127.0.0.1:8080/g"
    assert s.guild_ids == (1, 2) and s.moderator_role_id == 9
    assert Settings.from_env({"DISCORD_API_BASE": "https://proxy.test/api/v10"}).api_base == "https://proxy.test/api/v10"
    for env, message in (({"DISCORD_API_BASE": "proxy:80"}, "not an http"),
                         ({"DISCORD_GATEWAY_URL": "https://x"}, "not a ws"),
                         ({"NEWSBOT_SYNC_COMMANDS": "sometimes"}, "auto, always, never")):
        with pytest.raises(SettingsError, match=message):
            Settings.from_env(env)


def test_token_checks_say_how_to_get_one() -> None:
    assert check_token(" Bot abc.def.ghi ") == "abc.def.ghi"
    with pytest.raises(StartupError, match="not set.*developers/applications.*Reset Token"):
        check_token("")
    with pytest.raises(StartupError, match="does not look like a bot token"):
        check_token("0123456789abcdef0123456789abcdef")


def test_run_without_token_exits_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "")
    assert main(["run", "--index", str(tmp_path / "i")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newsbot: error: DISCORD_TOKEN is not set.") and "Traceback" not in err
    assert not (tmp_path / "i").exists()


def test_refresh_progress_text() -> None:
    now = [0.0]
    tracker = RefreshTracker("<@1>", clock=lambda: now[0])
    assert tracker.text().endswith("• starting…")
    tracker("read", 3, 3)
    tracker("embedding", 64, 200)
    now[0] = 75
    assert tracker.text() == ("Refreshing the corpus (started by <@1>, 1 min 15 s so far)…\n"
                              "• files read: 3\n• passages embedded: 64 of 200")
    assert tracker.summary(["added 1"]).startswith("Refresh finished in 1 min 15 s (started by <@1>).\n• added 1")
    assert format_elapsed(4.4) == "4 s"


def test_one_refresh_at_a_time_is_tracked_and_cleared_however_it_ends() -> None:
    refreshing = Refreshing()
    assert not refreshing.running and refreshing.current is None
    with pytest.raises(ValueError), refreshing.track("<@1>") as tracker:
        assert refreshing.current is tracker and refreshing.running and tracker.actor == "<@1>"
        with pytest.raises(RuntimeError, match="started by <@1> is already running"), refreshing.track("<@2>"):
            pass
        raise ValueError("the refresh failed")
    assert refreshing.current is None


def test_recency_setting_scales_or_turns_off_the_prior() -> None:
    from bot.settings import Settings, SettingsError

    assert Settings.from_env({}).retrieval().recency_days == 30 and Settings.from_env({}).retrieval().recency > 0
    assert Settings.from_env({"NEWSBOT_RECENCY_DAYS": "7"}).retrieval().recency_days == 7
    assert Settings.from_env({"NEWSBOT_RECENCY_DAYS": "0"}).retrieval().recency == 0
    with pytest.raises(SettingsError, match="NEWSBOT_RECENCY_DAYS"):
        Settings.from_env({"NEWSBOT_RECENCY_DAYS": "soon"})


def test_sharding_is_checked_before_going_online() -> None:
    from bot.chat.client import NewsBot, ShardedNewsBot
    from bot.chat.run import create_bot
    from bot.settings import Settings
    from index.library import Library
    from tests.support.fakes import HashEncoder

    library = Library(Path("corpus"), Path("index"), HashEncoder())
    assert type(create_bot(Settings(), library)) is NewsBot
    sharded = create_bot(Settings(), library, 4, [3, 1])
    assert isinstance(sharded, ShardedNewsBot) and sharded.shard_count == 4 and sharded.shard_ids == [1, 3]
    with pytest.raises(StartupError, match="shard ids must be 0 to 1"):
        create_bot(Settings(), library, 2, [2])
    with pytest.raises(StartupError, match="--shard-ids needs --shards"):
        create_bot(Settings(), library, None, [0])
