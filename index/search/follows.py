"""What a followed story gets after a refresh: the new passages that answer it confidently, each story once.

A follow is a saved question (`/follow`). After every version switch, the articles the switch added or
changed (`changed_articles`: a new id, or a new fingerprint, against what was processed before; the caller
marks them with `Part.only`) are the candidates; the follow's query is searched exactly as `/ask` searches
(`index.search.service.search_parts` over the place's view, the same ranking and the same confidence rule).
The rules, each tested on its own:

1. **Only what is new.** An article the follow already posted is never posted again (its id); nor is another
   copy of it: the same canonical URL, or the same text (`corpus.folder.planning.text_key`, the key refresh
   planning collapses syndicated copies with).
2. **One post per story.** Among the fresh articles, copies of one story (the same id, canonical URL or text
   key) count once: the earliest published is kept (`distinct_stories`, linear: hashed keys, no text
   compared). Copies from another outlet within one corpus are already collapsed by refresh planning; this
   also catches copies in two collections (the base and a server's). Near-identical copies (a dateline added,
   a word changed) are caught passage by passage: they are not each other's competitors (rule 3), and the
   second adds nothing (rule 4).
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
from corpus.article import article_id as article_id_of
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
        return cls.of_parts(hit.article, hit.passage.text)

    @classmethod
    def of_parts(cls, article: Article, passage_text: str) -> Posted:
        """The record of an article posted with the passage `passage_text`."""
        return cls(article.id, canonical_url(article.url) if article.url else None, text_key(article.text),
                   passage_text)


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


@dataclass(frozen=True)
class StoryKeys:
    """What makes two articles copies of one story without comparing their texts: id, canonical URL and text
    key (`corpus.folder.planning.text_key`).

    As refresh planning has it (`corpus.folder.planning.deduplicate`), a shared URL makes copies only when at
    most one of the two carries an id of its own: records with ids of their own under one URL (the briefs of
    one quiz page) are separate documents. `by_url`: the id is the one made from the URL.
    """

    id: str
    url: str | None
    text_key: str
    by_url: bool

    @classmethod
    def of_article(cls, article: Article) -> StoryKeys:
        """The keys of an article."""
        return cls.of(article.id, article.url, text_key(article.text))

    @classmethod
    def of(cls, article_id: str, url: str | None, key: str) -> StoryKeys:
        """The keys from an id, a URL (canonical or not) and a text key."""
        url = canonical_url(url) if url else None
        return cls(article_id, url, key, bool(url) and article_id == article_id_of(url, ""))


class StoryIndex:
    """Stories seen so far, looked up by any of their keys in constant time (rules 1 and 2)."""

    def __init__(self) -> None:
        self._by: dict[tuple[str, str], str] = {}  # (kind, key) → the id of the story's kept copy
        self._urls: dict[str, tuple[str, bool]] = {}  # URL → (kept copy, whether that article was named by it)

    def add(self, keys: StoryKeys, keeper: str) -> None:
        """Remember an article's keys as belonging to the story whose kept copy is `keeper`."""
        self._by.setdefault((SAME_ID, keys.id), keeper)
        self._by.setdefault((SAME_TEXT, keys.text_key), keeper)
        if keys.url and (keys.url not in self._urls or keys.by_url):
            self._urls[keys.url] = (keeper, keys.by_url)

    def find(self, keys: StoryKeys) -> tuple[str, str] | None:
        """(reason, kept copy) when an article with these keys copies a story seen before, else None."""
        if (SAME_ID, keys.id) in self._by:
            return SAME_ID, self._by[(SAME_ID, keys.id)]
        if keys.url in self._urls:
            keeper, by_url = self._urls[keys.url]
            if by_url or keys.by_url:
                return SAME_URL, keeper
        if (SAME_TEXT, keys.text_key) in self._by:
            return SAME_TEXT, self._by[(SAME_TEXT, keys.text_key)]
        return None


def copy_of(article: Article, posted: Sequence[Posted]) -> Skipped | None:
    """The reason an article is another copy of one the follow posted (rule 1), or None."""
    seen = StoryIndex()
    for p in posted:
        seen.add(StoryKeys.of(p.article_id, p.url, p.text_key), p.article_id)
    found = seen.find(StoryKeys.of_article(article))
    return Skipped(article.id, *found) if found else None


def distinct_stories(articles: Sequence[Article], posted: Sequence[Posted] = (),
                     memo: dict[tuple[str, int], StoryKeys] | None = None) -> tuple[list[Article], list[Skipped]]:
    """One article per story among fresh articles (rules 1 and 2, by id, URL and text key): (kept, skipped).

    Copies of a posted article are skipped; among the rest, the earliest published (undated last, then the
    order given) of each group of copies is kept. Linear in the number of articles and posts: near-identical
    copies, which need their texts compared, are caught passage by passage (`adds_nothing`, `confident_among`).

    Args:
        memo: (article id, hash of its text) → keys, filled as they are computed (reading a text's words is
            the cost here): pass one dict for every follow of one version switch.
    """
    memo = {} if memo is None else memo
    seen = StoryIndex()
    for p in posted:
        seen.add(StoryKeys.of(p.article_id, p.url, p.text_key), p.article_id)
    order = {id(a): i for i, a in enumerate(articles)}
    ranked = sorted(articles, key=lambda a: (a.published is None, a.published or date.max, order[id(a)]))
    kept: list[Article] = []
    skipped: list[Skipped] = []
    for article in ranked:
        slot = (article.id, hash(article.text))  # (one id may hold other texts in another collection)
        keys = memo.get(slot)
        if keys is None:
            keys = memo[slot] = StoryKeys.of_article(article)
        found = seen.find(keys)
        if found is None:
            kept.append(article)
            seen.add(keys, article.id)
        else:
            skipped.append(Skipped(article.id, *found))
            seen.add(keys, found[1])
    return kept, skipped


def select_updates(parts: Sequence[Part], question: str, posted: Sequence[Posted], max_posts: int,
                   per_article: int = 2, retrieval: RetrievalConfig | None = None, as_of: date | None = None,
                   threshold: float = NEAR_DUPLICATE, depth: int = RANKED,
                   memo: dict[tuple[str, int], StoryKeys] | None = None) -> Selection:
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
        memo: as `distinct_stories` (one dict for every follow of one switch).

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
    kept, skipped = distinct_stories(fresh, posted, memo)
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
        if not confident_among(j, ranked, copies, config, threshold):
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


def confident_among(j: int, ranked: Sequence[Hit], copies: Mapping[str, str], config: RetrievalConfig,
                    threshold: float = NEAR_DUPLICATE) -> bool:
    """Whether `/ask` would be confident answering with `ranked[j]`'s article (rule 3).

    The article's score and its lead over the best *other* article of the whole view go through
    `index.search.ranking.confidence` and `is_confident`, as the top of an `/ask` answer does: an older
    article that answers better leaves no lead, so the new one must then be a strong match on its own
    (`strong_score`). Its own copies are not others: `copies` (article id → the copy kept), and any article
    whose ranked passage is near-identical to its own (rule 4; compared only until the best other is found).
    """
    hit = ranked[j]
    story = hit.article.id
    runner_up = 0.0
    for i, other in sorted(enumerate(ranked), key=lambda pair: -pair[1].score):
        if i == j or other.article.id == story or copies.get(other.article.id) == story:
            continue
        if near_identical(other.passage.text, hit.passage.text, threshold):
            continue
        runner_up = other.score
        break
    sure = confidence([ArticleRanking(story, hit.score, []), ArticleRanking("", runner_up, [])],
                      config.margin_weight, config.min_score)
    return is_confident(hit.score, sure, config)


def _like(text: str, posted: Sequence[Posted], posts: Sequence[Hit], threshold: float) -> str:
    """The article id of the posted passage a skipped passage repeats."""
    for p in posted:
        if near_identical(text, p.passage_text, threshold):
            return p.article_id
    return next((h.article.id for h in posts if near_identical(text, h.passage.text, threshold)), "")
