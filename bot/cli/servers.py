"""`newsbot servers list | export | delete`: Discord servers' own collections, as a whole.

A server's collection (its articles, removed ones included, the base articles it hid, its settings) can be
exported to one `.tar.gz` and deleted for good; the bot archives a collection itself when it is removed
from the server (see `bot.chat.client.NewsBot.on_guild_remove`).
"""

from __future__ import annotations

import argparse

from bot.cli.common import confirm, make_collections
from bot.server_settings import ServerSettings, ServerSettingsStore
from bot.settings import Settings, SettingsError


def cmd_servers(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot servers …`."""
    return {"list": _list, "export": _export, "delete": _delete}[args.action](args, settings)


def _store(settings: Settings) -> ServerSettingsStore:
    return ServerSettingsStore(settings.index_dir, ServerSettings.defaults(settings))


def _list(args: argparse.Namespace, settings: Settings) -> int:
    collections = make_collections(settings)
    ids = set(collections.server_ids())
    store = _store(settings)
    try:
        changed = {i for i in store.servers() if store.overrides(i)}
        for server in sorted(ids | changed):
            library = collections.library(server)
            articles = len(library.service.articles()) if collections.has_collection(server) else 0
            hidden = len(collections.hidden(server))
            overrides = store.overrides(server)
            print(f"{server}: {articles} article(s) of its own, {hidden} base article(s) hidden"
                  + (f", settings {', '.join(f'{k}={v}' for k, v in sorted(overrides.items()))}" if overrides else ""))
    finally:
        store.close()
    archived = list(collections.archived())
    for server, when, path in archived:
        print(f"{server}: archived {when:%Y-%m-%d %H:%M} UTC (the bot left it) in {path}; deleted after "
              f"{settings.left_server_days} days")
    if not ids and not changed and not archived:
        print("no server has articles or settings of its own yet")
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    store = _store(settings)
    try:
        extra = {"settings": store.overrides(args.id)}
    finally:
        store.close()
    try:
        path = make_collections(settings).export(args.id, args.to, extra=extra if extra["settings"] else None)
    except FileNotFoundError as exc:
        raise SettingsError(f"{exc} — `newsbot servers list` shows the servers that have one") from None
    print(f"exported server {args.id} to {path}")
    return 0


def _delete(args: argparse.Namespace, settings: Settings) -> int:
    if not confirm(f"Delete server {args.id}'s own articles, hidden list and settings for good?", args.yes):
        return 1
    existed = make_collections(settings).delete(args.id)
    store = _store(settings)
    try:
        had_settings = bool(store.overrides(args.id))
        store.forget(args.id)
    finally:
        store.close()
    print(f"deleted server {args.id}'s collection" if existed or had_settings
          else f"server {args.id} had nothing to delete")
    return 0
