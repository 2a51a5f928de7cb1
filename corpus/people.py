"""Bylines → the people who wrote an article, and what else the byline credits.

One clean-up for every reader (seed headers, JSON Lines `authors`, a page's
author metadata, a feed's `<author>` / `dc:creator`), so the same byline gives
the same names whichever format it arrives in.

Shapes: `read_byline("By Carla Mendes, Sr., and Ivo Petrov")` →
`Byline(names=("Carla Mendes Sr.", "Ivo Petrov"), credits=())`;
`read_authors(["Ana Kowalski, Associated Press"])` →
`Byline(names=("Ana Kowalski",), credits=("Associated Press",))`. Nothing raises:
what is not a person's name goes to `credits` (as written) or, for contact
lines and e-mail addresses, is dropped.

The rules, in order:

1. Text is cleaned as all intake text is (`corpus.text.clean_line`).
2. E-mail addresses are never names. RSS 2.0 defines `<author>` as "the email address
   of the author", written in practice as `address (Name)`: the name in the
   parentheses is kept, as is the name before `<address>`; any other address is removed.
3. Contact lines are dropped: a part after `|` or `•` such as "Contact the reporter",
   "Email the author", "Follow … on Twitter", "Updated 10:30 AM", and @handles and links.
4. Roles split a byline into parts (Reuters style: "Reporting by A; Editing by B").
   Reporting, writing, words, story and text are authorship; editing, photographs,
   graphics, video, compiling, production, translation, research and the like are
   credits, kept whole ("Editing by B").
5. A part's people are separated by commas, "/", "and", "&" and "with". A comma-separated piece
   that is a generational suffix (Jr., Sr., II, III, IV, Esq., … from `nameparser`'s
   list) stays with the name before it: "Carla Mendes, Sr." is one person.
6. A piece is a credit, not a person, when it is a known publisher or news agency
   (`corpus.outlets.known_outlet`), starts with "The" or "From", is a short
   all-capitals acronym (AP, AFP), holds a word that names an organisation or a
   newsroom role (Press Association, news services, staff, wire, desk, bureau,
   writer, correspondent, …), or reads as a phrase rather than a name (a digit, or
   a lower-case word that is not a name particle such as "de", "van", "bin").
   "at" / "for" / "in" + place or outlet after a name ("Jane Roe in Kyiv", "for CNN")
   are not part of the name; the outlet becomes a credit.
7. Each name keeps its own spelling: initials keep their periods ("Tyler G. Jones"),
   suffixes their form. A name written all in capitals or all in lower case is
   capitalised by `nameparser` ("R. J. KESSLER III" → "R. J. Kessler III",
   "JOHN MCDONALD" → "John McDonald").
8. Names are kept once (case-insensitively), in byline order; a name that is only two
   or more of the other names run together ("Ben Morse Issy Ronald", a crawler artefact)
   is dropped.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

from corpus.outlets import known_outlet
from corpus.text import clean_line

_EMAIL = r"(?:mailto:)?[\w.+'-]+@[\w-]+(?:\.[\w-]+)+"
_EMAIL_THEN_NAME = re.compile(rf"<?{_EMAIL}>?\s*\(([^()]*)\)")
_NAME_THEN_EMAIL = re.compile(rf"\s*[<(\[]\s*{_EMAIL}\s*[>)\]]")
_ANY_EMAIL = re.compile(rf"[<(\[]?{_EMAIL}[>)\]]?")
_LINK = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.I)
_HANDLE = re.compile(r"(?<![\w@])@\w{1,30}\b")
_SEGMENTS = re.compile(r"\s*(?:[;|•\n]|\s[-–—·]\s)\s*")  # a spaced "·" only: Catalan names hold "l·l"
_CONTACT = re.compile(
    r"^(?:contact|e-?mail|message|write to|reach|follow|view (?:all|more)|more (?:from|by|stories|articles)|"
    r"read more|see more|updated|published|posted|last updated|twitter|x|facebook|instagram|bluesky|threads|"
    r"linkedin|mastodon|tel|phone|call)\b", re.I)
_CONTACT_TAIL = re.compile(
    r"\s+(?:(?:contact|e-?mail|message|write to|reach)\s+(?:the\s+|this\s+)?(?:reporter|author|writer|journalist|"
    r"editor|me|him|her|them)|follow\s+(?:\S+\s+){0,3}on\s+(?:twitter|x|facebook|instagram|bluesky|threads))\b.*$",
    re.I)
_AUTHOR_ROLES = ("reporting", "reported", "writing", "written", "words", "story", "text")
_ROLE = re.compile(
    r"(?:^|(?<=[\s,.(]))(?:(?:with|and|plus|&)\s+)?(?P<role>(?:additional\s+)?"
    r"(?:reporting|reported|writing|written|words|story|text|editing|edited|compiled|compilation|"
    r"photographs?|photos?|photography|pictures?|images?|graphics?|illustrations?|illustrated|videos?|"
    r"produced|production|design(?:ed)?|translated|translation|fact[- ]?check(?:ed|ing)?|research(?:ed)?|"
    r"interactive|data|animation|art direction|sub-?edited|curated))\s+by\b:?\s*", re.I)
_LEADING_BY = re.compile(r"^by\b\s*:?\s*", re.I)
_LOOSE_AND = re.compile(r"^(?:and|&)(?:\s+|$)|\s+(?:and|&)$|^&|&$", re.I)
_SPLIT_PEOPLE = re.compile(r"\s+(?:and|with)\s+|\s*&\s*", re.I)
_AFFILIATION = re.compile(r"\s+(?P<link>for|at|of)\s+(?P<outlet>(?:the\s+)?[A-Z][\w.'&-]*(?:\s+[A-Z&][\w.'&-]*)*)$")
_PLACE = re.compile(r"\s+in\s+[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*$")
_ORG_WORDS = {
    "associated", "agence", "presse", "france-presse", "press-association", "news", "newspaper", "newspapers",
    "times", "journal", "gazette", "tribune", "magazine", "radio", "television", "tv", "media", "network",
    "broadcasting", "broadcast", "corporation", "corp", "inc", "ltd", "llc", "plc", "group", "agency", "agencies",
    "service", "services", "wire", "wires", "reports", "staff", "newsroom", "desk", "bureau", "team", "board",
    "editors", "editorial", "editor", "contributors", "contributor", "contributing", "writer", "writers",
    "reporter", "reporters", "correspondent", "correspondents", "columnist", "columnists", "producer",
    "producers", "photographer", "photographers", "critic", "analyst", "intern", "special", "online",
}
_PARTICLES = {"de", "da", "das", "do", "dos", "di", "du", "del", "della", "der", "den", "la", "le", "van", "von",
              "ter", "ten", "bin", "ibn", "bint", "al", "el", "y", "e", "zu", "af", "av", "st.", "mc", "mac", "ap"}


@dataclass(frozen=True)
class Byline:
    """What a byline says: the people who wrote the article, and everything else it credits.

    Attributes:
        names: one clean name per person, in byline order, each once.
        credits: the rest, as written: agencies and outlets ("Associated Press"), other roles
            ("Editing by B", "Photographs by C"), newsroom credits ("Staff and news services").
    """

    names: tuple[str, ...] = ()
    credits: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.names or self.credits)


@functools.cache
def _suffixes() -> frozenset[str]:
    """Generational and honorific suffixes that follow a name ("Jr", "III", "Esq"), from nameparser's list.

    Only the non-acronym list: nameparser's acronym suffixes (degrees, orders: "ABC", "AM") would
    swallow agencies and outlets written after a comma.
    """
    from nameparser.config import CONSTANTS  # imported here: only readers need it

    return frozenset(s for s in CONSTANTS.suffix_not_acronyms if s.isascii() and s.isalnum()) | {"phd", "md"}


def _is_suffix(piece: str) -> bool:
    return piece.replace(".", "").strip().lower() in _suffixes()


def _capitalised(name: str) -> str:
    """A name written all in capitals or all in lower case, capitalised by nameparser; any other as written."""
    letters = [c for c in name if c.isalpha()]
    if not letters or not (all(c.isupper() for c in letters) or all(c.islower() for c in letters)):
        return name
    from nameparser import HumanName  # imported here: only readers need it

    parsed = HumanName(name)
    parsed.capitalize(force=True)
    return str(parsed) or name


def _strip_name(piece: str) -> str:
    piece = _LEADING_BY.sub("", piece.strip())
    piece = _LOOSE_AND.sub("", piece.strip(" \t,;:-–—()[]{}\"'“”‘’*")).strip()
    piece = piece.strip(" \t,;:-–—()[]{}\"'“”‘’*")
    words = piece.split()
    if piece.endswith(".") and words and len(words[-1].rstrip(".")) > 2 and not _is_suffix(words[-1]):
        piece = piece[:-1]  # a sentence's full stop, not an initial's or a suffix's period
    return piece


def _is_credit(piece: str) -> bool:
    """True when a piece of a byline names an organisation, a newsroom role or a phrase, not a person."""
    words = piece.split()
    if not words:
        return False
    if known_outlet(piece) or words[0].lower() in ("the", "from"):
        return True
    if len(words) == 1 and 2 <= len(piece) <= 5 and piece.isalpha() and piece.isupper():
        return True
    lowered = {w.lower().strip(".,:()") for w in words}
    if lowered & _ORG_WORDS or any(c.isdigit() for c in piece):
        return True
    mixed = any(c.isupper() for c in piece)
    return mixed and any(not _name_word(w) for w in words)


def _name_word(word: str) -> bool:
    """A word that can be part of a name: capitalised, a particle ("de", "van", "bin"), or with a capital
    inside ("al-Baghdadi", "d'Souza"); not a lower-case common word ("is", "to", "the")."""
    return (not word[0].isalpha() or not word[0].islower() or word.lower() in _PARTICLES
            or any(c.isupper() for c in word))


def _people(part: str) -> tuple[list[str], list[str]]:
    """The names and credits of a part of a byline that has no role phrase (or an authorship role)."""
    part = _LEADING_BY.sub("", part.strip())
    if not part:
        return [], []
    split: list[str] = []
    for piece in re.split(r"\s*,\s*|(?<=\w)\s*/\s*(?=\w)", part):
        for item in _SPLIT_PEOPLE.split(_LOOSE_AND.sub("", piece.strip())):
            if not item.strip():
                continue
            if split and _is_suffix(item):  # "Carla Mendes, Sr." and "Ada Byrne, Jr. & Leo Marsh": one person
                split[-1] = f"{split[-1]} {item.strip()}"
            else:
                split.append(item)
    names: list[str] = []
    credits: list[str] = []
    for piece in split:
        piece = _strip_name(piece)
        if not piece:
            continue
        affiliation = _AFFILIATION.search(piece)
        if affiliation and not _is_credit(piece[: affiliation.start()]):
            credits.append(_strip_name(affiliation["outlet"]))
            piece = piece[: affiliation.start()]
        piece = _strip_name(_PLACE.sub("", piece))
        if not piece:
            continue
        if _is_credit(piece):
            credits.append(piece)
        else:
            names.append(_capitalised(piece))
    if credits and not names:
        return [], [_strip_name(part)]  # "Staff and news services": one credit, as written
    return names, credits


def _run_together(name: str, others: list[str]) -> bool:
    """True when `name`'s words are two or more of `others` one after another ("Ben Morse Issy Ronald")."""
    words = name.casefold().split()
    known = {tuple(o.casefold().split()) for o in others if o.casefold() != name.casefold()}
    reach = {0: 0}  # word position → how many names reach it
    for start in range(len(words)):
        if start not in reach:
            continue
        for end in range(start + 1, len(words) + 1):
            if tuple(words[start:end]) in known:
                reach[end] = max(reach.get(end, 0), reach[start] + 1)
    return reach.get(len(words), 0) >= 2


def _finish(names: list[str], credits: list[str]) -> Byline:
    unique = list({n.casefold(): n for n in reversed(names)}.values())[::-1]
    kept = tuple(n for n in unique if not _run_together(n, unique))
    credit_keys = {n.casefold() for n in kept}
    kept_credits = tuple(dict.fromkeys(c for c in credits if c and c.casefold() not in credit_keys))
    return Byline(kept, kept_credits)


def _byline_parts(raw: str) -> tuple[list[str], list[str]]:
    text = clean_line(raw)
    text = _EMAIL_THEN_NAME.sub(r" \1 ", text)
    text = _NAME_THEN_EMAIL.sub(" ", text)
    text = _ANY_EMAIL.sub(" ", text)
    text = _LINK.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    names: list[str] = []
    credits: list[str] = []
    for segment in _SEGMENTS.split(text):
        segment = _CONTACT_TAIL.sub("", segment.strip(" ,;"))
        if not segment or _CONTACT.match(segment):
            continue
        roles = list(_ROLE.finditer(segment))
        cuts = [(m.start(), m.end(), m["role"]) for m in roles]
        head = segment[: cuts[0][0]] if cuts else segment
        found, credited = _people(head)
        names += found
        credits += credited
        for number, (start, end, role) in enumerate(cuts):
            rest = segment[end: cuts[number + 1][0] if number + 1 < len(cuts) else len(segment)]
            if role.split()[-1].lower() in _AUTHOR_ROLES:
                found, credited = _people(rest)
                names += found
                credits += credited
            elif _strip_name(rest):
                credits.append(f"{role[0].upper()}{role[1:]} by {_strip_name(rest)}")
    return names, credits


def read_byline(raw: str) -> Byline:
    """The people and credits of one byline string (see the module docstring for the rules)."""
    names, credits = _byline_parts(raw)
    return _finish(names, credits)


def read_authors(value: object) -> Byline:
    """Authors as records and pages give them: a byline string, a list of names or bylines, or a JSON-encoded list.

    Each string goes through `read_byline`, so a list element may itself hold several people
    or a credit ("Ana Kowalski, Associated Press"). None, "" and [] give an empty `Byline`.

    Raises:
        ValueError: `value` is neither a string nor a list of strings (a number, an object).
    """
    if value is None:
        return Byline()
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError:
                value = stripped.strip("[]")
        if isinstance(value, str):
            return read_byline(value)
    if isinstance(value, (list, tuple)):
        names: list[str] = []
        credits: list[str] = []
        for item in value:
            if isinstance(item, dict):  # schema.org style {"name": …}
                item = item.get("name")
            if item is None:
                continue
            if not isinstance(item, str):
                raise ValueError(f"authors must be names, not {type(item).__name__} {item!r}")
            found, credited = _byline_parts(item)
            names += found
            credits += credited
        return _finish(names, credits)
    raise ValueError(f"authors must be a list of names or a string, not {type(value).__name__}")


def merge(*bylines: Byline) -> Byline:
    """Several bylines as one (names and credits each kept once, in order)."""
    return _finish([n for b in bylines for n in b.names], [c for b in bylines for c in b.credits])
