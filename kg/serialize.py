"""Deterministic files: Turtle and JSON-LD with sorted content, written atomically."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from rdflib.namespace import RDF

from kg.vocab import PREFIXES


def write_atomic(path: Path, data: bytes | Iterable[str], *, fsync: bool = True) -> None:
    """Write `data` (bytes, or text chunks) to a temporary file beside `path`, then rename over it.

    The rename alone keeps a killed process from leaving a half-written file; `fsync` (default) also
    survives a power cut, at a cost that matters for hundreds of small files such as view pages.
    """
    if isinstance(data, str):
        raise TypeError("write_atomic takes bytes or an iterable of str chunks, not one str")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are ordinary files
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                for chunk in data:
                    handle.write(chunk.encode("utf-8"))
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
    a child process does it beside the analytics. The child is spawned, not forked, and reads the graph
    from the N-Triples file the build wrote, so it shares no memory with the build and copies none.
    Each job is (path, function, args): `function(*args)` gives the file's bytes or text chunks; functions
    must be importable (module level). `wait()` returns when every file is in place and raises OSError with
    the child's reason if one failed (a failed file keeps its previous content: each write is a rename of a
    complete temporary file).
    """

    def __init__(self, jobs: list[tuple[Path, Callable[..., bytes | Iterable[str]], tuple]]):
        context = multiprocessing.get_context("spawn")
        self._reader, writer = context.Pipe(duplex=False)
        self._child = context.Process(target=_child_writes, args=(jobs, writer), daemon=True)
        self._child.start()
        writer.close()

    def wait(self) -> None:
        if self._child is None:
            return
        child, self._child = self._child, None
        try:
            message = self._reader.recv() if self._reader.poll(None) else ""
        except EOFError:
            message = ""
        child.join()
        if child.exitcode != 0:
            raise OSError(message or f"the process writing the graph files stopped (exit code {child.exitcode})")


def write_jobs(jobs: list[tuple[Path, Callable[..., bytes | Iterable[str]], tuple]]) -> None:
    """Write each (path, function, args) job here, one after the other."""
    for path, make, args in jobs:
        write_atomic(path, make(*args))


def _child_writes(jobs, pipe) -> None:
    try:
        write_jobs(jobs)
    except BaseException as exc:  # reported to the parent, which raises it (no traceback here)
        pipe.send(f"{type(exc).__name__}: {exc}")
        sys.exit(1)
    finally:
        pipe.close()


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


def turtle_file(ntriples: Path, base_iri: str) -> Iterator[str]:
    """Turtle of a kg N-Triples file (see turtle_lines)."""
    return turtle_lines(read_ntriples(ntriples), base_iri)


def jsonld_file(ntriples: Path, base_iri: str) -> Iterator[str]:
    """JSON-LD of a kg N-Triples file (see jsonld_lines)."""
    return jsonld_lines(read_ntriples(ntriples), base_iri)


_TEMPORARY = re.compile(r"^\.[^/]+\.[A-Za-z0-9_]+\.tmp$")


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
    prefixes = _prefixes(base_iri)
    for prefix, ns in prefixes:
        yield f"@prefix {prefix}: <{ns}> .\n"
    names = _Shown(lambda iri: _compact(iri, prefixes) or f"<{iri}>")
    rdf_type = str(RDF.type)

    def term(t: str) -> str:
        if t[0] == "<":
            return names[t[1:-1]]
        if t[-1] == ">":  # "lexical form"^^<datatype>; an N-Triples lexical form holds no raw '"'
            i = t.rindex('"^^<')
            return f"{t[:i + 1]}^^{names[t[i + 4:-1]]}"
        return t

    for subject, pairs in _groups(lines):
        out = ["\n", names[subject]]
        predicate = None
        for p, o in pairs:
            if p != predicate:
                out += (" ;\n    " if predicate else " ", "a" if p == rdf_type else names[p], " ", term(o))
                predicate = p
            else:
                out += (",\n        ", term(o))
        out.append(" .\n")
        yield "".join(out)


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)) if (m.group(1) or m.group(2))
                         else _SIMPLE.get(m.group(3), m.group(3)), text)


def _value_order(v: dict) -> tuple[str, str, str, str]:
    return (v.get("@id", ""), v.get("@value", ""), v.get("@type", ""), v.get("@language", ""))


def jsonld_lines(lines: Iterable[str], base_iri: str) -> Iterator[str]:
    """JSON-LD text, chunk by chunk: a @context of the project's prefixes and one node per subject.

    Each node is written as `json.dumps` writes {"@id", "@type": sorted, property: [values sorted by
    _value_order]} (properties sorted by compact name); a single value without escapes is written directly,
    as its N-Triples form is already a JSON string.
    """
    prefixes = _prefixes(base_iri)
    context = dict(prefixes)
    longest_first = sorted(prefixes, key=lambda kv: -len(kv[1]))
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    rdf_type = str(RDF.type)

    def short(iri: str) -> str:
        for prefix, ns in longest_first:
            if iri.startswith(ns) and len(iri) > len(ns):
                return f"{prefix}:{iri[len(ns):]}"
        return iri

    compact = _Shown(short)
    quoted = _Shown(lambda iri: dumps(compact[iri]))  # the compact IRI as a JSON string
    ref = _Shown(lambda iri: '{"@id": ' + quoted[iri] + "}")

    def value(t: str) -> dict:
        if t[0] == "<":
            return {"@id": compact[t[1:-1]]}
        i = t.rindex('"')
        lexical, rest = t[1:i], t[i + 1:]
        v: dict = {"@value": _unescape(lexical) if "\\" in lexical else lexical}
        if rest.startswith("@"):
            v["@language"] = rest[1:]
        elif rest:  # ^^<datatype>
            v["@type"] = compact[rest[3:-1]]
        return v

    def text(t: str) -> str:
        """json.dumps(value(t)), without the dict when it can."""
        if t[0] == "<":
            return ref[t[1:-1]]
        if "\\" in t:
            return dumps(value(t))
        # No backslash: the lexical form holds no '"', '\\' or control character (N-Triples escapes them all),
        # so `"lexical"` is already the JSON string json.dumps(..., ensure_ascii=False) would write.
        i = t.rindex('"')
        if i == len(t) - 1:
            return '{"@value": ' + t + "}"
        if t[i + 1] == "@":
            return '{"@value": ' + t[:i + 1] + ', "@language": ' + dumps(t[i + 2:]) + "}"
        return '{"@value": ' + t[:i + 1] + ', "@type": ' + quoted[t[i + 4:-1]] + "}"

    yield '{\n "@context": ' + json.dumps(context, ensure_ascii=False, indent=1).replace("\n", "\n ") + ',\n "@graph": ['
    separator = "\n  "
    for subject, pairs in _groups(lines):
        types: list[str] = []
        props: dict[str, list[str]] = {}
        for p, o in pairs:
            if p == rdf_type:
                types.append(compact[o[1:-1]])
            elif p in props:
                props[p].append(o)
            else:
                props[p] = [o]
        out = [separator, '{"@id": ', quoted[subject]]
        if types:
            out += (', "@type": ', dumps(sorted(types)))
        for _, p in sorted((compact[p], p) for p in props):
            objects = props[p]
            out += (", ", quoted[p], ": [")
            if len(objects) == 1:
                out.append(text(objects[0]))
            else:
                out.append(", ".join(dumps(v) for v in sorted(map(value, objects), key=_value_order)))
            out.append("]")
        out.append("}")
        yield "".join(out)
        separator = ",\n  "
    yield "\n ]\n}\n"
