"""Who may change the base corpus, the operator's: a pure rule, whatever server a command comes from.

Why: the bot's commands are global by default, so anyone who creates a server
and invites the bot has Manage Server there. Being a moderator of *some*
server must not let anyone change what *every* server is answered from. The
base corpus is changed only by the operator's people:

- the application's owner or its team members, as Discord reports them
  (`commands.Bot.is_owner`), and users listed in `NEWSBOT_OWNER_IDS`;
- moderators (Manage Server, or the moderator role) of the operator's home
  servers, `NEWSBOT_HOME_SERVER_IDS` (default: `DISCORD_GUILD_IDS`, so a bot
  run for one community keeps working as it did).

The command line is the operator's own and is never checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Operators:
    """The operator's people, from the settings.

    Attributes:
        owner_ids: user ids that may change the base corpus from any server (`NEWSBOT_OWNER_IDS`);
            the application's owner and team are checked with Discord besides these.
        home_server_ids: servers whose moderators may change it (`NEWSBOT_HOME_SERVER_IDS`).
    """

    owner_ids: frozenset[int] = frozenset()
    home_server_ids: frozenset[int] = frozenset()

    @classmethod
    def of(cls, owner_ids: Iterable[int], home_server_ids: Iterable[int]) -> Operators:
        """From the settings' id lists."""
        return cls(frozenset(owner_ids), frozenset(home_server_ids))


def may_change_base(user_id: int, guild_id: int | None, moderator_here: bool, is_app_owner: bool,
                    operators: Operators) -> bool:
    """True when this user may change the base corpus from where they are.

    Args:
        user_id: who asks.
        guild_id: the server the command comes from (None in a DM).
        moderator_here: the user is a moderator of that server (Manage Server or the moderator role).
        is_app_owner: Discord reports the user as the application's owner or a member of its team.
    """
    if is_app_owner or user_id in operators.owner_ids:
        return True
    return guild_id is not None and guild_id in operators.home_server_ids and moderator_here


def base_refusal(command: str, operators: Operators) -> str:
    """The refusal shown to someone who may not change the base corpus: who may, and how to become one."""
    who = "the bot's owner (or its team), the users in NEWSBOT_OWNER_IDS"
    if operators.home_server_ids:
        return (f"Only {who} and the moderators of the bot's home servers may use `/{command}`: it changes the "
                "articles every server is answered from. Ask the bot's operator to run it for you.")
    return (f"Only {who} may use `/{command}`: it changes the articles every server is answered from, and no home "
            "server is named. The operator can let a server's moderators do it by adding its id to "
            "NEWSBOT_HOME_SERVER_IDS in .env.")
