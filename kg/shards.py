"""Per-document N-Quads shards: one `.nq` file per document, its triples in a named graph of its own.

A shard holds what kg.build.build_lines makes of that one document: the document node, its mentions,
statements with their kg:Evidence, memberships and kg:Figure nodes, the type and label triples of the
entities it names, and the gazetteer's place hierarchy above its places. The named graph is the
document's IRI (`<base>document/<id>`), so loading every shard into one store gives the whole graph in
the union of the named graphs, and replacing one document means replacing one graph. Shards can be
written by separate processes or machines and bulk-loaded together.

Labels are the document's own: where documents name an entity differently, the union holds each
document's label, while a full build keeps only the most used one (and the others as skos:altLabel).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from kg.build import build_lines, document_iri
from kg.gazetteer import Gazetteer, load
from kg.model import Extraction
from kg.serialize import write_atomic
from kg.settings import Settings

SUFFIX = ".nq"
# Shards are named by document id (16 hex digits of the content hash); only such files are pruned.
SHARD_NAME = re.compile(r"^[0-9a-f]{16}\.nq$")


def shard_lines(extraction: Extraction, settings: Settings | None = None,
                gazetteer: Gazetteer | None = None) -> Iterator[str]:
    """The N-Quads lines (with their newline) of one document's shard, in sorted order."""
    settings = settings or Settings.from_env()
    graph = f"<{document_iri(extraction.document.id, settings.base_iri)}>"
    for line in build_lines([extraction], settings, gazetteer):
        yield f"{line} {graph} .\n"


def shard_path(extraction: Extraction, out_dir: str | Path) -> Path:
    return Path(out_dir) / f"{extraction.document.id}{SUFFIX}"


def write_shards(extractions: Iterable[Extraction], out_dir: str | Path, settings: Settings | None = None,
                 gazetteer: Gazetteer | None = None, *, prune: bool = True) -> list[Path]:
    """Write one `<document id>.nq` per extraction into `out_dir` (each atomically); return the paths, sorted.

    The same extractions give byte-identical files. With `prune`, shards in `out_dir` of documents that are
    not among `extractions` are removed, so the folder holds exactly this corpus (other files are left alone).
    """
    settings = settings or Settings.from_env()
    gaz = gazetteer or load()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for extraction in sorted(extractions, key=lambda x: x.document.id):
        path = shard_path(extraction, out)
        write_atomic(path, shard_lines(extraction, settings, gaz))
        paths[path.name] = path
    if prune:
        for old in out.iterdir():
            if SHARD_NAME.match(old.name) and old.name not in paths and old.is_file():
                old.unlink()
    return sorted(paths.values())


def load_shards(paths: Iterable[str | Path]):
    """An in-memory pyoxigraph Store with every shard bulk-loaded (each document in its named graph)."""
    import pyoxigraph as ox

    from kg.store import load_into

    store = ox.Store()
    for path in paths:
        load_into(store, Path(path))
    return store
