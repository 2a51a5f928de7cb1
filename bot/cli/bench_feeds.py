"""`newsbot bench-feeds`: the cost of an idle feed schedule (every feed unchanged). A benchmark, never a test.

A local HTTP server on 127.0.0.1, in a separate process (so its CPU is not counted), serves
`--feeds` RSS feeds and answers a conditional request for an unchanged feed with 304, as
polite servers do. A library with those feeds is then polled the way `newsbot run` polls it
(`index.feeds.polling.poll_library`, the schedule's clock injected and moved forward, so no
real minutes pass):

- a *due round* (every `--minutes`): every feed is due: one conditional request each, 304,
  nothing parsed, saved or refreshed;
  (`--unconditional`: the validators are forgotten before each round, so each feed is downloaded
  and parsed in full, as without conditional requests: what they save, side by side);
- an *idle tick* (every `TICK_SECONDS` in between): nothing is due: one small read of the
  state database, no request.

CPU time is this process's (`time.process_time`: user + system, all threads), measured per
round and per tick over `--rounds` of each; the per-hour figure is
`rounds_per_hour × median round + ticks_per_hour × median tick`, requests per hour are
counted by the server. Plain HTTP on loopback: a real HTTPS feed adds a TLS handshake per
request (no connection is kept between polls), DNS and the network's latency (not CPU).
Waiting between two requests to one host (`NEWSBOT_HOST_DELAY_MS`) is sleep, not CPU; it is
set to 0 here so the run is quick.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.settings import Settings
from corpus.sources.feeds import FeedConfig
from corpus.sources.fetch import Fetcher, FetchPolicy
from index.encoder_choice import make_encoder
from index.feeds.polling import poll_library
from index.feeds.store import FeedStore
from index.library import Library

TICK_SECONDS = 60  # the bot's schedule looks at due times once a minute (bot.chat.polling.TICK_SECONDS)

SERVER = r'''
import hashlib, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
count = [0]
lock = threading.Lock()
def feed(n):
    items = "".join(f"<item><title>Story {n}-{i}</title><link>http://news.invalid/{n}/{i}</link></item>"
                    for i in range(20))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title><link>http://news.invalid/'
            f'</link><description>d</description>{items}</channel></rss>').encode()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def do_GET(self):
        if self.path == "/count":
            body = str(count[0]).encode()
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
            self.wfile.write(body); return
        with lock:
            count[0] += 1
        body = feed(self.path)
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304); self.send_header("ETag", etag); self.end_headers(); return
        self.send_response(200); self.send_header("ETag", etag)
        self.send_header("Content-Type", "application/rss+xml"); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(server.server_address[1], flush=True)
server.serve_forever()
'''


def _count(fetcher: Fetcher, base: str) -> int:
    return int(fetcher.get(base + "/count").body)


def cmd_bench_feeds(args: argparse.Namespace, settings: Settings) -> int:
    """`newsbot bench-feeds`: CPU seconds and HTTP requests per hour of an idle schedule (see the module docstring)."""
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        with tempfile.TemporaryDirectory(prefix="newsbot-bench-feeds-") as work:
            corpus = Path(work) / "corpus"
            corpus.mkdir()
            policy = FetchPolicy(allow_private=True, host_delay=0.0)
            urls = tuple(f"{base}/feed/{n}.xml" for n in range(args.feeds))
            # the model is never loaded: an idle poll embeds nothing
            library = Library(corpus, Path(work) / "index", make_encoder(settings.encoder, settings.model_path),
                              feeds=FeedConfig(urls=urls, policy=policy, interval_minutes=args.minutes, max_entries=0))
            fetcher = Fetcher(policy)
            now = datetime(2026, 1, 1, tzinfo=timezone.utc)
            first = poll_library(library, now, fetcher=fetcher)  # downloads each feed once: validators remembered
            assert first.feeds is not None and first.feeds.unchanged == 0, "the first round downloads every feed"
            rounds, ticks = [], []
            before = _count(fetcher, base)
            for _ in range(args.rounds):
                for _ in range(args.minutes * 60 // TICK_SECONDS - 1):
                    now += timedelta(seconds=TICK_SECONDS)
                    if len(ticks) < args.rounds:
                        started = time.process_time()
                        outcome = poll_library(library, now, fetcher=fetcher)
                        ticks.append(time.process_time() - started)
                        assert outcome.due == 0
                now += timedelta(seconds=TICK_SECONDS)
                if args.unconditional:
                    with FeedStore(library.index_dir) as store:
                        store.forget_validators()
                started = time.process_time()
                outcome = poll_library(library, now, fetcher=fetcher)
                rounds.append(time.process_time() - started)
                assert outcome.due == args.feeds and outcome.feeds is not None and outcome.report is None
                assert outcome.feeds.unchanged == (0 if args.unconditional else args.feeds), outcome.lines()
            requests = _count(fetcher, base) - before  # (/count requests are not counted)
    finally:
        server.terminate()
        server.wait(10)
    per_round = requests / args.rounds
    rounds_per_hour = 60 / args.minutes
    ticks_per_hour = 3600 / TICK_SECONDS - rounds_per_hour
    round_ms, tick_ms = statistics.median(rounds) * 1000, statistics.median(ticks) * 1000
    cpu_hour = (rounds_per_hour * round_ms + ticks_per_hour * tick_ms) / 1000
    print(f"{args.feeds} unchanged feeds, each due every {args.minutes} min, the schedule ticking every "
          f"{TICK_SECONDS} s; {args.rounds} due rounds and {len(ticks)} idle ticks measured")
    answered = "downloaded and parsed in full, no validators sent" if args.unconditional else "answered 304"
    print(f"due round (every feed {answered}): median {round_ms:.2f} ms CPU "
          f"(min {min(rounds) * 1000:.2f}, max {max(rounds) * 1000:.2f}), {per_round:g} request(s)")
    print(f"idle tick (nothing due): median {tick_ms:.3f} ms CPU (min {min(ticks) * 1000:.3f}, "
          f"max {max(ticks) * 1000:.3f}), 0 requests")
    print(f"per hour: {cpu_hour:.3f} CPU seconds ({rounds_per_hour:g} due rounds + {ticks_per_hour:g} idle ticks), "
          f"{per_round * rounds_per_hour:g} HTTP requests, each " +
          ("a full download (200)" if args.unconditional else "answered 304 (no body)"))
    return 0
