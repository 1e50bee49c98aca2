"""`kg push` and remote queries against a real Oxigraph server, and against tiny local HTTP servers that
misbehave on purpose: 401, 500, 503, a connection closed mid-answer, garbage, silence, a closed port."""

from __future__ import annotations

import base64
import contextlib
import http.server
import re
import shutil
import socket
import threading
import time
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import kg_in_process as cli

from kg.errors import KGError
from kg.query import run_query
from kg.store import EndpointError, parse_size, push, temporary_graph_iri, update_url_for

FAST = {"backoff": 0.01}  # retries in tests need not wait


# ---------------------------------------------------------------------------------------------
# A tiny HTTP server whose answers a test scripts


class Recorder(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answers):
        super().__init__(("127.0.0.1", 0), Handler)
        self.answers = list(answers)  # one per request; the last one repeats
        self.requests: list[dict] = []
        self.stop = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep the test output clean
        pass

    def _any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server: Recorder = self.server  # type: ignore[assignment]
        server.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                "body": body})
        answer = server.answers[min(len(server.requests), len(server.answers)) - 1]
        if answer == "sleep":
            server.stop.wait(3)  # longer than the client's timeout; ends early when the test is over
            self.close_connection = True
            return
        if isinstance(answer, bytes):  # raw bytes, then close: truncated or not HTTP at all
            self.wfile.write(answer)
            self.wfile.flush()
            self.close_connection = True
            return
        status, content_type, payload = answer
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = _any


@contextlib.contextmanager
def fake_server(*answers):
    server = Recorder(answers)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.requests
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


NO_CONTENT = (204, "text/plain", b"")
JSON_ROWS = (200, "application/sparql-results+json",
             b'{"head":{"vars":["s"]},"results":{"bindings":[{"s":{"type":"uri","value":"urn:x"}}]}}')


@pytest.fixture()
def small(tmp_path) -> tuple[Path, Path]:
    a = tmp_path / "a.ttl"
    a.write_text("<urn:kg:a1> <urn:kg:p> \"A one\" .\n<urn:kg:a2> <urn:kg:p> \"A two\" .\n", encoding="utf-8")
    b = tmp_path / "b.ttl"
    b.write_text("<urn:kg:b1> <urn:kg:p> \"B\" .\n", encoding="utf-8")
    return a, b


def named_graph(endpoint: str, iri: str, tmp_path: Path) -> set[str]:
    query = tmp_path / "g.rq"
    query.write_text(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}\n", encoding="utf-8")
    return {str(t) for t in run_query(query, endpoint=endpoint).triples}




# ---------------------------------------------------------------------------------------------
# A real Oxigraph server


def test_push_replaces_the_named_graph(oxigraph_server, small, tmp_path):
    a, b = small
    iri = "urn:kg:test:replace"
    first = push(a, f"{oxigraph_server}/store", graph_iri=iri)
    assert first.status in (201, 204) and first.tries == 1
    assert named_graph(f"{oxigraph_server}/query", iri, tmp_path) == {
        '<urn:kg:a1> <urn:kg:p> "A one"', '<urn:kg:a2> <urn:kg:p> "A two"'}
    push(b, f"{oxigraph_server}/store", graph_iri=iri)
    assert named_graph(f"{oxigraph_server}/query", iri, tmp_path) == {'<urn:kg:b1> <urn:kg:p> "B"'}


def test_push_the_default_graph_and_query_it(oxigraph_server, build_result, tmp_path, capsys):
    graph = tmp_path / "graph.ttl"
    shutil.copyfile(build_result.files["graph.ttl"], graph)
    code, out, err = cli(capsys, "push", "--store", f"{oxigraph_server}/store", "--graph", graph)
    assert code == 0 and out == ""
    assert err.startswith(f"Pushed {graph} ({graph.stat().st_size:,} bytes) to the default graph at "
                          f"{oxigraph_server}/store: HTTP 204, ")
    local = run_query("funders", graph=graph)
    remote = run_query("funders", endpoint=f"{oxigraph_server}/query")
    assert remote.rows and sorted(map(str, remote.rows)) == sorted(map(str, local.rows))


def test_push_json_ld_as_n_triples(oxigraph_server, build_result, tmp_path):
    jsonld = tmp_path / "graph.jsonld"
    shutil.copyfile(build_result.files["graph.jsonld"], jsonld)
    iri = "urn:kg:test:jsonld"
    push(jsonld, f"{oxigraph_server}/store", graph_iri=iri)
    expected = ox.Store()
    expected.load(path=str(build_result.files["graph.ttl"]), format=ox.RdfFormat.TURTLE)
    assert len(named_graph(f"{oxigraph_server}/query", iri, tmp_path)) == len(expected)


def test_remote_update_needs_allow_update(oxigraph_server, tmp_path):
    update = tmp_path / "u.rq"
    update.write_text('INSERT DATA { GRAPH <urn:kg:test:update> { <urn:kg:u> <urn:kg:p> "u" } }\n', encoding="utf-8")
    with pytest.raises(KGError, match=r"SPARQL Update operation \(INSERT\)"):
        run_query(update, endpoint=f"{oxigraph_server}/update")
    result = run_query(update, endpoint=f"{oxigraph_server}/update", allow_update=True)
    assert result.message == f"update applied at {oxigraph_server}/update"
    assert named_graph(f"{oxigraph_server}/query", "urn:kg:test:update", tmp_path) == {'<urn:kg:u> <urn:kg:p> "u"'}


# ---------------------------------------------------------------------------------------------
# What is sent: one streamed PUT, credentials


def test_one_put_with_the_file_as_body_and_credentials(small):
    a, _ = small
    with fake_server(NO_CONTENT) as (url, requests):
        result = push(a, f"{url}/store", env={"KG_STORE_USER": "ana", "KG_STORE_PASSWORD": "s3cret"})
        push(a, f"{url}/store?x=1", graph_iri="https://example.org/g#1", env={"KG_STORE_TOKEN": "tok"})
    assert result.tries == 1 and result.bytes == a.stat().st_size
    first, second = requests
    assert (first["method"], first["path"]) == ("PUT", "/store?default")
    assert first["headers"]["Content-Type"] == "text/turtle"
    assert first["headers"]["Content-Length"] == str(a.stat().st_size) and first["body"] == a.read_bytes()
    assert first["headers"]["Authorization"] == "Basic " + base64.b64encode(b"ana:s3cret").decode()
    assert second["path"] == "/store?x=1&graph=https%3A%2F%2Fexample.org%2Fg%231"
    assert second["headers"]["Authorization"] == "Bearer tok"


def test_remote_queries_send_credentials_and_post(small):
    with fake_server(JSON_ROWS) as (url, requests):
        result = run_query("funders", endpoint=f"{url}/query", env={"KG_STORE_TOKEN": "tok"})
    assert [r[0].value for r in result.rows] == ["urn:x"]
    (request,) = requests
    assert request["method"] == "POST" and request["headers"]["Authorization"] == "Bearer tok"
    assert b"query=" in request["body"]


# ---------------------------------------------------------------------------------------------
# Faults: exact messages, retries counted


def test_401_says_how_to_authenticate_and_is_not_retried(small, capsys):
    a, _ = small
    with fake_server((401, "text/plain", b"who are you")) as (url, requests):
        with pytest.raises(EndpointError) as err:
            push(a, f"{url}/store", **FAST)
        assert str(err.value) == (f"{url}/store?default: HTTP 401, authentication failed: "
                                  f"set KG_STORE_USER/KG_STORE_PASSWORD or KG_STORE_TOKEN")
        assert len(requests) == 1
        with pytest.raises(EndpointError) as err:
            run_query("funders", endpoint=f"{url}/query")
        assert str(err.value) == (f"{url}/query: HTTP 401, authentication failed: "
                                  f"set KG_STORE_USER/KG_STORE_PASSWORD or KG_STORE_TOKEN")
        code, out, stderr = cli(capsys, "push", "--store", f"{url}/store", "--graph", a)
        assert (code, out) == (1, "") and stderr == f"Error: {url}/store?default: HTTP 401, authentication " \
                                                    f"failed: set KG_STORE_USER/KG_STORE_PASSWORD or KG_STORE_TOKEN\n"


def test_404_and_500_are_not_retried(small):
    a, _ = small
    with fake_server((404, "text/plain", b"no")) as (url, requests):
        with pytest.raises(EndpointError) as err:
            push(a, f"{url}/stor", **FAST)
        assert str(err.value) == f"{url}/stor?default: HTTP 404, not found: check the URL " \
                                 f"(Oxigraph serves /query, /update and /store)"
        assert len(requests) == 1
    with fake_server((500, "text/plain", b"disk on fire\nreally")) as (url, requests):
        with pytest.raises(EndpointError) as err:
            push(a, f"{url}/store", **FAST)
        assert str(err.value) == f"{url}/store?default: HTTP 500, server error: disk on fire really"
        assert len(requests) == 1
        with pytest.raises(EndpointError) as err:
            run_query("funders", endpoint=f"{url}/query")
        assert str(err.value) == f"{url}/query: HTTP 500, server error: disk on fire really"


def test_503_is_retried_with_backoff(small):
    a, _ = small
    busy = (503, "text/plain", b"busy")
    with fake_server(busy, busy, NO_CONTENT) as (url, requests):
        result = push(a, f"{url}/store", **FAST)
    assert result.tries == 3 and len(requests) == 3 and result.status == 204
    with fake_server(busy) as (url, requests):
        start = time.monotonic()
        with pytest.raises(EndpointError) as err:
            push(a, f"{url}/store", backoff=0.1)
        waited = time.monotonic() - start
    assert str(err.value) == f"{url}/store?default: HTTP 503, server error: busy (after 3 tries)"
    assert len(requests) == 3 and waited >= 0.1 + 0.2  # 0.1 s, then 0.2 s between the tries


def test_a_connection_closed_mid_answer(small):
    a, _ = small
    cut = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nonly ten b"
    with fake_server(cut) as (url, requests):
        with pytest.raises(EndpointError) as err:
            push(a, f"{url}/store", **FAST)
    assert str(err.value) == (f"{url}/store?default: truncated or invalid response (the server closed the "
                              f"connection or answered something that is not HTTP: IncompleteRead) (after 3 tries)")
    assert len(requests) == 3
    cut_json = (b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: 500\r\n\r\n"
                b'{"head":{"vars":["s"]},"results":{"bind')
    with fake_server(cut_json) as (url, requests):
        with pytest.raises(EndpointError) as err:
            run_query("funders", endpoint=f"{url}/query", tries=1)
    assert str(err.value) == (f"{url}/query: truncated or invalid response (the server closed the connection "
                              f"or answered something that is not HTTP: IncompleteRead)")


def test_an_answer_that_is_not_http_or_not_results(small):
    a, _ = small
    with fake_server(b"SSH-2.0-OpenSSH_9.2\r\n") as (url, requests):
        with pytest.raises(EndpointError) as err:
            push(a, f"{url}/store", tries=1)
    assert str(err.value) == (f"{url}/store?default: truncated or invalid response (the server closed the "
                              f"connection or answered something that is not HTTP: BadStatusLine)")
    with fake_server(b"") as (url, requests):
        with pytest.raises(EndpointError) as err:
            push(a, f"{url}/store", tries=1)
    assert "truncated or invalid response" in str(err.value) and "RemoteDisconnected" in str(err.value)
    broken = (200, "application/sparql-results+json", b'{"head":{"vars":["s"]},"results":{"bindings":[{"s":')
    with fake_server(broken) as (url, requests):
        with pytest.raises(EndpointError) as err:
            run_query("funders", endpoint=f"{url}/query")
    assert str(err.value).startswith(f"{url}/query: truncated or invalid response: ")
    html = (200, "text/html", b"<html>login</html>")
    with fake_server(html) as (url, requests):
        with pytest.raises(EndpointError) as err:
            run_query("funders", endpoint=f"{url}/query")
    assert str(err.value) == (f"{url}/query: answered with 'text/html', not SPARQL results "
                              f"(application/sparql-results+json, application/json, application/sparql-results+xml, "
                              f"text/tab-separated-values)")


def test_connection_refused_on_a_closed_port(small):
    a, _ = small
    port = closed_port()
    with pytest.raises(EndpointError) as err:
        push(a, f"http://127.0.0.1:{port}/store", **FAST)
    assert str(err.value) == (f"http://127.0.0.1:{port}/store?default: connection refused; is the SPARQL server "
                              f"running and listening on this port? (after 3 tries)")
    with pytest.raises(EndpointError) as err:
        run_query("funders", endpoint=f"http://127.0.0.1:{port}/query", tries=2)
    assert str(err.value) == (f"http://127.0.0.1:{port}/query: connection refused; is the SPARQL server "
                              f"running and listening on this port? (after 2 tries)")


def test_a_server_that_does_not_answer_times_out(small):
    a, _ = small
    with fake_server("sleep") as (url, requests):
        start = time.monotonic()
        with pytest.raises(EndpointError) as err:
            push(a, f"{url}/store", timeout=0.3, **FAST)
        took = time.monotonic() - start
        assert str(err.value) == (f"{url}/store?default: no answer within 0.3 s (timeout); raise --timeout or "
                                  f"check the server (after 3 tries)")
        assert len(requests) == 3 and took < 2.5
        with pytest.raises(EndpointError) as err:
            run_query("funders", endpoint=f"{url}/query", timeout=0.3, tries=1)
        assert str(err.value) == f"{url}/query: no answer within 0.3 s (timeout); raise --timeout or check the server"


def test_bad_urls_and_graph_iris(small):
    a, _ = small
    with pytest.raises(EndpointError) as err:
        push(a, "localhost:7878/store")
    assert str(err.value) == ("localhost:7878/store: not an http(s) URL; pass the Graph Store endpoint URL, "
                              "e.g. http://127.0.0.1:7878/store")
    with pytest.raises(KGError) as err:
        push(a, "http://127.0.0.1:1/store", graph_iri="urn:a b")
    assert str(err.value) == ("--graph-iri: 'urn:a b' is not a valid IRI: it contains space "
                              "(no spaces, controls or any of <>\"{}|^`\\ allowed)")


# ---------------------------------------------------------------------------------------------
# Batched push: POSTs into a temporary graph, one MOVE; a failure leaves the target as it was


def graphs(endpoint: str, tmp_path: Path) -> set[str]:
    query = tmp_path / "graphs.rq"
    query.write_text("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }\n", encoding="utf-8")
    return {row[0].value for row in run_query(query, endpoint=endpoint).rows}


def ntriples(path: Path, n: int, *, bad_at: int | None = None) -> Path:
    lines = [f'<urn:kg:s{i}> <urn:kg:p> "value {i}" .\n' for i in range(n)]
    if bad_at is not None:
        lines[bad_at] = '<urn:kg:broken> <urn:kg:p> "no end .\n'
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_batched_push_replaces_a_named_graph_through_a_temporary_graph(oxigraph_server, small, tmp_path):
    _, b = small
    iri = "urn:kg:test:batched"
    push(b, f"{oxigraph_server}/store", graph_iri=iri)
    graph = ntriples(tmp_path / "big.nt", 60)
    with graph.open("a", encoding="utf-8") as fh:  # blank nodes must arrive in one request to stay one node
        fh.write('_:x <urn:kg:p> "blank" .\n_:x <urn:kg:q> "same node" .\n')
    result = push(graph, f"{oxigraph_server}/store", graph_iri=iri, batch_bytes=400)
    assert result.batches >= 5 and result.status in (200, 204)
    assert result.url == f"{oxigraph_server}/store?graph=urn%3Akg%3Atest%3Abatched"
    triples = named_graph(f"{oxigraph_server}/query", iri, tmp_path)
    assert {t for t in triples if not t.startswith("_:")} == {
        f'<urn:kg:s{i}> <urn:kg:p> "value {i}"' for i in range(60)}
    nodes = tmp_path / "nodes.rq"
    nodes.write_text(f'SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?b <urn:kg:p> "blank" ; '
                     f'<urn:kg:q> "same node" }} }}\n', encoding="utf-8")
    assert run_query(nodes, endpoint=f"{oxigraph_server}/query").rows[0][0].value == "1"
    assert not [g for g in graphs(f"{oxigraph_server}/query", tmp_path) if "upload-" in g]


def test_batched_push_of_turtle_to_the_default_graph(oxigraph_server, build_result, tmp_path):
    graph = tmp_path / "graph.ttl"
    shutil.copyfile(build_result.files["graph.ttl"], graph)
    result = push(graph, f"{oxigraph_server}/store", batch_bytes=graph.stat().st_size // 4)
    assert result.batches >= 4  # N-Triples is longer than Turtle: more batches than 4
    local = run_query("funders", graph=graph)
    remote = run_query("funders", endpoint=f"{oxigraph_server}/query")
    assert remote.rows and sorted(map(str, remote.rows)) == sorted(map(str, local.rows))
    count = tmp_path / "count.rq"
    count.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n", encoding="utf-8")
    expected = ox.Store()
    expected.load(path=str(graph), format=ox.RdfFormat.TURTLE)
    assert int(run_query(count, endpoint=f"{oxigraph_server}/query").rows[0][0].value) == len(expected)
    assert not [g for g in graphs(f"{oxigraph_server}/query", tmp_path) if "upload-" in g]


def test_invalid_data_midway_leaves_the_target_unchanged_and_no_temporary_graph(oxigraph_server, small, tmp_path):
    a, _ = small
    iri = "urn:kg:test:batched-broken"
    push(a, f"{oxigraph_server}/store", graph_iri=iri)
    broken = ntriples(tmp_path / "broken.nt", 60, bad_at=45)
    with pytest.raises(KGError) as err:
        push(broken, f"{oxigraph_server}/store", graph_iri=iri, batch_bytes=300)
    message = str(err.value)
    assert message.startswith(f"{broken}: cannot parse: ") and "line 46" in message
    assert message.endswith("; the target graph is unchanged (5 batches had been uploaded to a temporary graph, "
                            "now dropped)")
    assert named_graph(f"{oxigraph_server}/query", iri, tmp_path) == {
        '<urn:kg:a1> <urn:kg:p> "A one"', '<urn:kg:a2> <urn:kg:p> "A two"'}
    assert not [g for g in graphs(f"{oxigraph_server}/query", tmp_path) if "upload-" in g]


def test_a_batch_refused_midway_drops_the_temporary_graph(tmp_path):
    graph = ntriples(tmp_path / "big.nt", 30)
    with fake_server(NO_CONTENT, NO_CONTENT, (500, "text/plain", b"disk full"), NO_CONTENT) as (url, requests):
        with pytest.raises(EndpointError) as err:
            push(graph, f"{url}/store", graph_iri="urn:kg:g", batch_bytes=200, **FAST)
    posts = [r for r in requests if r["path"].startswith("/store")]
    assert [r["method"] for r in requests] == ["POST"] * 4 and len(posts) == 3
    temporary = posts[0]["path"].split("graph=", 1)[1]
    assert temporary.startswith("urn%3Akg%3Ag%23upload-") and {p["path"] for p in posts} == {posts[0]["path"]}
    assert all(p["headers"]["Content-Type"] == "application/n-triples" for p in posts)
    drop = requests[3]
    iri = urllib.parse.unquote(temporary)
    assert (drop["path"], drop["headers"]["Content-Type"]) == ("/update", "application/sparql-update")
    assert drop["body"] == f"DROP SILENT GRAPH <{iri}>".encode()
    assert str(err.value) == (f"{url}/store?graph={temporary}: HTTP 500, server error: disk full; the target graph "
                              f"is unchanged (2 batches had been uploaded to a temporary graph, now dropped)")


def test_a_refused_move_drops_the_upload_and_a_dead_server_is_reported(tmp_path):
    graph = ntriples(tmp_path / "big.nt", 10)
    with fake_server(NO_CONTENT, NO_CONTENT, (400, "text/plain", b"no MOVE here"), NO_CONTENT) as (url, requests):
        with pytest.raises(EndpointError) as err:
            push(graph, f"{url}/sparql/store", batch_bytes=300, update_url=f"{url}/sparql/up", **FAST)
    iri = urllib.parse.unquote(requests[0]["path"].split("graph=", 1)[1])
    assert iri.startswith("urn:kg:upload-")
    assert [(r["path"], r["body"]) for r in requests[2:]] == [
        ("/sparql/up", f"MOVE GRAPH <{iri}> TO DEFAULT".encode()), ("/sparql/up", f"DROP SILENT GRAPH <{iri}>".encode())]
    assert str(err.value) == (f"{url}/sparql/up: HTTP 400 Bad Request: no MOVE here; the target graph is unchanged "
                              f"(2 batches had been uploaded to a temporary graph, now dropped)")
    port = closed_port()
    with pytest.raises(EndpointError) as err:
        push(graph, f"http://127.0.0.1:{port}/store", batch_bytes=300, tries=1)
    assert str(err.value).startswith(f"http://127.0.0.1:{port}/store?graph=urn%3Akg%3Aupload-")
    assert str(err.value).endswith(
        f"connection refused; is the SPARQL server running and listening on this port?; the target graph is "
        f"unchanged; 0 batches had been uploaded to the temporary graph <{str(err.value).split('<')[1].split('>')[0]}>"
        f", which could not be dropped (http://127.0.0.1:{port}/update: connection refused; is the SPARQL server "
        f"running and listening on this port?): remove it with `DROP SILENT GRAPH "
        f"<{str(err.value).split('<')[1].split('>')[0]}>` at http://127.0.0.1:{port}/update")


def test_batch_sizes_update_urls_and_temporary_graphs():
    assert [parse_size(s) for s in ("1000", "50M", "50MB", "512k", "1G", "1.5k", "2MiB")] == [
        1000, 50 * 2**20, 50 * 2**20, 512 * 1024, 2**30, 1536, 2 * 2**20]
    with pytest.raises(KGError) as err:
        parse_size("fifty")
    assert str(err.value) == "--batch-size: 'fifty' is not a size; give bytes or a number with k, M or G, e.g. 50M"
    assert update_url_for("http://h:7878/store") == "http://h:7878/update"
    assert update_url_for("https://h/db/store/?x=1") == "https://h/db/update?x=1"
    with pytest.raises(EndpointError) as err:
        update_url_for("http://h:7878/data")
    assert str(err.value) == ("http://h:7878/data: cannot tell the SPARQL Update endpoint of this store (its path "
                              "does not end in /store); pass --update-url, e.g. http://127.0.0.1:7878/update")
    assert re.fullmatch(r"https://e\.org/g#upload-[0-9a-f]{16}", temporary_graph_iri("https://e.org/g"))
    assert re.fullmatch(r"https://e\.org/g#1-upload-[0-9a-f]{16}", temporary_graph_iri("https://e.org/g#1"))
    assert re.fullmatch(r"urn:kg:upload-[0-9a-f]{16}", temporary_graph_iri(None))


def test_a_store_url_without_an_update_endpoint_is_refused_before_any_upload(tmp_path):
    graph = ntriples(tmp_path / "big.nt", 10)
    with fake_server(NO_CONTENT) as (url, requests):
        with pytest.raises(EndpointError, match=r"pass --update-url"):
            push(graph, f"{url}/data", batch_bytes=100)
        assert requests == []
        small_file = push(graph, f"{url}/data", batch_bytes=graph.stat().st_size)  # not larger: one PUT
    assert small_file.batches == 0 and [r["method"] for r in requests] == ["PUT"]


def test_a_dataset_is_refused_before_any_upload(tmp_path):
    dataset = tmp_path / "shards.nq"
    dataset.write_text('<urn:kg:a> <urn:kg:p> "x" <urn:kg:g> .\n' * 20, encoding="utf-8")
    with fake_server(NO_CONTENT) as (url, requests):
        for batch_bytes in (10, 10_000):  # batched, and one PUT
            with pytest.raises(KGError) as err:
                push(dataset, f"{url}/store", batch_bytes=batch_bytes)
            assert str(err.value) == (f"{dataset}: a dataset with named graphs cannot be pushed into one graph; "
                                      f"push a .ttl, .nt or .jsonld graph")
        assert requests == []
