"""The actor network patched by the lines that went and came is the network query's answer after the change."""

from __future__ import annotations

import random

import pyoxigraph
import pytest

from kg import analyze, network_patch

KG = "https://w3id.org/kg/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
DECIMAL = "<http://www.w3.org/2001/XMLSchema#decimal>"
CLASSES = ("Organization", "Person", "Project", "FundingSource", "Municipality", "Department", "Country")


def _universe(entities: int = 10, figures: int = 6, records: int = 16) -> list[str]:
    """Every line a small graph of the network's shapes may hold: typed entities with labels and money,
    edges of every kind, kg:Figure and kg:Evidence records (some without their type or sentence)."""
    e = [f"<http://example.org/e{i}>" for i in range(entities)]
    lines = []
    for i, iri in enumerate(e):
        lines += [f"{iri} <{RDF}type> <{KG}{c}>" for c in CLASSES[i % 3:i % 3 + 2]]
        lines += [f"{iri} <{RDF}type> <{KG}Project>", f'{iri} {LABEL} "E {i}"', f'{iri} {LABEL} "Another {i}"',
                  f'{iri} <{KG}budgetAmount> "{100 * (i + 1)}.00"^^{DECIMAL}',
                  f'{iri} <{KG}budgetAmount> "{50 * (i + 1)}"^^{DECIMAL}', f'{iri} <{KG}currency> "USD"',
                  f'{iri} <{KG}currency> "EUR"']
        lines += [f"{iri} <{KG}{kind}> {other}" for kind in analyze.KINDS for other in e[:4] + e[i:i + 2]]
    for j in range(figures):
        f = f"<http://example.org/figure/{j}>"
        lines += [f"{f} <{RDF}type> <{KG}Figure>", f"{f} <{KG}refersTo> {e[j % entities]}",
                  f"{f} <{KG}refersTo> {e[(j + 3) % entities]}", f'{f} <{KG}value> "{j * 7 + 1}.5"^^{DECIMAL}',
                  f'{f} <{KG}unit> "{("USD", "EUR", "people")[j % 3]}"', f'{f} <{KG}unit> "HNL"']
    for k in range(records):
        r = f"<http://example.org/evidence/{k}>"
        lines += [f"{r} <{RDF}type> <{KG}Evidence>", f"{r} <{RDF}subject> {e[k % 4]}",
                  f"{r} <{RDF}subject> {e[(k + 5) % entities]}", f"{r} <{RDF}predicate> <{KG}{analyze.KINDS[k % 6]}>",
                  f"{r} <{RDF}predicate> <{KG}funds>", f"{r} <{RDF}object> {e[(k * 3) % entities]}",
                  f'{r} <{KG}sentence> "Sentence {k}."', f'{r} <{KG}sentence> "Another sentence {k}."']
    return sorted(set(lines))


def _change(store: pyoxigraph.Store, lines: list[str], change) -> None:
    if lines:
        for quad in pyoxigraph.parse((" .\n".join(lines) + " .\n").encode(), format=pyoxigraph.RdfFormat.N_TRIPLES):
            change(quad)


def _store(lines: list[str]) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    if lines:
        store.bulk_load((" .\n".join(lines) + " .\n").encode(), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def _parts(network) -> tuple[dict, dict]:
    return ({v: dict(attrs) for v, attrs in network.nodes(data=True)},
            {(u, v, k): attrs["evidence"] for u, v, k, attrs in network.edges(keys=True, data=True)})


def _same(a, b) -> bool:
    return analyze._network_digest(a, "") == analyze._network_digest(b, "")


@pytest.mark.parametrize("seed", range(60))
def test_patched_network_is_the_query_answer_after_random_changes(seed):
    rng = random.Random(seed)
    universe = _universe()
    graph = set(rng.sample(universe, rng.randrange(len(universe) // 4, 3 * len(universe) // 4)))
    store = _store(sorted(graph))
    before = analyze.actor_network(store)
    for _ in range(3):  # changes in a row, each patched from the last patched network
        removed = sorted(rng.sample(sorted(graph), rng.randrange(0, 25)))
        added = sorted(rng.sample(sorted(set(universe) - graph), rng.randrange(0, 25)))
        _change(store, removed, store.remove)
        _change(store, added, store.add)
        graph = (graph - set(removed)) | set(added)
        patched = network_patch.patched(store, _parts(before), removed, added)
        expected = analyze.actor_network(store)
        assert patched is not None
        assert _same(patched, expected), (seed, removed, added)
        assert list(patched.nodes) == list(expected.nodes) and list(patched.edges) == list(expected.edges)
        before = patched


def test_records_that_went_and_came_whole_change_the_counts_only():
    universe = _universe()
    records = [line for line in universe if line.startswith("<http://example.org/evidence/")]
    rest = [line for line in universe if line not in records]
    store = _store(rest + records[:40])
    before = analyze.actor_network(store)
    gone, came = records[:16], records[40:64]
    _change(store, gone, store.remove)
    _change(store, came, store.add)
    patched = network_patch.patched(store, _parts(before), gone, came)
    after = analyze.actor_network(store)
    assert _same(patched, after) and not _same(before, after)
    assert sorted(patched.nodes) == sorted(before.nodes)


def test_mirrors_the_shipped_network_query():
    """NODES_QUERY restates part of queries/12-actor-network.rq: when that file changes, read the new text,
    make NODES_QUERY (and network_patch's rules) say the same, then set MIRRORS to the new hash."""
    assert network_patch.query_hash() == network_patch.MIRRORS


def test_whole_query_where_the_patch_cannot_be_certain(monkeypatch):
    universe = _universe()
    store = _store(universe)
    before = _parts(analyze.actor_network(store))
    assert network_patch.patched(store, before, [], []) is not None
    blank = f"_:b0 <{RDF}subject> <http://example.org/e1>"
    assert network_patch.patched(store, before, [], [blank]) is None
    escaped = f"<http://example.org/e\\u0031> <{RDF}type> <{KG}Person>"
    assert network_patch.patched(store, before, [escaped], []) is None
    not_an_iri = f"<http://example.org/a{{b}}> <{RDF}type> <{KG}Person>"
    assert network_patch.patched(store, before, [], [not_an_iri]) is None
    monkeypatch.setattr(network_patch, "MAX_AROUND", 3)
    assert network_patch.patched(store, before, [], universe[:200]) is None
    monkeypatch.setattr(network_patch, "MAX_AROUND", 2_000)
    monkeypatch.setattr(network_patch, "MIRRORS", "0" * 64)  # query 12 edited: its text is no longer restated
    assert network_patch.patched(store, before, [], []) is None


def test_a_count_that_would_go_below_zero_means_the_store_is_not_what_the_network_came_from():
    universe = _universe()
    store = _store(universe)
    nodes, edges = _parts(analyze.actor_network(store))
    records = [line for line in universe if line.startswith("<http://example.org/evidence/0>")]
    _change(store, records, store.remove)
    assert network_patch.patched(store, (nodes, edges), records, []) is not None
    assert network_patch.patched(store, (nodes, {key: 0 for key in edges}), records, []) is None
