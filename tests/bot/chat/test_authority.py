"""Who may change the base corpus: owners from anywhere, moderators of home servers only."""

from __future__ import annotations

import pytest

from bot.chat.authority import Operators, base_refusal, may_change_base
from bot.settings import Settings

HOME, OTHER, OWNER, MOD = 100, 200, 1, 2
OPS = Operators.of(owner_ids=[OWNER], home_server_ids=[HOME])


@pytest.mark.parametrize(("user", "guild", "moderator", "app_owner", "allowed"), [
    (OWNER, OTHER, False, False, True),   # a listed owner, from any server
    (OWNER, None, False, False, True),    # … or a DM
    (MOD, OTHER, False, True, True),      # the application's owner or team, as Discord reports it
    (MOD, HOME, True, False, True),       # a moderator of a home server
    (MOD, OTHER, True, False, False),     # a moderator (Manage Server, Administrator) of any other server
    (MOD, HOME, False, False, False),     # a member of the home server who is no moderator
    (MOD, None, True, False, False),      # nobody is a moderator in a DM
])
def test_only_the_operators_people_change_the_base_corpus(user: int, guild: int | None, moderator: bool,
                                                          app_owner: bool, allowed: bool) -> None:
    assert may_change_base(user, guild, moderator, app_owner, OPS) is allowed


def test_with_no_home_server_only_owners_may_and_the_refusal_says_how_to_name_one() -> None:
    lone = Operators.of(owner_ids=[], home_server_ids=[])
    assert not may_change_base(MOD, HOME, True, False, lone)
    text = base_refusal("refresh", lone)
    assert "/refresh" in text and "NEWSBOT_HOME_SERVER_IDS" in text and "owner" in text
    assert "home servers" in base_refusal("corpus add", OPS) and "/corpus add" in base_refusal("corpus add", OPS)


def test_home_servers_default_to_the_command_servers() -> None:
    assert Settings.from_env({"DISCORD_GUILD_IDS": "5,6"}).home_server_ids == (5, 6)
    assert Settings.from_env({"DISCORD_GUILD_IDS": "5", "NEWSBOT_HOME_SERVER_IDS": "7"}).home_server_ids == (7,)
    assert Settings.from_env({"DISCORD_GUILD_IDS": "5", "NEWSBOT_HOME_SERVER_IDS": " None "}).home_server_ids == ()
    assert Settings.from_env({}).home_server_ids == () and Settings.from_env({"NEWSBOT_OWNER_IDS": "9, 10"}).owner_ids == (9, 10)
