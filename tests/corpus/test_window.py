"""The embedded text (headline prefix + passage) never exceeds the model's window, whatever the headline."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus.article import Article, normalise_body
from corpus.chunking import ChunkConfig, capped_title, chunk_article, embedding_prefix, embedding_text, word_piece_bound

PROPERTY = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

BODY = normalise_body([
    " ".join(f"Officials in district {i} said the vote was delayed by {i} days after a court ruling." for i in range(12)),
    " ".join(f"Voters in town {i} queued for hours, and turnout rose to {40 + i} percent." for i in range(12)),
])

# headline pieces: words, accents, scripts without spaces, Hangul (several word pieces per character), symbols
WORDS = st.sampled_from(["Election", "results", "délai", "Ünïcödé", "東京都知事選", "한국어뉴스", "Москва", "—", "|",
                         "2022", "!!!", "🌋", "supercalifragilisticexpialidocious", "U.S.", "ﬁnal", "ＮＡＴＯ"])


@st.composite
def headlines(draw: st.DrawFn) -> str:
    length = draw(st.integers(0, 3000))  # characters, a crawled "headline" of a whole lead paragraph included
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < length:
        words.append(draw(WORDS))
    glue = draw(st.sampled_from([" ", "", "  "]))
    return glue.join(words)


def article(title: str, published: date | None = None) -> Article:
    return Article(id="c1", title=title, outlet="o", authors=(), published=published, url=None, text=BODY,
                   source="mem")


@PROPERTY
@given(headlines(), st.booleans())
def test_every_embedded_text_fits_the_window_and_passages_stay_distinct(count_tokens, title: str,  # noqa: ANN001
                                                                        dated: bool) -> None:
    config = ChunkConfig(date_in_embedding=dated)
    a = article(title, date(2022, 9, 30) if dated else None)
    passages = chunk_article(a, count_tokens, config)
    texts = [embedding_text(a, p, config) for p in passages]
    for text in texts:
        assert count_tokens(text) + 2 <= config.window_tokens
    # the passages themselves keep most of the window, so their vectors differ
    assert all(count_tokens(p.text) >= 40 for p in passages[:-1])
    assert len(set(texts)) == len(texts) > 1
    prefix = embedding_prefix(a, config)
    assert word_piece_bound(prefix) <= config.title_pieces + 20  # the date ("30 September 2022") and the dots
    assert count_tokens(prefix) <= word_piece_bound(prefix)


@PROPERTY
@given(headlines(), st.integers(1, 200))
def test_the_cap_is_an_upper_bound_of_the_tokenizer_and_keeps_whole_words(count_tokens, title: str,  # noqa: ANN001
                                                                         pieces: int) -> None:
    capped = capped_title(title, pieces)
    assert title.startswith(capped)
    assert count_tokens(capped) <= word_piece_bound(capped) <= pieces
    if word_piece_bound(title) <= pieces:
        assert capped == title
    elif " " in capped and title[len(capped)] != " ":
        # cut at a word boundary: what follows the cut starts a new word
        rest = title[len(capped):]
        assert rest[:1] in " ,;:-–—" or capped[-1] in " ,;:-–—" or rest.lstrip(" ,;:-–—") != rest


def test_real_headlines_are_kept_whole_and_a_long_one_is_cut_at_a_word(count_tokens) -> None:  # noqa: ANN001
    title = "Supreme Court rules on Texas abortion law as clinics wait for a decision"
    assert capped_title(title, ChunkConfig().title_pieces) == title
    assert embedding_prefix(article(title), ChunkConfig()) == title + ". "
    crawled = ("Breaking news live updates: " + "the council met again on Tuesday to discuss the budget, " * 25).strip()
    assert len(crawled) > 1400
    prefix = embedding_prefix(article(crawled), ChunkConfig())
    assert crawled.startswith(prefix[:-2]) and crawled[len(prefix) - 2] == " "
    assert count_tokens(prefix) <= ChunkConfig().title_pieces + 2
    # the bug: every passage of the article was truncated to the same first 256 word pieces
    passages = chunk_article(article(crawled), count_tokens)
    texts = [embedding_text(article(crawled), p, ChunkConfig()) for p in passages]
    assert all(count_tokens(t) + 2 <= 256 for t in texts)
    assert len(passages) >= 2 and len(set(texts)) == len(texts)


def test_headlines_without_spaces_and_hangul_are_capped_by_their_word_pieces(count_tokens) -> None:  # noqa: ANN001
    assert capped_title("東京" * 200, 10) == "東京" * 5
    hangul = capped_title("한국" * 200, 12)
    assert word_piece_bound(hangul) <= 12 and count_tokens(hangul) <= 12 and hangul
    assert capped_title("x" * 500, 8) == "x" * 8  # one endless "word" is cut by characters
