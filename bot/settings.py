"""Settings, read once from the environment (and `.env`) into a frozen object.

Only the entry point calls `Settings.from_env`; everything else receives the
object, so nothing reads the environment at import time and tests build
settings directly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from corpus.sources.feeds import FeedConfig
from corpus.sources.fetch import FetchPolicy
from index.search.ranking import RetrievalConfig
from index.search.timeframe import load_zone
from index.store.dense import DenseConfig

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class SettingsError(Exception):
    """A setting has a value that cannot be used; the message names it and the fix."""


def _default_corpus() -> Path:
    local = Path("seeds")
    return local if local.is_dir() else PROJECT_ROOT / "seeds"


def _int(env: Mapping[str, str], name: str, default: int, low: int = 0, high: int | None = None) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number — fix it in .env or the environment") from None
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SettingsError(f"{name}={value} must be {bounds} — fix it in .env or the environment")
    return value


def _ids(env: Mapping[str, str], name: str) -> tuple[int, ...]:
    raw = env.get(name, "").replace(";", ",").strip()
    out = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        if not part.isdigit():
            raise SettingsError(f"{name} must be a comma-separated list of numeric ids, got {part!r}")
        out.append(int(part))
    return tuple(out)


def _home_servers(env: Mapping[str, str]) -> tuple[int, ...]:
    """NEWSBOT_HOME_SERVER_IDS; empty: DISCORD_GUILD_IDS (a bot run for one community keeps working);
    `none`: no home server even with DISCORD_GUILD_IDS set (only owners change the shared corpus)."""
    if env.get("NEWSBOT_HOME_SERVER_IDS", "").strip().lower() == "none":
        return ()
    return _ids(env, "NEWSBOT_HOME_SERVER_IDS") or _ids(env, "DISCORD_GUILD_IDS")


SYNC_MODES = ("auto", "always", "never")
# NEWSBOT_ENCODER: how new indexes are embedded (index.encoder_choice.CHOICES; an index keeps its own variant)
ENCODERS = ("auto", "onnx-int8", "onnx", "torch")
DEVICES = ("cpu", "cuda")
API_VERSION_PATH = "/api/v10"


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in allowed:
        raise SettingsError(f"{name}={value!r} must be one of {', '.join(allowed)} — fix it in .env or the environment")
    return value


def _api_base(raw: str) -> str | None:
    """DISCORD_API_BASE as the full REST base discord.py prefixes every route with.

    Why append: operators paste a proxy's root URL; discord.py needs the versioned
    path, so `http://proxy:8080` becomes `http://proxy:8080/api/v10` (a URL that
    already ends in `/api/vN` is kept as it is).
    """
    url = raw.strip().rstrip("/")
    if not url:
        return None
    if not re.match(r"^https?://[^/\s]+", url):
        raise SettingsError(f"DISCORD_API_BASE={raw.strip()!r} is not an http(s) URL — write it like "
                            "https://discord.com/api/v10 or http://127.0.0.1:8080, or leave it empty")
    return url if re.search(r"/api/v\d+$", url) else url + API_VERSION_PATH


def _gateway_url(raw: str) -> str | None:
    """DISCORD_GATEWAY_URL, checked to be a websocket URL."""
    url = raw.strip()
    if not url:
        return None
    if not re.match(r"^wss?://[^/\s]+", url):
        raise SettingsError(f"DISCORD_GATEWAY_URL={url!r} is not a ws:// or wss:// URL — write it like "
                            "wss://gateway.discord.gg/, or leave it empty to use Discord's gateway")
    return url


def _timezone(raw: str) -> str:
    """NEWSBOT_TIMEZONE, an IANA name (default UTC), checked now so a typo stops start-up with the fix."""
    name = raw.strip() or "UTC"
    try:
        load_zone(name)
    except ValueError as exc:
        raise SettingsError(f"NEWSBOT_TIMEZONE: {exc} — fix it in .env or the environment") from None
    return name


@dataclass(frozen=True)
class Settings:
    """Every setting of newsbot; `.env.example` documents each one."""

    corpus_dir: Path = field(default_factory=_default_corpus)
    index_dir: Path = Path(".newsbot/index")
    model_path: Path | None = None
    encoder: str = "auto"
    device: str = "cpu"
    results_per_answer: int = 3
    per_article: int = 2
    recency_days: int = 30
    keep_versions: int = 3
    ann_min_passages: int = 20_000
    discord_token: str = ""
    guild_ids: tuple[int, ...] = ()
    owner_ids: tuple[int, ...] = ()
    home_server_ids: tuple[int, ...] = ()
    loaded_servers: int = 16
    left_server_days: int = 30
    moderator_role_id: int | None = None
    cooldown_seconds: int = 10
    api_base: str | None = None
    gateway_url: str | None = None
    sync_commands: str = "auto"
    feeds: tuple[str, ...] = ()
    refresh_minutes: int = 30
    allow_private_urls: bool = False
    max_page_bytes: int = 5_000_000
    fetch_timeout_seconds: int = 15
    host_delay_ms: int = 1000
    max_attachment_bytes: int = 2_000_000
    log_level: str = "INFO"
    timezone: str = "UTC"  # IANA name; "today" for questions naming a time ("last week") is today there
    follow_max_posts: int = 3

    def zone(self) -> ZoneInfo:
        """The configured time zone (`NEWSBOT_TIMEZONE`), checked when the settings were read."""
        return load_zone(self.timezone)

    def retrieval(self) -> RetrievalConfig:
        """The query-time retrieval settings: the tuned defaults, with the recency prior's scale (0: off)."""
        if self.recency_days == 0:
            return RetrievalConfig(recency=0.0)
        return RetrievalConfig(recency_days=float(self.recency_days))

    def dense(self) -> DenseConfig:
        """Which dense index new index versions get: the approximate one from `ann_min_passages` passages."""
        return DenseConfig(ann_min_passages=self.ann_min_passages)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from an environment mapping (default: `os.environ`)."""
        env = os.environ if env is None else env
        role = env.get("NEWSBOT_MODERATOR_ROLE_ID", "").strip()
        if role and not role.isdigit():
            raise SettingsError(f"NEWSBOT_MODERATOR_ROLE_ID must be a numeric role id, got {role!r}")
        model = env.get("NEWSBOT_MODEL_PATH", "").strip()
        base = cls()
        return cls(
            corpus_dir=Path(env.get("NEWSBOT_CORPUS_DIR", "").strip() or base.corpus_dir),
            index_dir=Path(env.get("NEWSBOT_INDEX_DIR", "").strip() or base.index_dir),
            model_path=Path(model) if model else None,
            encoder=_choice(env, "NEWSBOT_ENCODER", "auto", ENCODERS),
            device=_choice(env, "NEWSBOT_DEVICE", "cpu", DEVICES),
            results_per_answer=_int(env, "NEWSBOT_RESULTS", base.results_per_answer, 1, 10),
            per_article=_int(env, "NEWSBOT_PER_ARTICLE", base.per_article, 0),
            recency_days=_int(env, "NEWSBOT_RECENCY_DAYS", base.recency_days, 0, 36_500),
            keep_versions=_int(env, "NEWSBOT_KEEP_VERSIONS", base.keep_versions, 1),
            ann_min_passages=_int(env, "NEWSBOT_ANN_MIN_PASSAGES", base.ann_min_passages, 1),
            discord_token=env.get("DISCORD_TOKEN", "").strip(),
            guild_ids=_ids(env, "DISCORD_GUILD_IDS"),
            owner_ids=_ids(env, "NEWSBOT_OWNER_IDS"),
            # a bot run for one community (commands registered in its servers) keeps its moderators' rights
            home_server_ids=_home_servers(env),
            loaded_servers=_int(env, "NEWSBOT_LOADED_SERVERS", base.loaded_servers, 1, 10_000),
            left_server_days=_int(env, "NEWSBOT_LEFT_SERVER_DAYS", base.left_server_days, 0, 3650),
            moderator_role_id=int(role) if role else None,
            cooldown_seconds=_int(env, "NEWSBOT_COOLDOWN_SECONDS", base.cooldown_seconds, 0),
            api_base=_api_base(env.get("DISCORD_API_BASE", "")),
            gateway_url=_gateway_url(env.get("DISCORD_GATEWAY_URL", "")),
            sync_commands=_choice(env, "NEWSBOT_SYNC_COMMANDS", "auto", SYNC_MODES),
            feeds=tuple(f.strip() for f in env.get("NEWSBOT_FEEDS", "").split(",") if f.strip()),
            refresh_minutes=_int(env, "NEWSBOT_REFRESH_MINUTES", base.refresh_minutes, 0, 7 * 24 * 60),
            allow_private_urls=env.get("NEWSBOT_ALLOW_PRIVATE_URLS", "").strip().lower() in ("1", "true", "yes"),
            max_page_bytes=_int(env, "NEWSBOT_MAX_PAGE_BYTES", base.max_page_bytes, 1024),
            fetch_timeout_seconds=_int(env, "NEWSBOT_FETCH_TIMEOUT_SECONDS", base.fetch_timeout_seconds, 1, 300),
            host_delay_ms=_int(env, "NEWSBOT_HOST_DELAY_MS", base.host_delay_ms, 0, 60_000),
            max_attachment_bytes=_int(env, "NEWSBOT_MAX_ATTACHMENT_BYTES", base.max_attachment_bytes, 1024),
            log_level=env.get("NEWSBOT_LOG_LEVEL", "INFO").strip().upper() or "INFO",
            timezone=_timezone(env.get("NEWSBOT_TIMEZONE", "")),
            # cards of one follow's post after a refresh: one message holds at most 10 embeds
            follow_max_posts=_int(env, "NEWSBOT_FOLLOW_MAX_POSTS", base.follow_max_posts, 1, 10),
        )

    def feed_config(self) -> FeedConfig:
        """How refreshes and the schedule fetch the configured feeds (and pages), from these settings."""
        return FeedConfig(urls=self.feeds, interval_minutes=self.refresh_minutes, policy=FetchPolicy(
            timeout=float(self.fetch_timeout_seconds), max_bytes=self.max_page_bytes,
            allow_private=self.allow_private_urls, host_delay=self.host_delay_ms / 1000))

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with command-line flags applied (None means: keep the setting)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
