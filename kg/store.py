"""Graph stores: a fast on-disk pyoxigraph copy of a graph file, and upload to a SPARQL server.

`open_store(path)` keeps a pyoxigraph store next to the graph file (`out/.graph.ttl.store/<hash>/`),
keyed by the file's content hash, so a second `kg query` reopens it in ~0.02 s instead of parsing again.
`push(path, url)` replaces a graph on a SPARQL 1.1 Graph Store HTTP Protocol endpoint: with one PUT, or for
a file larger than the batch size, in batches into a temporary graph swapped in by one SPARQL Update MOVE.
The HTTP helpers (credentials, timeouts, retries, error messages) are shared with remote queries; they
import http.client, socket and urllib.error where they use them, which saves a local `kg query` ~50 ms of
start-up.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import json
import math
import os
import re
import shutil
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

import pyoxigraph as ox

from kg.errors import GraphFileError, KGError

DEFAULT_TIMEOUT = 60.0
DEFAULT_TRIES = 3
# Seconds before the second try; doubled before each later one.
DEFAULT_BACKOFF = 0.5
TRANSIENT_STATUS = (502, 503, 504)
AUTH_HINT = "set KG_STORE_USER/KG_STORE_PASSWORD or KG_STORE_TOKEN"

# pyoxigraph parses these itself; JSON-LD goes through rdflib (see _load).
NATIVE_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
}
JSONLD_SUFFIXES = (".jsonld", ".json")
GRAPH_SUFFIXES = (*NATIVE_FORMATS, *JSONLD_SUFFIXES)
# Content types for a Graph Store PUT; other formats are converted to N-Triples first.
PUSH_CONTENT_TYPES = {".ttl": "text/turtle", ".nt": "application/n-triples"}
# `push` uploads files larger than this in batches of N-Triples of about this size (see push).
DEFAULT_BATCH_BYTES = 50 * 1024 * 1024
# The MOVE that swaps a batched upload into place may take `timeout` seconds per this many bytes uploaded.
MOVE_BYTES_PER_TIMEOUT = 10 * 1024 * 1024
# A build of a store that has not finished within this time was abandoned by a process that died.
STALE_BUILD_SECONDS = 3600


class EndpointError(KGError):
    """A SPARQL server could not be reached or refused a request."""


# ---------------------------------------------------------------------------------------------
# Local store


@dataclass(frozen=True)
class LocalStore:
    """An opened store: `store` answers queries; `loaded` tells whether the graph was parsed this time."""

    store: ox.Store
    graph: Path
    folder: Path | None
    loaded: bool
    seconds: float


def store_root(graph: str | Path) -> Path:
    """The folder that holds the stores of `graph`: `.NAME.store` beside it."""
    graph = Path(graph)
    return graph.parent / f".{graph.name}.store"


def check_graph_file(graph: str | Path) -> Path:
    """`graph` as a Path if it exists and has a known extension, else a GraphFileError saying what to do."""
    graph = Path(graph)
    if graph.suffix.lower() not in GRAPH_SUFFIXES:
        raise GraphFileError(f"{graph}: unknown graph format '{graph.suffix}'; expected one of "
                             f"{', '.join(GRAPH_SUFFIXES)}")
    if not graph.is_file():
        raise GraphFileError(f"{graph}: no such file; run `kg build` first or name an existing graph file")
    return graph


def open_store(graph: str | Path) -> LocalStore:
    """A read-only pyoxigraph store with the triples of `graph`, built once per content of the file.

    The store is built in a temporary folder and renamed into place when complete, so a process that
    opens it never sees half a store, and two processes building at once both end with a whole one.
    Where the folder beside the graph cannot be written, the graph is loaded into memory instead.
    A process keeps the store it opened for a graph and hands it out again while the file is unchanged.
    """
    start = time.perf_counter()
    graph = check_graph_file(graph)
    root = store_root(graph)
    digest = file_hash(graph)
    folder = root / digest[:16]
    if folder.is_dir():
        try:
            store = _read_only(folder)
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)  # damaged (a disk filled up?): build it again
        else:
            return LocalStore(store, graph, folder, False, time.perf_counter() - start)
    try:
        root.mkdir(exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".tmp-{digest[:16]}-", dir=root))
    except OSError:
        store = ox.Store()
        _load(store, graph)
        return LocalStore(store, graph, None, True, time.perf_counter() - start)
    try:
        writer = ox.Store(str(building))
        _load(writer, graph)
        writer.flush()
        writer.optimize()  # compact RocksDB once: reads (joins, ORDER BY) then touch fewer files
        # pyoxigraph has no close(); dropping the last reference closes RocksDB and frees its lock.
        del writer
        gc.collect()
        try:
            building.rename(folder)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            # Another process finished the same store first: use theirs.
    finally:
        shutil.rmtree(building, ignore_errors=True)
    _remove_stale(root, keep=folder.name)
    return LocalStore(_read_only(folder), graph, folder, True, time.perf_counter() - start)


# The store this process opened for each graph (by store root), with its folder. Opening one again costs
# ~20 ms at 1M triples and starts with an empty block cache: 01-funders run again in one process at 1M
# triples took 0.33 s on a fresh handle, 0.26 s on a kept one (medians of 6).
_OPENED: dict[Path, tuple[Path, ox.Store]] = {}


def _read_only(folder: Path) -> ox.Store:
    """The read-only store in `folder`, opened once per process; the store of an older content is let go."""
    root = folder.parent.resolve()
    opened = _OPENED.get(root)
    if opened is None or opened[0] != folder.resolve():
        _OPENED[root] = (folder.resolve(), ox.Store.read_only(str(folder)))
    return _OPENED[root][1]


def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes, remembered by size, mtime and inode so an unchanged file is not read."""
    stat = path.stat()
    key = f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"
    memo = store_root(path) / "hash.json"
    try:
        remembered = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        remembered = {}
    if isinstance(remembered, dict) and remembered.get("key") == key and isinstance(remembered.get("sha256"), str):
        return remembered["sha256"]
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
    digest = sha.hexdigest()
    try:
        memo.parent.mkdir(exist_ok=True)
        tmp = memo.with_name(f".hash-{os.getpid()}-{time.monotonic_ns()}.json")
        tmp.write_text(json.dumps({"key": key, "sha256": digest}), encoding="utf-8")
        os.replace(tmp, memo)
    except OSError:
        pass  # a read-only folder: hash again next time
    return digest


def load_into(store: ox.Store, graph: Path) -> None:
    """Add the triples of `graph` to `store` (a GraphFileError with line and column if it does not parse)."""
    _load(store, check_graph_file(graph))


def _load(store: ox.Store, graph: Path) -> None:
    suffix = graph.suffix.lower()
    try:
        if suffix in JSONLD_SUFFIXES:
            store.bulk_load(jsonld_as_ntriples(graph), format=ox.RdfFormat.N_TRIPLES)
        else:
            store.bulk_load(path=str(graph), format=NATIVE_FORMATS[suffix])
    except SyntaxError as exc:
        raise GraphFileError(f"{graph}: cannot parse: {exc}") from None


def jsonld_as_ntriples(graph: Path) -> bytes:
    from rdflib import Graph

    parsed = Graph()
    try:
        parsed.parse(graph, format="json-ld")
    except Exception as exc:  # rdflib's JSON-LD parser raises many unrelated types for bad input
        raise GraphFileError(f"{graph}: cannot parse as JSON-LD: {exc}") from None
    return parsed.serialize(format="nt", encoding="utf-8")


def _remove_stale(root: Path, keep: str) -> None:
    """Remove stores of older contents of the graph, and builds abandoned by processes that died."""
    now = time.time()
    for child in root.iterdir():
        if not child.is_dir() or child.name == keep:
            continue
        if child.name.startswith(".tmp-"):
            try:
                if now - child.stat().st_mtime < STALE_BUILD_SECONDS:
                    continue  # another process may be building it right now
            except OSError:
                continue
        shutil.rmtree(child, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# HTTP: credentials, retries, messages (shared by push and remote queries)


def auth_headers(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """An Authorization header from KG_STORE_TOKEN (bearer) or KG_STORE_USER/KG_STORE_PASSWORD (basic)."""
    import base64

    env = os.environ if env is None else env
    token = env.get("KG_STORE_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}
    user = env.get("KG_STORE_USER")
    if user:
        pair = f"{user}:{env.get('KG_STORE_PASSWORD', '')}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    return {}


class HTTPStatusError(Exception):
    """An HTTP answer whose status is not a success (carried to the message builder)."""

    def __init__(self, status: int, reason: str, body: bytes = b""):
        super().__init__(f"HTTP {status} {reason}")
        self.status = status
        self.reason = reason
        self.body = body


def is_transient(exc: BaseException) -> bool:
    """Worth another try: refused, reset, timed out, cut short, or HTTP 502/503/504."""
    import http.client
    import urllib.error

    if isinstance(exc, HTTPStatusError):
        return exc.status in TRANSIENT_STATUS
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code in TRANSIENT_STATUS
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        return is_transient(exc.reason)
    return isinstance(exc, (ConnectionRefusedError, ConnectionResetError, ConnectionAbortedError,
                            BrokenPipeError, TimeoutError, http.client.IncompleteRead,
                            http.client.BadStatusLine))


def failure_message(exc: BaseException, url: str, timeout: float) -> str:
    """What went wrong with a request to `url`, said so that the reader knows what to do."""
    import http.client
    import socket
    import urllib.error

    if isinstance(exc, urllib.error.HTTPError):
        exc = HTTPStatusError(exc.code, str(exc.reason), _read_quietly(exc))
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, HTTPStatusError):
        detail = _snippet(exc.body)
        if exc.status == 401:
            return f"{url}: HTTP 401, authentication failed: {AUTH_HINT}"
        if exc.status == 403:
            return (f"{url}: HTTP 403, access denied: the credentials given (KG_STORE_USER/KG_STORE_PASSWORD "
                    f"or KG_STORE_TOKEN) are not allowed to do this")
        if exc.status == 404:
            return f"{url}: HTTP 404, not found: check the URL (Oxigraph serves /query, /update and /store)"
        if exc.status >= 500:
            return f"{url}: HTTP {exc.status}, server error{': ' + detail if detail else ''}"
        return f"{url}: HTTP {exc.status} {exc.reason}{': ' + detail if detail else ''}"
    if isinstance(exc, ConnectionRefusedError):
        return f"{url}: connection refused; is the SPARQL server running and listening on this port?"
    if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError
        return f"{url}: no answer within {timeout:g} s (timeout); raise --timeout or check the server"
    if isinstance(exc, (http.client.IncompleteRead, http.client.BadStatusLine, ConnectionResetError,
                        ConnectionAbortedError, BrokenPipeError)):
        return f"{url}: truncated or invalid response (the server closed the connection or answered " \
               f"something that is not HTTP: {type(exc).__name__})"
    if isinstance(exc, socket.gaierror):
        return f"{url}: host not found ({exc.strerror}); check the URL"
    if isinstance(exc, OSError):
        return f"{url}: unreachable ({exc.strerror or exc}); check the URL and the network"
    return f"{url}: {exc}"


T = TypeVar("T")


def with_retries(attempt: Callable[[], T], *, url: str, timeout: float, tries: int = DEFAULT_TRIES,
                 backoff: float = DEFAULT_BACKOFF, retry: Callable[[BaseException], bool] = is_transient,
                 sleep: Callable[[float], None] = time.sleep) -> tuple[T, int]:
    """(result of `attempt()`, number of tries); transient faults are tried again with exponential backoff."""
    import http.client

    for n in range(1, tries + 1):
        try:
            return attempt(), n
        except (OSError, http.client.HTTPException, HTTPStatusError) as exc:
            # urllib's URLError and HTTPError, socket timeouts and refusals are all OSErrors.
            if n < tries and retry(exc):
                sleep(backoff * 2 ** (n - 1))
                continue
            message = failure_message(exc, url, timeout)
            if n > 1:
                message += f" (after {n} tries)"
            raise EndpointError(message) from None
    raise AssertionError("unreachable")


def _read_quietly(exc: urllib.error.HTTPError) -> bytes:
    import http.client

    try:
        return exc.read() or b""
    except (OSError, http.client.HTTPException):
        return b""


def _snippet(body: bytes, limit: int = 300) -> str:
    text = body.decode("utf-8", "replace").strip().replace("\r", " ").replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


# ---------------------------------------------------------------------------------------------
# Push: one PUT through the SPARQL 1.1 Graph Store HTTP Protocol


@dataclass(frozen=True)
class PushResult:
    """`batches` is 0 for one PUT; else the number of POSTs into the temporary graph before the MOVE."""

    url: str
    status: int
    bytes: int
    tries: int
    seconds: float
    batches: int = 0


def check_url(url: str, what: str, *, example: str) -> str:
    """`url` if it is an http(s) URL with a host (and a numeric port, if any), else an EndpointError."""
    parts = urllib.parse.urlsplit(url)
    try:
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        raise EndpointError(f"{url}: not an http(s) URL; pass the {what} URL, e.g. {example}")
    return url


def graph_store_url(store_url: str, graph_iri: str | None = None) -> str:
    """`store_url` with `?default` or `?graph=IRI` (the Graph Store Protocol's graph selection)."""
    check_url(store_url, "Graph Store endpoint", example="http://127.0.0.1:7878/store")
    parts = urllib.parse.urlsplit(store_url)
    query = urllib.parse.urlencode({"graph": graph_iri}) if graph_iri else "default"
    joined = f"{parts.query}&{query}" if parts.query else query
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path or "/", joined, ""))


def push(graph: str | Path, store_url: str, *, graph_iri: str | None = None, timeout: float = DEFAULT_TIMEOUT,
         tries: int = DEFAULT_TRIES, backoff: float = DEFAULT_BACKOFF, env: Mapping[str, str] | None = None,
         batch_bytes: int = DEFAULT_BATCH_BYTES, update_url: str | None = None) -> PushResult:
    """Replace the default graph (or the named graph `graph_iri`) at `store_url` with the graph file.

    A file up to `batch_bytes` goes in one PUT: Turtle and N-Triples are streamed from the file as they
    are; other formats are converted to N-Triples in a temporary file first. A larger file is sent in
    batches (see `push_batched`). Either way the server swaps the whole graph at once, so it never
    holds half of the old graph and half of the new one.
    """
    start = time.perf_counter()
    graph = check_graph_file(graph)
    if graph_iri is not None:
        from kg.query import validate_iri

        validate_iri(graph_iri, what="--graph-iri")
    url = graph_store_url(store_url, graph_iri)
    if batch_bytes < 1:
        raise KGError(f"--batch-size: {batch_bytes} bytes; give a positive size such as 50M")
    if graph.stat().st_size > batch_bytes:
        return push_batched(graph, store_url, graph_iri=graph_iri, timeout=timeout, tries=tries, backoff=backoff,
                            env=env, batch_bytes=batch_bytes, update_url=update_url)
    headers = {**auth_headers(env)}
    with _upload_body(graph) as (body, content_type):
        size = os.fstat(body.fileno()).st_size
        headers.update({"Content-Type": content_type, "Content-Length": str(size)})

        def attempt() -> int:
            body.seek(0)
            return _send("PUT", url, body, headers, timeout)

        status, n = with_retries(attempt, url=url, timeout=timeout, tries=tries, backoff=backoff)
    return PushResult(url, status, size, n, time.perf_counter() - start)


class _upload_body:
    """Context manager: (binary file, content type) of the body to send for `graph`."""

    def __init__(self, graph: Path):
        self.graph = graph
        self.files: list[IO[bytes]] = []

    def __enter__(self) -> tuple[IO[bytes], str]:
        suffix = self.graph.suffix.lower()
        if suffix in PUSH_CONTENT_TYPES:
            fh = self.graph.open("rb")
            self.files.append(fh)
            return fh, PUSH_CONTENT_TYPES[suffix]
        _check_single_graph(self.graph)
        converted = tempfile.TemporaryFile()
        self.files.append(converted)
        converted.write(jsonld_as_ntriples(self.graph))
        converted.flush()
        return converted, "application/n-triples"

    def __exit__(self, *exc: object) -> None:
        for fh in self.files:
            fh.close()


def _check_single_graph(graph: Path) -> None:
    if graph.suffix.lower() in (".nq", ".trig"):
        raise GraphFileError(f"{graph}: a dataset with named graphs cannot be pushed into one graph; "
                             f"push a .ttl, .nt or .jsonld graph")


def _send(method: str, url: str, body: IO[bytes] | bytes, headers: dict[str, str], timeout: float) -> int:
    """HTTP status of one request whose answer is a success; an HTTPStatusError (or OSError) otherwise."""
    import http.client

    parts = urllib.parse.urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.netloc, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        # http.client sends a file object in blocks: the graph is never held in memory whole.
        conn.request(method, target, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()  # raises IncompleteRead if the answer is cut short
        if response.status >= 300:
            raise HTTPStatusError(response.status, response.reason, payload)
        return response.status
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------
# Batched push: POSTs into a temporary named graph, then one MOVE


def parse_size(text: str) -> int:
    """Bytes in a size such as 50M, 512k, 1G or 1000000 (k, M, G are powers of 1024; a trailing B is allowed)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)(?:i?[bB])?\s*", text)
    if not m:
        raise KGError(f"--batch-size: '{text}' is not a size; give bytes or a number with k, M or G, e.g. 50M")
    value = float(m.group(1)) * 1024 ** " KMG".index(m.group(2).upper() or " ")
    if value < 1:
        raise KGError(f"--batch-size: '{text}' is less than one byte; give a size such as 50M")
    return int(value)


def update_url_for(store_url: str) -> str:
    """The SPARQL Update endpoint beside a Graph Store endpoint: `.../store` becomes `.../update` (Oxigraph)."""
    parts = urllib.parse.urlsplit(store_url)
    if not parts.path.rstrip("/").endswith("/store"):
        raise EndpointError(f"{store_url}: cannot tell the SPARQL Update endpoint of this store (its path does not "
                            f"end in /store); pass --update-url, e.g. http://127.0.0.1:7878/update")
    path = parts.path.rstrip("/")[: -len("store")] + "update"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def temporary_graph_iri(graph_iri: str | None) -> str:
    """A fresh IRI for the upload of `graph_iri` (None: the default graph): `<graph_iri>#upload-<random>`."""
    import uuid

    token = f"upload-{uuid.uuid4().hex[:16]}"
    if graph_iri is None:
        return f"urn:kg:{token}"
    return f"{graph_iri}{'-' if '#' in graph_iri else '#'}{token}"


def ntriples_batches(graph: Path, batch_bytes: int) -> Iterator[tuple[bytes, bool]]:
    """(N-Triples chunk of about `batch_bytes`, whether it has blank nodes) for the triples of `graph`.

    Triples with blank nodes all come in the last chunk: a blank node's label only means the same node
    within one request, so they must not be split across requests. A parse error raises GraphFileError
    when the parser reaches it, after the chunks before it were yielded.
    """
    _check_single_graph(graph)
    suffix = graph.suffix.lower()
    if suffix in JSONLD_SUFFIXES:
        quads = ox.parse(jsonld_as_ntriples(graph), format=ox.RdfFormat.N_TRIPLES)
    else:
        quads = ox.parse(path=str(graph), format=NATIVE_FORMATS[suffix])
    chunk: list[bytes] = []
    size = 0
    with tempfile.TemporaryFile() as blanks:
        try:
            for quad in quads:
                line = f"{quad.triple} .\n".encode("utf-8")
                if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
                    blanks.write(line)
                    continue
                chunk.append(line)
                size += len(line)
                if size >= batch_bytes:
                    yield b"".join(chunk), False
                    chunk, size = [], 0
        except SyntaxError as exc:
            raise GraphFileError(f"{graph}: cannot parse: {exc}") from None
        except OSError as exc:
            raise GraphFileError(f"{graph}: cannot read: {exc.strerror or exc}") from None
        if chunk:
            yield b"".join(chunk), False
        if blanks.tell():
            blanks.seek(0)
            yield blanks.read(), True


def _refused(exc: BaseException) -> bool:
    """Retry only what cannot have reached the server (for requests that must not run twice)."""
    return isinstance(getattr(exc, "reason", exc), ConnectionRefusedError)


def push_batched(graph: str | Path, store_url: str, *, graph_iri: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, tries: int = DEFAULT_TRIES, backoff: float = DEFAULT_BACKOFF,
                 env: Mapping[str, str] | None = None, batch_bytes: int = DEFAULT_BATCH_BYTES,
                 update_url: str | None = None) -> PushResult:
    """Replace a graph at `store_url` with the graph file, uploaded in batches, without a half-replaced graph.

    The file is sent as N-Triples in POSTs of about `batch_bytes` to a temporary named graph
    (`<target>#upload-<random>`, Graph Store Protocol), then one SPARQL Update `MOVE GRAPH <tmp> TO
    GRAPH <target>` (or `TO DEFAULT`) at `update_url` (default: the store URL with /store replaced by
    /update, as Oxigraph serves it) swaps it in, in one transaction. If a batch fails, the temporary
    graph is dropped and the target is untouched.

    Batches bound the size of each request, not the total time: on Oxigraph 0.5 a 1M-triple graph
    (148 MB) took 3 POSTs of ~15 s each, then 357 s and ~4 GB of server memory for the MOVE, where one
    PUT of the same file takes about 50 s.
    """
    start = time.perf_counter()
    graph = check_graph_file(graph)
    _check_single_graph(graph)
    target_url = graph_store_url(store_url, graph_iri)
    update = check_url(update_url, "SPARQL Update endpoint", example="http://127.0.0.1:7878/update") \
        if update_url else update_url_for(store_url)
    temporary = temporary_graph_iri(graph_iri)
    upload_url = graph_store_url(store_url, temporary)
    headers = {**auth_headers(env), "Content-Type": "application/n-triples"}
    sent = batches = total_tries = 0
    try:
        for chunk, blank_nodes in ntriples_batches(graph, batch_bytes):
            # A chunk of ground triples may arrive twice (a graph is a set); one with blank nodes may not.
            _, n = with_retries(lambda: _send("POST", upload_url, chunk, headers, timeout), url=upload_url,
                                timeout=timeout, tries=tries, backoff=backoff,
                                retry=_refused if blank_nodes else is_transient)
            batches += 1
            total_tries += n
            sent += len(chunk)
    except (EndpointError, GraphFileError) as exc:
        raise type(exc)(f"{exc}; {_abandon(update, temporary, batches, headers, timeout, tries, backoff)}") from None
    except KeyboardInterrupt:  # stopped by the user: the target is untouched; leave no upload behind either
        _abandon(update, temporary, batches, headers, timeout, 1, backoff)
        raise
    target = "DEFAULT" if graph_iri is None else f"GRAPH <{graph_iri}>"
    # No batch: the file held no triples (only comments): the target becomes empty, as a PUT would leave it.
    text = f"MOVE GRAPH <{temporary}> TO {target}" if batches else f"DROP SILENT {target}"
    # Moving a large graph takes the server a while (Oxigraph 0.5: 357 s for 1M triples, 148 MB, replacing
    # as many): wait `timeout` per 10 MiB uploaded.
    move_timeout = timeout * max(1, math.ceil(sent / MOVE_BYTES_PER_TIMEOUT))
    timed_out = False

    def move() -> int:
        nonlocal timed_out
        try:
            return _send("POST", update, text.encode("utf-8"),
                         {**auth_headers(env), "Content-Type": "application/sparql-update"}, move_timeout)
        except TimeoutError:
            timed_out = True
            raise

    try:
        status, n = with_retries(move, url=update, timeout=move_timeout, tries=tries, backoff=backoff, retry=_refused)
    except EndpointError as exc:
        if timed_out:  # dropping the upload now could race the MOVE the server may still be running
            raise EndpointError(f"{exc}; the server may still be moving the upload into place: check the target "
                                f"graph, and remove the temporary graph with `DROP SILENT GRAPH <{temporary}>` at "
                                f"{update} if it is still there") from None
        raise EndpointError(f"{exc}; {_abandon(update, temporary, batches, headers, timeout, tries, backoff)}") from None
    return PushResult(target_url, status, sent, total_tries + n, time.perf_counter() - start, batches)


def _abandon(update: str, temporary: str, batches: int, headers: dict[str, str], timeout: float, tries: int,
             backoff: float) -> str:
    """Drop the temporary graph; the sentence that says what became of the push."""
    done = f"{batches} batch{'es' if batches != 1 else ''} had been uploaded"
    drop_headers = {**headers, "Content-Type": "application/sparql-update"}
    body = f"DROP SILENT GRAPH <{temporary}>".encode("utf-8")
    try:
        with_retries(lambda: _send("POST", update, body, drop_headers, timeout), url=update, timeout=timeout,
                     tries=tries, backoff=backoff)
    except EndpointError as exc:
        return (f"the target graph is unchanged; {done} to the temporary graph <{temporary}>, which could not be "
                f"dropped ({exc}): remove it with `DROP SILENT GRAPH <{temporary}>` at {update}")
    return f"the target graph is unchanged ({done} to a temporary graph, now dropped)"
