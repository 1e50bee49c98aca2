"""`kg explain NAME`: an entity's classes, labels and relations, each with the sentences it came from."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from kg.errors import KGError
from kg.gazetteer import fold
from kg.ontology import KG

_SHOWN = (KG.funds, KG.implements, KG.benefits, KG.affiliatedWith, KG.subOrganizationOf, KG.partOf,
          KG.roleTitle, KG.budgetAmount, KG.currency, KG.startDate, KG.endDate, KG.status, KG.identifier,
          KG.projectType, KG.coverage)


@dataclass
class Fact:
    subject: str
    predicate: str
    obj: str
    evidence: list[tuple[str, str, str, str]] = field(default_factory=list)  # (document, sentence, method, confidence)


@dataclass
class Explanation:
    iri: str
    label: str
    classes: list[str]
    alt_labels: list[str]
    documents: list[str]
    facts: list[Fact]

    def text(self) -> str:
        lines = [f"{self.label}  <{self.iri}>", f"  class: {', '.join(self.classes)}"]
        if self.alt_labels:
            lines.append(f"  also: {'; '.join(self.alt_labels)}")
        if self.documents:
            lines.append(f"  mentioned in: {'; '.join(self.documents)}")
        for fact in self.facts:
            lines.append(f"  {fact.subject} --{fact.predicate}--> {fact.obj}")
            for doc, sentence, method, confidence in fact.evidence:
                where = f"[{doc}]" if doc else ""
                lines.append(f"      {where} \"{sentence}\" ({method}, confidence {confidence})" if sentence
                             else f"      from {method} (confidence {confidence})")
        return "\n".join(lines)


def find_entities(graph: Graph, name: str) -> list[URIRef]:
    """Entities whose label or other label matches `name` (exactly after folding, else as a substring)."""
    wanted = fold(name)
    exact, partial = set(), set()
    for p in (RDFS.label, SKOS.altLabel):
        for s, o in graph.subject_objects(p):
            if not isinstance(s, URIRef) or (s, RDF.type, KG.Evidence) in graph or (s, RDF.type, KG.Document) in graph:
                continue
            folded = fold(str(o))
            if folded == wanted:
                exact.add(s)
            elif wanted and wanted in folded:
                partial.add(s)
    return sorted(exact) or sorted(partial)


def explain(graph: Graph, name: str) -> list[Explanation]:
    """Explanations of every entity that `name` names; KGError if none does."""
    found = find_entities(graph, name)
    if not found:
        raise KGError(f"No entity named '{name}' in the graph; try part of the name or an acronym")
    return [_explain(graph, iri) for iri in found]


def _label(graph: Graph, node) -> str:
    if isinstance(node, Literal):
        return str(node)
    label = graph.value(node, RDFS.label)
    return str(label) if label is not None else str(node).rsplit("/", 1)[-1]


def _explain(graph: Graph, iri: URIRef) -> Explanation:
    classes = sorted(str(c).rsplit("#", 1)[-1] for c in graph.objects(iri, RDF.type))
    docs = sorted(_label(graph, d) for d in graph.objects(iri, KG.mentionedIn))
    facts = []
    triples = [(iri, p, o) for p in _SHOWN for o in graph.objects(iri, p)]
    triples += [(s, p, iri) for p in _SHOWN for s in graph.subjects(p, iri)]
    for s, p, o in sorted(triples):
        fact = Fact(_label(graph, s), str(p).rsplit("#", 1)[-1], _label(graph, o))
        for ev in graph.subjects(RDF.subject, s):
            if (ev, RDF.predicate, p) in graph and (ev, RDF.object, o) in graph:
                doc = graph.value(ev, KG.evidenceDocument)
                fact.evidence.append((
                    str(graph.value(doc, DCTERMS.title) or graph.value(doc, KG.sourcePath) or "") if doc else "",
                    str(graph.value(ev, KG.sentence) or ""),
                    str(graph.value(ev, KG.method) or ""),
                    str(graph.value(ev, KG.confidence) or ""),
                ))
        fact.evidence.sort()
        facts.append(fact)
    alts = sorted(str(a) for a in graph.objects(iri, SKOS.altLabel))
    return Explanation(str(iri), _label(graph, iri), classes, alts, docs, facts)
