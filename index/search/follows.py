"""What a followed story gets after a refresh: the new passages that answer it confidently, each story once.

A follow is a saved question (`/follow`). After every version switch, the articles the switch added or
changed (`changed_articles`: a new id, or a new fingerprint, against what was processed before; the caller
marks them with `Part.only`) are the candidates; the follow's query is searched exactly as `/ask` searches
(`index.search.service.search_parts` over the place's view, the same ranking and the same confidence rule).
The rules, each tested on its own:

1. **Only what is new.** An article the follow already posted is never posted again (its id); nor is another
   copy of it: the same canonical URL, or the same text (`corpus.folder.planning.text_key`, the key refresh
   planning collapses syndicated copies with).
2. **One post per story.** Among the fresh articles, copies of one story (same id, canonical URL or text key,
   or near-identical text, rule 4) count once: the earliest published is searched, the others are skipped
   (`distinct_stories`). Copies from another outlet within one corpus are already collapsed by refresh
   planning; this also catches copies in two collections (base and a server's) and near-identical rewrites.
3. **Confident, as `/ask` is.** The follow's query is ranked over the place's whole view (old articles
   included, as `/ask` ranks it); each fresh article in that ranking is taken when `/ask` would be confident
   answering with it: its score and its lead over the best other article (its own copies left out) through
   `index.search.ranking.confidence` and `is_confident` (`confident_among`). Measuring the lead against the
   fresh articles alone would make any lone new article look sure of itself. The card shows the passage
   `/ask` would show of that article (refocused and highlighted).
4. **Adds something.** A passage that is near-identical to one the follow already posted (or is posting now)
   adds nothing and is skipped (`adds_nothing`). Near-identical (`near_identical`) means both: the same words
   give or take a few, rapidfuzz's `token_sort_ratio` (0-100, word order ignored, case and punctuation
   folded) at least `NEAR_DUPLICATE`; and no figure contradicts, the numbers of one text all appear in the
   other. Why 90: on the test stories a syndicated copy with a dateline added and a word changed scores 93, a
   copy with one figure corrected 99, while the same event rewritten by another writer scores 76 and an
   unrelated report 51. Why the numbers: reports cut from one template (ferry 0 returns …, ferry 1 returns
   …) score 98 although each is news, and a corrected figure is news too; a dateline only adds numbers.
5. **At most `max_posts`.** Further confident articles are counted (up to `MORE_LIMIT`) for an "and N more"
   line, and not posted later either (they are no longer new).

Never imports discord; the bot's side is `bot.chat.following`, storage `bot.follows`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from corpus.article import Article, canonical_url
from corpus.folder.planning import text_key
from index.search.ranking import ArticleRanking, RetrievalConfig, confidence, is_confident
from index.search.results import Hit
from index.search.service import Part, search_parts

NEAR_DUPLICATE = 90.0  # token_sort_ratio (0-100) from which two texts are near-identical (rule 4)
MORE_LIMIT = 25  # most further confident articles counted for the "and N more" line
RANKED = 100  # articles of the whole view ranked per follow and refresh (a fresh one below them has no lead)

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")

SAME_ID = "same article"
SAME_URL = "same URL"
SAME_TEXT = "same text"
NEAR_IDENTICAL = "near-identical text"


@dataclass(frozen=True)
class Posted:
    """What a follow already posted of one article (from storage).

    Attributes:
        article_id: the article's id.
        url: its canonical URL (None: it had none).
        text_key: `corpus.folder.planning.text_key` of its text.
        passage_text: the text of the passage posted.
    """

    article_id: str
    url: str | None
    text_key: str
    passage_text: str

    @classmethod
    def of(cls, hit: Hit) -> Posted:
        """The record of a hit about to be posted."""
        a = hit.article
        return cls(a.id, canonical_url(a.url) if a.url else None, text_key(a.text), hit.passage.text)


@dataclass(frozen=True)
class Skipped:
    """An article left out, and why (one of `SAME_ID`, `SAME_URL`, `SAME_TEXT`, `NEAR_IDENTICAL`)."""

    article_id: str
    reason: str
    like: str  # the article id it copies (posted before, or kept now)


@dataclass
class Selection:
    """What one follow gets from one refresh.

    Attributes:
        posts: the hits to post, best first (at most `max_posts`), each with the passage to show.
        more: further confident articles not posted (at most `MORE_LIMIT`).
        skipped: articles left out as copies or as adding nothing.
    """

    posts: list[Hit] = field(default_factory=list)
    more: int = 0
    skipped: list[Skipped] = field(default_factory=list)


def changed_articles(current: Iterable[tuple[str, str]], seen: Mapping[str, str]) -> set[str]:
    """Ids of the articles added or changed: in `current` as (id, fingerprint) but not in `seen` (id →
    fingerprint of the version processed before), or there with another fingerprint. Removed articles are
    not listed (there is nothing to post about them)."""
    return {article_id for article_id, fingerprint in current if seen.get(article_id) != fingerprint}


def numbers(text: str) -> set[str]:
    """The figures of a text (`1,200`, `3.5`, `2024`), as written."""
    return set(_NUMBER.findall(text))


def near_identical(a: str, b: str, threshold: float = NEAR_DUPLICATE) -> bool:
    """True when two texts are the same words in any order, give or take a few (`token_sort_ratio` >= threshold),
    and no figure of one is missing from the other, unless all of the other's are in it (rule 4)."""
    if fuzz.token_sort_ratio(a, b, processor=default_process, score_cutoff=threshold) < threshold:
        return False
    first, second = numbers(a), numbers(b)
    return first <= second or second <= first


def adds_nothing(passage_text: str, posted: Iterable[str], threshold: float = NEAR_DUPLICATE) -> bool:
    """True when a passage is near-identical to one already posted (rule 4)."""
    return any(near_identical(passage_text, other, threshold) for other in posted)


def copy_of(article: Article, posted: Sequence[Posted]) -> Skipped | None:
    """The reason an article is another copy of one the follow posted (rule 1), or None."""
    url = canonical_url(article.url) if article.url else None
    key = text_key(article.text)
    for p in posted:
        if p.article_id == article.id:
            return Skipped(article.id, SAME_ID, p.article_id)
        if url and p.url == url:
            return Skipped(article.id, SAME_URL, p.article_id)
        if p.text_key == key:
            return Skipped(article.id, SAME_TEXT, p.article_id)
    return None


def distinct_stories(articles: Sequence[Article], posted: Sequence[Posted] = (),
                     threshold: float = NEAR_DUPLICATE) -> tuple[list[Article], list[Skipped]]:
    """One article per story among fresh articles (rules 1 and 2): (kept, skipped).

    Copies of a posted article are skipped; among the rest, the earliest published (undated last, then the
    order given) of each group of copies is kept. Near-identical text is compared on whole article texts.
    """
    order = {id(a): i for i, a in enumerate(articles)}
    ranked = sorted(articles, key=lambda a: (a.published is None, a.published or date.max, order[id(a)]))
    kept: list[Article] = []
    skipped: list[Skipped] = []
    earlier: list[tuple[Article, str]] = []  # every article ranked before, with the kept copy of its story
    for article in ranked:
        copy = copy_of(article, posted)
        if copy is None:
            copy = _copy_among(article, earlier, threshold)
        if copy is None:
            kept.append(article)
            earlier.append((article, article.id))
        else:
            skipped.append(copy)
            earlier.append((article, copy.like))
    return kept, skipped


def _copy_among(article: Article, earlier: Sequence[tuple[Article, str]], threshold: float) -> Skipped | None:
    """Whether an article copies one ranked before it (the reason names that story's kept copy)."""
    url = canonical_url(article.url) if article.url else None
    key = text_key(article.text)
    for other, keeper in earlier:
        if other.id == article.id:
            return Skipped(article.id, SAME_ID, keeper)
        if url and other.url and canonical_url(other.url) == url:
            return Skipped(article.id, SAME_URL, keeper)
        if text_key(other.text) == key:
            return Skipped(article.id, SAME_TEXT, keeper)
        if near_identical(article.text, other.text, threshold):
            return Skipped(article.id, NEAR_IDENTICAL, keeper)
    return None


def select_updates(parts: Sequence[Part], question: str, posted: Sequence[Posted], max_posts: int,
                   per_article: int = 2, retrieval: RetrievalConfig | None = None, as_of: date | None = None,
                   threshold: float = NEAR_DUPLICATE, depth: int = RANKED) -> Selection:
    """What a follow posts after a refresh (the module's rules 1-5).

    Args:
        parts: the place's view (`SearchView.parts`), each restricted with `only` to the articles the refresh
            added or changed in that version (an empty set for a version that did not switch).
        question: the follow's query, searched exactly as `/ask` searches it.
        posted: what the follow posted before.
        max_posts: most hits to post (>= 1).
        per_article, retrieval, as_of: as `search_parts` (the bot passes what `/ask` uses).
        threshold: the near-duplicate rule's `token_sort_ratio` (rule 4).
        depth: articles of the whole view ranked to find the fresh ones and their competitors.

    Returns:
        The posts (each with the passage `/ask` would show of its article, highlighted), the count of further
        confident articles, and what was skipped as a copy or a repeat.

    Raises:
        ValueError: `max_posts` below 1.
    """
    if max_posts < 1:
        raise ValueError(f"max_posts must be at least 1, got {max_posts}")
    fresh: list[Article] = []
    for part in parts:
        fresh += part.service.meta.articles((part.only or frozenset()) - part.hidden).values()
    kept, skipped = distinct_stories(fresh, posted, threshold)
    selection = Selection(skipped=skipped)
    candidates = {a.id for a in kept}
    if not candidates:
        return selection
    copies = {s.article_id: s.like for s in skipped}
    whole = [replace(part, only=None) for part in parts]
    ranked = search_parts(whole, question, k=depth, per_article=1, highlight=False, as_of=as_of,
                          retrieval=retrieval).hits
    first = parts[0].service
    config = first.retriever.effective(retrieval or first.retrieval)
    texts = [p.passage_text for p in posted]
    for j, hit in enumerate(ranked):
        story = hit.article.id
        if story not in candidates:
            continue
        if not confident_among(j, ranked, copies, config):
            continue
        posting = len(selection.posts) < max_posts
        if posting:  # the passage `/ask` shows of this article, refocused and highlighted
            alone = [replace(part, only=frozenset({story})) for part in parts]
            shown = search_parts(alone, question, k=1, per_article=per_article, highlight=True, as_of=as_of,
                                 retrieval=retrieval).hits
            hit = shown[0] if shown else hit
        if adds_nothing(hit.passage.text, texts, threshold):
            selection.skipped.append(Skipped(story, NEAR_IDENTICAL, _like(hit.passage.text, posted,
                                                                          selection.posts, threshold)))
        elif posting:
            selection.posts.append(replace(hit, rank=len(selection.posts) + 1))
            texts.append(hit.passage.text)
        else:
            selection.more += 1
            if selection.more >= MORE_LIMIT:
                break
    return selection


def confident_among(j: int, ranked: Sequence[Hit], copies: Mapping[str, str], config: RetrievalConfig) -> bool:
    """Whether `/ask` would be confident answering with `ranked[j]`'s article (rule 3).

    The article's score and its lead over the best *other* article of the whole view (its own copies left
    out) go through `index.search.ranking.confidence` and `is_confident`, as the top of an `/ask` answer
    does: an older article that answers better leaves no lead, so the new one must then be a strong match
    on its own (`strong_score`).
    """
    hit = ranked[j]
    story = hit.article.id
    runner_up = max((h.score for i, h in enumerate(ranked)
                     if i != j and h.article.id != story and copies.get(h.article.id) != story), default=0.0)
    sure = confidence([ArticleRanking(story, hit.score, []), ArticleRanking("", runner_up, [])],
                      config.margin_weight, config.min_score)
    return is_confident(hit.score, sure, config)


def _like(text: str, posted: Sequence[Posted], posts: Sequence[Hit], threshold: float) -> str:
    """The article id of the posted passage a skipped passage repeats."""
    for p in posted:
        if near_identical(text, p.passage_text, threshold):
            return p.article_id
    return next((h.article.id for h in posts if near_identical(text, h.passage.text, threshold)), "")
