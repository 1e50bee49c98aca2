"""Centrality on synthetic actor networks: how long kg.analyze.measure takes as the network grows.

`run(sizes)` builds, for each size, a network shaped like kg's (funders -> projects -> places, implementers,
people affiliated with organizations, a place hierarchy; average degree about 4; the same size and seed give
the same network) and times the full measure set: degrees and role counts, PageRank, betweenness, eigenvector
centrality, broker scores and Louvain communities. Run `PYTHONPATH=. python benchmarks/bench_centrality.py
[SIZE ...]` for a table.
"""

from __future__ import annotations

import random
import sys
import time
from itertools import accumulate

import networkx as nx

from kg import analyze

RESOURCE = "https://w3id.org/kg/resource/"
# Share of the nodes in each class.
MIX = (("FundingSource", 0.02), ("Organization", 0.10), ("Person", 0.13), ("Project", 0.35),
       ("Municipality", 0.36), ("Department", 0.036), ("Country", 0.004))


def synthetic_network(n: int, seed: int = 7) -> nx.MultiDiGraph:
    """An actor network of about `n` nodes in the shape kg.analyze.actor_network returns."""
    rng = random.Random(seed)
    ids: dict[str, list[str]] = {}
    graph = nx.MultiDiGraph()
    for cls, share in MIX:
        ids[cls] = [f"{RESOURCE}{cls.lower()}/{i}" for i in range(max(1, round(n * share)))]
        for i, iri in enumerate(ids[cls]):
            graph.add_node(iri, iri=iri, label=f"{cls} {i}", **{"class": cls})
    # A few big funders and implementers, many small ones (Zipf-like weights); places uniform.
    funders = ids["FundingSource"] + ids["Organization"][: len(ids["Organization"]) // 4]
    funder_weights = list(accumulate(1 / (r + 1) for r in range(len(funders))))
    implementers = ids["Organization"]
    implementer_weights = list(accumulate(1 / (r + 1) ** 0.8 for r in range(len(implementers))))
    places = ids["Municipality"] + ids["Department"]

    def edge(u: str, v: str, kind: str, **attrs) -> None:
        graph.add_edge(u, v, key=kind, kind=kind, evidence=1, **attrs)

    for project in ids["Project"]:
        if rng.random() < 0.5:
            graph.nodes[project].update(amount=float(rng.randint(10, 5_000) * 1_000), currency="USD")
        amount = {k: graph.nodes[project][k] for k in ("amount", "currency") if k in graph.nodes[project]}
        for funder in set(rng.choices(funders, cum_weights=funder_weights, k=1 + (rng.random() < 0.5))):
            edge(funder, project, "funds", **amount)
        for implementer in set(rng.choices(implementers, cum_weights=implementer_weights,
                                           k=1 + (rng.random() < 0.5))):
            edge(implementer, project, "implements")
        for place in set(rng.sample(places, 1 + (rng.random() < 0.5))):
            edge(project, place, "benefits")
    for person in ids["Person"]:
        edge(person, rng.choice(ids["Organization"]), "affiliatedWith")
    for organization in ids["Organization"][::10]:
        parent = rng.choice(ids["Organization"])
        if parent != organization:
            edge(organization, parent, "subOrganizationOf")
    for municipality in ids["Municipality"]:
        edge(municipality, rng.choice(ids["Department"]), "partOf")
    for department in ids["Department"]:
        edge(department, rng.choice(ids["Country"]), "partOf")
    return graph


def run(sizes=(10_000, 100_000)) -> list[dict]:
    """Time kg.analyze.measure on a synthetic network of each size."""
    rows = []
    for size in sizes:
        started = time.perf_counter()
        network = synthetic_network(size)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        result = analyze.measure(network)
        measured = time.perf_counter() - started
        nodes, edges = network.number_of_nodes(), network.number_of_edges()
        rows.append({"nodes": nodes, "edges": edges, "average_degree": round(2 * edges / nodes, 2),
                     "backend": result.backend, "betweenness_sources": result.sampled_sources or nodes,
                     "communities": len(result.communities), "generate_s": round(generated, 2),
                     "measure_s": round(measured, 2)})
    return rows


def table(rows: list[dict]) -> str:
    columns = list(rows[0]) if rows else []
    cells = [columns] + [[str(row[c]) for c in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(line, widths)) for line in cells)


if __name__ == "__main__":
    print(table(run(tuple(int(arg) for arg in sys.argv[1:]) or (10_000, 100_000))))
