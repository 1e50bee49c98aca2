"""kg.answers: `kg query` keeps each answer beside the graph's store and prints it again for the same call on
the same graph content, byte for byte what the store gives; never for a changed graph, other parameters or
format, a query that may answer differently each time, or where nothing can be written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kg import answers
from kg.query import Catalogue, FORMATS, query_form
from kg.store import file_hash, store_root
from tests.conftest import kg_in_process

IOM = "https://w3id.org/kg/resource/organization/iom"


@pytest.fixture()
def graph(graph_copy) -> Path:
    return graph_copy


def kept(graph: Path) -> list[Path]:
    folder = store_root(graph) / file_hash(graph)[:16] / "answers"
    return sorted(folder.glob("*.txt")) if folder.is_dir() else []


def test_every_shipped_query_and_format_is_answered_again_as_the_store_answers(capsys, graph):
    calls = 0
    for query in Catalogue().queries:
        required = [p for p in query.params if p.required]
        params = [f"--param={p.name}={IOM}" for p in required if p.type == "iri"]
        if len(params) != len(required):
            continue
        formats = FORMATS if query_form(query.text) in ("SELECT", "ASK") else ("table",)
        for fmt in formats:
            args = ["query", query.name, "--graph", graph, "--format", fmt, *params]
            code, fresh, err = kg_in_process(capsys, *args, "--fresh")
            assert code == 0, err
            before = len(kept(graph))
            code, again, err = kg_in_process(capsys, *args)
            assert code == 0, err
            assert again == fresh, (query.name, fmt)
            assert len(kept(graph)) == before  # the --fresh call kept it; this one only read it
            calls += 1
    assert calls >= 40
    assert len(kept(graph)) == calls  # one answer per query and format


def test_the_second_call_reads_the_kept_answer_and_fresh_runs_again(capsys, graph):
    code, first, _ = kg_in_process(capsys, "query", "funders", "--graph", graph)
    assert code == 0 and first.startswith("funder")
    [path] = kept(graph)
    head, _, body = path.read_bytes().partition(b"\n")
    assert body.decode("utf-8") == first
    # What is printed is the kept file: change it, and the next call prints the change ...
    path.write_bytes(head + b"\nmarked\n")
    assert kg_in_process(capsys, "query", "funders", "--graph", graph)[1] == "marked\n"
    # ... until --fresh runs the query again and keeps its answer in place of the old one.
    assert kg_in_process(capsys, "query", "funders", "--graph", graph, "--fresh")[1] == first
    assert kept(graph) == [path] and path.read_bytes() == head + b"\n" + first.encode("utf-8")


def test_a_damaged_kept_answer_is_run_again(capsys, graph):
    code, first, _ = kg_in_process(capsys, "query", "funders", "--graph", graph)
    [path] = kept(graph)
    for damage in (b"", b"not json\nrows", b'{"kind": "select"}\nrows', b'{"kind": "update", "count": 1}\nx'):
        path.write_bytes(damage)
        assert kg_in_process(capsys, "query", "funders", "--graph", graph) == (0, first, "")


def test_another_graph_content_parameter_or_format_is_not_answered_from_the_old(capsys, graph):
    _, table, _ = kg_in_process(capsys, "query", "funders", "--graph", graph)
    _, csv, _ = kg_in_process(capsys, "query", "funders", "--graph", graph, "--format", "csv")
    assert csv != table and len(kept(graph)) == 2
    _, narrowed, _ = kg_in_process(capsys, "query", "co-mentions", "--graph", graph, "--param", f"entity={IOM}")
    _, whole, _ = kg_in_process(capsys, "query", "co-mentions", "--graph", graph)
    assert narrowed != whole and len(kept(graph)) == 4
    old = store_root(graph) / file_hash(graph)[:16]
    funder = csv.splitlines()[1].split(",")[1]  # the first funder's label
    text = graph.read_text(encoding="utf-8").replace(f'"{funder}"', '"Renamed Body"')
    assert text != graph.read_text(encoding="utf-8")
    graph.write_text(text, encoding="utf-8")
    _, renamed, _ = kg_in_process(capsys, "query", "funders", "--graph", graph)
    assert renamed != table and "Renamed Body" in renamed
    assert not old.exists()  # the old store went, and its answers with it
    assert len(kept(graph)) == 1


@pytest.mark.parametrize("text", [
    "SELECT (NOW() AS ?t) WHERE {}",
    "SELECT (RAND() AS ?r) WHERE {}",
    "SELECT (uuid() AS ?u) WHERE {}",
    "SELECT (STRUUID() AS ?u) WHERE {}",
    "CONSTRUCT { ?s <https://example.org/p> ?b } WHERE { ?s a ?c BIND(BNODE() AS ?b) } LIMIT 1",
])
def test_a_query_that_may_answer_differently_each_time_is_not_kept(capsys, graph, tmp_path, text):
    path = tmp_path / "volatile.rq"
    path.write_text(text, encoding="utf-8")
    code, _, err = kg_in_process(capsys, "query", path, "--graph", graph)
    assert code == 0, err
    assert kept(graph) == []
    assert answers.keepable("SELECT", "SELECT ?now WHERE { ?s <https://example.org/NOW> ?now }")  # a name, not NOW()
    assert answers.keepable("SELECT", 'SELECT * WHERE { ?s ?p "RAND()" }')
    assert not answers.keepable("SELECT", "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }")
    assert not answers.keepable("UPDATE", "INSERT DATA { <https://example.org/a> <https://example.org/b> 1 }")


def test_an_update_is_not_kept(capsys, graph, tmp_path):
    path = tmp_path / "update.rq"
    path.write_text("INSERT DATA { <https://example.org/a> <https://example.org/b> 1 }", encoding="utf-8")
    code, out, err = kg_in_process(capsys, "query", path, "--graph", graph, "--allow-update")
    assert code == 0 and "<https://example.org/a>" in out and "in-memory copy" in err
    assert kept(graph) == []


def test_an_answer_too_large_to_keep_is_printed_all_the_same(capsys, graph, monkeypatch):
    _, whole, _ = kg_in_process(capsys, "query", "evidence", "--graph", graph, "--fresh")
    for path in kept(graph):
        path.unlink()
    monkeypatch.setattr(answers, "MAX_BYTES", len(whole.encode("utf-8")) - 1)
    assert kg_in_process(capsys, "query", "evidence", "--graph", graph, "--fresh") == (0, whole, "")
    assert kept(graph) == []


def test_a_graph_whose_store_cannot_be_kept_answers_without_keeping(capsys, graph):
    store_root(graph).write_text("in the way", encoding="utf-8")  # no store folder: the graph is loaded in memory
    code, out, err = kg_in_process(capsys, "query", "funders", "--graph", graph)
    assert code == 0 and out, err
    assert kg_in_process(capsys, "query", "funders", "--graph", graph) == (0, out, "")
    assert store_root(graph).read_text(encoding="utf-8") == "in the way"


def test_an_answer_is_not_kept_for_a_graph_that_changed_while_the_query_ran(graph):
    """A build may replace the graph file while a query runs: the answer is kept only in the slot of the content
    the query ran on, and only if the file still has it."""
    from kg.store import open_store

    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    before = answers.slot(graph, "SELECT", text, "tsv")
    open_store(graph)  # the store of that content, as the query would have opened
    answer = answers.Answer("?n\n1\n", "select", 1)
    with graph.open("a", encoding="utf-8") as handle:
        handle.write('\n<https://example.org/a> <https://example.org/b> "new" .\n')
    after = answers.slot(graph, "SELECT", text, "tsv")
    assert before != after and before.parent.parent.is_dir()  # the old content's store is still there
    assert answers.keep(before, answer, graph, "SELECT", text, "tsv") is None
    assert not before.exists()
    open_store(graph)  # the new content's store
    assert answers.keep(after, answer, graph, "SELECT", text, "tsv") == after
    assert answers.recall(after) == answer and kept(graph) == [after]


def test_past_the_total_the_answers_printed_longest_ago_go(capsys, graph, monkeypatch):
    calls = {name: ("query", name, "--graph", graph) for name in ("funders", "implementers", "people-roles")}
    sizes = {}
    for name, args in calls.items():
        before = set(kept(graph))
        assert kg_in_process(capsys, *args)[0] == 0
        [path] = set(kept(graph)) - before
        sizes[name] = path.stat().st_size
        os.utime(path, ns=(10**18, 10**18 + len(sizes)))  # funders printed first, people-roles last
    paths = {name: path for name, path in zip(sizes, sorted(kept(graph), key=lambda p: p.stat().st_mtime_ns))}
    # funders is printed again: now the most recent. Then a fourth answer does not fit beside all three.
    assert kg_in_process(capsys, *calls["funders"])[0] == 0
    monkeypatch.setattr(answers, "MAX_TOTAL_BYTES", sum(sizes.values()))
    assert kg_in_process(capsys, "query", "funding-sources", "--graph", graph)[0] == 0
    left = set(kept(graph))
    assert paths["implementers"] not in left  # the least recently printed
    assert paths["funders"] in left and paths["people-roles"] in left and len(left) == 3
    assert sum(p.stat().st_size for p in left) <= answers.MAX_TOTAL_BYTES
    # An answer larger than the total by itself is kept alone.
    monkeypatch.setattr(answers, "MAX_TOTAL_BYTES", 1)
    assert kg_in_process(capsys, "query", "evidence", "--graph", graph)[0] == 0
    [only] = kept(graph)
    assert kg_in_process(capsys, "query", "evidence", "--graph", graph)[1].startswith("subject")
