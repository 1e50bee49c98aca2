"""Python mirror of ontology/kg.ttl (a typo in a term is an error) and the one place prefixes are bound."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace

from kg.settings import ONTOLOGY_DIR
from kg.vocab import PREFIXES as VOCAB_PREFIXES

ONTOLOGY_FILE: Path = ONTOLOGY_DIR / "kg.ttl"
SHAPES_FILE: Path = ONTOLOGY_DIR / "shapes.ttl"
ONTOLOGY_IRI = URIRef("https://w3id.org/kg/ontology")


class KG(DefinedNamespace):
    """Terms of the kg ontology."""

    _NS = Namespace("https://w3id.org/kg/ontology#")
    _fail = True

    # classes
    Organization: URIRef
    Person: URIRef
    Project: URIRef
    FundingSource: URIRef
    Place: URIRef
    Municipality: URIRef
    Department: URIRef
    Country: URIRef
    Document: URIRef
    Evidence: URIRef
    Membership: URIRef
    Figure: URIRef
    # object properties
    funds: URIRef
    fundedBy: URIRef
    implements: URIRef
    implementedBy: URIRef
    benefits: URIRef
    benefitsFrom: URIRef
    affiliatedWith: URIRef
    hasAffiliate: URIRef
    subOrganizationOf: URIRef
    hasSubOrganization: URIRef
    partOf: URIRef
    hasPart: URIRef
    mentionedIn: URIRef
    mentions: URIRef
    hasMembership: URIRef
    evidenceDocument: URIRef
    # datatype properties
    roleTitle: URIRef
    budgetAmount: URIRef
    currency: URIRef
    startDate: URIRef
    endDate: URIRef
    status: URIRef
    projectType: URIRef
    coverage: URIRef
    identifier: URIRef
    sourcePath: URIRef
    contentHash: URIRef
    datelinePlace: URIRef
    documentKind: URIRef
    sentence: URIRef
    startOffset: URIRef
    endOffset: URIRef
    method: URIRef
    confidence: URIRef
    placeCode: URIRef
    value: URIRef
    unit: URIRef
    measure: URIRef
    year: URIRef
    approximate: URIRef
    statedAs: URIRef
    refersTo: URIRef
    statedIn: URIRef
    # analytics (the actor network and the scores kg analyze writes)
    amount: URIRef
    evidenceCount: URIRef
    degree: URIRef
    inDegree: URIRef
    outDegree: URIRef
    pageRank: URIRef
    betweenness: URIRef
    eigenvectorCentrality: URIRef
    brokerScore: URIRef
    community: URIRef


SCHEMA = Namespace(VOCAB_PREFIXES["schema"])
ORG = Namespace(VOCAB_PREFIXES["org"])

PREFIXES: dict[str, Namespace] = {prefix: Namespace(iri) for prefix, iri in VOCAB_PREFIXES.items()}


def bind_prefixes(graph: Graph, base_iri: str | None = None) -> Graph:
    """Bind the project's prefixes (and the resource namespace as `kgr`) on `graph`."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    if base_iri:
        graph.bind("kgr", Namespace(base_iri), override=True, replace=True)
    return graph


def load_ontology() -> Graph:
    """The ontology as an rdflib Graph."""
    graph = Graph()
    graph.parse(ONTOLOGY_FILE, format="turtle")
    return graph


def load_shapes() -> Graph:
    graph = Graph()
    graph.parse(SHAPES_FILE, format="turtle")
    return graph
