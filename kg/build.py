"""Extractions in, one RDF graph out: entities, relations, documents, evidence (PROV-O), memberships."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from kg.gazetteer import Gazetteer, load, slug
from kg.model import Extraction, Statement, Summary
from kg.ontology import KG, ORG, SCHEMA, bind_prefixes
from kg.resolve import Resolved, resolve
from kg.serialize import ntriples_chunks
from kg.settings import Settings

CLASS_PATHS = {
    "Organization": "organization", "Person": "person", "Project": "project", "FundingSource": "funding-source",
    "Municipality": "municipality", "Department": "department", "Country": "country",
}
ENTITY_PREDICATES = {"funds", "implements", "benefits", "affiliatedWith", "subOrganizationOf", "partOf"}
GAZETTEER_SOURCE = "source/gazetteer-places"


def entity_iri(key: str, base: str) -> URIRef:
    """IRI of an entity key "Class/slug": <base><class path>/<slug>."""
    cls, _, name = key.partition("/")
    return URIRef(f"{base}{CLASS_PATHS.get(cls, slug(cls))}/{slug(name)}")


def document_iri(doc_id: str, base: str) -> URIRef:
    return URIRef(f"{base}document/{doc_id}")


def _hash(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]


def build_graph(extractions: Iterable[Extraction], settings: Settings | None = None,
                gazetteer: Gazetteer | None = None) -> Graph:
    """The knowledge graph of `extractions` as an rdflib Graph (for small graphs and library use)."""
    settings = settings or Settings.from_env()
    return lines_to_graph(build_lines(extractions, settings, gazetteer), settings.base_iri)


def lines_to_graph(lines: list[str], base_iri: str) -> Graph:
    """kg's graph lines as an rdflib Graph. pyoxigraph parses them and the terms are made as rdflib's own
    N-Triples parser makes them, but for language tags, which come lowercased (kg writes none, nor blank nodes
    or an explicit xsd:string): 5.0 s against 8.5 s for the 262k triples of 1,000 releases, most of what is
    left being rdflib's indexing."""
    import pyoxigraph as ox

    graph = bind_prefixes(Graph(), base_iri)
    iris: dict[str, URIRef] = {}

    def term(t):
        if isinstance(t, ox.NamedNode):
            iri = iris.get(t.value)
            if iri is None:
                iri = iris[t.value] = URIRef(t.value)
            return iri
        if isinstance(t, ox.Literal):
            if t.language:
                return Literal(t.value, lang=t.language)
            datatype = t.datatype.value
            return Literal(t.value) if datatype == _XSD_STRING else Literal(t.value, datatype=term(t.datatype))
        return BNode(t.value)

    add = graph.add
    for chunk in ntriples_chunks(lines, 100_000):
        for triple in ox.parse(chunk.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES):
            add((term(triple.subject), term(triple.predicate), term(triple.object)))
    return graph


_XSD_STRING = str(XSD.string)


def build_lines(extractions: Iterable[Extraction], settings: Settings | None = None,
                gazetteer: Gazetteer | None = None) -> list[str]:
    """The knowledge graph of `extractions` as sorted, unique N-Triples lines (without the final " .")."""
    settings = settings or Settings.from_env()
    return merge_lines([(x.summary(), document_lines(x, settings)) for x in extractions], settings, gazetteer)


def merge_lines(documents: Iterable[tuple[Summary, list[str]]], settings: Settings,
                gazetteer: Gazetteer | None = None) -> list[str]:
    """The graph of documents given as (summary, document_lines): sorted, unique N-Triples lines (see merge)."""
    return merge(documents, settings, gazetteer).lines


@dataclass
class Merged:
    """A merged graph and what a later rebuild needs to patch it (kg.incremental)."""

    lines: list[str]  # sorted, unique
    entities: Blocks  # the part made from all documents together (entity_lines), by entity
    shared: dict[str, int]  # the lines made more than once (by several documents, or twice): how many times


def merge(documents: Iterable[tuple[Summary, list[str]]], settings: Settings,
          gazetteer: Gazetteer | None = None) -> Merged:
    """The graph of documents given as (summary, document_lines).

    Lines rather than an rdflib Graph keep memory small and output stable for large corpora. The facts of
    one document (`document_lines`) do not depend on the others; only entity descriptions (labels voted
    across documents, from the summaries) and the place hierarchy are made here from all of them.
    """
    gaz = gazetteer or load()
    summaries: list[Summary] = []
    lines: list[str] = []  # a list sorted in place holds millions of lines in less memory than a set
    for summary, made in documents:
        summaries.append(summary)
        lines += made
    summaries.sort(key=lambda x: x.id)
    entities = entity_blocks(resolve(summaries), settings, gaz)
    lines += flatten(entities, settings, gaz)
    lines.sort()
    unique: list[str] = []
    shared: dict[str, int] = {}
    previous = None
    for line in lines:
        if line != previous:
            unique.append(line)
            previous = line
        else:
            shared[line] = shared.get(line, 1) + 1
    return Merged(unique, entities, shared)


class _Terms:
    """N-Triples terms as strings, made once per IRI (rdflib terms cost more than the rest of the build)."""

    def __init__(self, base: str):
        self.base = base
        self._entities: dict[str, str] = {}

    def entity(self, key: str) -> str:
        """The IRI of an entity key, bare (as entity_iri gives it, without <>)."""
        iri = self._entities.get(key)
        if iri is None:
            iri = self._entities[key] = str(entity_iri(key, self.base))
        return iri


def _ref(iri: str) -> str:
    return f"<{iri}>"


def _plain(text: str) -> str:
    return f'"{_escape(text)}"'


def _typed(text: str, datatype: str) -> str:
    return f'"{_escape(text)}"^^<{datatype}>'


def _integer(value: int) -> str:
    return f'"{int(value)}"^^<{XSD.integer}>'


def _decimal(value: str | Decimal) -> str:
    return f'"{decimal_literal(value)}"^^<{XSD.decimal}>'


_LITERAL_PREDICATES = frozenset({"roleTitle", "budgetAmount", "currency", "startDate", "endDate", "status",
                                 "projectType", "coverage", "identifier"})


_T = {name: f"<{iri}>" for name, iri in {
    "type": RDF.type, "label": RDFS.label, "prefLabel": SKOS.prefLabel, "altLabel": SKOS.altLabel,
    "title": DCTERMS.title, "datePublished": SCHEMA.datePublished, "latitude": SCHEMA.latitude,
    "longitude": SCHEMA.longitude, "subject": RDF.subject, "predicate": RDF.predicate, "object": RDF.object,
    "wasDerivedFrom": PROV.wasDerivedFrom, "Entity": PROV.Entity, "member": ORG.member,
    "organization": ORG.organization}.items()}
_K = {name: f"<{getattr(KG, name)}>" for name in (  # getattr: a name the ontology lacks is an error
    "Document", "Evidence", "Figure", "Membership", "sourcePath", "contentHash", "documentKind", "datelinePlace",
    "mentionedIn", "evidenceDocument", "sentence", "startOffset", "endOffset", "method", "confidence", "value",
    "unit", "measure", "statedAs", "approximate", "statedIn", "year", "refersTo", "hasMembership", "roleTitle",
    "placeCode", "partOf", *sorted(ENTITY_PREDICATES), *CLASS_PATHS, *sorted(_LITERAL_PREDICATES))}


def document_lines(x: Extraction, settings: Settings) -> list[str]:
    """The facts one document gives on its own: the document node, what it mentions, its figures, and each
    statement with its kg:Evidence record (and W3C ORG membership)."""
    terms = _Terms(settings.base_iri)
    base, doc = settings.base_iri, x.document
    out: list[str] = []
    d = _ref(f"{base}document/{doc.id}")
    out += [f"{d} {_T['type']} {_K['Document']}", f"{d} {_T['label']} {_plain(doc.title or doc.source)}",
            f"{d} {_K['sourcePath']} {_plain(doc.source)}", f"{d} {_K['contentHash']} {_plain(doc.content_hash)}",
            f"{d} {_K['documentKind']} {_plain(doc.kind)}"]
    if doc.title:
        out.append(f"{d} {_T['title']} {_plain(doc.title)}")
    if doc.date:
        out.append(f"{d} {_T['datePublished']} {_typed(doc.date, _date_type(doc.date))}")
    if doc.dateline:
        out.append(f"{d} {_K['datelinePlace']} {_plain(doc.dateline)}")
    for entity in x.entities:
        if entity.mentions:
            out.append(f"<{terms.entity(entity.key)}> {_K['mentionedIn']} {d}")
    for f in x.figures:
        _figure_lines(f, x, d, terms, out)
    for st in x.statements:
        if st.provenance.confidence >= settings.min_confidence and st.subject and st.obj:
            _statement_lines(st, terms, out)
    return out


# An entity's lines, by its key: (the gazetteer place it stands for, or None; its class, labels, alt labels).
Blocks = dict[str, tuple[str | None, list[str]]]


def entity_lines(entities: dict[str, Resolved], settings: Settings, gaz: Gazetteer) -> list[str]:
    """Each entity's class and labels (voted across documents), and the gazetteer's place hierarchy for every
    place in the graph and its ancestors, with an evidence record per partOf link."""
    return flatten(entity_blocks(entities, settings, gaz), settings, gaz)


def flatten(blocks: Blocks, settings: Settings, gaz: Gazetteer) -> list[str]:
    """The lines of entity_lines from its two parts: each entity's block, then the hierarchy of their places."""
    out = [line for _, lines in blocks.values() for line in lines]
    return out + hierarchy_lines(places(blocks), settings, gaz)


def places(blocks: Blocks) -> set[str]:
    """The gazetteer places the entities of `blocks` stand for."""
    return {place for place, _ in blocks.values() if place}


def entity_blocks(entities: dict[str, Resolved], settings: Settings, gaz: Gazetteer) -> Blocks:
    """Each entity's part of entity_lines, by key: what it depends on is that entity alone (its votes)."""
    terms = _Terms(settings.base_iri)
    blocks: Blocks = {}
    for r in entities.values():
        iri = _ref(terms.entity(r.key))
        out: list[str] = []
        place = r.attributes.get("place")
        if place in gaz.places:
            _place_lines(gaz.places[place], iri, out)
        else:
            out += [f"{iri} {_T['type']} {_K[r.cls]}", f"{iri} {_T['label']} {_plain(r.label)}",
                    f"{iri} {_T['prefLabel']} {_plain(r.label)}"]
        for alt in sorted(r.alt_labels):
            if alt and alt != r.label:
                out.append(f"{iri} {_T['altLabel']} {_plain(alt)}")
        blocks[r.key] = (place or None, out)
    return blocks


def hierarchy_lines(places: Iterable[str], settings: Settings, gaz: Gazetteer) -> list[str]:
    """The gazetteer's hierarchy above `places` (place ids): each place and its ancestors, and a partOf link with
    an evidence record from each to its first parent."""
    terms = _Terms(settings.base_iri)
    base = settings.base_iri
    out: list[str] = []
    todo, seen = set(places), set()
    source = f"{base}{GAZETTEER_SOURCE}"
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in gaz.places:
            continue
        seen.add(pid)
        place = gaz.places[pid]
        child = terms.entity(f"{place.cls}/{pid}")
        _place_lines(place, _ref(child), out)
        for parent_id in place.parents[:1] or ([place.country] if place.country else []):
            parent = gaz.places.get(parent_id)
            if parent is None:
                continue
            obj = terms.entity(f"{parent.cls}/{parent_id}")
            out.append(f"<{child}> {_K['partOf']} <{obj}>")
            ev = _ref(f"{base}evidence/{_hash(child, 'partOf', obj)}")
            out += [f"{ev} {_T['type']} {_K['Evidence']}", f"{ev} {_T['subject']} <{child}>",
                    f"{ev} {_T['predicate']} {_K['partOf']}", f"{ev} {_T['object']} <{obj}>",
                    f"{ev} {_T['wasDerivedFrom']} <{source}>",
                    f"{ev} {_K['method']} {_plain('gazetteer:places.csv')}", f"{ev} {_K['confidence']} {_decimal('1.0')}"]
            todo.add(parent_id)
    if seen:
        out += [f"<{source}> {_T['type']} {_T['Entity']}",
                f"<{source}> {_T['label']} "
                + _plain("kg place gazetteer (kg/data/places.csv: pycountry, GeoNames, DL 762/2023)")]
    return out


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


_NEEDS_ESCAPE = re.compile('[\\\\"\\n\\r\\t\\x00-\\x1f\\x7f\\ud800-\\udfff]')


def _escape_char(m: re.Match) -> str:
    ch = m.group(0)
    return _ESCAPES.get(ch) or f"\\u{ord(ch):04X}"


def _escape(text: str) -> str:
    return _NEEDS_ESCAPE.sub(_escape_char, text) if _NEEDS_ESCAPE.search(text) else text


def decimal_literal(value: str | Decimal) -> str:
    """The lexical form of an xsd:decimal that survives a Turtle round trip ("1058" is written "1058.0")."""
    text = format(Decimal(value), "f")
    return text if "." in text else text + ".0"


def _date_type(value: str) -> str:
    if value.startswith("--"):
        return str(XSD.gMonthDay)
    return str({10: XSD.date, 7: XSD.gYearMonth}.get(len(value), XSD.gYear))


def _figure_lines(f, x: Extraction, d: str, terms: _Terms, out: list[str]) -> None:
    node = _ref(f"{terms.base}figure/{_hash(x.document.id, f.start, f.end, f.unit)}")
    sentence = x.document.text[f.sentence.start:f.sentence.end]
    out += [f"{node} {_T['type']} {_K['Figure']}", f"{node} {_T['label']} {_plain(f'{f.measure}: {f.text}')}",
            f"{node} {_K['value']} {_decimal(f.value)}", f"{node} {_K['unit']} {_plain(f.unit)}",
            f"{node} {_K['measure']} {_plain(f.measure)}", f"{node} {_K['statedAs']} {_plain(f.text)}",
            f"{node} {_K['approximate']} {_boolean(f.approximate)}", f"{node} {_K['statedIn']} {d}",
            f"{node} {_T['wasDerivedFrom']} {d}", f"{node} {_K['sentence']} {_plain(sentence)}",
            f"{node} {_K['startOffset']} {_integer(f.sentence.start)}",
            f"{node} {_K['endOffset']} {_integer(f.sentence.end)}",
            f"{node} {_K['method']} {_plain('rule:figure')}", f"{node} {_K['confidence']} {_decimal('0.8')}"]
    if f.year:
        out.append(f"{node} {_K['year']} {_typed(str(f.year), str(XSD.gYear))}")
    for target in (f.place, f.project):
        if target:
            out.append(f"{node} {_K['refersTo']} <{terms.entity(target)}>")


def _boolean(value: bool) -> str:
    return f'"{"true" if value else "false"}"^^<{XSD.boolean}>'


def _place_lines(place, iri: str, out: list[str]) -> None:
    out += [f"{iri} {_T['type']} {_K[place.cls]}", f"{iri} {_T['label']} {_plain(place.name)}",
            f"{iri} {_T['prefLabel']} {_plain(place.name)}", f"{iri} {_K['placeCode']} {_plain(place.id)}"]
    for name in place.names[1:]:
        out.append(f"{iri} {_T['altLabel']} {_plain(name)}")
    if place.lat and place.lon:
        out += [f"{iri} {_T['latitude']} {_decimal(place.lat)}", f"{iri} {_T['longitude']} {_decimal(place.lon)}"]


def _literal(st: Statement) -> tuple[str, str]:
    """(lexical value, N-Triples term) of a statement's literal object."""
    if st.datatype == "decimal":
        try:
            value = decimal_literal(st.obj)
            return value, f'"{_escape(value)}"^^<{XSD.decimal}>'
        except InvalidOperation:
            return st.obj, _plain(st.obj)
    if st.datatype in ("gYear", "gYearMonth", "date"):
        return st.obj, _typed(st.obj, f"{XSD}{st.datatype}")
    return st.obj, _plain(st.obj)


def _statement_lines(st: Statement, terms: _Terms, out: list[str]) -> None:
    s = terms.entity(st.subject)
    if st.datatype:
        if st.predicate not in _LITERAL_PREDICATES:
            return
        p = _K[st.predicate][1:-1]
        o_value, o = _literal(st)
    else:
        p = _K[st.predicate][1:-1]  # KeyError for a relation the ontology does not have
        o_value = terms.entity(st.obj)
        o = f"<{o_value}>"
    out.append(f"<{s}> <{p}> {o}")
    prov = st.provenance
    d = f"<{terms.base}document/{prov.doc_id}>"
    ev = _ref(f"{terms.base}evidence/{_hash(s, p, o_value, prov.doc_id, prov.start, prov.method)}")
    out += [f"{ev} {_T['type']} {_K['Evidence']}", f"{ev} {_T['subject']} <{s}>", f"{ev} {_T['predicate']} <{p}>",
            f"{ev} {_T['object']} {o}", f"{ev} {_T['wasDerivedFrom']} {d}", f"{ev} {_K['evidenceDocument']} {d}",
            f"{ev} {_K['sentence']} {_plain(prov.sentence)}", f"{ev} {_K['startOffset']} {_integer(prov.start)}",
            f"{ev} {_K['endOffset']} {_integer(prov.end)}", f"{ev} {_K['method']} {_plain(prov.method)}",
            f"{ev} {_K['confidence']} {_decimal(str(round(prov.confidence, 3)))}"]
    if st.predicate == "affiliatedWith":
        m = _ref(f"{terms.base}membership/{_hash(s, o_value, st.qualifier)}")
        out += [f"<{s}> {_K['hasMembership']} {m}", f"{m} {_T['type']} {_K['Membership']}",
                f"{m} {_T['member']} <{s}>", f"{m} {_T['organization']} {o}"]
        if st.qualifier:
            out.append(f"{m} {_K['roleTitle']} {_plain(st.qualifier)}")
