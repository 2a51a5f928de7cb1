"""Cut articles into passages that fit the embedding model's window.

Pure: the token counter is passed in (the real one is the model's own
tokenizer), so this module needs neither the model nor any file.

Rules, in order of priority:
1. a passage never exceeds the model window once its prefix (title, date) is
   added, so nothing is silently truncated; the headline in the prefix is
   capped (`ChunkConfig.title_pieces`), so that even a crawled "headline" of a
   thousand characters leaves most of the window to the passage;
2. a passage never cuts a sentence (a single sentence longer than the window is
   the one exception: it is split at word boundaries, and the passage says so);
3. passages follow paragraphs: whole paragraphs are packed together while they
   fit the target size, and a long paragraph is split between sentences.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from corpus.article import Article
from corpus.sentences import RULES as SENTENCE_RULES
from corpus.sentences import sentence_spans

TokenCounter = Callable[[str], int]


@dataclass(frozen=True)
class ChunkConfig:
    """How passages are cut and what text of them is embedded.

    Attributes:
        target_tokens: preferred passage size in word pieces (text only).
        window_tokens: the model's hard limit, special tokens included.
        overlap_sentences: sentences repeated from the previous passage when a
            paragraph is split, so a fact across the cut is still found.
        title_in_embedding: prepend the title to the embedded text.
        date_in_embedding: prepend the publication date to the embedded text.
        title_pieces: most word pieces the headline may take in the prefix, counted without the tokenizer
            (`word_piece_bound`); a longer headline is cut at a word boundary. With WordPiece
            (the bundled model), the prefix then takes at most about 160 of the 256 pieces, whatever the headline.
    """

    target_tokens: int = 200
    window_tokens: int = 256
    overlap_sentences: int = 0
    title_in_embedding: bool = True
    date_in_embedding: bool = False
    title_pieces: int = 150

    def describe(self) -> dict[str, object]:
        """Plain dict for the manifest: a change here (sentence rules included) means re-chunking."""
        return {**self.__dict__, "sentences": SENTENCE_RULES}


@dataclass(frozen=True)
class Passage:
    """A contiguous span of one article's text.

    `article.text[start:end] == text` always holds. Paragraph numbers are
    1-based and inclusive.
    """

    id: str
    article_id: str
    ordinal: int
    text: str
    start: int
    end: int
    paragraph_first: int
    paragraph_last: int
    split_sentence: bool = False


def _char_pieces(char: str) -> int:
    """Most word pieces one character can become: none for a space, one per base character after decomposition."""
    if char.isspace():
        return 0
    if char.isascii():
        return 1
    return sum(1 for c in unicodedata.normalize("NFD", char) if unicodedata.category(c) != "Mn") or 1


def word_piece_bound(text: str) -> int:
    """An upper bound of the word pieces of `text`, without the tokenizer.

    A WordPiece tokenizer (BERT's, the bundled model's) drops spaces and accents
    (NFD, combining marks removed) and makes pieces of at least one character
    each, so it never makes more pieces than this count: one per remaining
    character (a Hangul syllable decomposes into two or three).
    """
    return sum(_char_pieces(c) for c in text)


_LAST_SPACE = re.compile(r"\s+\S*$")


def capped_title(title: str, pieces: int) -> str:
    """`title`, or its longest start within `pieces` (`word_piece_bound`), cut at a word boundary when it has one."""
    used = 0
    for i, char in enumerate(title):
        used += _char_pieces(char)
        if used > pieces:
            head = title[:i]
            # drop the word cut in two, unless the title is one long "word" (or in a script without spaces)
            words = _LAST_SPACE.sub("", head)
            return (words if words.strip() else head).rstrip(" ,;:-–—")
    return title


def embedding_prefix(article: Article, config: ChunkConfig) -> str:
    """The text put before every passage of `article` when it is embedded (the headline capped)."""
    parts = []
    if config.date_in_embedding and article.published:
        parts.append(article.published.strftime("%d %B %Y").lstrip("0"))
    if config.title_in_embedding and article.title and not article.title_derived:
        parts.append(capped_title(article.title, config.title_pieces))
    return (". ".join(parts) + ". ") if parts else ""


def embedding_text(article: Article, passage: Passage, config: ChunkConfig) -> str:
    """Exactly the text the encoder sees for a passage."""
    return embedding_prefix(article, config) + passage.text


# hex digits of a passage id: 48 bits. With 9 (36 bits) two of 122,000 passages shared an id about one build
# in ten (n²/2 / 2^36) and a 1M-passage build failed on it; at 48 bits that is ~1 in 560 at 1M passages, and
# `unique_passage_ids` settles those few (a build never fails on a collision). Indexes written with 9 keep theirs.
PASSAGE_ID_DIGITS = 12


def passage_id(article_id: str, start: int, end: int, text: str, salt: int = 0) -> str:
    """Short stable id, typed by users in `/source`: same text, same place → same id.

    Returns:
        "p" + `PASSAGE_ID_DIGITS` hex digits of sha256 over the article id, offsets and text
        (and `salt` when > 0: the n-th alternative, used only to settle a collision).
    """
    basis = f"{article_id}\x1f{start}\x1f{end}\x1f{text}" + (f"\x1f{salt}" if salt else "")
    return "p" + hashlib.sha256(basis.encode()).hexdigest()[:PASSAGE_ID_DIGITS]


def unique_passage_ids(passages: Sequence[Passage], taken: Callable[[str], bool] = lambda _: False) -> list[Passage]:
    """`passages` with every id distinct from the others' and from ids `taken` already (in order, in place).

    A passage whose id is already used gets the next salted alternative (`passage_id(..., salt=n)`), so
    the same corpus in the same order always gets the same ids, and a build never fails on a collision.
    """
    seen: set[str] = set()
    out: list[Passage] = []
    for passage in passages:
        salt, pid = 0, passage.id
        while pid in seen or taken(pid):
            salt += 1
            pid = passage_id(passage.article_id, passage.start, passage.end, passage.text, salt)
        seen.add(pid)
        out.append(passage if pid == passage.id else replace(passage, id=pid))
    return out


def _split_long_sentence(text: str, start: int, end: int, budget: int, count: TokenCounter) -> list[tuple[int, int]]:
    """Word-boundary pieces of one over-long sentence, each within `budget`."""
    pieces: list[tuple[int, int]] = []
    piece_start = start
    last_good = None
    cursor = start
    while cursor < end:
        nxt = text.find(" ", cursor + 1, end)
        nxt = end if nxt == -1 else nxt
        if count(text[piece_start:nxt]) <= budget:
            last_good = nxt
            cursor = nxt
            continue
        if last_good is None:  # a single "word" longer than the window: cut by characters
            cut = piece_start + max(1, (nxt - piece_start) // 2)
            while count(text[piece_start:cut]) > budget:
                cut = piece_start + max(1, (cut - piece_start) // 2)
            last_good = cut
        pieces.append((piece_start, last_good))
        piece_start = last_good + (1 if text[last_good:last_good + 1] == " " else 0)
        cursor = piece_start
        last_good = None
    if piece_start < end:
        pieces.append((piece_start, end))
    return pieces


MAX_CHARS_PER_PIECE = 16  # no text is counted as fewer pieces than its characters / 16 (English averages ~4.5)


def sized(count: TokenCounter) -> TokenCounter:
    """`count`, but never below one piece per `MAX_CHARS_PER_PIECE` characters.

    Why: a WordPiece tokenizer turns a "word" longer than it knows (a 1 MB run of characters without a space,
    base64, a crawl artefact) into a single `[UNK]`, so by tokens alone such text would fit any passage and
    make a passage of a million characters. Counted this way it is cut like any over-long sentence.
    """
    return lambda text: max(count(text), -(-len(text) // MAX_CHARS_PER_PIECE))


def chunk_article(article: Article, count: TokenCounter, config: ChunkConfig = ChunkConfig()) -> list[Passage]:
    """Cut one article into passages (see the module docstring for the rules)."""
    count = sized(count)
    text = article.text
    prefix = embedding_prefix(article, config)
    prefix_tokens = count(prefix) if prefix else 0
    # [CLS] and [SEP]; the capped headline keeps this near the target (at least ~90 pieces with WordPiece)
    hard_budget = config.window_tokens - 2 - prefix_tokens
    budget = max(16, min(config.target_tokens, hard_budget))
    para_starts = [s for s, _ in article.paragraph_spans]

    # units: (start, end, tokens, paragraph index, split flag); sentences or sentence pieces
    units: list[tuple[int, int, int, int, bool]] = []
    for p_index, (p_start, p_end) in enumerate(article.paragraph_spans):
        for s_start, s_end in sentence_spans(text, p_start, p_end):
            tokens = count(text[s_start:s_end])
            if tokens <= budget:
                units.append((s_start, s_end, tokens, p_index, False))
            else:
                for a, b in _split_long_sentence(text, s_start, s_end, budget, count):
                    units.append((a, b, count(text[a:b]), p_index, True))

    groups: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i, (_, _, tokens, p_index, _) in enumerate(units):
        new_paragraph = bool(current) and units[current[-1]][3] != p_index
        # a new paragraph starts a new passage if the current one is already half full
        if current and (used + tokens > budget or (new_paragraph and used >= budget // 2)):
            groups.append(current)
            overlap = []
            if config.overlap_sentences and not new_paragraph:
                overlap = current[-config.overlap_sentences:]
                while overlap and sum(units[j][2] for j in overlap) + tokens > budget:
                    overlap = overlap[1:]
            current, used = list(overlap), sum(units[j][2] for j in overlap)
        current.append(i)
        used += tokens
    if current:
        groups.append(current)

    passages = []
    for ordinal, group in enumerate(groups):
        start, end = units[group[0]][0], units[group[-1]][1]
        span_text = text[start:end]
        passages.append(Passage(
            id=passage_id(article.id, start, end, span_text),
            article_id=article.id,
            ordinal=ordinal,
            text=span_text,
            start=start,
            end=end,
            paragraph_first=bisect_right(para_starts, start),
            paragraph_last=bisect_right(para_starts, end - 1),
            split_sentence=any(units[j][4] for j in group),
        ))
    return passages
