"""Bylines → a list of people (and what else they credit), the same through every reader."""

from __future__ import annotations

import json

import pytest

from corpus.people import Byline, read_authors, read_byline
from corpus.readers.html import article_from_html
from corpus.readers.jsonl import record_to_article
from corpus.readers.seed import parse_seed


@pytest.mark.parametrize(("byline", "names", "credits"), [
    # suffixes stay with their name; initials keep their periods
    ("By Carla Mendes, Sr., and Ivo Petrov", ("Carla Mendes Sr.", "Ivo Petrov"), ()),
    ("R. J. Kessler III", ("R. J. Kessler III",), ()),
    ("Tyler G. Jones", ("Tyler G. Jones",), ()),
    ("By Ada Byrne, Jr. & Leo Marsh, II", ("Ada Byrne Jr.", "Leo Marsh II"), ()),
    ("Hana Ito, Esq., Omar Haddad and Li Wei", ("Hana Ito Esq.", "Omar Haddad", "Li Wei"), ()),
    ("By A.J. Pierce and J. R. R. Tolkien", ("A.J. Pierce", "J. R. R. Tolkien"), ()),
    # credit lines are not people
    ("Compiled by staff", (), ("Compiled by staff",)),
    ("From wire services", (), ("From wire services",)),
    ("Staff and news services", (), ("Staff and news services",)),
    ("By Staff", (), ("Staff",)),
    ("Photographs by Lynsey Addario", (), ("Photographs by Lynsey Addario",)),
    ("Reporting by Jane Roe; Editing by Mark Heinrich", ("Jane Roe",), ("Editing by Mark Heinrich",)),
    ("Reporting by Andrea Shalal in Washington and David Lawder in Nusa Dua; Additional reporting by Bo Chan; "
     "Writing by Kim Lee; Editing by Chris Reese and Sonali Paul",
     ("Andrea Shalal", "David Lawder", "Bo Chan", "Kim Lee"), ("Editing by Chris Reese and Sonali Paul",)),
    ("Text by Jane Roe. Photographs by John Doe. Video by Sam Poe", ("Jane Roe",),
     ("Photographs by John Doe", "Video by Sam Poe")),
    ("Jane Roe and John Doe, with additional reporting by Bo Chan", ("Jane Roe", "John Doe", "Bo Chan"), ()),
    ("By Jane Roe | Contact the reporter", ("Jane Roe",), ()),
    ("By Jane Roe Email the author", ("Jane Roe",), ()),
    ("Jane Roe | Follow Jane on Twitter | @janeroe", ("Jane Roe",), ()),
    ("By Jane Roe • Updated 10:30 AM ET, Tue March 5, 2024", ("Jane Roe",), ()),
    # an outlet after a comma is a credit
    ("By Ana Kowalski, Associated Press", ("Ana Kowalski",), ("Associated Press",)),
    ("By Ana Kowalski, AFP", ("Ana Kowalski",), ("AFP",)),
    ("Ana Kowalski, The Denver Post", ("Ana Kowalski",), ("The Denver Post",)),
    ("Ana Kowalski for The Guardian", ("Ana Kowalski",), ("The Guardian",)),
    ("By Jane Roe, Staff Writer", ("Jane Roe",), ("Staff Writer",)),
    ("By Jane Roe, Special to The Post", ("Jane Roe",), ("Special to The Post",)),
    ("The Associated Press", (), ("The Associated Press",)),
    # RSS 2.0 <author> is an e-mail address; the name is in the parentheses
    ("newsroom@example.org (Ada Byrne)", ("Ada Byrne",), ()),
    ("newsroom@example.org (Ada Byrne and Leo Marsh)", ("Ada Byrne", "Leo Marsh"), ()),
    ("Ada Byrne <ada.byrne@example.org>", ("Ada Byrne",), ()),
    ("ada.byrne@example.org", (), ()),
    ("By Ada Byrne (ada@example.co.uk) and mailto:leo@example.org", ("Ada Byrne",), ()),
    # capitals: one spelling whatever the byline's case
    ("By R. J. KESSLER III and TYLER G. JONES", ("R. J. Kessler III", "Tyler G. Jones"), ()),
    ("BY JOHN MCDONALD & MARY-KATE O'NEIL", ("John McDonald", "Mary-Kate O'Neil"), ()),
    ("jane roe", ("Jane Roe",), ()),
    ("José da Silva and Ana de la Cruz", ("José da Silva", "Ana de la Cruz"), ()),
    ("DeShawn McAllister", ("DeShawn McAllister",), ()),
    ("Abu Bakr al-Baghdadi and Leila d'Souza", ("Abu Bakr al-Baghdadi", "Leila d'Souza"), ()),
    ("By Jane Roe with John Doe", ("Jane Roe", "John Doe"), ()),
    ("By Jane Roe/AP", ("Jane Roe",), ("AP",)),
    ("Jane Roe, AP/Reuters", ("Jane Roe",), ("AP", "Reuters")),
    ("Jane Roe of Example News", ("Jane Roe",), ("Example News",)),
    ("Marcel·lí Puig · Contact the reporter", ("Marcel·lí Puig",), ()),
    # each person once
    ("Jane Roe, JANE ROE and Jane Roe", ("Jane Roe",), ()),
    ("", (), ()),
])
def test_read_byline(byline: str, names: tuple[str, ...], credits: tuple[str, ...]) -> None:
    assert read_byline(byline) == Byline(names, credits)


def test_lists_json_encoded_lists_and_schema_org_objects() -> None:
    assert read_authors(["Ann"]) == Byline(("Ann",))
    assert read_authors('["JANE ROE", "By John Doe, Reuters"]') == Byline(("Jane Roe", "John Doe"), ("Reuters",))
    assert read_authors([{"@type": "Person", "name": "Ada Byrne"}, None]) == Byline(("Ada Byrne",))
    assert read_authors(["newsroom@example.org (Ada Byrne and Leo Marsh)"]) == Byline(("Ada Byrne", "Leo Marsh"))
    assert read_authors(None) == read_authors("") == read_authors([]) == Byline()
    with pytest.raises(ValueError, match="list of names or a string"):
        read_authors(3)


def test_names_run_together_by_a_crawler_are_dropped() -> None:
    assert read_authors(["Ben Morse Issy Ronald", "Ben Morse", "Issy Ronald"]).names == ("Ben Morse", "Issy Ronald")
    assert read_authors(["Holly Yan Aya Elamroussi", "Holly Yan"]).names == ("Holly Yan Aya Elamroussi", "Holly Yan")


BYLINES = ["Carla Mendes, Sr., and Ivo Petrov", "R. J. KESSLER III and Tyler G. Jones", "Ana Kowalski, Associated Press",
           "Reporting by Jane Roe; Editing by Mark Heinrich"]


@pytest.mark.parametrize("byline", BYLINES)
def test_the_same_byline_gives_the_same_names_through_every_reader(byline: str) -> None:
    expected = read_byline(byline)
    seed = parse_seed(f"date 2024-01-02 By {byline}, Example News\n\nBody of the story.", "x.txt")
    as_string = record_to_article({"text": "Body.", "authors": f"By {byline}"}, "x.jsonl", 1)
    as_list = record_to_article({"text": "Body.", "authors": [byline]}, "x.jsonl", 2)
    paragraphs = ("<p>A long first paragraph of the story, with enough words in it to count as the body of the "
                  "article for the extractor.</p><p>A second paragraph of the story follows here.</p>")
    meta = article_from_html(f"<html><head><title>T</title><meta name='author' content=\"{byline}\"></head>"
                             f"<body><article><h1>T</h1>{paragraphs}</article></body></html>", "x.html")
    ld = json.dumps({"@type": "NewsArticle", "author": [{"@type": "Person", "name": byline}]})
    json_ld = article_from_html(f"<html><head><title>T</title><script type='application/ld+json'>{ld}</script>"
                                f"</head><body><article><h1>T</h1>{paragraphs}</article></body></html>", "y.html")
    visible = article_from_html(f"<html><head><title>T</title></head><body><article><h1>T</h1>"
                                f"<p class='byline'>By {byline}</p>{paragraphs}</article></body></html>", "z.html")
    for article in (seed, as_string, as_list, meta, json_ld):
        assert (article.authors, article.credits) == (expected.names, expected.credits)
    assert visible.authors == expected.names  # trafilatura's byline, its spelling restored from the page


def test_credits_survive_a_saved_record() -> None:
    from corpus.sources.records import article_record

    article = record_to_article({"text": "Body.", "authors": "By Ana Kowalski, Associated Press",
                                 "credits": ["Photographs by Lynsey Addario"]}, "x.jsonl", 1)
    assert article.credits == ("Associated Press", "Photographs by Lynsey Addario")
    again = record_to_article(json.loads(json.dumps(article_record(article))), "y.jsonl", 1)
    assert (again.authors, again.credits) == (("Ana Kowalski",), article.credits)


def test_json_ld_authors_organisations_and_entities() -> None:
    ld = json.dumps({"@context": "https://schema.org", "@graph": [
        {"@type": ["NewsArticle"], "@id": "#story", "author": [
            {"@type": "Person", "name": "Mary-Kate O&#39;Neil"}, {"@id": "#wire"}], "publisher": {"@id": "#wire"}},
        {"@type": "NewsMediaOrganization", "@id": "#wire", "name": "Example Wire"}]})
    paragraphs = ("<p>A long first paragraph of the story, with enough words in it to count as the body of the "
                  "article for the extractor.</p><p>A second paragraph of the story follows here.</p>")
    article = article_from_html(f"<html><head><title>T</title><meta name='author' content='Not Used'>"
                                f"<script type='application/ld+json'>{ld}</script></head><body><article><h1>T</h1>"
                                f"{paragraphs}</article></body></html>", "x.html")
    assert article.authors == ("Mary-Kate O'Neil",) and article.credits == ("Example Wire",)
    assert article.outlet == "Example Wire"
