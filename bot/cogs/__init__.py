"""The bot's cogs and persistent buttons, loaded by `NewsBot.setup_hook`."""

from bot.cogs.admin import AdminCog
from bot.cogs.ask import AskCog
from bot.cogs.corpus import CorpusCog
from bot.cogs.source import SourceCog
from bot.cogs.sources import SourcesCog
from bot.views import FeedbackButton, MoreButton, SourcesPageButton

COGS = (AskCog, SourceCog, SourcesCog, AdminCog, CorpusCog)
DYNAMIC_ITEMS = (FeedbackButton, MoreButton, SourcesPageButton)

__all__ = ["COGS", "DYNAMIC_ITEMS"]
