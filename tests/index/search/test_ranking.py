"""Fusion, article ranking and diversity: pure arithmetic, checked on numbers."""

from __future__ import annotations

import numpy as np
import pytest

from index.search.ranking import RetrievalConfig, diversify, fuse, rank_articles


def test_score_fusion_is_a_weighted_sum_and_modes_pick_one_side() -> None:
    dense, lexical = np.array([0.8, 0.2]), np.array([0.0, 1.0])
    assert fuse(dense, lexical, RetrievalConfig(dense_weight=0.75)).tolist() == pytest.approx([0.6, 0.4])
    assert fuse(dense, lexical, RetrievalConfig(mode="dense")).tolist() == pytest.approx([0.8, 0.2])
    assert fuse(dense, lexical, RetrievalConfig(mode="lexical")).tolist() == pytest.approx([0.0, 1.0])


def test_rrf_rewards_agreement_between_the_two_sides() -> None:
    dense, lexical = np.array([0.9, 0.8, 0.1]), np.array([0.1, 0.9, 0.8])
    fused = fuse(dense, lexical, RetrievalConfig(fusion="rrf", rrf_k=1))
    assert int(np.argmax(fused)) == 1  # second on one side, first on the other


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        RetrievalConfig(mode="magic")
    with pytest.raises(ValueError, match="dense_weight"):
        RetrievalConfig(dense_weight=1.5)


def test_second_passage_breaks_near_ties_towards_corroborated_articles() -> None:
    rows, scores, owner = [0, 1, 2], [0.60, 0.59, 0.55], ["brief", "article", "article"]
    assert [a for a, _, _ in rank_articles(rows, scores, owner, 0.0)] == ["brief", "article"]
    ranked = rank_articles(rows, scores, owner, 0.1)
    assert [a for a, _, _ in ranked] == ["article", "brief"]
    assert ranked[0][1] == pytest.approx(0.59 + 0.1 * 0.55)
    assert ranked[0][2] == [(1, 0.59), (2, 0.55)]


def test_first_results_come_from_different_articles() -> None:
    articles = rank_articles([0, 1, 2, 3], [0.9, 0.85, 0.8, 0.78], ["a", "a", "b", "c"], 0.0)
    assert diversify(articles, 3, 2, dominance=0.1) == [(0, 0.9), (2, 0.8), (3, 0.78)]
    assert diversify(articles, 4, 2, dominance=0.1)[3] == (1, 0.85)  # a's second passage comes after them
    # without the diversity rule the list would be plain score order
    assert diversify(articles, 3, 2, dominance=-1.0) == [(0, 0.9), (1, 0.85), (2, 0.8)]


def test_a_clearly_dominant_article_keeps_its_second_passage_up_front() -> None:
    articles = rank_articles([0, 1, 2], [0.9, 0.88, 0.5], ["a", "a", "b"], 0.0)
    assert diversify(articles, 3, 2, dominance=0.1) == [(0, 0.9), (1, 0.88), (2, 0.5)]


def test_cap_per_article_and_filling_after_diversity() -> None:
    articles = rank_articles([0, 1, 2, 3], [0.9, 0.8, 0.7, 0.3], ["a", "a", "a", "b"], 0.0)
    assert diversify(articles, 4, 2, dominance=0.1) == [(0, 0.9), (1, 0.8), (3, 0.3)]
    assert diversify(articles, 4, 0, dominance=0.1) == [(0, 0.9), (1, 0.8), (2, 0.7), (3, 0.3)]
    assert diversify(articles, 2, 1, dominance=0.1) == [(0, 0.9), (3, 0.3)]


def test_confidence_rewards_a_clear_lead_and_has_a_floor() -> None:
    from index.search.ranking import confidence

    lead = rank_articles([0, 1], [0.5, 0.3], ["a", "b"], 0.0)
    crowd = rank_articles([0, 1], [0.5, 0.49], ["a", "b"], 0.0)
    assert confidence(lead, 3.0, 0.2) == pytest.approx(0.5 + 3.0 * 0.2)
    assert confidence(crowd, 3.0, 0.2) == pytest.approx(0.5 + 3.0 * 0.01)
    alone = rank_articles([0], [0.15], ["a"], 0.0)
    assert confidence(alone, 3.0, 0.2) == 0.0  # below the floor: never confident, however alone
    assert confidence([], 3.0, 0.2) == 0.0


def test_focus_prior_spares_one_passage_articles() -> None:
    from index.search.ranking import focus_prior

    assert focus_prior(np.array([1, 10]), 0.03).tolist() == pytest.approx([0.0, 0.03 * np.log(10)])


def test_a_strong_match_is_confident_even_among_many_alike() -> None:
    from index.search.ranking import is_confident

    config = RetrievalConfig()
    assert is_confident(0.45, 0.46, config)  # many articles answer alike: no lead, but a strong match
    assert not is_confident(0.30, 0.31, config)  # a middling match in a crowd: nothing reliable
    assert is_confident(0.30, 0.60, config)  # a middling match with a clear lead


def test_recency_prior_grows_with_distance_from_the_reference_day_and_spares_undated() -> None:
    from index.search.ranking import recency_prior

    penalty = recency_prior(np.array([0.0, 7.0, -7.0, 365.0, np.nan]), 0.05, 7.0)
    assert penalty[0] == 0 and penalty[4] == 0
    assert penalty[1] == pytest.approx(0.05 * np.log(2)) and penalty[2] == pytest.approx(penalty[1])
    assert penalty[3] > penalty[1]
    assert not recency_prior(np.array([30.0]), 0.0, 7.0).any()
    with pytest.raises(ValueError, match="recency_days"):
        RetrievalConfig(recency_days=0)


def test_recency_orders_equal_matches_but_leaves_the_confidence_alone() -> None:
    """Two articles match alike; the one from the question's week ranks first, confidence unchanged."""
    from index.search.hybrid import HybridRetriever
    from index.store.vectors import VectorIndex

    vectors = np.eye(4, dtype=np.float32)[[0, 0, 1]]  # rows 0 and 1 identical (articles 0 and 1), row 2 off-topic
    retriever = HybridRetriever(VectorIndex.from_vectors(vectors), None, np.array([0, 1, 2]),
                                article_day=np.array([100.0, 400.0, 400.0]))
    query = np.eye(4, dtype=np.float32)[0]
    dense = RetrievalConfig(mode="dense", focus=0.0, recency=0.05)
    near_old = retriever.rank("q", query, dense, k=2, per_article=1, reference_day=101.0)
    near_new = retriever.rank("q", query, dense, k=2, per_article=1, reference_day=402.0)
    assert [r for r, _ in near_old.rows_scores] == [0, 1] and [r for r, _ in near_new.rows_scores] == [1, 0]
    off = retriever.rank("q", query, RetrievalConfig(mode="dense", focus=0.0), k=2, per_article=1)
    assert near_old.confidence == near_new.confidence == off.confidence
    assert near_old.top_score == pytest.approx(1.0)


def test_questions_are_asked_as_of_today_or_the_newest_article_of_an_older_corpus(tmp_path) -> None:  # noqa: ANN001
    from datetime import date

    from index.library import Library
    from tests.conftest import SEEDS
    from tests.support.fakes import HashEncoder

    library = Library(SEEDS, tmp_path / "idx", HashEncoder())
    library.build()
    service = library.service
    newest = max(a.published for a in service.articles() if a.published)
    assert service.reference_day() == newest.toordinal()  # the seed corpus is older than today
    assert service.reference_day(date(2023, 5, 10)) == date(2023, 5, 10).toordinal()
    # the seed answer stays confident: its article is "today" for an older corpus
    assert service.search("Who does Moscow say flew drones toward the Kremlin?", k=3).hits
