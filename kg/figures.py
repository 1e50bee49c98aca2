"""Figures in sentences: money with its currency, counts of people with their unit, year and place.

"US$2.1 billion in remittances … in 2003" gives value 2100000000, currency USD, measure "remittances",
year 2003. "San Miguel received 1,058 returnees" gives 1058 "returnees" at San Miguel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from kg.model import Document, Span

_SCALE = {"thousand": Decimal(1_000), "million": Decimal(1_000_000), "billion": Decimal(1_000_000_000),
          "m": Decimal(1_000_000), "bn": Decimal(1_000_000_000)}
_CURRENCY = {"US$": "USD", "USD": "USD", "$": "USD", "U.S. dollars": "USD", "dollars": "USD", "EUR": "EUR", "€": "EUR",
             "euros": "EUR", "CAD": "CAD", "CHF": "CHF", "GBP": "GBP", "£": "GBP", "JPY": "JPY", "MXN": "MXN"}
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MONEY = re.compile(
    rf"(?P<approx>\b(?:almost|nearly|about|around|some|over|more than|approximately|up to)\s+)?"
    rf"(?P<cur>US\$|USD|EUR|CAD|CHF|GBP|JPY|MXN|€|£|\$)\s?(?P<num>{_NUMBER})(?:\s+(?P<scale>thousand|million|billion|m|bn)\b)?"
    rf"|(?P<num2>{_NUMBER})(?:\s+(?P<scale2>thousand|million|billion))?\s+(?P<cur2>U\.S\. dollars|dollars|euros)\b"
)
_COUNT = re.compile(
    rf"(?P<approx>\b(?:almost|nearly|about|around|some|over|more than|approximately|up to)\s+)?(?P<num>{_NUMBER})"
    r"(?:\s+(?P<scale>thousand|million))?\s+(?:(?:\w+\s+){0,2}?)"
    r"(?P<unit>returnees|returned migrants|returning migrants|migrants|families|households|people|persons|"
    r"children|young people|communities|beneficiaries|projects|member states|economic initiatives)\b"
)
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10}
_MEASURE = re.compile(r"\b(remittances|investment|budget|grant|contribution|funding|donation)\b", re.I)
_YEAR = re.compile(r"\b(?:in|of|during|since|for)\s+((?:19|20)\d\d)\b")


@dataclass(frozen=True)
class Figure:
    """One quantity stated in a sentence."""

    value: str  # a decimal number, as text so that the record stays plain JSON
    unit: str  # a currency code for money, else what is counted ("returnees")
    measure: str  # what the quantity is ("remittances", "investment", "returnees")
    text: str  # the words as written ("almost USD 500,000")
    start: int  # offsets of `text` in Document.text
    end: int
    sentence: Span
    year: str = ""
    approximate: bool = False
    place: str = ""  # entity key of the place the figure is about, if the sentence names one before it
    project: str = ""  # entity key of the project an investment or budget belongs to


def find_figures(doc: Document) -> list[Figure]:
    """Money amounts and counts of people in the document's sentences (project-page fields excluded)."""
    out: list[Figure] = []
    for sent in doc.sentences:
        text = doc.text[sent.start:sent.end]
        if re.match(r"[A-Z][\w ()]+: ", text) and doc.kind == "project_page":
            continue  # "Budget Amount (USD): …" is a field, kept as kg:budgetAmount
        year = _YEAR.search(text)
        for m in _MONEY.finditer(text):
            num = m.group("num") or m.group("num2")
            scale = (m.group("scale") or m.group("scale2") or "").lower()
            value = Decimal(num.replace(",", "")) * _SCALE.get(scale, Decimal(1))
            currency = _CURRENCY[m.group("cur") or m.group("cur2")]
            measure = _MEASURE.search(text)
            out.append(Figure(_plain(value), currency, measure.group(1).lower() if measure else "amount",
                              m.group(0).strip(), sent.start + m.start(), sent.start + m.end(), sent,
                              year.group(1) if year else "", bool(m.group("approx"))))
        for m in _COUNT.finditer(text):
            if any(f.start <= sent.start + m.start("num") < f.end for f in out):
                continue
            value = Decimal(m.group("num").replace(",", "")) * _SCALE.get((m.group("scale") or "").lower(), Decimal(1))
            unit = m.group("unit").lower()
            out.append(Figure(_plain(value), unit, unit, m.group(0).strip(), sent.start + m.start(), sent.start + m.end(), sent,
                              year.group(1) if year else "", bool(m.group("approx"))))
    return out


def _plain(value: Decimal) -> str:
    """ "2100000000.0" -> "2100000000"; "946200000.0" -> "946200000"; "103058.50" stays."""
    text = format(value.normalize(), "f")
    return text
