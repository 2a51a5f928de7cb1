"""The bot's cogs and persistent buttons, loaded by `NewsBot.setup_hook`."""

from bot.chat.cogs.admin import AdminCog
from bot.chat.cogs.ask import AskCog
from bot.chat.cogs.corpus import CorpusCog
from bot.chat.cogs.source import SourceCog
from bot.chat.cogs.sources import SourcesCog
from bot.chat.views.answer import FeedbackButton, MoreButton, SourcesPageButton

COGS = (AskCog, SourceCog, SourcesCog, AdminCog, CorpusCog)
DYNAMIC_ITEMS = (FeedbackButton, MoreButton, SourcesPageButton)

__all__ = ["COGS", "DYNAMIC_ITEMS"]
