"""The bot's cogs, as discord.py extensions: `NewsBot.setup_hook` loads each name in `EXTENSIONS`.

Each module has an `async def setup(bot)` that adds its cog and registers the
persistent buttons it owns. This package imports nothing itself, so importing
it never loads a cog; `load_extension` runs each module afresh (and unloads it
when the bot closes), which is why nothing else imports from the cog modules.
"""

EXTENSIONS = (
    "bot.chat.cogs.ask",
    "bot.chat.cogs.source",
    "bot.chat.cogs.sources",
    "bot.chat.cogs.admin",
    "bot.chat.cogs.corpus",
    "bot.chat.cogs.feeds",
    "bot.chat.cogs.settings",
    "bot.chat.cogs.follow",
)

__all__ = ["EXTENSIONS"]
