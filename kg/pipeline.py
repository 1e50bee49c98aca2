"""`run()` composes the stages: read -> extract -> build -> validate -> write. The CLI and notebooks call it."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF

from kg import report, serialize
from kg.build import build_graph
from kg.extract import Extractor
from kg.ingest import Skipped, read_documents
from kg.model import Document, Extraction
from kg.ontology import KG
from kg.settings import SAMPLE_CORPUS, Settings
from kg.validate import ValidationResult, validate_graph

ENTITY_CLASSES = ("Organization", "Person", "Project", "FundingSource", "Municipality", "Department", "Country")
RELATIONS = ("funds", "implements", "benefits", "affiliatedWith", "subOrganizationOf", "partOf")


@dataclass
class BuildResult:
    """What a build read, skipped, produced and wrote."""

    inputs: list[str]
    documents: list[Document]
    skipped: list[Skipped]
    extractions: list[Extraction]
    graph: Graph
    validation: ValidationResult | None
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def class_counts(self) -> dict[str, int]:
        counts = Counter(str(o).rsplit("#", 1)[-1] for o in self.graph.objects(None, RDF.type))
        return {cls: counts.get(cls, 0) for cls in (*ENTITY_CLASSES, "Document")}

    @property
    def relation_counts(self) -> dict[str, int]:
        return {rel: len(set(self.graph.subject_objects(getattr(KG, rel)))) for rel in RELATIONS}


def run(paths: Iterable[str | Path] | None = None, *, out_dir: str | Path | None = None,
        settings: Settings | None = None, validate: bool = True, write: bool = True,
        progress: bool | None = None, extractor: Extractor | None = None) -> BuildResult:
    """Build the knowledge graph of `paths` (default: the bundled sample corpus) into `out_dir`."""
    settings = settings or Settings.from_env()
    inputs = [str(p) for p in paths] if paths else [str(SAMPLE_CORPUS)]
    documents, skipped = [], []
    seen: dict[str, str] = {}
    for item in read_documents(inputs):
        if isinstance(item, Skipped):
            skipped.append(item)
        elif item.id in seen:
            skipped.append(Skipped(item.source, f"same content as {seen[item.id]}; its facts are counted once"))
        else:
            if not paths:
                # The bundled corpus is named the same wherever the package is installed.
                item = replace(item, source="sample-corpus/" + Path(item.source).relative_to(SAMPLE_CORPUS.parent).as_posix())
            seen[item.id] = item.source
            documents.append(item)
    extractor = extractor or Extractor(settings)
    extractions = list(_progress(extractor.extract_all(documents), len(documents), progress))
    graph = build_graph(extractions, settings, extractor.gaz)
    validation = validate_graph(graph) if validate else None
    shown = inputs if paths else ["sample-corpus (the five IOM pages bundled with kg)"]
    result = BuildResult(shown, documents, skipped, extractions, graph, validation)
    if write:
        out = Path(out_dir) if out_dir is not None else settings.out_dir
        outputs = {
            "graph.ttl": serialize.turtle(graph),
            "graph.jsonld": serialize.jsonld(graph, settings.base_iri),
        }
        for name, data in outputs.items():
            serialize.write_atomic(out / name, data)
            result.files[name] = out / name
        serialize.write_atomic(out / "report.md", report.build_report(result).encode("utf-8"))
        result.files["report.md"] = out / "report.md"
    return result


def _progress(items, total: int, enabled: bool | None):
    if enabled is False or total < 2:
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, desc="extracting", unit="doc", file=sys.stderr, disable=None if enabled is None else not enabled)


def load_graph(path: str | Path) -> Graph:
    """A graph file (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML) by its extension."""
    from kg.errors import GraphFileError

    path = Path(path)
    formats = {".ttl": "turtle", ".nt": "nt", ".nq": "nquads", ".trig": "trig", ".jsonld": "json-ld",
               ".json": "json-ld", ".rdf": "xml", ".owl": "xml", ".xml": "xml"}
    fmt = formats.get(path.suffix.lower())
    if fmt is None:
        raise GraphFileError(f"{path}: unknown graph format '{path.suffix}'; expected one of {', '.join(sorted(formats))}")
    if not path.exists():
        raise GraphFileError(f"{path}: no such file; run `kg build` first or name an existing graph file")
    graph = Graph()
    try:
        graph.parse(path, format=fmt)
    except Exception as exc:  # rdflib raises many unrelated types for bad input
        raise GraphFileError(f"{path}: cannot parse as {fmt}: {exc}") from None
    return graph
