"""Extractions in, one RDF graph out: entities, relations, documents, evidence (PROV-O), memberships."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from kg.gazetteer import Gazetteer, load, slug
from kg.model import Extraction, Statement
from kg.ontology import KG, ORG, SCHEMA, bind_prefixes
from kg.resolve import Resolved, resolve
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
    graph = bind_prefixes(Graph(), base_iri)
    graph.parse(data="".join(f"{line} .\n" for line in lines), format="nt")
    return graph


def build_lines(extractions: Iterable[Extraction], settings: Settings | None = None,
                gazetteer: Gazetteer | None = None) -> list[str]:
    """The knowledge graph of `extractions` as sorted, unique N-Triples lines (without the final " .").

    Lines rather than an rdflib Graph keep memory small and output stable for large corpora.
    """
    settings = settings or Settings.from_env()
    gaz = gazetteer or load()
    base = settings.base_iri
    extractions = sorted(extractions, key=lambda x: x.document.id)
    entities = resolve(extractions)
    lines: set[str] = set()

    def add(triple: tuple) -> None:
        lines.add(f"{nt(triple[0])} {nt(triple[1])} {nt(triple[2])}")

    for x in extractions:
        doc = x.document
        d = document_iri(doc.id, base)
        add((d, RDF.type, KG.Document))
        add((d, RDFS.label, Literal(doc.title or doc.source)))
        if doc.title:
            add((d, DCTERMS.title, Literal(doc.title)))
        add((d, KG.sourcePath, Literal(doc.source)))
        add((d, KG.contentHash, Literal(doc.content_hash)))
        add((d, KG.documentKind, Literal(doc.kind)))
        if doc.date:
            add((d, SCHEMA.datePublished, Literal(doc.date, datatype=_date_type(doc.date))))
        if doc.dateline:
            add((d, KG.datelinePlace, Literal(doc.dateline)))
        for entity in x.entities:
            if entity.mentions:
                add((entity_iri(entity.key, base), KG.mentionedIn, d))

    for r in entities.values():
        _entity_triples(r, base, gaz, add)

    for x in extractions:
        for f in x.figures:
            _figure_triples(f, x, base, add)
        for st in x.statements:
            if st.provenance.confidence >= settings.min_confidence and st.subject and st.obj:
                _statement_triples(st, x, base, add)

    # Place hierarchy from the gazetteer, for every place in the graph and its ancestors.
    places = {r.attributes["place"] for r in entities.values() if r.attributes.get("place")}
    seen: set[str] = set()
    while places:
        pid = places.pop()
        if pid in seen or pid not in gaz.places:
            continue
        seen.add(pid)
        place = gaz.places[pid]
        child = entity_iri(f"{place.cls}/{pid}", base)
        _place_triples(place, child, add)
        for parent_id in place.parents[:1] or ([place.country] if place.country else []):
            parent = gaz.places.get(parent_id)
            if parent is None:
                continue
            obj = entity_iri(f"{parent.cls}/{parent_id}", base)
            add((child, KG.partOf, obj))
            ev = URIRef(f"{base}evidence/{_hash(child, 'partOf', obj)}")
            for t in ((ev, RDF.type, KG.Evidence), (ev, RDF.subject, child), (ev, RDF.predicate, KG.partOf),
                      (ev, RDF.object, obj), (ev, PROV.wasDerivedFrom, URIRef(base + GAZETTEER_SOURCE)),
                      (ev, KG.method, Literal("gazetteer:places.csv")),
                      (ev, KG.confidence, decimal_literal("1.0"))):
                add(t)
            places.add(parent_id)
    if seen:
        src = URIRef(base + GAZETTEER_SOURCE)
        add((src, RDF.type, PROV.Entity))
        add((src, RDFS.label, Literal("kg place gazetteer (kg/data/places.csv: pycountry, GeoNames, DL 762/2023)")))

    return sorted(lines)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


_NEEDS_ESCAPE = re.compile('[\\\\"\\n\\r\\t\\x00-\\x1f\\x7f\\ud800-\\udfff]')


def _escape_char(m: re.Match) -> str:
    ch = m.group(0)
    return _ESCAPES.get(ch) or f"\\u{ord(ch):04X}"


def _escape(text: str) -> str:
    return _NEEDS_ESCAPE.sub(_escape_char, text) if _NEEDS_ESCAPE.search(text) else text


def nt(term) -> str:
    """A term in N-Triples syntax."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        body = f'"{_escape(str(term))}"'
        if term.language:
            return f"{body}@{term.language}"
        if term.datatype is not None and term.datatype != XSD.string:
            return f"{body}^^<{term.datatype}>"
        return body
    raise TypeError(f"no blank nodes or other terms in kg graphs: {term!r}")


def decimal_literal(value: str | Decimal) -> Literal:
    """An xsd:decimal whose lexical form survives a Turtle round trip ("1058" is written "1058.0")."""
    text = format(Decimal(value), "f")
    return Literal(text if "." in text else text + ".0", datatype=XSD.decimal)


def _date_type(value: str) -> URIRef:
    if value.startswith("--"):
        return XSD.gMonthDay
    return {10: XSD.date, 7: XSD.gYearMonth}.get(len(value), XSD.gYear)


def _figure_triples(f, x: Extraction, base: str, add) -> None:
    doc = document_iri(x.document.id, base)
    node = URIRef(f"{base}figure/{_hash(x.document.id, f.start, f.end, f.unit)}")
    for t in ((node, RDF.type, KG.Figure), (node, RDFS.label, Literal(f"{f.measure}: {f.text}")),
              (node, KG.value, decimal_literal(f.value)), (node, KG.unit, Literal(f.unit)),
              (node, KG.measure, Literal(f.measure)), (node, KG.statedAs, Literal(f.text)),
              (node, KG.approximate, Literal(f.approximate)), (node, KG.statedIn, doc),
              (node, PROV.wasDerivedFrom, doc),
              (node, KG.sentence, Literal(x.document.text[f.sentence.start:f.sentence.end])),
              (node, KG.startOffset, Literal(f.sentence.start)), (node, KG.endOffset, Literal(f.sentence.end)),
              (node, KG.method, Literal("rule:figure")),
              (node, KG.confidence, decimal_literal("0.8"))):
        add(t)
    if f.year:
        add((node, KG.year, Literal(f.year, datatype=XSD.gYear)))
    for target in (f.place, f.project):
        if target:
            add((node, KG.refersTo, entity_iri(target, base)))


def _place_triples(place, iri: URIRef, add) -> None:
    add((iri, RDF.type, getattr(KG, place.cls)))
    add((iri, RDFS.label, Literal(place.name)))
    add((iri, SKOS.prefLabel, Literal(place.name)))
    add((iri, KG.placeCode, Literal(place.id)))
    for name in place.names[1:]:
        add((iri, SKOS.altLabel, Literal(name)))
    if place.lat and place.lon:
        add((iri, SCHEMA.latitude, decimal_literal(place.lat)))
        add((iri, SCHEMA.longitude, decimal_literal(place.lon)))


def _entity_triples(r: Resolved, base: str, gaz: Gazetteer, add) -> None:
    iri = entity_iri(r.key, base)
    if r.attributes.get("place") in gaz.places:
        _place_triples(gaz.places[r.attributes["place"]], iri, add)
    else:
        add((iri, RDF.type, getattr(KG, r.cls)))
        add((iri, RDFS.label, Literal(r.label)))
        add((iri, SKOS.prefLabel, Literal(r.label)))
    for alt in sorted(r.alt_labels):
        if alt and alt != r.label:
            add((iri, SKOS.altLabel, Literal(alt)))


_LITERAL_PREDICATES = {
    "roleTitle": KG.roleTitle, "budgetAmount": KG.budgetAmount, "currency": KG.currency, "startDate": KG.startDate,
    "endDate": KG.endDate, "status": KG.status, "projectType": KG.projectType, "coverage": KG.coverage,
    "identifier": KG.identifier,
}


def _literal(st: Statement) -> Literal:
    if st.datatype == "decimal":
        try:
            return decimal_literal(st.obj)
        except InvalidOperation:
            return Literal(st.obj)
    if st.datatype in ("gYear", "date"):
        return Literal(st.obj, datatype=getattr(XSD, st.datatype))
    return Literal(st.obj)


def _statement_triples(st: Statement, x: Extraction, base: str, add) -> None:
    s = entity_iri(st.subject, base)
    if st.datatype:
        p = _LITERAL_PREDICATES.get(st.predicate)
        if p is None:
            return
        o = _literal(st)
    else:
        p = getattr(KG, st.predicate)
        o = entity_iri(st.obj, base)
    add((s, p, o))
    prov = st.provenance
    d = document_iri(prov.doc_id, base)
    ev = URIRef(f"{base}evidence/{_hash(s, p, o, prov.doc_id, prov.start, prov.method)}")
    for t in ((ev, RDF.type, KG.Evidence), (ev, RDF.subject, s), (ev, RDF.predicate, p), (ev, RDF.object, o),
              (ev, PROV.wasDerivedFrom, d), (ev, KG.evidenceDocument, d), (ev, KG.sentence, Literal(prov.sentence)),
              (ev, KG.startOffset, Literal(prov.start)), (ev, KG.endOffset, Literal(prov.end)),
              (ev, KG.method, Literal(prov.method)),
              (ev, KG.confidence, decimal_literal(str(round(prov.confidence, 3))))):
        add(t)
    if st.predicate == "affiliatedWith":
        m = URIRef(f"{base}membership/{_hash(s, o, st.qualifier)}")
        add((s, KG.hasMembership, m))
        add((m, RDF.type, KG.Membership))
        add((m, ORG.member, s))
        add((m, ORG.organization, o))
        if st.qualifier:
            add((m, KG.roleTitle, Literal(st.qualifier)))
