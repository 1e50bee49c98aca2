"""SHACL (pyshacl) and OWL (HermiT through owlready2) checks of the graph, positive and negative."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS

from kg.ontology import KG, bind_prefixes
from kg.validate import check_owl, validate_graph

BASE = "https://w3id.org/kg/resource/"


def copy(graph: Graph) -> Graph:
    out = bind_prefixes(Graph())
    for t in graph:
        out.add(t)
    return out


def test_sample_graph_conforms(build_result):
    v = build_result.validation
    assert v is not None
    assert v.conforms is True, v.shacl_report
    assert v.violations == 0 and v.shacl_report == ""
    assert v.summary().startswith("SHACL: conforms")


def test_sample_graph_is_owl_consistent(build_result, java):
    v = build_result.validation
    assert v.owl == "consistent", v.owl
    assert v.ok


def test_removing_the_evidence_of_a_funds_statement_is_a_violation(build_result):
    original = build_result.graph
    g = copy(original)
    funder, project = sorted(g.subject_objects(KG.funds))[0]
    records = [e for e in g.subjects(RDF.subject, funder)
               if (e, RDF.predicate, KG.funds) in g and (e, RDF.object, project) in g]
    assert records
    for e in records:
        g.remove((e, None, None))
    assert (funder, KG.funds, project) in g
    result = validate_graph(g, owl=False)
    assert result.conforms is False
    assert result.violations >= 1
    assert "evidence" in result.shacl_report
    assert str(funder) in result.shacl_report
    # The build's own graph is untouched.
    assert all((e, RDF.type, KG.Evidence) in original for e in records)


def test_funds_pointing_at_a_country_is_a_violation(build_result):
    g = copy(build_result.graph)
    funder = sorted(g.subjects(KG.funds, None))[0]
    country = sorted(g.subjects(RDF.type, KG.Country))[0]
    g.add((funder, KG.funds, country))
    # Give it a complete evidence record, so that the range is the only thing wrong.
    doc = sorted(g.subjects(RDF.type, KG.Document))[0]
    ev = URIRef(BASE + "evidence/test-funds-country")
    for t in ((ev, RDF.type, KG.Evidence), (ev, RDF.subject, funder), (ev, RDF.predicate, KG.funds),
              (ev, RDF.object, country), (ev, PROV.wasDerivedFrom, doc), (ev, KG.method, Literal("test")),
              (ev, KG.confidence, Literal("0.9", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal")))):
        g.add(t)
    result = validate_graph(g, owl=False)
    assert result.conforms is False
    assert "kg:funds must point to a kg:Project" in result.shacl_report
    assert "relation without an evidence record" not in result.shacl_report
    assert str(country) in result.shacl_report


def test_entity_without_label_is_a_violation():
    g = bind_prefixes(Graph())
    g.add((URIRef(BASE + "organization/x"), RDF.type, KG.Organization))
    result = validate_graph(g, owl=False)
    assert result.conforms is False
    assert "no rdfs:label" in result.shacl_report
    assert result.owl == "skipped: not asked"


def test_minimal_valid_graph_conforms():
    g = bind_prefixes(Graph())
    org, project = URIRef(BASE + "organization/x"), URIRef(BASE + "project/y")
    for node, cls, label in ((org, KG.Organization, "X"), (project, KG.Project, "Y")):
        g.add((node, RDF.type, cls))
        g.add((node, RDFS.label, Literal(label)))
        g.add((node, SKOS.prefLabel, Literal(label)))
    assert validate_graph(g, owl=False).conforms is True


def _owl_graph(*triples) -> Graph:
    g = Graph()
    for t in triples:
        g.add(t)
    return g


X = URIRef(BASE + "x/1")
P = URIRef(BASE + "project/1")


@pytest.mark.parametrize("triples", [
    [(X, RDF.type, KG.Person), (X, RDF.type, KG.Organization)],  # Person and Organization are disjoint
    [(X, RDF.type, KG.Country), (X, KG.funds, P)],  # a place cannot fund (domain: Organization or FundingSource)
], ids=["person-and-organization", "country-funds"])
def test_owl_check_finds_inconsistencies(java, triples):
    assert check_owl(_owl_graph(*triples)).startswith("inconsistent")


def test_owl_check_accepts_a_consistent_graph(java):
    assert check_owl(_owl_graph((X, RDF.type, KG.Organization), (X, KG.funds, P), (P, RDF.type, KG.Project))) == \
        "consistent"
