"""kg.store's local store: built once per content of the graph file, reused, replaced when the file changes,
safe with two processes, and every graph format."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import GraphFileError
from kg.store import file_hash, open_store, store_root

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def graph(graph_copy) -> Path:
    return graph_copy


def folders(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir())


def test_second_open_reuses_the_store_without_parsing(graph):
    first = open_store(graph)
    root = store_root(graph)
    assert root == graph.parent / ".graph.ttl.store"
    assert first.loaded and first.folder == root / file_hash(graph)[:16]
    count = len(first.store)
    assert count > 1000
    before = {p.name: p.stat().st_mtime_ns for p in first.folder.iterdir()}
    del first
    second = open_store(graph)
    assert not second.loaded and second.folder == root / file_hash(graph)[:16]
    assert len(second.store) == count
    assert folders(root) == [second.folder.name]
    # Nothing in the store was rewritten: it was opened read-only, not loaded again.
    assert {p.name: p.stat().st_mtime_ns for p in second.folder.iterdir()} == before
    assert second.seconds < 1.0


def test_a_changed_graph_gets_a_new_store_and_the_old_one_goes(graph):
    old = open_store(graph).folder
    with graph.open("a", encoding="utf-8") as fh:
        fh.write('\n<https://example.org/a> <https://example.org/b> "new" .\n')
    new = open_store(graph)
    assert new.loaded and new.folder != old and not old.exists()
    assert folders(store_root(graph)) == [new.folder.name]
    assert ox.Quad(ox.NamedNode("https://example.org/a"), ox.NamedNode("https://example.org/b"),
                   ox.Literal("new")) in new.store


def test_every_graph_format_gives_the_same_triples(build_result, graph, tmp_path):
    expected = len(open_store(graph).store)
    source = open_store(graph).store
    for suffix, fmt in ((".nt", ox.RdfFormat.N_TRIPLES), (".nq", ox.RdfFormat.N_QUADS), (".trig", ox.RdfFormat.TRIG)):
        path = tmp_path / f"copy{suffix}"
        source.dump(str(path), format=fmt, **({} if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)
                                             else {"from_graph": ox.DefaultGraph()}))
        assert len(open_store(path).store) == expected, suffix
    jsonld = tmp_path / "graph.jsonld"
    shutil.copyfile(build_result.files["graph.jsonld"], jsonld)
    opened = open_store(jsonld)
    assert opened.loaded and len(opened.store) == expected
    assert not open_store(jsonld).loaded


def test_two_processes_opening_at_once_both_get_the_whole_store(graph):
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from kg.store import open_store
        opened = open_store({str(graph)!r})
        print(len(opened.store))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    counts = {int(out.strip()) for out, _ in outputs}
    assert len(counts) == 1 and counts.pop() > 1000
    root = store_root(graph)
    assert folders(root) == [file_hash(graph)[:16]], "one store, no half-built folder left behind"
    # And a reader in this process while others have it open.
    assert len(open_store(graph).store) > 1000


def test_bad_graph_files_are_reported(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:a ex:b "unclosed .\n', encoding="utf-8")
    with pytest.raises(GraphFileError) as err:
        open_store(bad)
    assert str(err.value) == (f"{bad}: cannot parse: Parser error between line 3 column 11 and line 4 column 1: "
                              f"Unexpected end of file (bad.ttl, line 3)")
    assert folders(store_root(bad)) == [], "no store is left for a graph that does not parse"
    with pytest.raises(GraphFileError) as err:
        open_store(tmp_path / "missing.ttl")
    assert str(err.value) == f"{tmp_path / 'missing.ttl'}: no such file; run `kg build` first or name an " \
                             f"existing graph file"
    with pytest.raises(GraphFileError) as err:
        open_store(tmp_path / "graph.csv")
    assert str(err.value) == f"{tmp_path / 'graph.csv'}: unknown graph format '.csv'; expected one of " \
                             f".ttl, .nt, .nq, .trig, .jsonld, .json"


def test_a_process_keeps_one_store_per_graph_while_the_file_is_unchanged(graph):
    first = open_store(graph).store
    assert open_store(graph).store is first
    with graph.open("a", encoding="utf-8") as fh:
        fh.write('\n<https://example.org/a> <https://example.org/b> "kept?" .\n')
    changed = open_store(graph).store
    assert changed is not first and open_store(graph).store is changed
    assert ox.Quad(ox.NamedNode("https://example.org/a"), ox.NamedNode("https://example.org/b"),
                   ox.Literal("kept?")) in changed
