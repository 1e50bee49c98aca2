"""Deterministic files: Turtle and JSON-LD with sorted content, written atomically."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from rdflib.namespace import RDF

from kg.vocab import PREFIXES


def write_atomic(path: Path, data: bytes | Iterable[str], *, fsync: bool = True) -> None:
    """Write `data` (bytes, or text chunks) to a temporary file beside `path`, then rename over it.

    The rename alone keeps a killed process from leaving a half-written file; `fsync` (default) also
    survives a power cut, at a cost that matters for hundreds of small files such as view pages.
    """
    if isinstance(data, str):
        raise TypeError("write_atomic takes bytes or an iterable of str chunks, not one str")
    with atomic(path, fsync=fsync) as handle:
        if isinstance(data, bytes):
            handle.write(data)
        else:
            for chunk in data:
                handle.write(chunk.encode("utf-8"))


@contextmanager
def atomic(path: Path, *, fsync: bool = True) -> Iterator[BinaryIO]:
    """A binary file to write `path` through: a temporary file beside it, renamed over it when the block ends
    without an error, removed when it raises (see write_atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are ordinary files
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class BackgroundWrites:
    """Files written atomically by another process while the caller goes on with other work.

    A large build spends many seconds formatting Turtle and JSON-LD on one core while the other waits;
    a child process does it beside the analytics. The child is a new interpreter (`python -c`; not
    multiprocessing's spawn, which imports the caller's main script again and runs it all a second time when
    it has no `if __name__ == "__main__":` guard) and reads the graph from the N-Triples file the build wrote,
    so it shares no memory with the build and copies none.
    Each job is (function, args): `function(*args)` writes its files (atomically); functions must be
    importable (module level) and the jobs picklable. `wait()` returns when every job is done and raises
    OSError with the child's reason if one failed (a failed file keeps its previous content: each write is a
    rename of a complete temporary file).
    """

    def __init__(self, jobs: list[tuple[Callable[..., None], tuple]]):
        import pickle
        import subprocess

        # The child imports from this process's sys.path (first on its stdin, then the jobs), as spawn does.
        code = "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); import kg.serialize as s; s._child_writes()"
        self._child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            self._child.stdin.write(pickle.dumps(sys.path) + pickle.dumps(jobs))
            self._child.stdin.close()
        except BrokenPipeError:
            pass  # the child died at once: wait() reports why

    def wait(self) -> None:
        if self._child is None:
            return
        child, self._child = self._child, None
        message = child.stderr.read().decode("utf-8", "replace").strip()
        child.stderr.close()
        if child.wait() != 0:
            reason = message.splitlines()[-1] if message else ""
            raise OSError(reason or f"the process writing the graph files stopped (exit code {child.returncode})")


def write_jobs(jobs: list[tuple[Callable[..., None], tuple]]) -> None:
    """Run each (function, args) job here, one after the other."""
    for write, args in jobs:
        write(*args)


def _child_writes() -> None:
    """BackgroundWrites' child: the pickled jobs next on stdin; a failure's reason as the last line on stderr."""
    import pickle

    jobs = pickle.load(sys.stdin.buffer)
    try:
        write_jobs(jobs)
    except BaseException as exc:  # reported to the parent, which raises it (no traceback here)
        print(f"{type(exc).__name__}: {exc}".replace("\n", " "), file=sys.stderr)
        sys.exit(1)


def ntriples_chunks(lines: list[str], size: int = 10_000) -> Iterator[str]:
    """kg's graph lines as N-Triples text, a chunk of `size` lines at a time."""
    for i in range(0, len(lines), size):
        part = lines[i:i + size]
        if part:
            yield " .\n".join(part) + " .\n"


def read_ntriples(path: Path) -> Iterator[str]:
    """The lines of an N-Triples file kg wrote (one triple per line), without the final " ."."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line.endswith(" ."):
                raise ValueError(f"{path}: not a kg N-Triples line: {line[:200]}")
            yield line[:-2]


def graph_files(ntriples: Path, base_iri: str, turtle: Path, jsonld: Path) -> None:
    """Turtle and JSON-LD of a kg N-Triples file (see turtle_lines and jsonld_lines), in one pass: the file is
    read and grouped by subject once for both. Each file is written atomically; on an error neither is
    replaced."""
    writers = (_Turtle(base_iri), _JsonLd(base_iri))
    with atomic(turtle) as ttl, atomic(jsonld) as js:
        handles = (ttl, js)
        for writer, handle in zip(writers, handles):
            handle.write(writer.head().encode("utf-8"))
        blocks: tuple[list[str], list[str]] = ([], [])
        for subject, pairs in _groups(read_ntriples(ntriples)):
            for writer, out in zip(writers, blocks):
                out.append(writer.block(subject, pairs))
            if len(blocks[0]) >= 1024:
                for handle, out in zip(handles, blocks):
                    handle.write("".join(out).encode("utf-8"))
                    out.clear()
        for writer, handle, out in zip(writers, handles, blocks):
            handle.write(("".join(out) + writer.tail()).encode("utf-8"))


_TEMPORARY = re.compile(r"^\.[^/]+\.[A-Za-z0-9_]+\.tmp$")


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, as hex (OSError if it cannot be read)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def file_stamp(path: Path) -> list[int]:
    """[size, mtime in ns] of a file, kept to tell later whether it is still as a build left it (OSError if gone)."""
    info = path.stat()
    return [info.st_size, info.st_mtime_ns]


def remove_stale_temporaries(folder: Path, older_than: float = 60.0) -> list[Path]:
    """Remove what a killed write_atomic left in `folder` (".NAME.XXXX.tmp" older than `older_than` s)."""
    import time

    removed = []
    if not Path(folder).is_dir():
        return removed
    cutoff = time.time() - older_than
    for path in sorted(Path(folder).rglob(".*.tmp")):
        try:
            if _TEMPORARY.match(path.name) and path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


# --- Streaming writers over sorted N-Triples lines (see kg.build.build_lines) -----------------------

_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_UNESCAPE = re.compile(r'\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))')
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "'": "'", "b": "\b", "f": "\f"}


def _prefixes(base_iri: str) -> list[tuple[str, str]]:
    context = dict(PREFIXES)
    context["kgr"] = base_iri
    return sorted(context.items())


def _groups(lines: Iterable[str]) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """(subject IRI, [(predicate IRI, object term as N-Triples)]) for runs of lines with one subject."""
    subject, pairs = None, []
    for line in lines:
        parts = line.split(" ", 2)  # an IRI holds no space
        if len(parts) != 3 or parts[0][:1] != "<" or parts[0][-1:] != ">" or parts[1][:1] != "<" or parts[1][-1:] != ">":
            raise ValueError(f"not a kg N-Triples line: {line[:200]}")
        s, p, o = parts
        if s != subject:
            if subject is not None:
                yield subject[1:-1], pairs
            subject, pairs = s, []
        pairs.append((p[1:-1], o))
    if subject is not None:
        yield subject[1:-1], pairs


def _compact(iri: str, prefixes: list[tuple[str, str]]) -> str | None:
    best = None
    for prefix, ns in prefixes:
        if iri.startswith(ns) and _LOCAL.match(iri[len(ns):]) and (best is None or len(ns) > len(best[1])):
            best = (prefix, ns)
    return f"{best[0]}:{iri[len(best[1]):]}" if best else None


class _Shown(dict):
    """IRI -> how a writer shows it, made once per IRI by `make` (emptied when it grows past `size`)."""

    def __init__(self, make: Callable[[str], str], size: int = 200_000):
        super().__init__()
        self.make, self.size = make, size

    def __missing__(self, iri: str) -> str:
        if len(self) >= self.size:
            self.clear()
        shown = self[iri] = self.make(iri)
        return shown


def turtle_lines(lines: Iterable[str], base_iri: str) -> Iterator[str]:
    """Turtle text, chunk by chunk: prefixes, then one block per subject in sorted order."""
    writer = _Turtle(base_iri)
    yield writer.head()
    for subject, pairs in _groups(lines):
        yield writer.block(subject, pairs)


class _Turtle:
    """Turtle of subject groups: `head()` (the prefixes), then `block(subject, pairs)` for each subject."""

    def __init__(self, base_iri: str):
        self.prefixes = _prefixes(base_iri)
        self.names = _Shown(lambda iri: _compact(iri, self.prefixes) or f"<{iri}>")
        self.rdf_type = str(RDF.type)

    def head(self) -> str:
        return "".join(f"@prefix {prefix}: <{ns}> .\n" for prefix, ns in self.prefixes)

    @staticmethod
    def tail() -> str:
        return ""

    def term(self, t: str) -> str:
        if t[0] == "<":
            return self.names[t[1:-1]]
        if t[-1] == ">":  # "lexical form"^^<datatype>; an N-Triples lexical form holds no raw '"'
            i = t.rindex('"^^<')
            return f"{t[:i + 1]}^^{self.names[t[i + 4:-1]]}"
        return t

    def block(self, subject: str, pairs: list[tuple[str, str]]) -> str:
        names, term = self.names, self.term
        out = ["\n", names[subject]]
        predicate = None
        for p, o in pairs:
            if p != predicate:
                out += (" ;\n    " if predicate else " ", "a" if p == self.rdf_type else names[p], " ", term(o))
                predicate = p
            else:
                out += (",\n        ", term(o))
        out.append(" .\n")
        return "".join(out)


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)) if (m.group(1) or m.group(2))
                         else _SIMPLE.get(m.group(3), m.group(3)), text)


def _value_order(v: dict) -> tuple[str, str, str, str]:
    return (v.get("@id", ""), v.get("@value", ""), v.get("@type", ""), v.get("@language", ""))


def jsonld_lines(lines: Iterable[str], base_iri: str) -> Iterator[str]:
    """JSON-LD text, chunk by chunk: a @context of the project's prefixes and one node per subject."""
    writer = _JsonLd(base_iri)
    yield writer.head()
    for subject, pairs in _groups(lines):
        yield writer.block(subject, pairs)
    yield writer.tail()


class _JsonLd:
    """JSON-LD of subject groups: `head()`, `block(subject, pairs)` for each subject, then `tail()`.

    Each node is written as `json.dumps` writes {"@id", "@type": sorted, property: [values sorted by
    _value_order]} (properties sorted by compact name); a single value without escapes is written directly,
    as its N-Triples form is already a JSON string.
    """

    def __init__(self, base_iri: str):
        prefixes = _prefixes(base_iri)
        self.context = dict(prefixes)
        longest_first = sorted(prefixes, key=lambda kv: -len(kv[1]))
        self.dumps = json.JSONEncoder(ensure_ascii=False).encode
        self.rdf_type = str(RDF.type)
        self.separator = "\n  "

        def short(iri: str) -> str:
            for prefix, ns in longest_first:
                if iri.startswith(ns) and len(iri) > len(ns):
                    return f"{prefix}:{iri[len(ns):]}"
            return iri

        self.compact = _Shown(short)
        self.quoted = _Shown(lambda iri: self.dumps(self.compact[iri]))  # the compact IRI as a JSON string
        self.ref = _Shown(lambda iri: '{"@id": ' + self.quoted[iri] + "}")

    def head(self) -> str:
        return '{\n "@context": ' + json.dumps(self.context, ensure_ascii=False, indent=1).replace("\n", "\n ") + \
            ',\n "@graph": ['

    @staticmethod
    def tail() -> str:
        return "\n ]\n}\n"

    def value(self, t: str) -> dict:
        if t[0] == "<":
            return {"@id": self.compact[t[1:-1]]}
        i = t.rindex('"')
        lexical, rest = t[1:i], t[i + 1:]
        v: dict = {"@value": _unescape(lexical) if "\\" in lexical else lexical}
        if rest.startswith("@"):
            v["@language"] = rest[1:]
        elif rest:  # ^^<datatype>
            v["@type"] = self.compact[rest[3:-1]]
        return v

    def text(self, t: str) -> str:
        """json.dumps(value(t)), without the dict when it can."""
        if t[0] == "<":
            return self.ref[t[1:-1]]
        if "\\" in t:
            return self.dumps(self.value(t))
        # No backslash: the lexical form holds no '"', '\\' or control character (N-Triples escapes them all),
        # so `"lexical"` is already the JSON string json.dumps(..., ensure_ascii=False) would write.
        i = t.rindex('"')
        if i == len(t) - 1:
            return '{"@value": ' + t + "}"
        if t[i + 1] == "@":
            return '{"@value": ' + t[:i + 1] + ', "@language": ' + self.dumps(t[i + 2:]) + "}"
        return '{"@value": ' + t[:i + 1] + ', "@type": ' + self.quoted[t[i + 4:-1]] + "}"

    def block(self, subject: str, pairs: list[tuple[str, str]]) -> str:
        compact, quoted, dumps = self.compact, self.quoted, self.dumps
        types: list[str] = []
        props: dict[str, list[str]] = {}
        for p, o in pairs:
            if p == self.rdf_type:
                types.append(compact[o[1:-1]])
            elif p in props:
                props[p].append(o)
            else:
                props[p] = [o]
        out = [self.separator, '{"@id": ', quoted[subject]]
        self.separator = ",\n  "
        if types:
            out += (', "@type": ', dumps(sorted(types)))
        for _, p in sorted((compact[p], p) for p in props):
            objects = props[p]
            out += (", ", quoted[p], ": [")
            if len(objects) == 1:
                out.append(self.text(objects[0]))
            else:
                out.append(", ".join(dumps(v) for v in sorted(map(self.value, objects), key=_value_order)))
            out.append("]")
        out.append("}")
        return "".join(out)
