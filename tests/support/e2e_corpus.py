"""Small extra articles for end-to-end tests (seed text format), written into a corpus copy."""

from __future__ import annotations

from pathlib import Path

HARBOUR_OUTLETS = ("Reuters", "BBC")


def harbour_article(i: int) -> str:
    """The i-th of a series of short, distinct harbour reports (all mention the harbour)."""
    outlet = HARBOUR_OUTLETS[i % 2]
    return (
        f"date 2024-01-{i + 1:02d} By Reporter {i}, {outlet}\n"
        f"title Harbour report {i}: ferry number {i} returns to the harbour\n"
        f"url https://news.example/harbour/{i}\n\n"
        f"The harbour master of Port {i} said ferry number {i} returned to the harbour on schedule after "
        f"repairs to its engine number {i}.\n\n"
        f"Passengers waited {i + 2} hours at the harbour terminal, the operator said."
    )


def write_harbour_articles(folder: Path, count: int) -> list[Path]:
    """Write `count` harbour reports into `folder`; returns their paths."""
    paths = []
    for i in range(count):
        path = folder / f"harbour_{i:02d}.txt"
        path.write_text(harbour_article(i), encoding="utf-8")
        paths.append(path)
    return paths


LIGHTHOUSE = """date 2024-02-10 By Jane Doe and Ravi Patel, Reuters
title Keepers return to the Skerryvore lighthouse for a summer of repairs
url https://news.example/2024/02/10/skerryvore-lighthouse-keepers

The Northern Lighthouse Board said on Saturday that two keepers will live at the Skerryvore lighthouse this summer while masons repair its granite tower.

The tower, finished in 1844, has been unmanned since 1972, and salt water has worn away much of the mortar between its blocks.

A board spokesperson said the light itself will keep shining throughout the work.
"""

# articles the multi-server and sharded end-to-end tests add (seed format, one story each)
BAKERY_TITLE = "Village bakery wins the national bread prize"
BAKERY_QUESTION = "Which village bakery won the national bread prize?"
BAKERY = f"""date 2024-03-02 By Kim Lo, Country Times
title {BAKERY_TITLE}
url https://news.example/2024/03/02/bakery-prize

A village bakery in Devon won the national bread prize for its sourdough loaf.

The baker said she starts work at three in the morning to bake the prize loaf.
"""
CHOIR_TITLE = "Harbour choir sings for the returning fishing fleet"
CHOIR_QUESTION = "Which choir sang for the returning fishing fleet at the harbour?"
CHOIR = f"""date 2024-03-05 By Ana Ruiz, Harbour Herald
title {CHOIR_TITLE}
url https://news.example/2024/03/05/harbour-choir

The harbour choir sang sea shanties on the quay as the fishing fleet returned after the winter storms.

The choir has sung for the returning fleet every spring since 1952.
"""


EVENTS = ("masons replaced the granite blocks of the tower", "a storm broke the lantern glass",
          "the keepers rescued two kayakers", "a new foghorn was fitted", "the board opened the tower to visitors")
KEEPERS = "Skerryvore lighthouse keepers"


def keepers_story(i: int) -> str:
    """The i-th of several distinct stories that all answer KEEPERS (the follow tests' query)."""
    return (f"date 2024-06-{i + 1:02d} By Writer {i}, Island News\ntitle Skerryvore lighthouse keepers: {EVENTS[i]}\n"
            f"url https://news.example/skerryvore/{i}\n\nAt the Skerryvore lighthouse the keepers said {EVENTS[i]} "
            f"this week.\n\nReport {i} from the lighthouse keepers of Skerryvore.")
