"""Passages: offsets round-trip, never over the model window, never cutting a sentence."""

from __future__ import annotations

import random

import pytest

from corpus.article import Article, normalise_body
from corpus.chunking import ChunkConfig, chunk_article, embedding_text
from corpus.readers.loader import load_corpus
from corpus.sentences import sentence_spans
from tests.conftest import BENCH, SEEDS


def check_passages(article: Article, count, config: ChunkConfig = ChunkConfig()) -> list:  # noqa: ANN001
    passages = chunk_article(article, count, config)
    assert passages, article.id
    for p in passages:
        assert article.text[p.start:p.end] == p.text
        assert count(embedding_text(article, p, config)) + 2 <= config.window_tokens
        assert 1 <= p.paragraph_first <= p.paragraph_last <= article.paragraph_count
    # every sentence lies inside one passage (unless it had to be split)
    bounds = {(p.start, p.end) for p in passages if not p.split_sentence}
    spans = [s for a, b in article.paragraph_spans for s in sentence_spans(article.text, a, b)]
    for s_start, s_end in spans:
        if any(p.split_sentence and p.start <= s_start < p.end for p in passages):
            continue
        assert any(a <= s_start and s_end <= b for a, b in bounds), article.text[s_start:s_end][:80]
    # the passages cover the text in order
    assert passages[0].start == 0 or not article.text[:passages[0].start].strip()
    return passages


def test_seed_passages(count_tokens) -> None:  # noqa: ANN001
    [article] = load_corpus(SEEDS).articles
    passages = check_passages(article, count_tokens)
    assert passages[0].paragraph_first == 1
    assert passages[-1].paragraph_last == article.paragraph_count
    assert len({p.id for p in passages}) == len(passages)


@pytest.mark.skipif(not BENCH.exists(), reason="the shared dev benchmark is not beside the checkout")
def test_benchmark_sample_round_trips(count_tokens) -> None:  # noqa: ANN001
    articles = load_corpus(BENCH / "articles.jsonl.gz").articles
    sample = random.Random(7).sample(articles, 150)
    longest = max(articles, key=lambda a: len(a.text))
    for article in [*sample, longest]:
        check_passages(article, count_tokens)


def test_overlong_sentence_is_split_not_truncated(count_tokens) -> None:  # noqa: ANN001
    words = " ".join(f"word{i}" for i in range(900))
    article = Article(id="x", title="t", outlet="o", authors=(), published=None, url=None,
                      text=normalise_body([words + ".", "Short one."]), source="mem")
    passages = check_passages(article, count_tokens)
    assert any(p.split_sentence for p in passages)
    assert "".join(p.text for p in passages if p.split_sentence).replace(" ", "") == (words + ".").replace(" ", "")


def test_sentences_respect_abbreviations() -> None:
    text = "Mr. Smith went to Washington, D.C. on Monday. He met Sen. Jones. “It was fine,” he said. Then U.S. officials left."
    sentences = [text[a:b] for a, b in sentence_spans(text)]
    assert sentences[0] == "Mr. Smith went to Washington, D.C. on Monday."
    assert sentences[1] == "He met Sen. Jones."
    assert sentences[-1] == "Then U.S. officials left."


def test_a_giant_unspaced_word_is_cut_like_a_long_sentence() -> None:
    """A tokenizer counts a 200,000-character "word" as one [UNK]; it still never makes a giant passage."""
    from corpus.article import Article
    from corpus.chunking import MAX_CHARS_PER_PIECE, ChunkConfig, chunk_article

    blob = "x" * 200_000
    article = Article(id="a1", title="Blob", outlet="Example", authors=(), published=None, url=None,
                      text=f"A normal first sentence here. {blob} And a last one.", source="t")
    one_unk_per_word = lambda text: len(text.split())  # noqa: E731 - a tokenizer that maps any word to one piece
    passages = chunk_article(article, one_unk_per_word, ChunkConfig())
    budget = ChunkConfig().target_tokens
    assert max(len(p.text) for p in passages) <= budget * MAX_CHARS_PER_PIECE
    assert "".join(p.text for p in passages).count("x") == len(blob), "nothing is lost"


def test_colliding_passage_ids_are_settled_deterministically() -> None:
    from corpus.chunking import Passage, passage_id, unique_passage_ids

    def make(article: str, start: int, pid: str) -> Passage:
        return Passage(id=pid, article_id=article, ordinal=0, text="x" * 5, start=start, end=start + 5,
                       paragraph_first=1, paragraph_last=1)

    passages = [make("a", 0, "p1"), make("b", 0, "p1"), make("c", 0, "p2"), make("d", 0, "p1")]
    settled = unique_passage_ids(passages, taken=lambda pid: pid == "p2")
    ids = [p.id for p in settled]
    assert len(set(ids)) == 4 and ids[0] == "p1"  # the first keeps its id; the others move, "p2" is taken
    assert ids[1] == passage_id("b", 0, 5, "x" * 5, salt=1) and ids[2] == passage_id("c", 0, 5, "x" * 5, salt=1)
    assert [p.id for p in unique_passage_ids(passages, taken=lambda pid: pid == "p2")] == ids  # same input, same ids
    distinct = [make("a", 0, "p1"), make("b", 0, "p2")]
    assert unique_passage_ids(distinct) == distinct  # nothing collides: nothing changes
    assert len(passage_id("a", 0, 5, "x")) == 13  # "p" + 12 hex digits
