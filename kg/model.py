"""Plain data passed between stages. Each round-trips through JSON (`to_json` / `from_json`)."""

from __future__ import annotations

import functools
import json
import operator
from dataclasses import dataclass, field, fields
from typing import Any

# The seven entity classes extraction produces (local names in the ontology).
ENTITY_CLASSES = (
    "Organization",
    "Person",
    "Project",
    "FundingSource",
    "Municipality",
    "Department",
    "Country",
)
PLACE_CLASSES = ("Municipality", "Department", "Country")
RELATIONS = ("funds", "implements", "benefits", "affiliatedWith", "partOf", "subOrganizationOf")


_SCALARS = (str, int, float, bool, type(None))


def plain(value: Any) -> Any:
    """Dataclasses as dicts, tuples as lists, recursively: what `dataclasses.asdict` gives for JSON, without
    its deep copies (which made writing the extraction cache cost more than the rules that fill it)."""
    if isinstance(value, _SCALARS):
        return value
    names = getattr(value, "__dataclass_fields__", None)
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, (tuple, list)):
        return [v if isinstance(v, _SCALARS) else plain(v) for v in value]
    if isinstance(value, dict):
        return {k: v if isinstance(v, _SCALARS) else plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Contact:
    """One person in a release's contact block."""

    name: str
    office: str = ""
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    start: int = -1  # offset of the name in Document.text (-1: not found in the text)


@dataclass(frozen=True)
class Document:
    """A cleaned document: `text` is what every offset points into."""

    id: str
    source: str
    title: str
    text: str
    sentences: tuple[Span, ...]
    kind: str = "news"  # news | project_page
    date: str = ""  # ISO 8601 (YYYY, YYYY-MM or YYYY-MM-DD) where stated
    dateline: str = ""  # place before the dash that opens the first paragraph
    fields: dict[str, str] = field(default_factory=dict)  # labelled fields of project pages
    contacts: tuple[Contact, ...] = ()
    content_hash: str = ""
    warnings: tuple[str, ...] = ()  # degraded but readable input (e.g. not UTF-8)

    def sentence_at(self, offset: int) -> Span:
        """The sentence containing `offset` (the last one before it if none contains it)."""
        best = self.sentences[0] if self.sentences else Span(0, len(self.text))
        for span in self.sentences:
            if span.start <= offset < span.end:
                return span
            if span.start <= offset:
                best = span
        return best

    def to_json(self) -> str:
        return json.dumps(plain(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> "Document":
        return cls.from_dict(json.loads(line))

    @classmethod
    def from_dict(cls, raw: dict) -> "Document":
        """A document from the dict `plain()` gives (`raw` is changed)."""
        raw["sentences"] = tuple(Span(**s) for s in raw["sentences"])
        raw["warnings"] = tuple(raw.get("warnings", ()))
        raw["contacts"] = tuple(
            Contact(**{**c, "phones": tuple(c["phones"]), "emails": tuple(c["emails"])}) for c in raw["contacts"]
        )
        return cls(**raw)


@dataclass(frozen=True)
class Mention:
    """A stretch of a document's text that names an entity: `text == doc.text[start:end]`."""

    doc_id: str
    start: int
    end: int
    text: str
    cls: str
    method: str
    confidence: float = 1.0


@dataclass(frozen=True)
class Provenance:
    """Where a statement came from: document, sentence, offsets, method, confidence."""

    doc_id: str
    sentence: str
    start: int  # offsets of the sentence in Document.text
    end: int
    method: str
    confidence: float


@dataclass(frozen=True)
class Entity:
    """An entity as one document sees it; `key` is (class, normalised name)."""

    key: str
    cls: str
    label: str
    alt_labels: tuple[str, ...] = ()
    attributes: dict[str, Any] = field(default_factory=dict)
    mentions: tuple[Mention, ...] = ()


@dataclass(frozen=True)
class Statement:
    """subject predicate object; `obj` is an entity key, or a literal when `datatype` is set."""

    subject: str
    predicate: str
    obj: str
    provenance: Provenance
    datatype: str = ""  # "" for entity objects, else an XSD local name (decimal, gYear, string ...)
    qualifier: str = ""  # the role title of an affiliatedWith statement


@dataclass(frozen=True)
class Extraction:
    """Everything extracted from one document."""

    document: Document
    entities: tuple[Entity, ...]
    statements: tuple[Statement, ...]
    figures: tuple = ()  # kg.figures.Figure records

    def to_json(self) -> str:
        return json.dumps(plain(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> "Extraction":
        raw = json.loads(line)
        doc = Document.from_dict(raw["document"])
        entities = tuple(
            Entity(
                **{
                    **e,
                    "alt_labels": tuple(e["alt_labels"]),
                    "mentions": tuple(Mention(**m) for m in e["mentions"]),
                }
            )
            for e in raw["entities"]
        )
        statements = tuple(
            Statement(**{**s, "provenance": Provenance(**s["provenance"])}) for s in raw["statements"]
        )
        from kg.figures import Figure

        figures = tuple(Figure(**{**f, "sentence": Span(**f["sentence"])}) for f in raw.get("figures", ()))
        return cls(document=doc, entities=entities, statements=statements, figures=figures)

    def row(self) -> tuple:
        """Its fields as nested tuples (dataclasses as the tuple of their fields in order), which marshal writes
        as they are: how kg.cache keeps it (3x faster than to_json). `Extraction.from_row` gives it back."""
        d = self.document
        fields_ = _document_row(d)
        document = (*fields_[:4], tuple((s.start, s.end) for s in d.sentences), *fields_[5:9],
                    tuple(map(_contact_row, d.contacts)), d.content_hash, d.warnings)
        entities = tuple((*_entity_row(e), tuple(map(_mention_row, e.mentions))) for e in self.entities)
        statements = tuple((s.subject, s.predicate, s.obj, _provenance_row(s.provenance), s.datatype, s.qualifier)
                           for s in self.statements)
        head, tail = _figure_getters()
        figures = tuple((*head(f), (f.sentence.start, f.sentence.end), *tail(f)) for f in self.figures)
        return document, entities, statements, figures

    @classmethod
    def from_row(cls, row: tuple) -> "Extraction":
        """The extraction `row()` gave (TypeError or ValueError if `row` is not of that shape)."""
        from kg.figures import Figure

        document, entities, statements, figures = row
        (*head, sentences, kind, date, dateline, fields_, contacts, content_hash, warnings) = document
        doc = Document(*head, tuple(Span(*s) for s in sentences), kind, date, dateline, fields_,
                       tuple(Contact(*c) for c in contacts), content_hash, warnings)
        return cls(document=doc,
                   entities=tuple(Entity(*e[:5], tuple(Mention(*m) for m in e[5])) for e in entities),
                   statements=tuple(Statement(s, p, o, Provenance(*prov), dt, q) for s, p, o, prov, dt, q in statements),
                   figures=tuple(Figure(*f[:6], Span(*f[6]), *f[7:]) for f in figures))

    def summary(self) -> "Summary":
        """What a build keeps of this extraction once the document's graph lines are made."""
        d = self.document
        return Summary(
            source=d.source, id=d.id, title=d.title, kind=d.kind, content_hash=d.content_hash,
            sentences=len(d.sentences), statements=len(self.statements), warnings=d.warnings,
            entities=tuple((e.key, e.cls, e.label, len(e.mentions), e.alt_labels, e.attributes) for e in self.entities),
        )


@dataclass(frozen=True)
class Summary:
    """What a build keeps of a document once its graph lines are made: its row in the report, its warnings,
    and its entities as (key, class, label, mention count, alternative labels, attributes) for the label
    vote across documents (kg.resolve). A rebuild reads these instead of whole extractions."""

    source: str
    id: str
    title: str
    kind: str
    content_hash: str
    sentences: int
    statements: int
    warnings: tuple[str, ...]
    entities: tuple[tuple[str, str, str, int, tuple[str, ...], dict[str, Any]], ...]

    @property
    def mentioned(self) -> int:
        """How many of its entities the document names (places it only implies are not counted)."""
        return sum(1 for e in self.entities if e[3])

    def to_json(self) -> str:
        return json.dumps(plain(self), ensure_ascii=False, sort_keys=True)

    def row(self) -> tuple:
        """Its fields in order, as they are (`Summary(*row)` gives it back): how kg.cache keeps 10,000 of them in
        one file (marshal takes the tuples and dicts as they are; plain() and JSON take 4-5x longer)."""
        return _summary_row(self)

    @classmethod
    def from_json(cls, text: str) -> "Summary":
        raw = json.loads(text)
        raw["warnings"] = tuple(raw["warnings"])
        raw["entities"] = tuple((k, c, label, n, tuple(alt), attrs) for k, c, label, n, alt, attrs in raw["entities"])
        return cls(**raw)


_summary_row = operator.attrgetter(*(f.name for f in fields(Summary)))
_document_row = operator.attrgetter(*(f.name for f in fields(Document)))
_contact_row = operator.attrgetter(*(f.name for f in fields(Contact)))
_entity_row = operator.attrgetter(*(f.name for f in fields(Entity) if f.name != "mentions"))
_mention_row = operator.attrgetter(*(f.name for f in fields(Mention)))
_provenance_row = operator.attrgetter(*(f.name for f in fields(Provenance)))


@functools.cache
def _figure_getters() -> tuple[operator.attrgetter, operator.attrgetter]:
    """The fields of a kg.figures.Figure before and after its `sentence` (kg.figures imports this module)."""
    from kg.figures import Figure

    names = [f.name for f in fields(Figure)]
    at = names.index("sentence")
    return operator.attrgetter(*names[:at]), operator.attrgetter(*names[at + 1:])
