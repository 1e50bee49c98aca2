"""The project's namespace IRIs as plain strings: what needs prefixes without loading rdflib.

kg.ontology builds its rdflib namespaces from these; kg.query and kg.serialize use them directly,
so that `kg query` starts without importing rdflib.
"""

from __future__ import annotations

PREFIXES: dict[str, str] = {
    "kg": "https://w3id.org/kg/ontology#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "https://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
}

# A role in the actor network, the measures it can be ranked by (the first is the default), for
# `kg rank` (kg.analyze computes them; the CLI lists them without importing networkx).
ROLES: dict[str, dict[str, str]] = {
    "funds": {"projects": "funds_out", "amount": "funded_amount"},
    "implements": {"projects": "implements_out"},
    "benefits": {"projects": "benefits_in", "funders": "benefit_funders", "amount": "benefit_amount"},
    "broker": {"score": "broker"},
}

# The shipped query the analytics take the actor network from (kg.analyze).
NETWORK_QUERY = "12-actor-network"
