"""Pattern rules over raw text: name phrases, organizations by head word, funds, projects, roles.

Every finder returns `Cand`s with character offsets into the text it was given. The knowledge the
rules use (head words, role titles, known organizations) comes from the gazetteer's data files.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from kg.gazetteer import Gazetteer, fold, key

CAP = r"(?:[A-ZÁÉÍÓÚÑÜ][\w’'\-.]*[\w]|[A-Z]|\d+)"
_CONNECT = {"of", "for", "on", "and", "the", "de", "del", "la", "las", "los", "y", "in", "to", "against", "with", "their", "its", "at", "by", "&"}
# A number after these is a count ("in 25 shelters", "to 3,000 families"), not part of a name ("Plan for 2030").
_BEFORE_COUNT = {"in", "to", "with", "at", "against"}
_WORD = re.compile(r"[\w][\w’'\-.&]*[\w]|[\w&]")
PROJECT_WORDS = ("project", "programme", "program", "initiative")
_PROJECT_RE = "|".join(PROJECT_WORDS)
# Government bodies get the country they belong to in their name ("… of El Salvador").
GOVERNMENT_HEADS = {"ministry", "vice-ministry", "vice ministry", "viceministry", "secretariat", "undersecretariat",
                    "under-secretariat", "presidency", "directorate", "government", "national council", "congress",
                    "national assembly", "legislative assembly", "national police", "supreme court", "ombudsman"}


@dataclass
class Cand:
    """A candidate mention before overlaps are resolved."""

    start: int
    end: int
    cls: str
    label: str
    method: str
    confidence: float
    attrs: dict = field(default_factory=dict)


@lru_cache(maxsize=4)  # several rules ask for the runs of the same document text
def name_runs(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of capitalised phrases, with the lowercase connectors names contain ("Council for the …")."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    runs: list[tuple[int, int]] = []
    i = 0  # the first word not in a run yet
    # A run starts at a capitalised word (as _is_cap, inlined: most words are not)
    for c in [c for c, (s, e) in enumerate(words) if text[s].isupper() or (text[s].isdigit() and e - s <= 6)]:
        if c < i:
            continue
        s, e = words[c]
        i = j = c
        k = i + 1
        while k < len(words):
            gap = text[words[k - 1][1] : words[k][0]]
            if gap not in (" ", "-") and not (gap == "’s " or gap == "'s "):
                break
            w = text[words[k][0] : words[k][1]]
            if _is_cap(w) and not (w[:1].isdigit() and k > j + 1 and text[words[k - 1][0]:words[k - 1][1]] in _BEFORE_COUNT):
                j = k
                k += 1
            elif w in _CONNECT and k + 1 < len(words):
                k += 1
            else:
                break
        runs.append((s, words[j][1]))
        i = j + 1
    return tuple(runs)


def _is_cap(word: str) -> bool:
    return word[:1].isupper() or (word[:1].isdigit() and len(word) <= 6)


_AND_THE = re.compile(r",\s+|\s+(?:and|with)\s+the\s+")  # "IOM Guatemala with the Ministry of X (MX)"
_AND = re.compile(_AND_THE.pattern + r"|\s+and\s+(?=[A-Z][\w]+\s+(?:of|for)\b)")


def split_coordination(text: str, start: int, end: int, *, strong: bool = False) -> list[tuple[int, int]]:
    """A run like "Ministry of X and the Ministry of Y" split at " and the " / ", " (and, unless `strong`, at
    " and " before "Word of/for": "Ministry of X and Ministry of Y", but also "Council for the Protection and
    Development of Migrants", which only a head word tells apart)."""
    parts: list[tuple[int, int]] = []
    pos = start
    for m in (_AND_THE if strong else _AND).finditer(text[start:end]):
        parts.append((pos, start + m.start()))
        pos = start + m.end()
    parts.append((pos, end))
    return [(s, e) for s, e in parts if e > s]


def strip_article(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without a leading article, or a sentence's opening words ("According to the", "Thanks to")."""
    m = re.match(r"(?:(?:According|Thanks|Due|Prior|Further)\s+to\s+)?(?:the|The|a|A|an|An)\s+|(?:According|Thanks)\s+to\s+",
                 text[start:end])
    return (start + m.end(), end) if m else (start, end)


_TO_PLACE = re.compile(r"\s+(?:to|in)\s+")


_OF_THE_BODY = re.compile(r"(?<=\w)\s+of\s+the\s+(?=(?:Ministry|Secretariat|Presidency|Office of the President)\b)")


def head_orgs(text: str, gaz: Gazetteer) -> list[Cand]:
    """Organizations named by a head word: "Ministry of Foreign Affairs", "National Council for …".

    The name is the head word, the capitalised words right before it, and what follows it with
    "of/for/the …" ("Director of the Guatemalan Migration Institute" gives "Guatemalan Migration Institute").
    """
    head_re = head_regex(gaz)
    out: list[Cand] = []
    for rs, re_ in name_runs(text):
        for s, e in split_coordination(text, rs, re_):
            s, e = strip_article(text, s, e)
            phrase = text[s:e]
            m = head_re.search(phrase)
            if not m:
                continue
            role = role_re(gaz).search(phrase)
            if role and m.start() < role.end():
                continue  # "IOM Chief of Mission": a role, not an organization ("… Coordinator's Office" is one)
            # Walk back from the head over capitalised words only (connectors end the walk).
            words = [(w.start(), w.end()) for w in _WORD.finditer(phrase[: m.start()])]
            start = m.start()
            for ws, we in reversed(words):
                word = phrase[ws:we]
                if not _is_cap(word) or phrase[we:start].strip(" ’'s") not in ("", "-"):
                    break
                start = ws
            name = phrase[start:]
            name = re.sub(r"(?:\s+(?:of|for|and|the|in|to|on|at|with))+$", "", name)
            to = _TO_PLACE.search(name)
            if to and key(name[:to.start()]) in gaz.org_index:  # "(Ambassador of the) European Union to Ecuador"
                name = name[:to.start()]
            if len(name.split()) < 2 and not name.isupper():
                continue
            ns = s + start
            if ns + len(name) == e and re.search(r"\s(?:of|for)\s", name):
                name += _listed_subjects(text, e, gaz, head_re)  # "Ministry of Inclusion, Social Security and Migration"
            cls = gaz.org_heads.get(m.group(0), "Organization")
            # "Vice Ministry for X of the Ministry of Foreign Affairs": two bodies, the second one named after "of the".
            inner = _OF_THE_BODY.search(name)
            if inner:
                tail = name[inner.end():]
                out.append(Cand(ns + inner.end(), ns + len(name), "Organization", tail, "rule:org-head", 0.8,
                                {"head": tail.split()[0]}))
                name = name[:inner.start()]
            out.append(Cand(ns, ns + len(name), cls, name, "rule:org-head", 0.8, {"head": m.group(0)}))
    return out


# What a body's name goes on with after a comma: "Ministry of Labour[, Employment and Social Security]" (each item
# one to three capitalised words, the list closed by "and").
_SUBJECT_LIST = re.compile(r"(?:,\s[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+(?:\s[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+){0,2})+,?\s+and\s+"
                           r"[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+(?:\s[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+){0,2}(?![\w’'\-])")


def _listed_subjects(text: str, end: int, gaz: Gazetteer, head_re: re.Pattern) -> str:
    """The rest of a body's name listed after `end` ("…, Social Security and Migration"), or "" when the items are
    places, known organizations, title words or other bodies ("Ministry of Health, Education and UNICEF": none)."""
    m = _SUBJECT_LIST.match(text, end)
    if not m:
        return ""
    items = [w.strip() for w in re.split(r",\s|,?\s+and\s+", m.group(0)) if w.strip()]
    for item in items:
        if gaz.is_place(item) or key(item) in gaz.org_index or head_re.search(item) or role_re(gaz).search(item) \
                or any(gaz.is_place(w) or w in gaz.acronyms for w in item.split()):
            return ""
    return m.group(0)


def _list_named_body(text: str, runs: tuple[tuple[int, int], ...], s: int, e: int, gaz: Gazetteer) -> int:
    """Where the name of a body that lists its subjects starts, if the name ending at `e` is its last item
    ("Ministry of Agriculture, Livestock and Food"); else `s`."""
    head_re = head_regex(gaz)
    i = bisect.bisect_left(runs, (s, -1))
    for rs, re_ in reversed(runs[max(0, i - 5):i]):
        rs, re_ = strip_article(text, *split_coordination(text, rs, re_, strong=True)[-1])
        if head_re.search(text, rs, re_) and re.search(r"\s(?:of|for)\s", text[rs:re_]) and \
                re_ + len(_listed_subjects(text, re_, gaz, head_re)) == e:
            return rs
    return s


_CURRENCIES = {"USD", "EUR", "GBP", "CAD", "CHF", "JPY", "MXN", "GTQ", "HNL", "SVC", "COP", "AUD", "SEK", "NOK", "DKK"}
_ACRONYM_DEF = re.compile(r"\(([A-Z][A-Za-z0-9&\-]{1,14})\)")


def acronym_definitions(text: str, gaz: Gazetteer | None = None) -> list[tuple[int, int, int, int]]:
    """(long start, long end, acronym start, acronym end) for "Long Name (ACR)" in the text; with `gaz`, a body's name
    that lists its subjects is whole ("Ministry of Agriculture, Livestock and Food (MAGA)", see _listed_subjects)."""
    out = []
    runs = name_runs(text)
    for m in _ACRONYM_DEF.finditer(text):
        acronym = m.group(1)
        if sum(ch.isupper() for ch in acronym) < 2 or acronym in _CURRENCIES:
            continue
        before = text[: m.start()].rstrip()
        run = next(((s, e) for s, e in runs if e == len(before)), None)
        if run is None:
            continue
        s, e = strip_article(text, *split_coordination(text, *run, strong=True)[-1])  # "X and the Institute of Y (IY)"
        if gaz is not None and text[max(0, s - 2):s] == ", ":
            s = _list_named_body(text, runs, s, e, gaz)
        # "… Fund (PBF)" after "the United Nation’s": keep the whole possessive run.
        out.append((s, e, m.start(1), m.end(1)))
    return out


_FUND = re.compile(
    rf"\b((?:{CAP}(?:’s|'s)?\s+){{0,6}}?(?:[\w\-]+\s+)?(?:Trust Fund|Fund|Facility|Pooled Fund|Window))\b"
)


_FUND_HEAD = re.compile(r"\b(Trust Fund|Fund|Facility|Pooled Fund)\b")


def funds(text: str, gaz: Gazetteer) -> list[Cand]:
    """Named funds and facilities: "IOM Development Fund", "IOM's 1035 Facility"."""
    out = []
    runs = [(rs, re_) for rs, re_ in name_runs(text) if _FUND_HEAD.search(text, rs, re_)]
    for s, e in (part for rs, re_ in runs for part in split_coordination(text, rs, re_)):
        s, e = strip_article(text, s, e)  # "IOM Guatemala and the United Nations Children's Fund": two names
        phrase = text[s:e]
        m = _FUND_HEAD.search(phrase)
        if not m or len(phrase[: m.end()].split()) < 2:
            continue
        phrase = phrase[: m.end()]
        known = gaz.org_index.get(fold(phrase))
        if known and known.cls != "FundingSource":
            continue  # UNICEF, IMF …: organizations although "Fund" is in their name
        label = re.sub(r"^(.+?)(?:’s|'s)\s+", r"\1 ", phrase)
        out.append(Cand(s, s + len(phrase), "FundingSource", label, "rule:fund-head", 0.85))
    return out


_NAMED_PROJECT = re.compile(
    rf"(?<![\w])((?:{CAP})(?:(?:-|[^\S\n]+)(?:{CAP}|of|for|the|in|and|to|on|de|del|la|y|at)){{0,14}}?)"
    rf"[^\S\n]+({_PROJECT_RE}|Project|Programme|Program|Initiative)\b"  # a name is on one line
)
_QUOTED_PROJECT = re.compile(
    rf"\b(?:{_PROJECT_RE})\b,?\s+(?:(?:called|entitled|titled|named|known as)\s+)?[\"“]([^\"”]{{4,150}})[\"”]"
    rf"|[\"“]([^\"”]{{4,150}})[\"”](?:\s*\([^)]{{1,60}}\))?,?\s+"
    rf"(?:(?:a|an|the|(?:[A-Z][\w\-]*\s+){{0,3}}[A-Z][\w\-]*(?:’s|'s))\s+(?:new\s+)?(?:[\w\-–]+\s+){{0,2}})?(?:{_PROJECT_RE}|scheme)\b",
    re.I,
)
_QUOTED_TRANSLATED = re.compile(r"[\"“]([^\"”\n]{3,60})[\"”]\s*\([A-Z][^()\n]{2,60}\)")
_ROLE_AFTER = re.compile(r"\s+(?:coordinator|officer|manager|director|assistant|staff|team|site|area|document|"
                         r"proposal|cycle|management|portfolio|partners?|beneficiar(?:y|ies)|activities)\b", re.I)
_NOT_PROJECT_NAME = {"the", "this", "that", "a", "an", "new", "pilot", "said"}


def named_projects(text: str, gaz: Gazetteer) -> list[Cand]:
    """Projects with a name: "the Return and Reintegration in the Northern Triangle project"."""
    out = []
    for m in _NAMED_PROJECT.finditer(text):
        s, e = split_coordination(text, m.start(1), m.end(1))[-1]
        s, e = strip_article(text, s, e)
        name = text[s:e]
        # The name is the capitalised phrase that ends right before the keyword.
        words = name.split()
        caps = [w for w in words if _is_cap(w)]
        if len(caps) < 2 or words[0].lower() in _NOT_PROJECT_NAME or not _is_cap(words[-1]) \
                or words[-1].endswith(("’s", "'s")) or _ROLE_AFTER.match(text, m.end(2)):
            continue
        if all(gaz.org_index.get(fold(w)) or w.isupper() for w in caps):
            continue  # "IOM UNHCR project": organizations, not a name
        keyword = m.group(2)
        label = f"{name} {keyword}" if keyword[0].isupper() else name
        end = m.end(2) if keyword[0].isupper() else e
        out.append(Cand(s, end, "Project", label, "rule:project-name", 0.85))
    for m in _QUOTED_PROJECT.finditer(text):
        g = 1 if m.group(1) else 2
        name = m.group(g).strip()
        if len(name.split()) > 12 or not name[:1].isupper():
            continue  # a quotation, not a name
        # "The project, called “X”": X names the project introduced just before.
        names_previous = g == 1 and re.search(r"\b(?:the|this|The|This)\s+$", text[max(0, m.start() - 12):m.start()])
        out.append(Cand(m.start(g), m.end(g), "Project", name, "rule:project-quoted", 0.9,
                        {"names_previous": bool(names_previous), "names_next": g == 2}))
    # A name in quotes with its translation, named again in the text: "“Hogar Firme” (Solid Home), presented today …".
    for m in _QUOTED_TRANSLATED.finditer(text):
        name = m.group(1).strip()
        if name[:1].isupper() and len(name.split()) <= 6 and text.count(name) > 1 \
                and key(name) not in gaz.org_index and not gaz.is_place(name):
            out.append(Cand(m.start(1), m.start(1) + len(name), "Project", name, "rule:project-quoted", 0.8))
    # An apposition names a described project: "IOM's project to reduce …, “X” (…), began …".
    for m in re.finditer(r",\s+[\"“]([^\"”]{3,80})[\"”](?:\s*\([^)]{1,60}\))?,", text):
        name = m.group(1).strip()
        if name[:1].isupper() and len(name.split()) <= 8:
            out.append(Cand(m.start(1), m.end(1), "Project", name, "rule:project-quoted", 0.8, {"apposition": True}))
    return out


_UNNAMED_PROJECT = re.compile(
    rf"\b(?:a|an|A|An)\s+(?:new\s+|first\s+|second\s+|joint\s+|(?:one|two|three|four|five|\d+)[\s-](?:year|month)\s+)*"
    rf"((?:[A-Z][\w\-]*(?:’s|'s)?\s+)?(?:[a-z\-]+\s+){{0,2}}?(?:pilot\s+)?(?:{_PROJECT_RE}|work plan|action plan|emergency response|humanitarian response|"
    r"scheme|pilot(?=\s*[,.;:)]|\s+(?:that|which|to|for|in|on|with|will|would|is|was|has|had|aims|seeks|by|and|"
    r"under|[a-z]+ed)\b)))\b"  # "a … pilot presented today", not "a pilot returnee desk"
    rf"(?P<clause>\s+(?:that|which|to|aimed at|aiming to|for|on|in support of)\s+[^.;:]{{3,160}})?"
)
# "IOM's project to reduce …": a project introduced by its owner rather than an article.
_OWNED_PROJECT = re.compile(
    rf"(?<=[A-Za-z]’s |[A-Za-z]'s )((?:new\s+|pilot\s+)*(?:{_PROJECT_RE}))\b"
    rf"(?P<clause>\s+(?:to|that|which|aimed at|for)\s+[^.;:]{{3,160}})"
)
_CLAUSE_END = re.compile(r",|;|\s+as\s+|\s+while\s+|\s+and\s+(?=is|was|will|has)|\s+(?:today|this week|yesterday|on \w+day)\b")


def unnamed_projects(text: str) -> list[Cand]:
    """Projects introduced without a name: "a new IOM pilot project", "a work plan to provide …"."""
    out = []
    for m in list(_UNNAMED_PROJECT.finditer(text)) + list(_OWNED_PROJECT.finditer(text)):
        if _ROLE_AFTER.match(text, m.end(1)):
            continue  # "a project coordinator"
        core = m.group(1)
        if re.search(r"(?<![A-Z]-)\b(?:funded|financed|supported)\b", core):
            continue  # "a government-funded programme" is someone else's; "an ECHO-funded project" is the release's
        clause = m.group("clause") or ""
        cut = _CLAUSE_END.search(clause)
        clause = clause[: cut.start()] if cut else clause
        if re.search(r"\b(?:is|was|are|were|be|been|as)\s+$", text[max(0, m.start() - 12):m.start()]):
            continue  # "… is an initiative of …" describes a project named before

        label = (core + clause).strip()
        label = label[0].upper() + label[1:]
        # "IOM pilot project": the organization keeps its own mention; the project's starts after it.
        owner = re.match(r"[A-Z][\w\-]*(?:’s|'s)?\s+", core)
        start = m.start(1) + (owner.end() if owner else 0)
        out.append(Cand(start, m.start(1) + len(core), "Project", label, "rule:project-unnamed", 0.7,
                        {"unnamed": True}))
    return out


_LAUNCH = re.compile(
    r"\b(?:launched|inaugurated|started|began|kicked off)\s+(?:the|a|an)\s+((?:new\s+)?[a-z][a-z\-]+(?:\s+(?:of|for|and)\s+[a-z][a-z\-]+){0,3}(?:\s+[a-z][a-z\-]+)?)"
)
_NOT_LAUNCHED = {"report", "study", "survey", "website", "app", "book", "guide", "call", "appeal", "process",
                 "campaign", "event", "conference", "meeting", "season", "year", "day", "week", "platform"}


def launched_projects(text: str) -> list[Cand]:
    """What organizations launched, when it is not itself named as a project: "launched the regeneration of …"."""
    out = []
    for m in _LAUNCH.finditer(text):
        phrase = m.group(1)
        words = phrase.split()
        if words[0] in PROJECT_WORDS or words[-1] in _NOT_LAUNCHED or words[0] in _NOT_LAUNCHED:
            continue
        phrase = re.sub(r"\s+(?:that|which|to)$", "", phrase)
        label = phrase[0].upper() + phrase[1:]
        out.append(Cand(m.start(1), m.start(1) + len(phrase), "Project", label, "rule:project-launched", 0.6,
                        {"unnamed": True}))
    return out


_ROLE_RE: dict[int, re.Pattern] = {}
_HEAD_RE: dict[tuple[int, str], re.Pattern] = {}


def head_regex(gaz: Gazetteer, cls: str = "") -> re.Pattern:
    """The organization head words of a gazetteer (of one class if given) as one pattern, built once."""
    if (id(gaz), cls) not in _HEAD_RE:
        heads = [h for h, c in gaz.org_heads.items() if not cls or c == cls]
        _HEAD_RE[(id(gaz), cls)] = re.compile(r"\b(?:" + longest_first(heads) + r")\b")
    return _HEAD_RE[(id(gaz), cls)]


def role_re(gaz: Gazetteer) -> re.Pattern:
    """The compiled role pattern of a gazetteer, built once."""
    if id(gaz) not in _ROLE_RE:
        _ROLE_RE[id(gaz)] = role_regex(gaz)
    return _ROLE_RE[id(gaz)]


def role_regex(gaz: Gazetteer) -> re.Pattern:
    """Role titles as one pattern, longest first, with the "Acting"/"Interim"/"Former" they may carry (a country's
    adjective before a title, "the Guatemalan Deputy Minister", is not part of it: kg.extract reads it)."""
    titles = longest_first(gaz.roles, ignore_case=True)
    return re.compile(rf"\b(?:(?:Acting|Interim|Former)\s+)?(?:{titles})\b", re.I)


def longest_first(words: Iterable[str], ignore_case: bool = False) -> str:
    """A regex that matches any of `words`, trying the longest first (as "|".join of them sorted longest first
    would), written as a trie: one branch per next character instead of one alternative per word, which
    Python's re tries in turn at every position (7x faster over 200 role titles)."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word.lower() if ignore_case else word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body  # greedy: the longer words first, then end here

    return pattern(trie)


# Role title -> the body a holder of it heads: "Minister of Labour" -> "Ministry of Labour".
IMPLIED_BODY = (
    (re.compile(r"\b(?:Deputy|Vice)[\s-]Minister\s+(of|for)\s+"), "Vice Ministry {0} "),
    (re.compile(r"(?<!Deputy )(?<!Vice )(?<!Vice-)\bMinister\s+(of|for)\s+"), "Ministry {0} "),
    (re.compile(r"\bUnder-?[Ss]ecretary\s+(of|for)\s+"), "Undersecretariat {0} "),
    (re.compile(r"\bSecretary\s+(of|for)\s+"), "Secretariat {0} "),
    (re.compile(r"\b(?:(?:[Mm]unicipal\s+)?Mayors?|[Mm]unicipal\s+governments?)\s+(of)\s+"), "Municipality {0} "),
)
_EMBASSY = re.compile(r"\bAmbassador\s+of\s+(?:the\s+)?(?P<from>[A-Z][\w ]+?)\s+(?:to|in)\s+(?P<to>[A-Z][\w ]+?)(?=[,;.]|\s+and\b|$)")


LIST_NAME = re.compile(r"[A-ZÁÉÍÓÚÑ][\w’'\-]+(?:\s+(?:de|del|la|las|los|el|y)?\s*[A-ZÁÉÍÓÚÑ][\w’'\-]+){0,3}")


def list_spans(text: str, pos: int) -> list[tuple[int, int]]:
    """Spans of the capitalised names in a list starting at `pos`: "A, B and C"."""
    spans = []
    while True:
        name = LIST_NAME.match(text, pos)
        if not name:
            return spans
        spans.append((name.start(), name.end()))
        sep = re.match(r",\s+(?:and\s+)?|\s+and\s+", text[name.end():])
        if not sep:
            return spans
        pos = name.end() + sep.end()


def implied_bodies(text: str, gaz: Gazetteer) -> list[Cand]:
    """Organizations implied by a role: "Mayor of Zacatecoluca" -> Municipality of Zacatecoluca."""
    out = []
    for pattern, template in IMPLIED_BODY:
        for m in pattern.finditer(text):
            rest = text[m.end():]
            run = next(((s, e) for s, e in name_runs(rest[:120]) if s == 0), None)
            if run is None:
                continue
            parts = split_coordination(rest, *run)[:1]
            if m.group(0).rstrip().endswith(("Mayors of", "mayors of", "governments of")):
                parts = list_spans(rest, 0)  # "Mayors of San Miguel, Usulután and Zacatecoluca"
            for n, (os_, oe) in enumerate(parts):
                name = re.sub(r"(?:\s+(?:of|for|and|the|in|to|on))+$", "", rest[os_:oe])
                label = template.format(m.group(1)) + name
                if template.startswith("Municipality") and (len(name.split()) > 4 or gaz.org_index.get(fold(name))):
                    continue
                # The first body's mention covers the title; the others cover their own name.
                start = m.start() if n == 0 else m.end() + os_
                out.append(Cand(start, m.end() + os_ + len(name), "Organization", label, "rule:org-implied", 0.75,
                                {"implied": True, "place_name": name if template.startswith("Municipality") else ""}))
    for m in _EMBASSY.finditer(text):
        src, dst = m.group("from").strip(), m.group("to").strip()
        if key(src) in gaz.org_index:  # an organization's envoy: "Ambassador of the European Union to Ecuador"
            label = f"Delegation of the {gaz.org_index[key(src)].name} to {dst}"
        else:
            label = f"Embassy of {'the ' if src.startswith(('United', 'Netherlands')) else ''}{src} in {dst}"
        out.append(Cand(m.start(), m.end(), "Organization", label, "rule:org-implied", 0.75, {"implied": True}))
    return out
