"""Check a graph against the ontology's SHACL shapes (pyshacl) and for OWL consistency (owlready2/HermiT)."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass

from rdflib import Graph
from rdflib.namespace import RDF

from kg.ontology import KG, load_ontology, load_shapes

_RELATIONS = (KG.funds, KG.implements, KG.benefits, KG.affiliatedWith, KG.subOrganizationOf, KG.partOf)


@dataclass(frozen=True)
class ValidationResult:
    conforms: bool
    shacl_report: str  # pyshacl's text report ("" when it conforms)
    violations: int
    owl: str  # "consistent", "inconsistent: …", or "skipped: …"
    skipped: str = ""  # why the whole check was not run

    @property
    def ok(self) -> bool:
        return self.conforms and not self.owl.startswith("inconsistent")

    def summary(self) -> str:
        if self.skipped:
            return f"not run: {self.skipped}"
        shacl = "conforms" if self.conforms else f"{self.violations} violation(s)"
        return f"SHACL: {shacl}; OWL: {self.owl}"


def validate_graph(graph: Graph, *, owl: bool = True) -> ValidationResult:
    """SHACL over the graph with the ontology mixed in; then, if Java is present, OWL consistency."""
    import pyshacl

    conforms, _report_graph, text = pyshacl.validate(
        graph, shacl_graph=load_shapes(), ont_graph=load_ontology(), inference="none", advanced=True,
        allow_warnings=True,
    )
    violations = max(1, text.count("Constraint Violation")) if not conforms else 0
    return ValidationResult(conforms, "" if conforms else text, violations, check_owl(graph) if owl else "skipped: not asked")


def check_owl(graph: Graph) -> str:
    """Run HermiT (through owlready2) over the ontology plus the graph's types and relations."""
    if shutil.which("java") is None:
        return "skipped: Java is not installed (owlready2's reasoner HermiT needs it)"
    try:
        import owlready2
    except ImportError:
        return "skipped: owlready2 is not installed"
    core = load_ontology()
    for s, o in graph.subject_objects(RDF.type):
        if str(o).startswith(str(KG._NS)) and o not in (KG.Evidence, KG.Membership):
            core.add((s, RDF.type, o))
    for p in _RELATIONS:
        for s, o in graph.subject_objects(p):
            core.add((s, p, o))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "kg-owl-check.nt")
        core.serialize(path, format="nt", encoding="utf-8")
        world = owlready2.World()
        onto = world.get_ontology("file://" + path).load(format="ntriples")
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            return f"inconsistent: {exc}"
        except (owlready2.OwlReadyJavaError, OSError) as exc:
            lines = [l.strip() for l in str(exc).splitlines() if "Exception" in l or "Error" in l]
            return f"skipped: the reasoner could not run ({lines[0] if lines else type(exc).__name__})"
        unsatisfiable = list(world.inconsistent_classes())
        if unsatisfiable:
            return "inconsistent: unsatisfiable classes " + ", ".join(sorted(str(c) for c in unsatisfiable))
    return "consistent"
