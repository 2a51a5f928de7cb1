"""Quote matching and text-fragment links: normalisation, exact matches with omissions, near duplicates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from corpus.article import Article
from index.library import Library
from index.search.links import fragment_link, text_directive
from index.search.lookup import SourceLookup, locate
from index.search.quote import QuoteFinder, find_exact, normalise, quote_parts
from tests.conftest import SEEDS
from tests.support.e2e_corpus import write_harbour_articles
from tests.support.fakes import HashEncoder

TEXT = "“No one was injured,” state media reported.\n\nThe Kremlin’s spokesman — Dmitry Peskov — said so."


def article(text: str = TEXT) -> Article:
    return Article("c000000000000000", "T", "CNN", ("A",), date(2023, 5, 3), "https://x.test/a", text, "a.txt")


def test_normalise_maps_back_to_original_offsets() -> None:
    norm = normalise(TEXT)
    assert norm.text.startswith("no one was injured state media reported the kremlin s spokesman dmitry")
    start = norm.text.index("dmitry peskov")
    a, b = norm.span(start, start + len("dmitry peskov"))
    assert TEXT[a:b] == "Dmitry Peskov"
    assert normalise("Café  CRÈME").text == "cafe creme"


def test_exact_match_ignores_quote_marks_case_dashes_and_omissions() -> None:
    a = article()
    span = find_exact(quote_parts('"no one was INJURED" state media'), a)
    assert span and TEXT[span[0]:span[1]] == "No one was injured,” state media"
    span = find_exact(quote_parts("the Kremlin's spokesman ... said so"), a)
    assert span and TEXT[span[0]:span[1]] == "The Kremlin’s spokesman — Dmitry Peskov — said so"
    assert find_exact(quote_parts("was injur"), a) is None, "whole words only"


def test_text_fragment_encodes_directive_syntax() -> None:
    assert text_directive("Cats, dogs - and mice & more") == "text=Cats%2C%20dogs%20%2D%20and%20mice%20%26%20more"
    assert fragment_link("https://x.test/a#top", "Short one.") == "https://x.test/a#top:~:text=Short%20one."
    assert fragment_link(None, "x") is None
    loc = locate(article(), TEXT.index("Dmitry"), TEXT.index("Dmitry") + 6)
    assert loc.paragraph_first == 2 and loc.before is not None and loc.after is None
    assert loc.sentence.startswith("The Kremlin’s spokesman") and loc.paragraphs == "paragraph 2 of 2"


def test_lookup_by_passage_id_title_and_quote_with_a_fake_encoder(tmp_path: Path) -> None:
    enc = HashEncoder()
    library = Library(SEEDS, tmp_path / "idx", enc)
    library.build()
    lookup = SourceLookup(library.service)
    [(_, first), *_] = library.service.meta.passages_of(library.service.articles()[0].id)
    assert lookup.lookup(first.id[:6]).kind == "passage"
    title = library.service.articles()[0].title
    found = lookup.lookup(title.upper())
    assert found.kind == "article" and found.location.paragraph_first == 1
    quoted = lookup.lookup("“It's a trick to be expected from our opponents,” he concluded")
    assert quoted.kind == "quote" and quoted.quote.match.kind == "exact"
    assert quoted.location.paragraphs == "paragraph 11 of 12"


@pytest.mark.model
def test_reworded_quotes_match_and_near_duplicates_are_told_apart(tmp_path: Path, encoder) -> None:  # noqa: ANN001
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "seed.txt").write_text((SEEDS / "000_404b26da54f33bfd.txt").read_text(encoding="utf-8"))
    write_harbour_articles(corpus, 6)
    library = Library(corpus, tmp_path / "idx", encoder)
    library.build()
    finder = QuoteFinder(library.service)
    reworded = finder.find("The Russian president wasn't in the building then, said Kremlin spokesman Dmitry Peskov")
    assert reworded.match and reworded.match.kind == "approximate" and reworded.match.meaning > 0.8
    assert library.service.articles()[-1].text[reworded.match.start:].startswith("The Russian president was not")
    near = finder.find("the operator said passengers had waited 5 hours at the harbour terminal")
    assert near.match and near.match.article.title.startswith("Harbour report 3:")
    unrelated = finder.find("The central bank raised interest rates to fight inflation")
    assert unrelated.match is None and len(unrelated.candidates) == 3
    assert all(c.similarity < 0.7 for c in unrelated.candidates)
