"""Property-based tests: ingestion, sentence splitting, name normalisation, IRI minting, JSON round trips.

Inputs are arbitrary text (hypothesis), mixed with the lines that steer ingestion (site navigation,
project-page field labels, contact blocks, datelines), so that the interesting branches are reached.
"""

from __future__ import annotations

import marshal
import re
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from kg import gazetteer
from kg.build import entity_iri
from kg.errors import InputError
from kg.ingest import FORMATS, MAX_CHARS, assemble, decode, read_document
from kg.metadata import FIELD_LABELS, parse_contacts, parse_date, parse_dateline
from kg.model import Contact, Document, Entity, Extraction, Mention, Provenance, Span, Statement
from kg.sentences import split_sentences
from kg.textclean import normalise, rejoin

PROPERTIES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BASE = "https://w3id.org/kg/resource/"
IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f-\x9f]')

# Lines that send ingestion down its special paths.
STEERING_LINES = [
    "", "-", "- 2030 Agenda", "Who we are", "News", "Global", "News and Press Release", "Originally published",
    "Date Publish: Monday, January 18, 2016", "For more information, please contact:",
    "For more information contact", "IOM El Salvador – José Miguel Gómez, Email: miggomez@iom.int",
    "Tel: +503 2521 0500", "Alba Miriam Amaya", "San Salvador – The Ministry of Foreign Affairs launched a project.",
    "2017", "2018", "Completed", "National", "103058.00", "SV10P0003", "RT.1297", "El Salvador",
    "IOM (the UN Migration Agency) today (17/04) launched it. Mr. J. Smith said so.", "“Quoted” \"name\" <b>x</b>",
    "```", "# Heading", "* item", "1. item", "&nbsp;&amp;<a href=\"mailto:x@y.z\">x</a>", "\u200f\u202e😀{}\\",
    *FIELD_LABELS,
]
lines_strategy = st.lists(st.one_of(st.text(max_size=80), st.sampled_from(STEERING_LINES)), max_size=40)


def _check_document(doc: Document) -> None:
    """What every Document must satisfy, whatever its input."""
    assert doc.text.strip()
    assert len(doc.text) <= MAX_CHARS
    previous = 0
    for span in doc.sentences:
        assert previous <= span.start < span.end <= len(doc.text), span
        previous = span.end
    assert doc.sentences == split_sentences(doc.text)
    for contact in doc.contacts:
        assert contact.start == -1 or doc.text[contact.start:contact.start + len(contact.name)] == contact.name
    assert doc.title == " ".join(doc.title.split())
    assert doc.kind in ("news", "project_page")
    assert doc.date == "" or re.fullmatch(r"\d{4}(-\d\d(-\d\d)?)?|--\d\d-\d\d", doc.date), doc.date
    doc.to_json().encode("utf-8")  # no lone surrogates: it can be cached and serialized
    assert Document.from_json(doc.to_json()) == doc


# --- Ingestion --------------------------------------------------------------------------------------

@PROPERTIES
@given(lines=lines_strategy, title=st.one_of(st.just(""), st.text(max_size=60)))
@example(lines=["For more information contact", "x"], title="")
@example(lines=["Start Date", "2017", "End Date", "2018", "Donor", "USAID", "Body text here, with words."], title="T")
def test_assemble_never_crashes_and_is_deterministic(lines, title):
    try:
        doc = assemble(list(lines), title_hint=title, doc_id="d", source="s")
    except InputError as exc:
        assert exc.path == "s" and exc.reason
        return
    _check_document(doc)
    assert assemble(list(lines), title_hint=title, doc_id="d", source="s") == doc


_TMP = Path(tempfile.mkdtemp(prefix="kg-properties-"))


@FEW
@given(data=st.one_of(st.binary(max_size=3000),
                      st.lists(st.one_of(st.text(max_size=80), st.sampled_from(STEERING_LINES)), max_size=30)
                      .map(lambda ls: "\n".join(ls).encode("utf-8")),
                      st.text(max_size=500).map(lambda t: ("<html><body><h1>" + t + "</h1><p>" + t).encode("utf-8")),
                      st.text(max_size=300).map(lambda t: t.encode("utf-16"))),
       suffix=st.sampled_from(sorted(FORMATS)))
def test_read_document_raises_only_input_error(data, suffix):
    path = _TMP / f"doc{suffix}"
    path.write_bytes(data)
    try:
        doc = read_document(path)
    except InputError as exc:
        assert exc.path == str(path) and exc.reason
        return
    _check_document(doc)
    assert read_document(path) == doc


@PROPERTIES
@given(data=st.binary(max_size=2000), truncated=st.booleans())
def test_decode_gives_text_or_input_error(data, truncated):
    try:
        text, warning = decode(data, "p", truncated=truncated)
    except InputError as exc:
        assert exc.reason
        return
    assert text.strip()
    text.encode("utf-8")
    assert isinstance(warning, str)


@PROPERTIES
@given(st.text())
def test_normalise_leaves_no_control_characters(text):
    clean = normalise(text)
    assert "\r" not in clean
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]", clean)
    assert unicodedata.is_normalized("NFC", clean) or "<" in text or "&" in text


@PROPERTIES
@given(lines_strategy)
def test_rejoin_loses_no_words(lines):
    paragraphs = rejoin(list(lines))
    assert " ".join(paragraphs).split() == [w for line in lines if line.strip() != "-" for w in line.split()]
    assert all(p == " ".join(p.split()) and p for p in paragraphs)


# --- Sentences ----------------------------------------------------------------------------------------

@PROPERTIES
@given(st.text(alphabet=st.one_of(st.sampled_from(list(" \n\t.!?\"'”’»)([“‘«ABZaz09.É")), st.characters()),
               max_size=400))
@example("Mr. J. Smith met U.S. officials. Then he left.\n\nNext line")
def test_sentence_spans_are_ordered_disjoint_stripped_and_cover_the_text(text):
    spans = split_sentences(text)
    previous = 0
    covered = set()
    for span in spans:
        assert previous <= span.start < span.end <= len(text), span
        sentence = text[span.start:span.end]
        assert sentence == sentence.strip() and "\n" not in sentence
        covered.update(range(span.start, span.end))
        previous = span.end
    # Nothing is lost: every character outside the spans is white space.
    assert all(text[i].isspace() for i in range(len(text)) if i not in covered)
    assert split_sentences(text) == spans


# --- Metadata -----------------------------------------------------------------------------------------

@PROPERTIES
@given(st.text(max_size=200))
def test_dates_are_iso_or_empty(text):
    assert re.fullmatch(r"(\d{4}-\d\d-\d\d)?", parse_date(text))
    place = parse_dateline(text)
    assert place == "" or text.startswith(place)


@PROPERTIES
@given(st.lists(st.one_of(st.text(max_size=60), st.sampled_from(STEERING_LINES)), min_size=1, max_size=8))
def test_contact_parsing_never_crashes(lines):
    for contact in parse_contacts(list(lines), lambda t: "IOM" in t):
        assert contact.name and isinstance(contact.phones, tuple)


# --- Names and IRIs -----------------------------------------------------------------------------------

names = st.one_of(st.text(), st.sampled_from(["Jorge Peraza-Breedy", "The UN's Fund", "İstanbul", "ﬁnance", "ß",
                                               "Ǆemal", "x'ss", "A_B", "٣", "😀", "\u200f"]))


@PROPERTIES
@given(names)
def test_fold_is_idempotent_and_spaced(text):
    folded = gazetteer.fold(text)
    assert folded == " ".join(folded.split())
    assert gazetteer.fold(folded) == folded
    # key drops one leading article only ("The The" keeps one), so it is not idempotent, by design.
    assert gazetteer.key(text) == re.sub(r"^the ", "", folded)


@PROPERTIES
@given(names)
def test_slug_is_lowercase_ascii_and_stable(text):
    slug = gazetteer.slug(text)
    # Letters, digits and hyphens; "_" stays because \w keeps it ("A_B" -> "a_b").
    assert re.fullmatch(r"[a-z0-9_]+(?:-[a-z0-9_]+)*", slug), slug
    assert gazetteer.slug(slug) == slug


@PROPERTIES
@given(cls=st.one_of(st.sampled_from(["Organization", "Person", "Project", "FundingSource", "Municipality",
                                      "Department", "Country"]), st.text(max_size=20)),
       name=names)
def test_entity_iri_is_always_legal(cls, name):
    import pyoxigraph

    iri = str(entity_iri(f"{cls}/{name}", BASE))
    assert iri.startswith(BASE)
    assert not IRI_FORBIDDEN.search(iri), iri
    assert re.fullmatch(r"[a-z0-9_-]+/[a-z0-9_-]+", iri[len(BASE):]), iri
    pyoxigraph.NamedNode(iri)


# --- JSON round trips ---------------------------------------------------------------------------------

text = st.text(max_size=40)
spans = st.builds(Span, st.integers(0, 10_000), st.integers(0, 10_000))
documents = st.builds(
    Document, id=text, source=text, title=text, text=st.text(max_size=300), sentences=st.lists(spans, max_size=5).map(tuple),
    kind=st.sampled_from(["news", "project_page"]), date=text, dateline=text,
    fields=st.dictionaries(text, text, max_size=4),
    contacts=st.lists(st.builds(Contact, name=text, office=text, phones=st.lists(text, max_size=2).map(tuple),
                                emails=st.lists(text, max_size=2).map(tuple), start=st.integers(-1, 10_000)),
                      max_size=3).map(tuple),
    content_hash=text, warnings=st.lists(text, max_size=2).map(tuple))
confidences = st.floats(0, 1, allow_nan=False)
json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9), text),
                           lambda inner: st.lists(inner, max_size=3), max_leaves=6)
mentions = st.builds(Mention, doc_id=text, start=st.integers(0, 10_000), end=st.integers(0, 10_000), text=text,
                     cls=text, method=text, confidence=confidences)
entities = st.builds(Entity, key=text, cls=text, label=text, alt_labels=st.lists(text, max_size=3).map(tuple),
                     attributes=st.dictionaries(text, json_values, max_size=3),
                     mentions=st.lists(mentions, max_size=3).map(tuple))
provenances = st.builds(Provenance, doc_id=text, sentence=text, start=st.integers(0, 10_000),
                        end=st.integers(0, 10_000), method=text, confidence=confidences)
statements = st.builds(Statement, subject=text, predicate=text, obj=text, provenance=provenances, datatype=text,
                       qualifier=text)


def _figures():
    from kg.figures import Figure

    return st.builds(Figure, value=text, unit=text, measure=text, text=text, start=st.integers(0, 10_000),
                     end=st.integers(0, 10_000), sentence=spans, year=text, approximate=st.booleans(),
                     place=text, project=text)


@PROPERTIES
@given(documents)
def test_document_json_round_trip_is_exact(doc):
    assert Document.from_json(doc.to_json()) == doc


@FEW
@given(st.builds(Extraction, document=documents, entities=st.lists(entities, max_size=3).map(tuple),
                 statements=st.lists(statements, max_size=3).map(tuple),
                 figures=st.lists(_figures(), max_size=2).map(tuple)))
def test_extraction_json_round_trip_is_exact(extraction):
    assert Extraction.from_json(extraction.to_json()) == extraction
    # as kg.cache keeps it
    assert Extraction.from_row(marshal.loads(marshal.dumps(extraction.row()))) == extraction


def test_real_extractions_round_trip(build_result):
    for extraction in build_result.extractions:
        assert Extraction.from_json(extraction.to_json()) == extraction
        assert Extraction.from_row(marshal.loads(marshal.dumps(extraction.row()))) == extraction


_WORDS = st.lists(st.text(alphabet="abAB .-é", min_size=1, max_size=6), min_size=1, max_size=12, unique=True)


@given(words=_WORDS, text=st.text(alphabet="abAB .-é\n", max_size=60), ignore_case=st.booleans())
@settings(max_examples=400, deadline=None)
@example(words=["Minister", "Minister of Labour", "Mini"], text="the Minister of Labour and Minister of", ignore_case=True)
def test_trie_pattern_matches_like_the_longest_first_alternation(words, text, ignore_case):
    """kg.rules.longest_first is a faster way to write the alternation of words sorted longest first: the same
    matches, at the same places, in any text."""
    from kg.rules import longest_first

    flags = re.I if ignore_case else 0
    flat = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    if ignore_case:
        assume(all(w.lower() == w.casefold() and w.lower().upper().lower() == w.lower() for w in words))
    expected = [m.span() for m in re.finditer(rf"\b(?:{flat})\b", text, flags)]
    assert [m.span() for m in re.finditer(rf"\b(?:{longest_first(words, ignore_case)})\b", text, flags)] == expected
