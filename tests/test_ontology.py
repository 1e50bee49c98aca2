"""The shipped ontology (ontology/kg.ttl) and its Python mirror kg.ontology.KG."""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS

from kg.ontology import KG, ONTOLOGY_FILE, ONTOLOGY_IRI, SHAPES_FILE, load_ontology

SCHEMA = Namespace("https://schema.org/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
ORG = Namespace("http://www.w3.org/ns/org#")
NS = str(KG._NS)
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)


@pytest.fixture(scope="module")
def onto() -> Graph:
    return load_ontology()


def kg_terms(graph: Graph) -> set[URIRef]:
    return {s for t in TERM_TYPES for s in graph.subjects(RDF.type, t) if str(s).startswith(NS)}


def test_the_shipped_files_are_used(repo_root):
    assert ONTOLOGY_FILE.resolve() == (repo_root / "ontology" / "kg.ttl").resolve()
    assert SHAPES_FILE.resolve() == (repo_root / "ontology" / "shapes.ttl").resolve()


def test_ontology_parses_and_is_an_owl_ontology(repo_root):
    g = Graph().parse(repo_root / "ontology" / "kg.ttl", format="turtle")
    assert len(g) > 200
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in g
    assert list(g.subjects(RDF.type, OWL.Ontology)) == [ONTOLOGY_IRI]


def test_shapes_parse(repo_root):
    g = Graph().parse(repo_root / "ontology" / "shapes.ttl", format="turtle")
    assert len(g) > 50


def test_every_kg_term_has_label_and_comment(onto):
    terms = kg_terms(onto)
    assert len(terms) > 40
    missing = [(str(t), p) for t in sorted(terms) for p in ("label", "comment")
               if onto.value(t, getattr(RDFS, p)) is None]
    assert missing == []


def test_every_kg_iri_used_is_declared(onto):
    used = {t for triple in onto for t in triple if isinstance(t, URIRef) and str(t).startswith(NS)}
    assert used - kg_terms(onto) == set()


@pytest.mark.parametrize("cls", ["Organization", "Person", "Project", "FundingSource", "Place", "Municipality",
                                 "Department", "Country", "Document", "Evidence", "Membership"])
def test_classes_exist(onto, cls):
    assert (KG[cls], RDF.type, OWL.Class) in onto


@pytest.mark.parametrize("cls", ["Municipality", "Department", "Country"])
def test_places_are_subclasses_of_place(onto, cls):
    assert (KG[cls], RDFS.subClassOf, KG.Place) in onto


@pytest.mark.parametrize("prop", ["funds", "implements", "benefits", "affiliatedWith", "partOf", "mentionedIn",
                                  "subOrganizationOf"])
def test_object_properties_exist(onto, prop):
    assert (KG[prop], RDF.type, OWL.ObjectProperty) in onto


def test_relation_domains_and_ranges(onto):
    assert (KG.implements, RDFS.domain, KG.Organization) in onto
    assert (KG.implements, RDFS.range, KG.Project) in onto
    assert (KG.funds, RDFS.range, KG.Project) in onto
    assert (KG.affiliatedWith, RDFS.domain, KG.Person) in onto
    assert (KG.affiliatedWith, RDFS.range, KG.Organization) in onto
    assert (KG.partOf, RDF.type, OWL.TransitiveProperty) in onto
    assert (KG.partOf, RDFS.domain, KG.Place) in onto and (KG.partOf, RDFS.range, KG.Place) in onto
    # funds' domain is the union of Organization and FundingSource.
    [domain] = list(onto.objects(KG.funds, RDFS.domain))
    assert isinstance(domain, BNode)
    from rdflib.collection import Collection

    assert set(Collection(onto, onto.value(domain, OWL.unionOf))) == {KG.Organization, KG.FundingSource}


def test_inverse_targets_are_declared(onto):
    pairs = list(onto.subject_objects(OWL.inverseOf))
    assert len(pairs) >= 6
    for prop, inverse in pairs:
        assert str(inverse).startswith(NS)
        assert (inverse, RDF.type, OWL.ObjectProperty) in onto, inverse
        assert onto.value(inverse, RDFS.label) is not None, inverse
    assert (KG.funds, OWL.inverseOf, KG.fundedBy) in onto
    assert (KG.partOf, OWL.inverseOf, KG.hasPart) in onto


def test_python_mirror_has_exactly_the_declared_terms(onto):
    declared = kg_terms(onto)
    mirror = set(dir(KG))
    assert mirror - declared == set(), "in kg.ontology.KG but not declared in ontology/kg.ttl"
    assert declared - mirror == set(), "declared in ontology/kg.ttl but missing from kg.ontology.KG"
    assert all(str(t).startswith(NS) for t in mirror)


def test_python_mirror_is_closed():
    assert KG._fail is True
    assert KG.funds == URIRef(NS + "funds")
    with pytest.raises(AttributeError):
        KG.nonexistent  # noqa: B018
    with pytest.raises(AttributeError):
        KG.Fund  # noqa: B018  (a typo of FundingSource / funds)


@pytest.mark.parametrize("triple", [
    (KG.Organization, RDFS.subClassOf, SCHEMA.Organization),
    (KG.Organization, RDFS.subClassOf, FOAF.Organization),
    (KG.Organization, RDFS.subClassOf, ORG.Organization),
    (KG.Person, RDFS.subClassOf, SCHEMA.Person),
    (KG.Person, RDFS.subClassOf, FOAF.Person),
    (KG.Project, RDFS.subClassOf, SCHEMA.Project),
    (KG.Document, RDFS.subClassOf, PROV.Entity),
    (KG.Evidence, RDFS.subClassOf, PROV.Entity),
    (KG.Evidence, RDFS.subClassOf, RDF.Statement),
    (KG.Membership, RDFS.subClassOf, ORG.Membership),
    (KG.affiliatedWith, RDFS.subPropertyOf, ORG.memberOf),
    (KG.affiliatedWith, RDFS.subPropertyOf, SCHEMA.affiliation),
    (KG.subOrganizationOf, RDFS.subPropertyOf, ORG.subOrganizationOf),
    (KG.partOf, RDFS.subPropertyOf, SCHEMA.containedInPlace),
])
def test_alignment_triples(onto, triple):
    assert triple in onto


def test_aligned_external_terms_are_declared(onto):
    # OWL tools need a type for every external class or property the ontology aligns to.
    for s, p, o in onto:
        if p in (RDFS.subClassOf, RDFS.subPropertyOf) and isinstance(o, URIRef) and not str(o).startswith(NS):
            assert (o, RDF.type, OWL.Class) in onto or (o, RDF.type, OWL.ObjectProperty) in onto or \
                (o, RDF.type, OWL.DatatypeProperty) in onto, o


def test_disjoint_classes(onto):
    assert (KG.Person, OWL.disjointWith, KG.Organization) in onto
    disjoint_with_place = set(onto.objects(KG.Place, OWL.disjointWith))
    assert {KG.Organization, KG.Person, KG.Project, KG.FundingSource} <= disjoint_with_place


def test_the_light_prefix_table_matches_the_ontology_and_rdflib(onto):
    """kg.vocab (no rdflib, for a quick `kg query` start) says the same as kg.ontology and the ontology file."""
    from rdflib.namespace import DCTERMS, FOAF as RDFLIB_FOAF, SKOS, XSD

    from kg.vocab import PREFIXES

    assert PREFIXES["kg"] == NS
    expected = {"rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD, "skos": SKOS, "dcterms": DCTERMS, "prov": PROV,
                "foaf": RDFLIB_FOAF, "schema": SCHEMA, "org": ORG}
    for prefix, namespace in expected.items():
        assert PREFIXES[prefix] == str(namespace), prefix
    bound = dict(onto.namespaces())
    for prefix, iri in PREFIXES.items():
        if prefix in bound:
            assert str(bound[prefix]) == iri, prefix


def test_kg_query_starts_without_rdflib_or_networkx():
    """`kg query` and `kg queries` import neither rdflib nor networkx: a query call starts in a fraction of a second."""
    import subprocess
    import sys

    code = ("import sys\nfrom kg import cli\ncli._parser()\nimport kg.query, kg.store, kg.cli_query\n"
            "heavy = sorted(m for m in ('rdflib', 'networkx', 'numpy', 'spacy', 'igraph') if m in sys.modules)\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
