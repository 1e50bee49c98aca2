"""Per-document extraction results cached by content hash, invalidated when the pipeline changes.

The fingerprint covers kg's version, the source of the modules that read and extract, the data
files they use, and the settings that change their output; any change starts a fresh cache folder.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import shutil
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from kg import __version__
from kg.model import Extraction, Summary
from kg.settings import DATA_DIR, PACKAGE_DIR, Settings

# Modules whose code decides what an extraction and the graph lines of its document hold, and how they are kept.
_EXTRACTION_MODULES = ("ingest", "textclean", "metadata", "sentences", "gazetteer", "rules", "extract",
                       "relations", "figures", "model", "build", "cache")


@lru_cache(maxsize=8)
def fingerprint(settings: Settings) -> str:
    """Hash of everything an extraction depends on besides the document itself."""
    h = hashlib.sha256(__version__.encode())
    for name in _EXTRACTION_MODULES:
        h.update((PACKAGE_DIR / f"{name}.py").read_bytes())
    for path in sorted(DATA_DIR.glob("*.csv")):
        h.update(path.name.encode() + path.read_bytes())
    h.update(json.dumps({"model": settings.model, "max_chars": settings.max_chars, "base_iri": settings.base_iri,
                         "min_confidence": settings.min_confidence}, sort_keys=True).encode())
    return h.hexdigest()[:16]


class ExtractionCache:
    """`DIR/.cache/<fingerprint>/<hash[:2]>/<hash>.entry`, one file per document content (see `put`: its
    kg.model.Summary and graph lines, see kg.build.document_lines, all a rebuild reads of a document that did
    not change; then its whole extraction), `summaries.marshal` (the summaries of the last build's documents in
    one file, see keep_summaries), and `build/`, what the next build needs to patch the graph files
    (kg.incremental); older fingerprints are removed on open."""

    def __init__(self, out_dir: Path, settings: Settings):
        self.root = Path(out_dir) / ".cache"
        self.dir = self.root / fingerprint(settings)
        if self.root.is_dir():
            for old in self.root.iterdir():
                if old.is_dir() and old != self.dir:
                    shutil.rmtree(old, ignore_errors=True)
        # content hash -> (stamp of its entry file, Summary.row()): read from summaries.marshal, and for each
        # summary this process read or wrote
        self._kept: dict[str, tuple[tuple[int, int, int], tuple]] | None = None
        self._seen: dict[str, tuple[tuple[int, int, int], tuple]] = {}

    def __getstate__(self) -> dict:
        """What a worker process gets (pickled where processes are spawned): not the summaries read or kept."""
        return {**self.__dict__, "_kept": None, "_seen": {}}

    def path(self, content_hash: str) -> str:
        """The entry file of a document content (a str: 10,000 Paths cost 0.3 s)."""
        return os.path.join(self.dir, content_hash[:2], content_hash + ENTRY)

    def get(self, content_hash: str, source: str) -> Extraction | None:
        """The extraction of content seen before, named `source` (the same content may now live under another
        name); its summary and graph lines come from get_summary and lines."""
        try:
            with open(self.path(content_hash), "rb") as handle:
                data = handle.read()
            extraction = Extraction.from_row(marshal.loads(data[_head_end(data):]))
        except (OSError, ValueError, EOFError, TypeError, IndexError):
            return None
        return replace(extraction, document=replace(extraction.document, source=source))

    def get_summary(self, content_hash: str, source: str) -> Summary | None:
        """The summary of content seen before under the same name (from its entry file, or the same kept in
        summaries.marshal while that file is as it was then), else None."""
        if self._kept is None:
            self._kept = _read_kept(self.dir / SUMMARIES)
        path = self.path(content_hash)
        kept = self._kept.get(content_hash)
        if kept is not None:
            try:
                stamp, row = kept
                if row[0] == source and _stamp(path) == stamp:
                    summary = Summary(*row)
                    self._seen[content_hash] = kept
                    return summary
            except (TypeError, ValueError, IndexError, KeyError):  # not what keep_summaries writes
                pass
        try:
            with open(path, "rb") as handle:
                stamp = _stamp(handle.fileno())
                summary = Summary(*_read_head(handle)[0])
        except (OSError, ValueError, EOFError, TypeError, IndexError):
            return None
        self._seen[content_hash] = (stamp, summary.row())
        return summary if summary.source == source else None

    def keep_summaries(self, summaries: Iterable[Summary]) -> None:
        """Keep these summaries (a build's documents) in one file, which the next build reads instead of the head
        of each document's entry file (10,000 files opened and read: 1.5-2 s), each with the stamp (size, mtime,
        inode) of that file: a summary is used only while the file is the one it was read from. Not written
        again when it already holds just these; not fsynced: a lost or unreadable file only sends get_summary
        to the entry files."""
        kept = {}
        for summary in summaries:
            seen = self._seen.get(summary.content_hash)
            if seen is None or seen[1][0] != summary.source:  # extracted by this build
                stamp = _stamp(self.path(summary.content_hash))
                if stamp is None:
                    continue
                seen = (stamp, summary.row())
            kept[summary.content_hash] = seen
        if kept == self._kept:
            return
        try:
            data = marshal.dumps(kept)
        except ValueError:  # an attribute of a type marshal does not take: the entry files are read
            data = marshal.dumps({})
        _write(self.dir / SUMMARIES, data)
        self._kept = kept

    def lines(self, content_hash: str, source: str) -> list[str] | None:
        """The graph lines of a document seen before under the same name, else None."""
        try:
            with open(self.path(content_hash), "rb") as handle:
                row, lines = _read_head(handle)
            if row[0] != source:
                return None
        except (OSError, ValueError, EOFError, TypeError, IndexError):
            return None
        return list(lines)

    def put(self, extraction: Extraction, lines: list[str], summary: Summary | None = None) -> None:
        """Write one entry (from any process): one file (creating files was a tenth of a worker's time with two
        per document), marshalled: a 4-byte length, then (Summary.row(), graph lines), all a rebuild reads,
        then Extraction.row(). marshal writes these tuples as they are, 5x faster than JSON."""
        head = marshal.dumps(((summary or extraction.summary()).row(), lines))
        data = len(head).to_bytes(4, "little") + head + marshal.dumps(extraction.row())
        path = self.path(extraction.document.content_hash)
        _write(Path(path), data)


SUMMARIES = "summaries.marshal"
ENTRY = ".entry"


def _read_head(handle) -> tuple[tuple, list[str]]:
    """(Summary.row(), graph lines) from the start of an entry file open for reading in binary."""
    size = int.from_bytes(handle.read(4), "little")
    head = handle.read(size)
    if len(head) != size:
        raise EOFError("entry cut short")
    row, lines = marshal.loads(head)
    return row, lines


def _head_end(data: bytes) -> int:
    """Where the extraction starts in an entry file's bytes."""
    end = 4 + int.from_bytes(data[:4], "little")
    if len(data) <= end:
        raise EOFError("entry cut short")
    return end


def _read_kept(path: Path) -> dict[str, tuple[tuple[int, int, int], tuple]]:
    """What keep_summaries wrote ({} when there is none or it cannot be read)."""
    try:
        kept = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return kept if isinstance(kept, dict) else {}


def _stamp(file: str | int) -> tuple[int, int, int] | None:
    """(size, mtime in ns, inode) of a file by path or descriptor; None if it is not there."""
    try:
        info = os.stat(file)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns, info.st_ino


def _write(path: Path, data: bytes) -> None:
    """Write a file through a temporary one renamed into place (named by process: a process writes one entry
    at a time, and the build gives each content to one process). Not fsynced: after a power cut a lost entry is
    only extracted again. Cheaper than serialize.write_atomic, which costs more than the rest of an entry."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        handle = open(tmp, "wb")
    except FileNotFoundError:  # the first entry in its folder
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(tmp, "wb")
    try:
        with handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
