"""Rebuilds that patch the previous build's graph files instead of writing them again.

A build leaves beside its cache what the next one needs (`State`): which documents, by content hash, made
the graph; the lines made more than once and how many times; the lines made from all documents together
(entity labels, the place hierarchy); the counts of the report; and a stamp (size, mtime) of each graph
file. When few documents changed since, the next build works out which lines come and go, finds them in the
sorted files by binary search, and writes each file as runs of its old bytes around the changed lines
(graph.nt) or subjects (graph.ttl, graph.jsonld). The files are byte for byte what a full build writes
(tests/test_incremental.py). Anything unexpected (a file edited since, a cache entry gone, a line that is
not where the state says) returns None, and the build writes everything again.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import mmap
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from json.decoder import scanstring
from pathlib import Path

from rdflib.namespace import RDF

from kg import serialize
from kg.build import Blocks, entity_blocks, hierarchy_lines, places
from kg.gazetteer import Gazetteer
from kg.model import Summary
from kg.ontology import KG
from kg.resolve import resolve
from kg.settings import PACKAGE_DIR, Settings

GRAPH_FILES = ("graph.nt", "graph.ttl", "graph.jsonld")
ENTITIES = "entities.marshal"  # the entity lines of the last build, by entity (kg.build.Blocks)
# Past this share of documents changed, writing every file again costs less than finding each changed line.
MAX_CHANGED_SHARE = 0.02
# Modules that decide the files' bytes, and which triples the network's store holds (with the network query).
_CODE = ("serialize", "incremental", "vocab", "build", "analyze")


@dataclass
class State:
    """What the last build in a folder made (OUT/.cache/<fingerprint>/build/state.json)."""

    code: str
    documents: dict[str, str]  # source -> content hash
    triples: int
    classes: dict[str, int]  # entities by class, relations by name: the counts of the report
    relations: dict[str, int]
    stamps: dict[str, list[int]] = field(default_factory=dict)  # graph file -> [size, mtime_ns]


@dataclass
class Patched:
    """A patched graph: its new state (stamps still to take), what the next state keeps besides, and the lines
    that went and came."""

    state: State
    entities: Blocks
    shared: dict[str, int]
    removed: list[str]
    added: list[str]


def code_stamp() -> str:
    from kg.query import find_query
    from kg.vocab import NETWORK_QUERY

    h = hashlib.sha256()
    for name in _CODE:
        h.update((PACKAGE_DIR / f"{name}.py").read_bytes())
    h.update(find_query(NETWORK_QUERY).text.encode("utf-8"))
    return h.hexdigest()[:16]


def document_hashes(summaries: dict[str, Summary]) -> dict[str, str]:
    """State.documents of a build: source -> content hash."""
    return {source: summary.content_hash for source, summary in summaries.items()}


def tally(lines: Iterable[str], classes: Counter, relations: Counter, step: int = 1) -> None:
    """Add `step` to `classes` for each `rdf:type kg:Class` line and to `relations` for each `kg:` property."""
    rdf_type, kg_ns = f"<{RDF.type}>", f"<{KG._NS}"
    for line in lines:
        _, predicate, obj = line.split(" ", 2)
        if predicate == rdf_type:
            if obj.startswith(kg_ns):
                classes[obj[len(kg_ns):-1]] += step
        elif predicate.startswith(kg_ns):
            relations[predicate[len(kg_ns):-1]] += step


# --- The state beside the cache -------------------------------------------------------------------------

def forget(folder: Path) -> None:
    """Drop the state before any file is replaced: a build stopped half way leaves none, so the next one
    writes everything."""
    (folder / "state.json").unlink(missing_ok=True)


def save(folder: Path, state: State, out: Path, entities: Blocks, shared: dict[str, int]) -> None:
    """Keep the state of a build whose graph files in `out` are all written (the stamps are taken now)."""
    state.stamps = {name: serialize.file_stamp(out / name) for name in GRAPH_FILES}
    serialize.write_atomic(folder / ENTITIES, marshal.dumps(dict(sorted(entities.items()))), fsync=False)
    serialize.write_atomic(folder / "shared.lines", "".join(f"{n}\t{line}\n" for line, n in sorted(shared.items()))
                           .encode("utf-8"), fsync=False)
    serialize.write_atomic(folder / "state.json", json.dumps(asdict(state), sort_keys=True).encode("utf-8"))


def load(folder: Path, out: Path) -> State | None:
    """The last build's state, if its graph files are still as it left them and the code that wrote them the same."""
    try:
        state = State(**json.loads((folder / "state.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if state.code != code_stamp():
        return None
    for name in GRAPH_FILES:
        try:
            if state.stamps.get(name) != serialize.file_stamp(out / name):
                return None
        except OSError:
            return None
    return state


# --- The actor network's triples in an on-disk store ----------------------------------------------------------
# The analytics compare the actor network with the last build's (kg.analyze keeps the measures when it is the
# same); finding the network takes one query over the triples it is made of. A full build loads them into a
# store on disk beside the state; a rebuild updates it by the lines that changed instead of loading them again.

def network_folder(folder: Path, *, fresh: bool = False) -> Path:
    """Where the store of the network's triples is kept; `fresh` removes what is there (a full build makes it
    again from the whole graph, see kg.analyze.network_store)."""
    if fresh:
        import shutil

        shutil.rmtree(folder / "network", ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "network"


def network_store(folder: Path, removed: list[str], added: list[str]):
    """The network's store of the last build brought up to date by the lines that went and came (None if there is
    none). Call it after every patch, or drop the store: it must follow the graph."""
    import pyoxigraph

    from kg.analyze import network_terms

    if not network_folder(folder).is_dir():
        return None
    wanted = network_terms()
    try:
        store = pyoxigraph.Store(str(network_folder(folder)))
        for lines, change in ((removed, store.remove), (added, store.add)):
            part = [line for line in lines if line.split(" ", 2)[1] in wanted]
            if part:
                for quad in pyoxigraph.parse(" .\n".join(part).encode() + b" .\n", format=pyoxigraph.RdfFormat.N_TRIPLES):
                    change(quad)
    except OSError:  # unreadable, or open in another process: made again from the graph
        store = None
        network_folder(folder, fresh=True)
    return store


def _read_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return text.split("\n") if text else []  # not splitlines(): U+2028 may be in a literal


def _read_shared(path: Path) -> dict[str, int]:
    shared = {}
    for row in _read_lines(path):
        if row:
            n, _, line = row.partition("\t")
            shared[line] = int(n)
    return shared


# --- Patching ------------------------------------------------------------------------------------------------

def patch(out: Path, folder: Path, state: State, summaries: dict[str, Summary], made: dict[str, list[str]],
          old_lines, old_summary, settings: Settings, gazetteer: Gazetteer) -> Patched | None:
    """Patch graph.nt, graph.ttl and graph.jsonld in `out` from `state` to the graph of `summaries` (source ->
    summary); `made` holds the graph lines of each document extracted in this build, `old_lines(hash, source)`
    and `old_summary(hash, source)` give a cached document's lines and summary (or None). None when patching is
    not possible or not worth it.

    The entity lines (labels voted across documents, kg.build.entity_blocks) are made again only for the
    entities the documents that went or came name: no other entity's votes changed."""
    documents = document_hashes(summaries)
    gone = [s for s, h in state.documents.items() if documents.get(s) != h]
    came = [s for s, h in documents.items() if state.documents.get(s) != h]
    if len(set(gone) | set(came)) > max(1, int(len(documents) * MAX_CHANGED_SHARE)) or not documents:
        return None
    delta: Counter = Counter()
    keys: set[str] = set()
    for source in gone:
        lines, summary = old_lines(state.documents[source], source), old_summary(state.documents[source], source)
        if lines is None or summary is None:
            return None
        delta.subtract(lines)
        keys.update(e[0] for e in summary.entities)
    for source in came:
        lines = made[source] if source in made else old_lines(documents[source], source)  # extracted or cached
        if lines is None:
            return None
        delta.update(lines)
        keys.update(e[0] for e in summaries[source].entities)
    try:
        entities = _read_blocks(folder / ENTITIES)
        shared = _read_shared(folder / "shared.lines")
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if keys:
        before = places(entities)
        for key in keys:
            delta.subtract(entities.pop(key, (None, []))[1])
        fresh = entity_blocks(resolve(sorted(summaries.values(), key=lambda x: x.id), only=keys), settings, gazetteer)
        for block in fresh.values():
            delta.update(block[1])
        entities.update(fresh)
        after = places(entities)
        if after != before:
            delta.subtract(hierarchy_lines(before, settings, gazetteer))
            delta.update(hierarchy_lines(after, settings, gazetteer))
    try:
        with _files(out, settings.base_iri) as (nt, ttl, js):
            changes = _changes(delta, shared, nt)
            if changes is None:
                return None
            removed, added = changes
            if removed or added:
                _rewrite(nt, ttl, js, removed, added, settings.base_iri)
    except (OSError, ValueError):  # the files may be half patched: the caller writes them all again
        return None
    return Patched(_next(state, documents, len(added) - len(removed), removed, added), entities, shared, removed, added)


def _read_blocks(path: Path) -> Blocks:
    blocks = marshal.loads(path.read_bytes())
    if not isinstance(blocks, dict):
        raise ValueError(f"{path}: not a dict")
    return blocks


class _Stale(ValueError):
    """A file is not what the state says."""


def _changes(delta: Counter, shared: dict[str, int], nt: "_NTriples") -> tuple[list[str], list[str]] | None:
    """(lines to remove, lines to add), with `shared` brought up to date."""
    removed, added = [], []
    for line, d in delta.items():
        if d == 0:
            continue
        before = shared.get(line)
        if before is None:
            before = 1 if d < 0 or nt.contains(line.encode()) else 0  # a removed line is looked for when cut
        after = before + d
        if after < 0:
            return None
        if after >= 2:
            shared[line] = after
        else:
            shared.pop(line, None)
        if before == 0 and after > 0:
            added.append(line)
        elif before > 0 and after == 0:
            removed.append(line)
    return sorted(removed), sorted(added)


def rewrite(out: Path, removed: list[str], added: list[str], base_iri: str) -> None:
    """Patch graph.nt, graph.ttl and graph.jsonld in `out`: the sorted lines `removed` out, `added` in.
    Raises ValueError when a file is not as expected (then any of them may be patched)."""
    with _files(out, base_iri) as (nt, ttl, js):
        _rewrite(nt, ttl, js, removed, added, base_iri)


@contextmanager
def _files(out: Path, base_iri: str) -> Iterator[tuple["_NTriples", "_Turtle", "_JsonLd"]]:
    """The three graph files in `out`, open for patching (the prefixes are those the writers use)."""
    prefixes = dict(serialize._prefixes(base_iri))
    with _NTriples(out / "graph.nt") as nt, _Turtle(out / "graph.ttl", prefixes) as ttl, \
            _JsonLd(out / "graph.jsonld", prefixes) as js:
        yield nt, ttl, js


def _rewrite(nt: "_NTriples", ttl: "_Turtle", js: "_JsonLd", removed: list[str], added: list[str], base_iri: str) -> None:
    blocks = _subject_blocks(nt, removed, added, base_iri)
    nt.rewrite({line.encode(): None for line in removed} | {line.encode(): f"{line} .\n".encode() for line in added})
    ttl.rewrite({key: turtle for key, (turtle, _) in blocks.items()})
    js.rewrite({key: jsonld for key, (_, jsonld) in blocks.items()})


def _subject_blocks(nt: "_NTriples", removed: list[str], added: list[str], base_iri: str) -> dict[bytes, tuple[bytes | None, bytes | None]]:
    """For each subject with a changed line: its Turtle and JSON-LD blocks as a full build writes them (None for
    a subject left without triples), by the key the files are sorted on."""
    turtle, jsonld = serialize._Turtle(base_iri), serialize._JsonLd(base_iri)
    gone = set(removed)
    by_subject: dict[str, list[str]] = {}
    for line in added:
        by_subject.setdefault(line.split(" ", 1)[0], []).append(line)
    for line in removed:
        by_subject.setdefault(line.split(" ", 1)[0], [])
    blocks = {}
    for subject in sorted(by_subject):
        key = f"{subject} ".encode()
        lines = [line for line in nt.starting_with(key) if line not in gone]
        lines = sorted(lines + by_subject[subject])
        if not lines:
            blocks[key] = (None, None)
            continue
        [(iri, pairs)] = list(serialize._groups(lines))
        jsonld.separator = ""
        blocks[key] = (turtle.block(iri, pairs).encode(), jsonld.block(iri, pairs).encode())
    return blocks


def _next(state: State, documents: dict[str, str], grew: int, removed: Iterable[str], added: Iterable[str]) -> State:
    """The state after the patch: the counts the state keeps (those of the report) moved by the lines."""
    classes, relations = Counter(), Counter()
    tally(removed, classes, relations, -1)
    tally(added, classes, relations, 1)
    return State(state.code, documents, state.triples + grew, {k: n + classes[k] for k, n in state.classes.items()},
                 {k: n + relations[k] for k, n in state.relations.items()})


class _Sorted:
    """A graph file kg wrote: a head, records sorted by key (separated by `sep`), and a tail; read through
    mmap. Subclasses say where records start and end and what their key is."""

    sep = b""

    def __init__(self, path: Path):
        self.path = path
        self.handle = open(path, "rb")
        size = os.fstat(self.handle.fileno()).st_size
        self.buf = mmap.mmap(self.handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        self.start, self.end = self.region()
        if self.start >= self.end:
            raise _Stale(f"{path}: no records")

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if isinstance(self.buf, mmap.mmap):
            self.buf.close()
        self.handle.close()

    def region(self) -> tuple[int, int]:
        return 0, len(self.buf)

    def next_start(self, p: int) -> int:
        """The first record starting at or after `p` (self.end if none)."""
        raise NotImplementedError

    def record_end(self, s: int) -> int:
        raise NotImplementedError

    def key(self, s: int, e: int) -> bytes:
        raise NotImplementedError

    def lower_bound(self, key: bytes, lo: int) -> int:
        """The start of the first record from `lo` on whose key is not below `key` (self.end if none)."""
        hi = self.end
        while hi - lo > 1 << 14:
            mid = (lo + hi) // 2
            s = self.next_start(mid)
            if s < self.end and self.key(s, self.record_end(s)) < key:
                lo = s + 1
            else:
                hi = mid
        s = self.next_start(lo)
        while s < self.end:
            e = self.record_end(s)
            if self.key(s, e) >= key:
                return s
            s = self.next_start(e)
        return self.end

    def rewrite(self, edits: dict[bytes, bytes | None]) -> None:
        """Write the file again with the record of each key replaced by its new bytes, removed (None) or
        inserted in order: runs of old bytes around the edits. _Stale if a record to remove is missing or the
        file would be left without records (the file is then left as it was)."""
        sep = self.sep
        with memoryview(self.buf) as view, serialize.atomic(self.path) as out:
            self._copy(view, out, 0, self.start)
            cursor, lo, first = self.start, self.start, True
            for key in sorted(edits):
                new = edits[key]
                s = self.lower_bound(key, lo)
                found = s < self.end and self.key(s, self.record_end(s)) == key
                if not found and new is None:
                    raise _Stale(f"{self.path}: a record to remove is missing")
                if cursor < s:
                    out.write(b"" if first else sep)
                    self._copy(view, out, cursor, self.end if s == self.end else s - len(sep))
                    first = False
                if new is not None:
                    out.write(b"" if first else sep)
                    out.write(new)
                    first = False
                cursor = lo = self.next_start(self.record_end(s)) if found else s
            if cursor < self.end:
                out.write(b"" if first else sep)
                self._copy(view, out, cursor, self.end)
                first = False
            if first:
                raise _Stale(f"{self.path}: no record left")
            self._copy(view, out, self.end, len(self.buf))


    def _copy(self, view: memoryview, out, start: int, end: int) -> None:
        """Bytes start:end of the file to `out`: copied by the kernel when it can (most of a patched file)."""
        if end - start > 1 << 16:
            out.flush()
            try:
                while start < end:
                    copied = os.copy_file_range(self.handle.fileno(), out.fileno(), end - start, start)
                    if copied <= 0:
                        break
                    start += copied
            except OSError:  # not on this file system: copy through memory
                pass
        out.write(view[start:end])


class _NTriples(_Sorted):
    """graph.nt: one line per triple, sorted."""

    def next_start(self, p: int) -> int:
        if p <= self.start:
            return self.start
        i = self.buf.find(b"\n", p - 1, self.end)
        return self.end if i < 0 else i + 1

    def record_end(self, s: int) -> int:
        return self.buf.find(b"\n", s, self.end) + 1

    def key(self, s: int, e: int) -> bytes:
        return self.buf[s:e - 3]  # without " .\n"

    def contains(self, line: bytes) -> bool:
        s = self.lower_bound(line, self.start)
        return s < self.end and self.key(s, self.record_end(s)) == line

    def starting_with(self, prefix: bytes) -> list[str]:
        """The lines starting with `prefix`, in order."""
        out = []
        s = self.lower_bound(prefix, self.start)
        while s < self.end:
            e = self.record_end(s)
            line = self.key(s, e)
            if not line.startswith(prefix):
                break
            out.append(line.decode("utf-8"))
            s = e
        return out


class _Turtle(_Sorted):
    """graph.ttl: the prefixes, then a block per subject, each a blank line and the subject at the start of a
    line (a literal holds no raw line break, so a blank line starts a block)."""

    def __init__(self, path: Path, prefixes: dict[str, str]):
        self.prefixes = prefixes
        super().__init__(path)

    def region(self) -> tuple[int, int]:
        i = self.buf.find(b"\n\n")
        return (i + 1, len(self.buf)) if i >= 0 else (len(self.buf), len(self.buf))

    def next_start(self, p: int) -> int:
        i = self.buf.find(b"\n\n", max(p - 1, self.start - 1), self.end)
        return self.end if i < 0 else i + 1

    def record_end(self, s: int) -> int:
        return self.next_start(s + 1)

    def key(self, s: int, e: int) -> bytes:
        token = self.buf[s + 1:self.buf.find(b" ", s + 1, e)].decode("utf-8")
        if token.startswith("<"):
            return f"{token} ".encode()
        prefix, _, local = token.partition(":")
        return f"<{self.prefixes[prefix]}{local}> ".encode()


class _JsonLd(_Sorted):
    """graph.jsonld: the context, then a node object per subject on a line of its own, `,\\n  ` between."""

    sep = b",\n  "
    _NODE = b'\n  {"@id": '
    _TAIL = b"\n ]\n}\n"

    def __init__(self, path: Path, prefixes: dict[str, str]):
        self.context = prefixes
        super().__init__(path)

    def region(self) -> tuple[int, int]:
        i = self.buf.find(self._NODE)
        if i < 0 or not self.buf[-len(self._TAIL):] == self._TAIL:
            return len(self.buf), len(self.buf)
        return i + 3, len(self.buf) - len(self._TAIL)

    def next_start(self, p: int) -> int:
        i = self.buf.find(self._NODE, max(p, self.start) - 3, self.end)  # a record starts 3 bytes after its \n
        return self.end if i < 0 else i + 3

    def record_end(self, s: int) -> int:
        e = self.buf.find(b"\n", s, self.end)
        e = self.end if e < 0 else e
        return e - 1 if self.buf[e - 1:e] == b"," else e

    def key(self, s: int, e: int) -> bytes:
        name = scanstring(self.buf[s + 8:e].decode("utf-8"), 1)[0]
        prefix, colon, local = name.partition(":")
        if colon and prefix in self.context:
            name = self.context[prefix] + local
        return f"<{name}> ".encode()
