"""Pages with no article (sign-in forms, menus, section fronts) are skipped with a reason, quietly."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from corpus.readers.html import UnextractableHtml, article_from_html
from corpus.readers.loader import load_corpus

LOGIN = """<html><head><title>Login</title></head><body><header><a href="/">Daily Example</a></header>
<main><h1>Sign in</h1><form><label>Email</label><input type="email" name="e">
<label>Password</label><input type="PASSWORD" name="p"><button>Log in</button></form>
<p>Forgot your password? Reset it here. New to Daily Example? Create an account to keep reading.</p></main>
</body></html>"""

NAVIGATION = "<html><head><title>Sections</title></head><body><main><h1>Sections</h1><ul>" + "".join(
    f"<li><p>{name}</p></li>" for name in ("World", "Politics", "Business", "Technology", "Science", "Health",
                                           "Sport", "Culture", "Opinion", "Weather", "Travel", "Food")
) + "</ul></main></body></html>"

PLACEHOLDER = "<html><body><main><p>Coming soon.</p></main></body></html>"

BRIEF = """<html><head><title>Ferry returns</title></head><body><article><h1>Ferry returns</h1>
<p>The island ferry returned to service on Monday after three weeks of repairs to its engine, the operator said,
and the first crossing left on time with forty passengers aboard.</p></article></body></html>"""


@pytest.mark.parametrize(("page", "reason"), [
    (LOGIN, "a sign-in form"), (NAVIGATION, "a list of links"), (PLACEHOLDER, "only 2 word(s) of text"),
])
def test_a_page_without_an_article_is_refused_with_its_reason(page: str, reason: str) -> None:
    with pytest.raises(UnextractableHtml, match=re.escape(f"the page holds no article: {reason}")):
        article_from_html(page, "page.html")


def test_a_short_news_brief_is_still_an_article() -> None:
    article = article_from_html(BRIEF, "brief.html")
    assert article.title == "Ferry returns" and "forty passengers" in article.text


def test_a_folder_skips_them_once_each_without_trafilatura_noise(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "login.html").write_text(LOGIN, encoding="utf-8")
    (tmp_path / "sections.html").write_text(NAVIGATION, encoding="utf-8")
    (tmp_path / "brief.html").write_text(BRIEF, encoding="utf-8")
    with caplog.at_level(logging.DEBUG):
        report = load_corpus(tmp_path)
    assert [a.title for a in report.articles] == ["Ferry returns"]
    assert sorted(Path(p.message.split(":")[0]).name for p in report.skipped) == ["login.html", "sections.html"]
    assert not [r for r in caplog.records if r.name.startswith("trafilatura") and r.levelno >= logging.ERROR]
