"""`run()` composes the stages: read -> extract -> build -> validate -> write. The CLI and notebooks call it."""

from __future__ import annotations

import functools
import gc
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from rdflib import Graph

from kg import incremental, report, serialize
from kg.build import document_lines, lines_to_graph, merge
from kg.extract import Extractor
from kg.cache import ExtractionCache
from kg.errors import InputError, KGError
from kg.gazetteer import load as load_gazetteer
from kg.ingest import Skipped, display_path, iter_files, read_document
from kg.model import Document, Extraction, Summary
from kg.settings import SAMPLE_CORPUS, Settings
from kg.validate import ValidationResult, validate_graph

# From this many triples, graph.ttl and graph.jsonld are written by another process beside the analytics
# (below it starting that process costs more than it saves). One process writes both in one pass: on two
# cores, two writers and the analytics only took turns, and each writer read and grouped the graph again.
BACKGROUND_WRITES_MIN_TRIPLES = 50_000
ENTITY_CLASSES = ("Organization", "Person", "Project", "FundingSource", "Municipality", "Department", "Country")
RELATIONS = ("funds", "implements", "benefits", "affiliatedWith", "subOrganizationOf", "partOf")


@dataclass
class BuildResult:
    """What a build read, skipped, produced and wrote."""

    inputs: list[str]
    summaries: list[Summary]  # one per document read, by source
    skipped: list[Skipped]
    triples: int
    validation: ValidationResult | None
    base_iri: str = Settings.base_iri
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    who_matters: str = ""  # the "Who matters" section of report.md (kg.analyze)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage (`kg build --timings`)
    kept: list[Extraction] | None = field(default=None, repr=False)  # the extractions, when not cached
    cache: ExtractionCache | None = field(default=None, repr=False)
    made: list[str] | None = field(default=None, repr=False)  # the lines, when the build made them all
    counts: tuple[dict[str, int], dict[str, int]] | None = field(default=None, repr=False)  # see _counts
    patched: int | None = None  # lines added or removed when the build patched the last one's files (kg.incremental)

    @cached_property
    def lines(self) -> list[str]:
        """The graph as sorted N-Triples lines (see kg.build.merge_lines): as made, or read back from graph.nt
        after a build that patched the files (kg.incremental)."""
        if self.made is not None:
            return self.made
        return list(serialize.read_ntriples(self.files["graph.nt"]))

    @cached_property
    def extractions(self) -> list[Extraction]:
        """Every document's Extraction, by source: kept from the build, or read back from its cache on first
        use (a build holds only summaries and graph lines, so memory does not grow with every text)."""
        if self.kept is not None:
            return self.kept
        out = []
        for summary in self.summaries:
            got = self.cache.get(summary.content_hash, summary.source) if self.cache else None
            if got is None:
                raise KGError(f"{summary.source}: its extraction is no longer in the cache; build again")
            out.append(got)
        return out

    @property
    def documents(self) -> list[Document]:
        return [x.document for x in self.extractions]

    @cached_property
    def graph(self) -> Graph:
        """The graph as an rdflib Graph, parsed on first use."""
        return lines_to_graph(self.lines, self.base_iri)

    @property
    def triple_count(self) -> int:
        return self.triples

    @property
    def class_counts(self) -> dict[str, int]:
        return self._counts[0]

    @property
    def relation_counts(self) -> dict[str, int]:
        return self._counts[1]

    @cached_property
    def _counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """(entities by class, relations by name), for every class and relation of the report."""
        if self.counts is not None:
            classes, relations = self.counts
        else:
            classes, relations = Counter(), Counter()
            incremental.tally(self.lines, classes, relations)
        return ({cls: classes.get(cls, 0) for cls in (*ENTITY_CLASSES, "Document")},
                {rel: relations.get(rel, 0) for rel in RELATIONS})


# Python's cycle collector during a build (and in its worker processes): a full collection walks every object
# the build holds (10,000 documents' summaries, lines and counts), and at the default thresholds (700, 10, 10)
# one ran about a hundred times a rebuild: 0.9-1.3 s of a 7-10 s rebuild of 10,000 documents, 0.15-0.2 s at
# these. Young cycles are still collected; the thresholds the caller had come back when run() returns.
BUILD_GC_THRESHOLDS = (100_000, 50, 100)


def _fewer_collections(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        before = gc.get_threshold()
        gc.set_threshold(*BUILD_GC_THRESHOLDS)
        try:
            return func(*args, **kwargs)
        finally:
            gc.set_threshold(*before)
    return wrapper


@_fewer_collections
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
    timings: dict[str, float] = {}
    clock = _Clock(timings)
    if write:
        serialize.remove_stale_temporaries(out)
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}
    summaries: dict[str, Summary] = {}  # source -> summary
    known: dict[str, list[str]] = {}  # source -> its document's graph lines, made by a worker or cached
    kept: dict[str, Extraction] | None = None if store else {}  # with no cache to read them back from
    todo: list[tuple[str, str, str]] = []  # (path, shown source, content hash)
    pool = None  # started at the first document to extract: the workers load the model while the scan goes on
    processes = workers or os.cpu_count() or 1
    for item in iter_files(inputs):
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        source = _shown(item, bool(paths))
        try:
            digest = serialize.file_sha256(item)
        except OSError as exc:
            skipped.append(Skipped(source, f"cannot read ({exc.strerror})"))
            continue
        if digest in seen:
            skipped.append(Skipped(source, f"same content as {seen[digest]}; its facts are counted once"))
            continue
        seen[digest] = source
        hit = store.get_summary(digest, source) if store else None
        if hit is not None:
            summaries[source] = hit
            continue
        extraction = store.get(digest, source) if store else None
        if extraction is not None:  # the same content under another name: its lines must name this one
            summaries[source], known[source] = extraction.summary(), document_lines(extraction, settings)
            store.put(extraction, known[source], summaries[source])
        else:
            todo.append((str(item), source, digest))
            if pool is None and extractor is None and processes > 1:
                pool = _start_pool(settings, processes, store)
    clock.lap("read cache" if store else "scan")
    for source, result in _extract_all(todo, settings, extractor, processes, progress, store, pool):
        if isinstance(result, Skipped):
            skipped.append(result)
            continue
        summaries[source], known[source], extraction = result
        if kept is not None:
            kept[source] = extraction
    clock.lap("extract")
    order = sorted(summaries)
    gaz = extractor.gaz if extractor else load_gazetteer()
    folder = store.dir / "build" if store and write else None
    state = incremental.load(folder, out) if folder else None
    if folder:
        incremental.forget(folder)  # until the files are all written again
    patched = incremental.patch(out, folder, state, summaries, known, store.lines, store.get_summary, settings,
                                gaz) if state else None
    network = None  # the network's triples in the store beside the state (kg.incremental), brought up to date
    if patched is not None:
        network = incremental.network_store(folder, patched.removed, patched.added)
    merged = None
    if patched is None:
        if folder:
            incremental.network_folder(folder, fresh=True)  # made again by the analytics, if they run
        merged = merge(((summaries[s], known.pop(s) if s in known else _cached_lines(store, summaries[s]))
                        for s in order), settings, gaz)
    clock.lap("graph")
    shown = inputs if paths else ["sample-corpus (the five IOM pages bundled with kg)"]
    result = BuildResult(shown, [summaries[s] for s in order], skipped,
                         patched.state.triples if patched else len(merged.lines), None, settings.base_iri,
                         timings=timings, kept=None if kept is None else [kept[s] for s in order], cache=store,
                         made=merged.lines if merged else None,
                         counts=(patched.state.classes, patched.state.relations) if patched else None,
                         patched=len(patched.removed) + len(patched.added) if patched else None)
    if write:
        result.files.update((name, out / name) for name in incremental.GRAPH_FILES)
    if validate and result.triple_count <= settings.validate_max_triples:
        result.validation = validate_graph(result.graph)
        clock.lap("validate")
    elif validate:
        result.validation = ValidationResult(True, "", 0, "skipped: not run", skipped=(
            f"the graph has {result.triple_count:,} triples, more than {settings.validate_max_triples:,} "
            "(KG_VALIDATE_MAX_TRIPLES); run `kg validate OUT/graph.ttl` to check it"))
    writes = None
    if write:
        if merged is not None:
            ntriples = out / "graph.nt"
            serialize.write_atomic(ntriples, serialize.ntriples_chunks(merged.lines))
            jobs = [(serialize.graph_files, (ntriples, settings.base_iri, out / "graph.ttl", out / "graph.jsonld"))]
            if len(merged.lines) >= BACKGROUND_WRITES_MIN_TRIPLES:  # in another process, beside the analytics
                writes = serialize.BackgroundWrites(jobs)
            else:
                serialize.write_jobs(jobs)
        clock.lap("graph files")
        scores = None
        if analyze:
            from kg import analyze as analytics

            keep = out / ".cache" / "analysis.json" if store else None
            if network is None:  # on disk beside the state, for the next build to update (kg.incremental)
                network = analytics.network_store(result.lines, path=incremental.network_folder(folder) if folder else None)
            analysis = analytics.analyze(network, out, base_iri=settings.base_iri, keep=keep,
                                        changed=(patched.removed, patched.added) if patched else None)
            result.files.update(analysis.files)
            result.who_matters = analytics.who_matters_section(analysis)
            scores = {iri: row["pagerank"] for iri, row in analysis.scores.items()}
            clock.lap("analyze")
        elif store:  # the measures kept are no longer those of the network the next build starts from
            (out / ".cache" / "analysis.json").unlink(missing_ok=True)
            (out / ".cache" / "analysis-network.marshal").unlink(missing_ok=True)
        if views and result.triple_count <= settings.views_max_triples:
            from kg.viz import render_views

            # Named by the content of graph.nt: when neither it nor the scores changed, the views are left alone
            # without reading the graph.
            source = "graph.nt " + serialize.file_sha256(out / "graph.nt")
            result.files["views/index.html"] = render_views(lambda: result.lines, out, scores=scores, source=source)[0]
            clock.lap("views")
        elif views:
            result.notes.append(f"Views not written: the graph has {result.triple_count:,} triples, more than "
                                f"{settings.views_max_triples:,} (KG_VIEWS_MAX_TRIPLES); run `kg viz` to write them.")
        network = None  # closes the store
        if writes is not None:
            writes.wait()
            clock.lap("graph files")
        serialize.write_atomic(out / "report.md", report.build_report(result).encode("utf-8"))
        result.files["report.md"] = out / "report.md"
        clock.lap("report")
        if store:
            store.keep_summaries(result.summaries)
        if folder:
            if patched:
                incremental.save(folder, patched.state, out, patched.entities, patched.shared)
            else:
                state = incremental.State(incremental.code_stamp(), incremental.document_hashes(summaries),
                                          len(merged.lines), *result._counts)
                incremental.save(folder, state, out, merged.entities, merged.shared)
            clock.lap("state")
    return result


class _Clock:
    """Records the seconds since the last lap under a stage name."""

    def __init__(self, timings: dict[str, float]):
        self.timings, self.last = timings, time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
        self.last = now


def _cached_lines(cache: ExtractionCache | None, summary: Summary) -> list[str]:
    lines = cache.lines(summary.content_hash, summary.source) if cache else None
    if lines is None:
        raise KGError(f"{summary.source}: its graph lines are no longer in the cache (OUT/.cache); build again")
    return lines


def _shown(path: Path, explicit: bool) -> str:
    """How a document's source is named: as given, or relative for the bundled corpus."""
    if explicit:
        return display_path(path)
    return "sample-corpus/" + path.relative_to(SAMPLE_CORPUS.parent).as_posix()


def _extract_all(todo: list[tuple[str, str, str]], settings: Settings, extractor: Extractor | None,
                 workers: int, progress: bool | None, cache: ExtractionCache | None,
                 pool: ProcessPoolExecutor | None = None,
                 ) -> Iterator[tuple[str, tuple[Summary, list[str], Extraction | None] | Skipped]]:
    """(source, (summary, its document's graph lines, Extraction or None) or Skipped) for each (path, source,
    hash), in order; in worker processes (`pool`, or one started here when it pays).

    Workers take documents in batches (spaCy runs a batch a quarter faster than one document at a time), make
    each document's graph lines, and write all to the cache themselves; with a cache, they send back only the
    summary and the lines (the main process reads an extraction back from the cache if it is asked for).
    """
    try:
        if not todo:
            return
        size = max(1, min(BATCH, len(todo) // (workers * 4)))
        batches = [todo[i:i + size] for i in range(0, len(todo), size)]
        if pool is None and (workers <= 1 or len(todo) < 4 * workers or extractor is not None):
            extractor = extractor or Extractor(settings)
            results = (_extract_batch(batch, extractor, cache, settings) for batch in batches)
        else:
            pool = pool or _start_pool(settings, workers, cache, warm=False)
            results = pool.map(_worker, batches)
        bar = _progress_bar(len(todo), progress)
        try:
            for batch, batch_results in zip(batches, results):
                for (_, source, _), result in zip(batch, batch_results):
                    yield source, result
                if bar is not None:
                    bar.update(len(batch))
        finally:
            if bar is not None:
                bar.close()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _start_pool(settings: Settings, workers: int, cache: ExtractionCache | None, *, warm: bool = True) -> ProcessPoolExecutor:
    """Worker processes, each with its extractor; `warm` starts one now (and its model loading: the others start
    when there is work for them, and a rebuild of a few documents needs only one, beside the scan on the other core)."""
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(settings, cache))
    if warm:
        pool.submit(_ready)
    return pool


def _ready() -> bool:
    return _WORKER is not None


BATCH = 32  # documents per worker task


def _extract_batch(batch: list[tuple[str, str, str]], extractor: Extractor, cache: ExtractionCache | None,
                   settings: Settings) -> list[tuple[Summary, list[str], Extraction | None] | Skipped]:
    """Read a batch of documents, run the model over the readable ones together, extract, make the graph
    lines and summary of each, cache."""
    results: list[tuple[Summary, list[str], Extraction | None] | Skipped | None] = []
    readable: list[Document] = []
    for path, source, _ in batch:
        try:
            readable.append(replace(read_document(path), source=source))
            results.append(None)
        except InputError as exc:
            results.append(Skipped(source, exc.reason))
    extractions = iter(extractor.extract_all(readable))
    for i, result in enumerate(results):
        if result is None:
            extraction = next(extractions)
            lines, summary = document_lines(extraction, settings), extraction.summary()
            if cache is not None:
                cache.put(extraction, lines, summary)
            results[i] = (summary, lines, None if cache is not None else extraction)
    return results


_WORKER: tuple[Extractor, ExtractionCache | None, Settings] | None = None


def _init_worker(settings: Settings, cache: ExtractionCache | None) -> None:
    global _WORKER
    _WORKER = (Extractor(settings), cache, settings)


def _worker(batch: list[tuple[str, str, str]]) -> list[tuple[Summary, list[str], Extraction | None] | Skipped]:
    assert _WORKER is not None
    return _extract_batch(batch, *_WORKER)


def _progress_bar(total: int, enabled: bool | None):
    """A tqdm bar on stderr (None when off or for a single document; tqdm hides itself off a terminal)."""
    if enabled is False or total < 2:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="extracting", unit="doc", file=sys.stderr, disable=None if enabled is None else not enabled)


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
