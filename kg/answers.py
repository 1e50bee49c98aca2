"""Answers of `kg query` kept beside a graph's store, so the same call on the same graph is answered from disk.

A store (kg.store) is made for one content of a graph file and never changes. What a read-only query prints
there is decided by that content, the query text with its parameters bound, the output format and kg's code;
`kg query` keeps each printed answer in the store's folder (`answers/<key>.txt`, written through a temporary
file renamed into place) and prints it again when all of these are the same. A new content of the graph file
gets a new store, and the old store and its answers are removed with it.

Never kept: updates, queries that call another endpoint (SERVICE), queries whose answer may change from one
call to the next (NOW, RAND, UUID, STRUUID, BNODE), answers larger than MAX_BYTES, and anything where the
store lives in memory (a folder that cannot be written). A kept answer that cannot be read is run again.
The answers of one store take at most MAX_TOTAL_BYTES: past that, those printed longest ago go first.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from kg import __version__
from kg.query import mask
from kg.settings import PACKAGE_DIR, Settings
from kg.store import file_hash, store_root

# Answers larger than this are printed but not kept (the evidence of every relation at 1M triples is 22 MB).
MAX_BYTES = 256 * 1024 * 1024
# The answers kept for one store, in all; past it the least recently printed are removed.
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
# Functions whose value differs between calls: a query that uses one is run every time.
_VOLATILE = re.compile(r"(?<![\w?$:.\-])(NOW|RAND|UUID|STRUUID|BNODE)\s*\(", re.I)
_SERVICE = re.compile(r"(?<![\w?$:.\-])SERVICE(?![\w:\-])", re.I)
# The modules that turn a store's rows into printed text (kg.query formats; kg.vocab gives its prefixes).
_CODE = ("query", "vocab", "answers")


@dataclass(frozen=True)
class Answer:
    """What `kg query` printed: the text, the result's kind (select, ask, graph) and its rows or triples."""

    text: str
    kind: str
    count: int


def keepable(form: str, text: str) -> bool:
    """Whether the answer of this checked, bound query text is the same on every call on one graph."""
    masked = mask(text)
    return form != "UPDATE" and not _VOLATILE.search(masked) and not _SERVICE.search(masked)


def slot(graph: Path, form: str, text: str, fmt: str) -> Path | None:
    """Where the answer of this call on `graph` as it is now is kept (`answers/<key>.txt` in the folder of the
    store of its current content), or None if it is not kept. Take it before running the query and give it to
    `keep`, which keeps the answer only if the graph file still has that content."""
    if not keepable(form, text):
        return None
    try:
        digest = file_hash(Path(graph))
    except OSError:
        return None
    key = hashlib.sha256(json.dumps([_code_stamp(), Settings.from_env().base_iri, form, fmt, text]).encode("utf-8"))
    return store_root(graph) / digest[:16] / "answers" / f"{key.hexdigest()[:32]}.txt"


def recall(path: Path | None) -> Answer | None:
    """The answer kept in `path` (a slot), or None."""
    if path is None:
        return None
    try:
        head, _, body = path.read_bytes().partition(b"\n")
        meta = json.loads(head)
        answer = Answer(body.decode("utf-8"), meta["kind"], int(meta["count"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if answer.kind not in ("select", "ask", "graph"):
        return None
    try:
        os.utime(path)  # printed now: the last to go when the answers outgrow MAX_TOTAL_BYTES
    except OSError:
        pass
    return answer


def keep(path: Path | None, answer: Answer, graph: Path, form: str, text: str, fmt: str) -> Path | None:
    """Keep `answer` in `path` (the slot taken before the query ran) for the next identical call: only if the
    graph file still has the content the slot is for (a build may replace it while a query runs) and its store
    has a folder on disk. The file, or None."""
    data = answer.text.encode("utf-8")
    if path is None or len(data) > MAX_BYTES or not path.parent.parent.is_dir() or \
            slot(graph, form, text, fmt) != path:
        return None
    head = json.dumps({"kind": answer.kind, "count": answer.count}).encode("utf-8")
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{time.monotonic_ns()}.tmp")
    try:
        path.parent.mkdir(exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.write(head + b"\n" + data)
        os.replace(tmp, path)
    except OSError:  # a read-only folder, a full disk: the answer is printed all the same
        tmp.unlink(missing_ok=True)
        return None
    _trim(path.parent, keep=path)
    return path


def _trim(folder: Path, keep: Path) -> None:
    """Remove the least recently printed answers in `folder` (but `keep`) until they take MAX_TOTAL_BYTES or less."""
    kept = []
    for entry in os.scandir(folder):
        if entry.name.endswith(".txt") and not entry.name.startswith("."):
            try:
                info = entry.stat()
            except OSError:
                continue
            kept.append((info.st_mtime_ns, entry.name, info.st_size))
    total = sum(size for _, _, size in kept)
    for _, name, size in sorted(kept):
        if total <= MAX_TOTAL_BYTES:
            break
        if name != keep.name:
            (folder / name).unlink(missing_ok=True)
            total -= size


@lru_cache(maxsize=1)
def _code_stamp() -> str:
    h = hashlib.sha256(f"{__version__} {ox.__version__}".encode())
    for name in _CODE:
        h.update((PACKAGE_DIR / f"{name}.py").read_bytes())
    return h.hexdigest()
