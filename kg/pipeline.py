"""`run()` composes the stages: read -> extract -> build -> validate -> write. The CLI and notebooks call it."""

from __future__ import annotations

import hashlib
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF

from kg import report, serialize
from kg.build import build_lines, lines_to_graph
from kg.extract import Extractor
from kg.cache import ExtractionCache
from kg.errors import InputError
from kg.ingest import Skipped, display_path, iter_files, read_document
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
    lines: list[str]  # the graph as sorted N-Triples lines (see kg.build.build_lines)
    validation: ValidationResult | None
    base_iri: str = Settings.base_iri
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    who_matters: str = ""  # the "Who matters" section of report.md (kg.analyze)

    @cached_property
    def graph(self) -> Graph:
        """The graph as an rdflib Graph, parsed on first use."""
        return lines_to_graph(self.lines, self.base_iri)

    @property
    def triple_count(self) -> int:
        return len(self.lines)

    @property
    def class_counts(self) -> dict[str, int]:
        type_prefix = f"<{RDF.type}> <{KG._NS}"
        counts = Counter(line.split(type_prefix, 1)[1][:-1] for line in self.lines if type_prefix in line)
        return {cls: counts.get(cls, 0) for cls in (*ENTITY_CLASSES, "Document")}

    @property
    def relation_counts(self) -> dict[str, int]:
        counts = Counter(line.split("> <", 2)[1].rsplit("#", 1)[-1] for line in self.lines
                         if line.startswith("<") and f"> <{KG._NS}" in line)
        return {rel: counts.get(rel, 0) for rel in RELATIONS}


def run(paths: Iterable[str | Path] | None = None, *, out_dir: str | Path | None = None,
        settings: Settings | None = None, validate: bool = True, write: bool = True,
        progress: bool | None = None, extractor: Extractor | None = None, workers: int | None = None,
        cache: bool = True, views: bool = True, analyze: bool = True) -> BuildResult:
    """Build the knowledge graph of `paths` (default: the bundled sample corpus) into `out_dir`.

    Documents are extracted in `workers` processes (default: all cores); results are cached per
    document under `out_dir/.cache`, so a rebuild only extracts what changed.
    """
    settings = settings or Settings.from_env()
    out = Path(out_dir) if out_dir is not None else settings.out_dir
    inputs = [str(p) for p in paths] if paths else [str(SAMPLE_CORPUS)]
    store = ExtractionCache(out, settings) if cache and write else None
    if write:
        serialize.remove_stale_temporaries(out)
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}
    done: dict[str, Extraction] = {}
    todo: list[tuple[str, str]] = []  # (path, shown source)
    for item in iter_files(inputs):
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        source = _shown(item, bool(paths))
        try:
            digest = _file_hash(item)
        except OSError as exc:
            skipped.append(Skipped(source, f"cannot read ({exc.strerror})"))
            continue
        if digest in seen:
            skipped.append(Skipped(source, f"same content as {seen[digest]}; its facts are counted once"))
            continue
        seen[digest] = source
        cached = store.get(digest, source) if store else None
        if cached is not None:
            done[source] = cached
        else:
            todo.append((str(item), source))
    for source, result in _extract_all(todo, settings, extractor, workers, progress):
        if isinstance(result, Skipped):
            skipped.append(result)
            continue
        done[source] = result
        if store:
            store.put(result)
    extractions = [done[source] for source in sorted(done)]
    documents = [x.document for x in extractions]
    gaz = extractor.gaz if extractor else None
    lines = build_lines(extractions, settings, gaz)
    shown = inputs if paths else ["sample-corpus (the five IOM pages bundled with kg)"]
    result = BuildResult(shown, documents, skipped, extractions, lines, None, settings.base_iri)
    if validate and len(lines) <= settings.validate_max_triples:
        result.validation = validate_graph(result.graph)
    elif validate:
        result.validation = ValidationResult(True, "", 0, "skipped: not run", skipped=(
            f"the graph has {len(lines):,} triples, more than {settings.validate_max_triples:,} "
            "(KG_VALIDATE_MAX_TRIPLES); run `kg validate OUT/graph.ttl` to check it"))
    if write:
        outputs = {
            "graph.ttl": serialize.turtle_lines(lines, settings.base_iri),
            "graph.jsonld": serialize.jsonld_lines(lines, settings.base_iri),
        }
        for name, data in outputs.items():
            serialize.write_atomic(out / name, data)
            result.files[name] = out / name
        scores = None
        if analyze:
            from kg import analyze as analytics

            analysis = analytics.analyze(_store(lines), out)
            result.files.update(analysis.files)
            result.who_matters = analytics.who_matters_section(analysis)
            scores = {iri: row["pagerank"] for iri, row in analysis.scores.items()}
        if views and len(lines) <= settings.views_max_triples:
            from kg.viz import render_views

            result.files["views/index.html"] = render_views(result.graph, out, scores=scores)[0]
        elif views:
            result.notes.append(f"Views not written: the graph has {len(lines):,} triples, more than "
                                f"{settings.views_max_triples:,} (KG_VIEWS_MAX_TRIPLES); run `kg viz` to write them.")
        serialize.write_atomic(out / "report.md", report.build_report(result).encode("utf-8"))
        result.files["report.md"] = out / "report.md"
    return result


def _store(lines: list[str]):
    """An in-memory pyoxigraph store of the graph's lines (loads millions of triples in seconds)."""
    import pyoxigraph

    store = pyoxigraph.Store()
    store.bulk_load("".join(f"{line} .\n" for line in lines).encode("utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def _shown(path: Path, explicit: bool) -> str:
    """How a document's source is named: as given, or relative for the bundled corpus."""
    if explicit:
        return display_path(path)
    return "sample-corpus/" + path.relative_to(SAMPLE_CORPUS.parent).as_posix()


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _extract_all(todo: list[tuple[str, str]], settings: Settings, extractor: Extractor | None,
                 workers: int | None, progress: bool | None) -> Iterator[tuple[str, Extraction | Skipped]]:
    """(source, Extraction or Skipped) for each (path, source), in order; in worker processes when it pays."""
    workers = workers or os.cpu_count() or 1
    if not todo:
        return
    if workers <= 1 or len(todo) < 4 * workers or extractor is not None:
        extractor = extractor or Extractor(settings)
        results = (_extract_one(path, source, extractor) for path, source in todo)
    else:
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(settings,))
        results = pool.map(_worker, todo, chunksize=max(1, min(16, len(todo) // (workers * 8))))
    try:
        for (path, source), result in zip(todo, _progress(results, len(todo), progress)):
            yield source, result
    finally:
        if workers > 1 and "pool" in locals():
            pool.shutdown(cancel_futures=True)


def _extract_one(path: str, source: str, extractor: Extractor) -> Extraction | Skipped:
    try:
        doc = read_document(path)
    except InputError as exc:
        return Skipped(source, exc.reason)
    doc = replace(doc, source=source)
    return next(extractor.extract_all([doc]))


_WORKER_EXTRACTOR: Extractor | None = None


def _init_worker(settings: Settings) -> None:
    global _WORKER_EXTRACTOR
    _WORKER_EXTRACTOR = Extractor(settings)


def _worker(task: tuple[str, str]) -> Extraction | Skipped:
    assert _WORKER_EXTRACTOR is not None
    return _extract_one(task[0], task[1], _WORKER_EXTRACTOR)


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
