"""General knowledge kept as data (kg/data/*.csv): places, organizations, funds, role titles, org heads."""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kg.settings import DATA_DIR

_TOKEN = re.compile(r"[\w][\w'’.\-]*[\w]|[\w]")
_DASHES = str.maketrans({"‐": "-", "‑": "-", "–": "-", "—": "-", "’": "'", "‘": "'", "`": "'"})


_POSSESSIVE = re.compile(r"'s\b")
_NOT_WORD = re.compile(r"[^\w]+")


@lru_cache(maxsize=200_000)  # names and tokens repeat across a corpus: each is folded once
def fold(text: str) -> str:
    """Key for matching names: accents, case, hyphens, apostrophes and spacing do not matter."""
    text = unicodedata.normalize("NFKD", text.translate(_DASHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = _POSSESSIVE.sub("", text)
    text = _NOT_WORD.sub(" ", text)
    return " ".join(text.split())


def key(text: str) -> str:
    """Index key of a name: its fold without a leading article."""
    return re.sub(r"^the ", "", fold(text))


def slug(text: str) -> str:
    """ASCII slug for IRIs: "Jorge Peraza-Breedy" -> "jorge-peraza-breedy"."""
    folded = fold(text)
    ascii_only = folded.encode("ascii", "ignore").decode()
    base = "-".join(ascii_only.split()) or "x"
    if ascii_only != folded:
        # Letters ASCII cannot hold (Arabic, Chinese …) would be lost: keep names apart by a hash.
        base = f"{base}-{hashlib.sha1(folded.encode('utf-8')).hexdigest()[:8]}"
    return base


@dataclass(frozen=True)
class Place:
    id: str
    name: str
    cls: str  # Country | Department | Municipality
    kind: str
    country: str
    parents: tuple[str, ...]
    lat: str
    lon: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class KnownOrg:
    id: str
    name: str
    cls: str  # Organization | FundingSource
    acronyms: tuple[str, ...]
    aliases: tuple[str, ...]
    kind: str
    parent: str


@dataclass(frozen=True)
class Hit:
    """A gazetteer phrase found in text."""

    start: int
    end: int
    text: str
    key: str  # the folded phrase


class Gazetteer:
    """The loaded tables and an index from folded phrase to entries."""

    def __init__(self, data_dir: Path = DATA_DIR):
        self.places: dict[str, Place] = {p.id: p for p in _read_places(data_dir / "places.csv")}
        self.orgs: dict[str, KnownOrg] = {o.id: o for o in _read_orgs(data_dir / "organizations.csv")}
        self.roles: tuple[str, ...] = tuple(sorted(
            (row["title"] for row in _rows(data_dir / "roles.csv")), key=lambda r: (-len(r), r)))
        self.org_heads: dict[str, str] = {row["head"]: row["class"] for row in _rows(data_dir / "org_heads.csv")}
        # "Guatemalan" -> "GT": the adjective a text puts before a country's bodies ("the Guatemalan Ministry of …")
        self.demonyms: dict[str, str] = {demonym: row["country"] for row in _rows(data_dir / "demonyms.csv")
                                         if row["country"] in self.places for demonym in _split(row["demonyms"])}
        self.place_index: dict[str, list[Place]] = {}
        for place in sorted(self.places.values(), key=lambda p: p.id):
            for name in place.names:
                self.place_index.setdefault(key(name), []).append(place)
        self.org_index: dict[str, KnownOrg] = {}
        self.acronyms: dict[str, KnownOrg] = {}
        for org in sorted(self.orgs.values(), key=lambda o: o.id):
            for name in (org.name, *org.aliases):
                self.org_index.setdefault(key(name), org)
            for acronym in org.acronyms:
                self.acronyms.setdefault(acronym, org)
        self._start_cache: dict[int, dict[str, int]] = {}
        self._last: tuple[str | None, dict[int, tuple[Hit, ...]]] = (None, {})  # the last text's hits, by index
        self._tokenised: tuple[str | None, list, list, list] = (None, [], [], [])

    def _tokens(self, text: str) -> tuple[list[tuple[int, int]], list[str], list[int]]:
        """The token spans of `text`, their folded forms, and the indexes of those that start with a capital letter
        or a digit (kept for the last text)."""
        if self._tokenised[0] is not text:
            tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
            capitals = [i for i, (s, _) in enumerate(tokens) if text[s].isupper() or text[s].isdigit()]
            self._tokenised = (text, tokens, [fold(text[s:e]) for s, e in tokens], capitals)
        return self._tokenised[1], self._tokenised[2], self._tokenised[3]

    def find(self, text: str, index: dict) -> list[Hit]:
        """Longest, leftmost capitalised phrases of `text` whose folded form is a key of `index`.

        Each token is folded once; the key of a phrase is its tokens' folds joined by spaces (the
        text between tokens is punctuation or space, which folding turns into one space anyway).
        """
        if self._last[0] is not text:  # the extractor looks up places, then organizations, in the same text
            self._last = (text, {})
        found = self._last[1].get(id(index))
        if found is None:
            found = self._last[1][id(index)] = tuple(self._find(text, index))
        return list(found)

    def _find(self, text: str, index: dict) -> list[Hit]:
        starts = self._starts(index)
        tokens, folded, capitals = self._tokens(text)
        hits: list[Hit] = []
        after = 0  # the first token not in a hit yet
        for i in capitals:  # a phrase starts with a capital letter or a digit
            if i < after:
                continue
            skip = 1 if folded[i] == "the" else 0  # "The Gambia" is keyed without its article
            # A token may fold to several words ("U.S" -> "u s"): look up its first word.
            longest = starts.get(folded[i + skip].split(" ", 1)[0], 0) if i + skip < len(tokens) else 0
            for n in range(min(longest + skip, len(tokens) - i), skip, -1):
                start, end = tokens[i][0], tokens[i + n - 1][1]
                k = " ".join(folded[i + skip : i + n])
                if k in index:
                    phrase = text[start:end]
                    if "\n" in phrase or phrase.islower():
                        continue
                    if phrase.endswith(("’s", "'s")):
                        end, phrase = end - 2, phrase[:-2]
                    hits.append(Hit(start, end, phrase, k))
                    after = i + n
                    break
        return hits

    def _starts(self, index: dict) -> dict[str, int]:
        """First word of each key of `index` -> the most words a key starting with it has."""
        cached = self._start_cache.get(id(index))
        if cached is None:
            cached = {}
            for k in index:
                words = k.split()
                if words:
                    cached[words[0]] = max(cached.get(words[0], 0), len(words))
            self._start_cache[id(index)] = cached
        return cached

    def places_named(self, name: str) -> list[Place]:
        return self.place_index.get(key(name), [])

    def is_place(self, name: str) -> bool:
        return key(name) in self.place_index

    def ancestors(self, place: Place) -> list[Place]:
        out: list[Place] = []
        for pid in place.parents:
            if pid in self.places:
                out.append(self.places[pid])
        return out


@lru_cache(maxsize=2)
def load(data_dir: Path = DATA_DIR) -> Gazetteer:
    """The gazetteer, loaded once per process."""
    return Gazetteer(data_dir)


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(line for line in handle if not line.startswith("#"))]


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split("|") if v.strip())


def _read_places(path: Path) -> list[Place]:
    return [
        Place(
            id=row["id"], name=row["name"], cls=row["class"], kind=row["kind"], country=row["country"],
            parents=_split(row["parents"]), lat=row.get("lat", ""), lon=row.get("lon", ""),
            names=(row["name"], *_split(row["alt_names"])),
        )
        for row in _rows(path)
    ]


def _read_orgs(path: Path) -> list[KnownOrg]:
    return [
        KnownOrg(
            id=row["id"], name=row["name"], cls=row["class"], acronyms=_split(row["acronyms"]),
            aliases=_split(row["aliases"]), kind=row["kind"], parent=row.get("parent", ""),
        )
        for row in _rows(path)
    ]
