"""Rule-based sentence splitting with character offsets (no model needed, so it is fast and stable)."""

from __future__ import annotations

import re

from kg.model import Span

# Tokens that end with a period but do not end a sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st sr sra jr no nos tel ext fax e.g i.e etc vs approx est dept gov sen rep
    jan feb mar apr jun jul aug sep sept oct nov dec u.s u.n u.k d.c a.m p.m inc ltd co corp
    av ave col blvd km""".split()
)
_END = re.compile(r"[.!?]+[\"'”’»)\]]*(?=\s+)")
_NEXT_START = re.compile(r"\s+[\"'“‘«(\[]?[A-ZÁÉÍÓÚÑÜ0-9]")


def split_sentences(text: str) -> tuple[Span, ...]:
    """Sentences of `text` as spans; newlines are hard boundaries; offsets exclude surrounding blanks."""
    spans: list[Span] = []
    pos = 0
    for line in text.split("\n"):
        _split_line(line, pos, spans)
        pos += len(line) + 1
    return tuple(spans)


def _split_line(line: str, offset: int, spans: list[Span]) -> None:
    start = 0
    for m in _END.finditer(line):
        end = m.end()
        if not _NEXT_START.match(line, end) or _is_abbreviation(line, m.start()):
            continue
        _add(line, offset, start, end, spans)
        start = end
    _add(line, offset, start, len(line), spans)


def _is_abbreviation(line: str, dot: int) -> bool:
    word_start = dot
    while word_start > 0 and not line[word_start - 1].isspace() and line[word_start - 1] not in "(\"“":
        word_start -= 1
    word = line[word_start:dot].lower().rstrip(".")
    if not word:
        return False
    if word in _ABBREVIATIONS:
        return True
    # Single initials ("J. Smith") and dotted acronyms ("U.S.").
    return (len(word) == 1 and word.isalpha()) or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", word))


def _add(line: str, offset: int, start: int, end: int, spans: list[Span]) -> None:
    while start < end and line[start].isspace():
        start += 1
    while end > start and line[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(offset + start, offset + end))
