"""Who matters: the actor network of a graph, its centrality, roles and communities, written as files.

The network comes out of `queries/12-actor-network.rq` (a SPARQL CONSTRUCT run in pyoxigraph):
organizations, people, projects, funding sources and places, joined by funds, implements, benefits,
affiliatedWith, subOrganizationOf and partOf edges. Measures run on networkx up to `LARGE_NETWORK`
nodes and on python-igraph beyond, with the same output either way. Everything is deterministic:
nodes and rows sorted by IRI, fixed seeds, floats rounded to `DECIMALS` places.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import marshal
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pyoxigraph
from rdflib import Graph
from rdflib.namespace import RDF, RDFS, XSD

from kg import serialize
from kg.build import decimal_literal
from kg.errors import AnalysisError
from kg.ontology import KG
from kg.query import find_query
from kg.settings import Settings
from kg.vocab import NETWORK_QUERY, ROLES


# In order of preference when an entity carries more than one of them.
CLASSES = ("Organization", "Person", "Project", "FundingSource", "Municipality", "Department", "Country")
PLACE_CLASSES = frozenset({"Municipality", "Department", "Country"})
ACTOR_CLASSES = frozenset({"Organization", "Person", "FundingSource"})
KINDS = ("funds", "implements", "benefits", "affiliatedWith", "subOrganizationOf", "partOf")

LARGE_NETWORK = 500  # above this many nodes the measures run on python-igraph (exact betweenness in
# networkx already takes about 25 s at 1,200 nodes; igraph gives the same values to 2e-6 in a fraction)
EXACT_BETWEENNESS_MAX = 2_000  # above this many nodes betweenness is estimated from sampled sources
SAMPLED_SOURCES = 256
SEED = 42
DAMPING = 0.85
DECIMALS = 6
BACKENDS = ("auto", "networkx", "igraph")

# A role, the measures it can be ranked by (the first is the default), and who may appear in the ranking.
_ROLE_CLASSES = {"funds": None, "implements": None, "benefits": PLACE_CLASSES, "broker": ACTOR_CLASSES}

MEASURES = ("degree", "in_degree", "out_degree", *(f"{k}_{d}" for k in KINDS for d in ("out", "in")),
            "pagerank", "betweenness", "eigenvector", "broker", "community",
            "funded_amount", "benefit_funders", "benefit_amount")
CSV_COLUMNS = ("iri", "label", "class", "amount", "currency", *MEASURES)
_FLOATS = frozenset({"pagerank", "betweenness", "eigenvector", "broker", "funded_amount", "benefit_amount"})


@dataclass
class AnalysisResult:
    """The actor network, a row of scores per node, the communities, and the files written."""

    network: nx.MultiDiGraph
    scores: dict[str, dict[str, int | float]]  # iri -> measure -> value, for every measure in MEASURES
    communities: list[list[str]]  # IRIs, community 0 first (largest)
    backend: str  # "networkx" or "igraph"
    sampled_sources: int | None  # sources betweenness was estimated from; None when exact
    currencies: tuple[str, ...] = ()
    files: dict[str, Path] = field(default_factory=dict)
    _escaped: tuple | None = field(default=None, repr=False, compare=False)  # see _escaped()


@dataclass(frozen=True)
class Ranked:
    """One row of a role ranking."""

    rank: int
    iri: str
    label: str
    cls: str
    score: int | float

    def as_dict(self) -> dict[str, object]:
        return {"rank": self.rank, "label": self.label, "iri": self.iri, "class": self.cls, "score": self.score}


# --- Projection -------------------------------------------------------------------------------------

def network_store(source: Graph | Sequence[str], predicates: frozenset[str] | None = None,
                  chunk: int = 100_000, path: Path | None = None) -> pyoxigraph.Store:
    """A pyoxigraph store for the network query, in memory or on disk at `path` (a new folder): the triples of
    `source` (an rdflib graph, or N-Triples lines without the final " ." as kg.build makes them) whose predicate
    is in `predicates` (default: those the query names, see network_predicates; an empty set keeps every
    triple). Lines are fed in chunks so the graph is never one more string in memory."""
    if isinstance(source, Graph):
        text = source.serialize(format="nt", encoding="utf-8").decode("utf-8")
        source = [line[:-2] for line in text.split("\n") if line]  # not splitlines(): literals may hold \x0b, U+2028
    wanted = network_terms() if predicates is None else {f"<{p}>" for p in predicates}
    store = pyoxigraph.Store(str(path)) if path is not None else pyoxigraph.Store()
    for i in range(0, len(source), chunk):
        part = source[i:i + chunk]
        if wanted:
            part = [line for line in part if line.split(" ", 2)[1] in wanted]
        if part:
            store.bulk_load((" .\n".join(part) + " .\n").encode("utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def network_predicates() -> frozenset[str]:
    """Every IRI the network query names, prefixed or in full (and rdf:type for `a`).

    The query's only variable predicate is bound by a VALUES list of named IRIs, so no triple whose
    predicate is outside this set can change its answer: a large build loads just these triples for the
    analytics (a third of the graph). tests/test_analyze.py checks the answer is the same either way.
    """
    text = find_query(NETWORK_QUERY).text
    prefixes = dict(re.findall(r"(?im)^\s*PREFIX\s+([\w-]*):\s*<([^>]*)>", text))
    body = re.sub(r"(?m)#.*$", "", re.sub(r"(?im)^\s*PREFIX\s+[\w-]*:\s*<[^>]*>", "", text))
    named = {prefixes[p] + local for p, local in re.findall(r"\b([\w-]+):([\w-]+)", body) if p in prefixes}
    return frozenset(named | set(re.findall(r"<([^>\s]+)>", body)) | {str(RDF.type)})


def network_terms() -> frozenset[str]:
    """network_predicates as N-Triples terms (`<…>`), as kg's graph lines hold them."""
    return frozenset(f"<{p}>" for p in network_predicates())


def actor_network(source: Graph | pyoxigraph.Store) -> nx.MultiDiGraph:
    """The actor network of an rdflib graph (or a loaded pyoxigraph store), through queries/12-actor-network.rq.

    Nodes are IRIs with `iri`, `label`, `class` (and `amount`, `currency` on projects with money); edges are
    keyed by their kind, with `kind`, `evidence` and, on funds edges into a project with money, `amount`
    and `currency`.
    """
    store = source if isinstance(source, pyoxigraph.Store) else network_store(source)
    return assemble(*collect(store.query(find_query(NETWORK_QUERY).text)))


def collect(triples: Iterable[pyoxigraph.Triple]) -> tuple[dict[str, dict], dict[tuple[str, str, str], int]]:
    """The nodes (IRI -> attributes) and edges ((subject, object, kind) -> evidence count) of the network
    query's answer, or of kg.network_patch's query around some nodes (the same template)."""
    kind_of = {str(KG[k]): k for k in KINDS}
    class_of = {str(KG[c]): c for c in CLASSES}
    rdf_type, label, amount, currency = str(RDF.type), str(RDFS.label), str(KG.amount), str(KG.currency)
    classes: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, set[str]] = defaultdict(set)
    money: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    evidence: dict[tuple[str, str, str], int] = {}
    statements: dict[str, dict[str, str]] = defaultdict(dict)
    for triple in triples:
        subject, predicate, value = triple.subject, triple.predicate.value, triple.object.value
        if isinstance(subject, pyoxigraph.BlankNode):
            statements[subject.value][predicate] = value
        elif predicate in kind_of:
            evidence.setdefault((subject.value, value, kind_of[predicate]), 0)
        elif predicate == rdf_type:
            if value in class_of:
                classes[subject.value].add(class_of[value])
        elif predicate == label:
            labels[subject.value].add(value)
        elif predicate in (amount, currency):
            money[subject.value][predicate].add(value)
    parts = str(RDF.subject), str(RDF.predicate), str(RDF.object), str(KG.evidenceCount)
    for st in statements.values():
        if st.get(parts[1]) in kind_of:
            evidence[(st[parts[0]], st[parts[2]], kind_of[st[parts[1]]])] = int(st.get(parts[3], 0))
    nodes: dict[str, dict] = {}
    for iri in classes:
        attrs: dict[str, object] = {"iri": iri, "label": min(labels[iri]) if labels[iri] else _local_name(iri),
                                    "class": next(c for c in CLASSES if c in classes[iri])}
        if money.get(iri, {}).get(amount):  # several (a project given more than one budget): the largest, and
            attrs["amount"] = max(float(v) for v in money[iri][amount])  # the first currency (the answer does
            attrs["currency"] = min(money[iri][currency], default="")  # not pair them): whatever the row order
        nodes[iri] = attrs
    return nodes, evidence


def assemble(nodes: dict[str, dict], edges: dict[tuple[str, str, str], int]) -> nx.MultiDiGraph:
    """The network of `collect`'s nodes and edges, in IRI order (the measures depend on the order edges were
    added in); an edge whose ends are not both nodes is left out, a funds edge into a project with money
    carries its amount and currency."""
    network = nx.MultiDiGraph()
    network.add_nodes_from((iri, nodes[iri]) for iri in sorted(nodes))
    network.add_edges_from((s, o, kind, _edge(kind, edges[(s, o, kind)], nodes[o])) for (s, o, kind) in sorted(edges)
                           if s in nodes and o in nodes)
    return network


def _edge(kind: str, evidence: int, target: dict) -> dict:
    attrs = {"kind": kind, "evidence": evidence}
    if kind == "funds" and "amount" in target:
        attrs["amount"] = target["amount"]
        attrs["currency"] = target["currency"]
    return attrs


def _local_name(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/"))[-1]


# --- Measures ---------------------------------------------------------------------------------------

def measure(network: nx.MultiDiGraph, *, backend: str = "auto") -> AnalysisResult:
    """Degrees, role counts and amounts, PageRank, betweenness, eigenvector centrality, broker scores and
    communities of every node. `backend` is auto (igraph above LARGE_NETWORK nodes), networkx or igraph."""
    if backend not in BACKENDS:
        raise AnalysisError(f"Unknown backend '{backend}'. Available: {', '.join(BACKENDS)}")
    nodes = sorted(network)
    n = len(nodes)
    chosen = backend if backend != "auto" else ("igraph" if n > LARGE_NETWORK else "networkx")
    scores = _role_counts(network, nodes)
    undirected = nx.Graph()
    undirected.add_nodes_from(nodes)
    undirected.add_edges_from((u, v) for u, v in network.edges() if u != v)
    index = {v: i for i, v in enumerate(nodes)}
    edges = np.array([(index[u], index[v]) for u, v in undirected.edges()], dtype=np.int64).reshape(-1, 2)
    ig_graph = _igraph(n, edges) if chosen == "igraph" else None
    sampled = n > EXACT_BETWEENNESS_MAX
    funders = [v for v in nodes if scores[v]["funds_out"] > 0]
    places = [v for v in nodes if network.nodes[v]["class"] in PLACE_CLASSES]
    columns = {
        "pagerank": _pagerank(undirected, ig_graph, nodes),
        "betweenness": _betweenness(undirected, ig_graph, nodes, index, sampled),
        "eigenvector": _eigenvector(n, edges),
        "broker": _brokers(undirected, ig_graph, nodes, index, funders, places, sampled),
    }
    communities = _communities(undirected, ig_graph, nodes)
    for name, values in columns.items():
        for v, value in zip(nodes, values):
            scores[v][name] = _round(value)
    for number, members in enumerate(communities):
        for v in members:
            scores[v]["community"] = number
    currencies = tuple(sorted({c for _, _, c in network.edges(data="currency") if c}
                              | {c for _, c in network.nodes(data="currency") if c}))
    _warn_currencies(currencies)
    return AnalysisResult(network, {v: {m: scores[v][m] for m in MEASURES} for v in nodes}, communities, chosen,
                          min(SAMPLED_SOURCES, n) if sampled else None, currencies)


def _warn_currencies(currencies: tuple[str, ...]) -> None:
    if len(currencies) > 1:
        print(f"Warning: amounts in {', '.join(currencies)} are summed as if in one currency", file=sys.stderr)


def _round(value: float) -> float:
    return round(float(value), DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def _role_counts(network: nx.MultiDiGraph, nodes: list[str]) -> dict[str, dict[str, int | float]]:
    scores = {v: dict.fromkeys(MEASURES, 0) for v in nodes}
    in_degree, out_degree = dict(network.in_degree()), dict(network.out_degree())
    for v in nodes:
        scores[v].update(degree=in_degree[v] + out_degree[v], in_degree=in_degree[v], out_degree=out_degree[v],
                         funded_amount=0.0, benefit_amount=0.0)
    funders: dict[str, set[str]] = defaultdict(set)
    for u, v, kind in network.edges(keys=True):
        scores[u][f"{kind}_out"] += 1
        scores[v][f"{kind}_in"] += 1
        if kind == "funds":
            funders[v].add(u)
            scores[u]["funded_amount"] += network.nodes[v].get("amount", 0.0)
    benefit_funders: dict[str, set[str]] = defaultdict(set)
    for project, beneficiary, kind in network.edges(keys=True):
        if kind == "benefits":
            benefit_funders[beneficiary] |= funders[project]
            scores[beneficiary]["benefit_amount"] += network.nodes[project].get("amount", 0.0)
    for v, found in benefit_funders.items():
        scores[v]["benefit_funders"] = len(found)
    for v in nodes:
        scores[v]["funded_amount"] = _round(scores[v]["funded_amount"])
        scores[v]["benefit_amount"] = _round(scores[v]["benefit_amount"])
    return scores


def _igraph(n: int, edges: np.ndarray):
    try:
        igraph = _import_igraph()
    except ImportError:
        raise AnalysisError(f"python-igraph is needed for networks of more than {LARGE_NETWORK:,} nodes; "
                            "install it with `pip install igraph`") from None
    return igraph.Graph(n=n, edges=edges.tolist(), directed=False)


def _import_igraph():
    """igraph, imported without matplotlib unless that is already in use: where matplotlib is installed,
    igraph's drawing imports matplotlib.pyplot when igraph is imported (0.6 s, more than the measures of a
    network of thousands of nodes take), and kg draws nothing with igraph. igraph's own plotting then needs
    matplotlib imported before kg first measures a large network."""
    if "igraph" in sys.modules or "matplotlib" in sys.modules:
        import igraph

        return igraph
    sys.modules["matplotlib"] = None  # type: ignore[assignment]  # what an import that fails leaves
    try:
        import igraph
    finally:
        del sys.modules["matplotlib"]
    return igraph


def _pagerank(undirected: nx.Graph, ig_graph, nodes: list[str]) -> list[float]:
    # Undirected: the relations point from funder to project to place, so a directed walk would rank every
    # funder last and every place first.
    if not nodes:
        return []
    if ig_graph is not None:
        return list(ig_graph.pagerank(damping=DAMPING, directed=False))
    ranks = nx.pagerank(undirected, alpha=DAMPING, max_iter=1000, tol=1e-10)
    return [ranks[v] for v in nodes]


def _sample(items: list[str], k: int) -> list[str]:
    return sorted(random.Random(SEED).sample(items, k))


def _subset_betweenness(undirected: nx.Graph, ig_graph, nodes: list[str], index: dict[str, int],
                        sources: list[str], targets: list[str] | None) -> list[float]:
    """Sum over (source, target) pairs of the share of their shortest paths through each node; both backends
    halve it on undirected graphs (each pair is seen from both ends when sources and targets overlap)."""
    if ig_graph is not None:
        return list(ig_graph.betweenness(directed=False, sources=[index[s] for s in sources],
                                         targets=None if targets is None else [index[t] for t in targets]))
    values = nx.betweenness_centrality_subset(undirected, sources, nodes if targets is None else targets,
                                              normalized=False)
    return [values[v] for v in nodes]


def _betweenness(undirected: nx.Graph, ig_graph, nodes: list[str], index: dict[str, int],
                 sampled: bool) -> list[float]:
    """Normalized betweenness: exact, or estimated from SAMPLED_SOURCES sources (seed SEED) beyond
    EXACT_BETWEENNESS_MAX nodes, scaling each node's sum by (n - 1) / (sources other than itself)."""
    n = len(nodes)
    if n < 3:
        return [0.0] * n
    pairs = (n - 1) * (n - 2) / 2
    if not sampled:
        if ig_graph is not None:
            raw = ig_graph.betweenness(directed=False)
        else:
            exact = nx.betweenness_centrality(undirected, normalized=False)
            raw = [exact[v] for v in nodes]
        return [value / pairs for value in raw]
    sources = _sample(nodes, min(SAMPLED_SOURCES, n))
    chosen = set(sources)
    raw = _subset_betweenness(undirected, ig_graph, nodes, index, sources, None)
    return [value * (n - 1) / (len(sources) - (v in chosen)) / pairs for v, value in zip(nodes, raw)]


def _brokers(undirected: nx.Graph, ig_graph, nodes: list[str], index: dict[str, int], funders: list[str],
             places: list[str], sampled: bool) -> list[float]:
    """Share of (funder, place) pairs whose shortest paths run through each node (fractional over ties);
    estimated from SAMPLED_SOURCES funders on large networks with many funders."""
    if not funders or not places:
        return [0.0] * len(nodes)
    sources = _sample(funders, SAMPLED_SOURCES) if sampled and len(funders) > SAMPLED_SOURCES else funders
    raw = _subset_betweenness(undirected, ig_graph, nodes, index, sources, places)
    return [2 * value / (len(sources) * len(places)) for value in raw]


def _eigenvector(n: int, edges: np.ndarray) -> list[float]:
    """Eigenvector centrality per connected component, scaled by sqrt(component size / n) so the whole
    vector has unit length as on a connected graph; 0 for nodes without edges. networkx's own versions
    raise or do not converge on disconnected graphs."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.sparse.linalg import eigsh

    result = np.zeros(n)
    if n == 0 or len(edges) == 0:
        return result.tolist()
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    adjacency = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    count, labels = connected_components(adjacency, directed=False)
    order = np.argsort(labels, kind="stable")  # components become contiguous blocks
    blocked = adjacency[order][:, order].tocsr()
    bounds = np.searchsorted(labels[order], np.arange(count + 1))
    for start, end in zip(bounds[:-1], bounds[1:]):
        size = end - start
        if size < 2:
            continue
        block = blocked[start:end, start:end]
        if size <= 200:
            _, vectors = np.linalg.eigh(block.toarray())
            vector = vectors[:, -1]
        else:
            _, vectors = eigsh(block.astype(float), k=1, which="LA", v0=np.ones(size), tol=1e-12, maxiter=10_000)
            vector = vectors[:, 0]
        vector = np.abs(vector) / np.linalg.norm(vector) * np.sqrt(size / n)
        result[order[start:end]] = vector
    return result.tolist()


def _communities(undirected: nx.Graph, ig_graph, nodes: list[str]) -> list[list[str]]:
    """Louvain communities (seed SEED), numbered by decreasing size, ties by their first IRI."""
    if not nodes:
        return []
    if ig_graph is not None:
        import igraph

        igraph.set_random_number_generator(random.Random(SEED))
        try:
            parts = ig_graph.community_multilevel()
        finally:
            igraph.set_random_number_generator(random)
        groups = [[nodes[i] for i in part] for part in parts]
    else:
        groups = [list(c) for c in nx.community.louvain_communities(undirected, seed=SEED)]
    return sorted((sorted(g) for g in groups), key=lambda g: (-len(g), g[0]))


# --- Rankings ---------------------------------------------------------------------------------------

def rank(result: AnalysisResult, role: str, by: str | None = None, top: int | None = 10) -> list[Ranked]:
    """The nodes playing `role` (funds, implements, benefits, broker), best first by `by`; ties by label, IRI."""
    if role not in ROLES:
        raise AnalysisError(f"Unknown role '{role}'. Available: {', '.join(ROLES)}")
    by = by or next(iter(ROLES[role]))
    if by not in ROLES[role]:
        raise AnalysisError(f"Role '{role}' cannot be ranked by '{by}'. Available: {', '.join(ROLES[role])}")
    column, allowed = ROLES[role][by], _ROLE_CLASSES[role]
    nodes = result.network.nodes
    rows = [(result.scores[v][column], nodes[v]["label"], v) for v in result.scores
            if result.scores[v][column] > 0 and (allowed is None or nodes[v]["class"] in allowed)]
    rows.sort(key=lambda row: (-row[0], row[1], row[2]))
    return [Ranked(i, v, label, nodes[v]["class"], score)
            for i, (score, label, v) in enumerate(rows[:top] if top else rows, start=1)]


def ranking_json(rows: list[Ranked]) -> str:
    return json.dumps([row.as_dict() for row in rows], ensure_ascii=False, indent=1) + "\n"


def ranking_csv(rows: list[Ranked]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["rank", "label", "iri", "class", "score"])
    writer.writerows([r.rank, r.label, r.iri, r.cls, _text(r.score)] for r in rows)
    return out.getvalue()


def ranking_table(rows: list[Ranked]) -> str:
    table = [("#", "score", "class", "label", "iri")] + [
        (str(r.rank), _text(r.score), r.cls, r.label, r.iri) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    return "".join("  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + "  " + row[4] + "\n"
                   for row in table)


def _text(value: object) -> str:
    return f"{value:.{DECIMALS}f}" if isinstance(value, float) else str(value)


# --- Files ------------------------------------------------------------------------------------------

FILES = ("centrality.csv", "network.graphml", "network.gexf", "scores.ttl")


def analyze(graph: Graph | pyoxigraph.Store, out_dir: str | Path, *, backend: str = "auto",
            base_iri: str | None = None, keep: Path | None = None,
            changed: tuple[list[str], list[str]] | None = None) -> AnalysisResult:
    """Measure the actor network of `graph` and write centrality.csv, network.graphml, network.gexf and
    scores.ttl (`base_iri` bound as kgr:) into `out_dir`, each atomically.

    With `keep` (a JSON file), the measures are kept there with the network they came from and its digest;
    when the network is the same next time (most edits to one document leave it so) and the files are as they
    were written, the measures are read back and the files left as they are. `changed` gives the lines (kg's
    N-Triples lines) that went from and came into `graph` (a store) since the network `keep` holds was found:
    where they cannot change the network (kg.network_patch.unchanged) the measures kept are used without
    finding the network at all; else the network is brought up to date around them (kg.network_patch.patched)
    where that is certain.
    """
    out = Path(out_dir)
    context = _context(backend, base_iri) if keep else ""
    kept = _read_kept(keep) if keep else None  # each file read once, whichever way the network is found
    kept_network = _read_kept_network(keep) if keep else None
    network = None
    if kept and changed is not None and isinstance(graph, pyoxigraph.Store):
        from kg import network_patch

        if network_patch.unchanged(graph, *changed) and (
                result := _kept(kept, kept_network, None, None, out, context)) is not None:
            _warn_currencies(result.currencies)
            return result
        before = _kept_parts(kept, kept_network, context)
        if before is not None:
            network = network_patch.patched(graph, before, *changed)
    if network is None:
        network = actor_network(graph)
    digest = _network_digest(network, context) if keep else ""
    result = _kept(kept, kept_network, digest, network, out) if kept else None
    if result is not None:
        if (kept_network or [None])[0] != digest:  # lost or damaged: the next build may want it
            _keep_network(keep, digest, network)
        _warn_currencies(result.currencies)
        return result
    result = measure(network, backend=backend)
    writers = {"centrality.csv": centrality_csv, "network.graphml": network_graphml, "network.gexf": network_gexf,
               "scores.ttl": lambda r: scores_turtle(r, base_iri)}
    for name in FILES:
        serialize.write_atomic(out / name, writers[name](result))
        result.files[name] = out / name
    if keep:
        _keep(keep, digest, result, context)
    return result


def _context(backend: str, base_iri: str | None) -> str:
    """Hash of what the measures and files depend on besides the network: the backend, the base IRI, this code."""
    h = hashlib.sha256(Path(__file__).read_bytes() + Path(serialize.__file__).read_bytes())
    h.update(json.dumps([backend, base_iri or Settings.from_env().base_iri]).encode())
    return h.hexdigest()


def _network_digest(network: nx.MultiDiGraph, context: str) -> str:
    """Hash of what the measures and files depend on: the network, and its `context` (see _context)."""
    h = hashlib.sha256(context.encode())
    nodes = sorted(network.nodes(data=True), key=lambda n: n[0])
    edges = sorted(network.edges(keys=True, data=True), key=lambda e: e[:3])
    h.update(json.dumps([nodes, edges], ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()


def _file_stamps(files: dict[str, Path]) -> dict[str, list[int]]:
    return {name: serialize.file_stamp(path) for name, path in sorted(files.items())}


def _keep(path: Path, digest: str, result: AnalysisResult, context: str) -> None:
    """The measures in `path` (JSON), and the network beside it (`marshal`: plain data, fast to read back, and
    nothing is run when it is), each with the digest of the network."""
    _keep_network(path, digest, result.network)
    kept = {"digest": digest, "context": context, "files": _file_stamps(result.files), "scores": result.scores,
            "communities": result.communities, "backend": result.backend, "sampled": result.sampled_sources,
            "currencies": list(result.currencies)}
    serialize.write_atomic(path, json.dumps(kept, ensure_ascii=False).encode("utf-8"), fsync=False)


def _network_file(path: Path) -> Path:
    return path.with_name(path.stem + "-network.marshal")


def _keep_network(path: Path, digest: str, network: nx.MultiDiGraph) -> None:
    kept = [digest, [[v, attrs] for v, attrs in network.nodes(data=True)],
            [[u, v, k, attrs] for u, v, k, attrs in network.edges(keys=True, data=True)]]
    values = [v for _, attrs in kept[1] for v in attrs.values()] + [v for *_, attrs in kept[2] for v in attrs.values()]
    if any(type(v) not in _PLAIN for v in values):  # marshal would write a numpy number as bytes: not kept, and
        _network_file(path).unlink(missing_ok=True)  # the next build runs the query
        return
    serialize.write_atomic(_network_file(path), marshal.dumps(kept), fsync=False)


_PLAIN = (str, int, float, bool, type(None))


def _read_kept(path: Path) -> dict | None:
    """The measures kept in `path` (see _keep), or None if there are none or they are damaged."""
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return kept if isinstance(kept, dict) else None


def _read_kept_network(path: Path) -> tuple | None:
    """The network kept beside the measures in `path` as (digest, nodes, edges), or None."""
    try:
        kept = marshal.loads(_network_file(path).read_bytes())
        digest, nodes, edges = kept
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return kept


def _kept_network_digest(path: Path) -> str | None:
    return (_read_kept_network(path) or [None])[0]


def _kept(kept: dict, kept_network: tuple | None, digest: str | None, network: nx.MultiDiGraph | None, out: Path,
          context: str | None = None) -> AnalysisResult | None:
    """The measures `kept` (_read_kept) for this very network (by its `digest`), or, given no network, for the
    network kept with them (_read_kept_network) if it was measured in this `context`; only if the files they were
    written to are untouched."""
    try:
        files = {name: out / name for name in FILES}
        if kept["files"] != _file_stamps(files):
            return None
        if network is None:
            parts = _kept_parts(kept, kept_network, context)
            if parts is None:
                return None
            network = assemble(*parts)
        elif kept["digest"] != digest:
            return None
        return AnalysisResult(network, kept["scores"], kept["communities"], kept["backend"], kept["sampled"],
                              tuple(kept["currencies"]), files)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _kept_parts(kept: dict, kept_network: tuple | None, context: str) -> tuple[dict[str, dict], dict] | None:
    """The nodes and edges (as `collect` gives them) of the network the measures `kept` came from, if they were
    measured in this `context` and `kept_network` is that network, whole."""
    try:
        if kept_network is None or kept["context"] != context:
            return None
        kept_digest, nodes, edges = kept_network
        if kept_digest != kept["digest"]:
            return None
        return {v: attrs for v, attrs in nodes}, {(u, v, k): attrs["evidence"] for u, v, k, attrs in edges}
    except (ValueError, KeyError, TypeError):
        return None


def centrality_csv(result: AnalysisResult) -> bytes:
    """One row per node, sorted by IRI: identity, the project's own money, then every measure."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for v, row in result.scores.items():
        node = result.network.nodes[v]
        amount = _text(node["amount"]) if "amount" in node else ""
        writer.writerow([v, node["label"], node["class"], amount, node.get("currency", ""),
                         *(_text(row[m]) for m in MEASURES)])
    return out.getvalue().encode("utf-8")


def _export_nodes(result: AnalysisResult) -> Iterator[tuple[str, dict]]:
    for v in result.scores:
        node = result.network.nodes[v]
        attrs = {k: node[k] for k in ("iri", "label", "class", "amount", "currency") if k in node}
        attrs.update(result.scores[v])
        yield v, attrs


def _export_edges(result: AnalysisResult) -> Iterator[tuple[str, str, str, dict]]:
    for u, v, key, data in result.network.edges(keys=True, data=True):
        yield u, v, key, {k: data[k] for k in ("kind", "evidence", "amount", "currency") if k in data}


# The XML files are written as text: networkx's writers build an ElementTree of the whole network first,
# which took 17 s of a 10,000-document build. The layout is networkx's, so nx.read_graphml/read_gexf
# (and Gephi, yEd, Cytoscape) read them back with the same nodes, edges and attributes.

_XML_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


_XML_SPECIAL = re.compile("[&<>\"\n\r\t\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: object) -> str:
    """Text for an XML attribute value or element content (characters XML 1.0 cannot hold are dropped)."""
    if isinstance(text, bool):
        text = "true" if text else "false"
    elif isinstance(text, (int, float)):
        return str(text)  # digits, '.', '-', 'e', "inf", "nan": nothing to escape
    text = str(text)
    if _XML_SPECIAL.search(text) is None:  # most labels and IRIs: written as they are
        return text
    return (_NOT_XML.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#09;"))


def _attribute_types(items: Iterable[dict]) -> dict[str, str]:
    """Attribute name -> XML type, in order of first use."""
    types: dict[str, str] = {}
    for attrs in items:
        if attrs.keys() <= types.keys():  # most nodes and edges: nothing new
            continue
        for name, value in attrs.items():
            types.setdefault(name, _XML_TYPES.get(type(value), "string"))
    return types


def _escaped(result: AnalysisResult) -> tuple[list, list]:
    """The nodes and edges of _export_nodes and _export_edges with every id and value escaped for XML
    (`[(id, attrs, {name: text})]`, `[(source, target, key, attrs, {name: text})]`): made once for the
    GraphML and GEXF writers both."""
    if result._escaped is None:
        numbers = (int, float)  # most values (the measures): their text needs no escaping (see _xml)
        nodes = [(_xml(v), attrs, {k: str(x) if type(x) in numbers else _xml(x) for k, x in attrs.items()})
                 for v, attrs in _export_nodes(result)]
        edges = [(_xml(u), _xml(v), _xml(key), attrs,
                  {k: str(x) if type(x) in numbers else _xml(x) for k, x in attrs.items()})
                 for u, v, key, attrs in _export_edges(result)]
        result._escaped = (nodes, edges)
    return result._escaped


def network_graphml(result: AnalysisResult) -> bytes:
    nodes, edges = _escaped(result)
    node_types = _attribute_types(attrs for _, attrs, _ in nodes)
    edge_types = _attribute_types(attrs for *_, attrs, _ in edges)
    ids = {("node", name): f"d{i}" for i, name in enumerate(node_types)}
    ids.update({("edge", name): f"d{len(node_types) + i}" for i, name in enumerate(edge_types)})
    out = ["<?xml version='1.0' encoding='utf-8'?>\n",
           '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
           'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n']
    for kind, types in (("node", node_types), ("edge", edge_types)):
        out += [f'  <key id="{ids[kind, name]}" for="{kind}" attr.name="{_xml(name)}" attr.type="{t}" />\n'
                for name, t in types.items()]
    out.append('  <graph edgedefault="directed">\n')
    keys = {name: f'      <data key="{ident}">' for (owner, name), ident in ids.items() if owner == "node"}
    for v, _, texts in nodes:
        out.append(f'    <node id="{v}">\n')
        out += [f'{keys[k]}{text}</data>\n' for k, text in texts.items()]
        out.append("    </node>\n")
    keys = {name: f'      <data key="{ident}">' for (owner, name), ident in ids.items() if owner == "edge"}
    for u, v, key, _, texts in edges:
        out.append(f'    <edge source="{u}" target="{v}" id="{key}">\n')
        out += [f'{keys[k]}{text}</data>\n' for k, text in texts.items()]
        out.append("    </edge>\n")
    out.append("  </graph>\n</graphml>\n")
    return "".join(out).encode("utf-8")


def network_gexf(result: AnalysisResult) -> bytes:
    nodes, edges = _escaped(result)
    node_types = _attribute_types({k: x for k, x in attrs.items() if k != "label"} for _, attrs, _ in nodes)
    edge_types = {**_attribute_types(attrs for *_, attrs, _ in edges), "networkx_key": "string"}
    ids = {("edge", name): str(i) for i, name in enumerate(edge_types)}
    ids.update({("node", name): str(len(edge_types) + i) for i, name in enumerate(node_types)})
    out = ["<?xml version='1.0' encoding='utf-8'?>\n",
           '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">\n',
           "  <meta>\n    <creator>kg</creator>\n  </meta>\n",
           '  <graph defaultedgetype="directed" mode="static" name="">\n']
    for kind, types in (("edge", edge_types), ("node", node_types)):
        out.append(f'    <attributes mode="static" class="{kind}">\n')
        out += [f'      <attribute id="{ids[kind, name]}" title="{_xml(name)}" type="{t}" />\n'
                for name, t in types.items()]
        out.append("    </attributes>\n")
    out.append("    <nodes>\n")
    keys = {name: f'          <attvalue for="{ident}" value="' for (owner, name), ident in ids.items() if owner == "node"}
    for v, _, texts in nodes:
        out.append(f'      <node id="{v}" label="{texts.get("label", v)}">\n        <attvalues>\n')
        out += [f'{keys[k]}{text}" />\n' for k, text in texts.items() if k != "label"]
        out.append("        </attvalues>\n      </node>\n")
    out.append("    </nodes>\n    <edges>\n")
    keys = {name: f'          <attvalue for="{ident}" value="' for (owner, name), ident in ids.items() if owner == "edge"}
    for i, (u, v, key, _, texts) in enumerate(edges):
        out.append(f'      <edge source="{u}" target="{v}" id="{i}">\n        <attvalues>\n')
        out += [f'{keys[k]}{text}" />\n' for k, text in texts.items()]
        out.append(f'{keys["networkx_key"]}{key}" />\n        </attvalues>\n      </edge>\n')
    out.append("    </edges>\n  </graph>\n</gexf>\n")
    return "".join(out).encode("utf-8")


def scores_turtle(result: AnalysisResult, base_iri: str | None = None) -> Iterator[str]:
    """The scores as RDF: kg:degree, kg:inDegree, kg:outDegree, kg:pageRank, kg:betweenness,
    kg:eigenvectorCentrality, kg:brokerScore and kg:community on each node's IRI (Turtle, streamed)."""
    integer, decimal = f"^^<{XSD.integer}>", f"^^<{XSD.decimal}>"
    integers = {KG.degree: "degree", KG.inDegree: "in_degree", KG.outDegree: "out_degree", KG.community: "community"}
    decimals = {KG.pageRank: "pagerank", KG.betweenness: "betweenness", KG.eigenvectorCentrality: "eigenvector",
                KG.brokerScore: "broker"}
    lines = []
    for v, row in result.scores.items():
        lines += [f'<{v}> <{term}> "{int(row[name])}"{integer}' for term, name in integers.items()]
        lines += [f'<{v}> <{term}> "{decimal_literal(f"{row[name]:.{DECIMALS}f}")}"{decimal}'
                  for term, name in decimals.items()]
    lines.sort()
    return serialize.turtle_lines(lines, base_iri or Settings.from_env().base_iri)


# --- Report section ---------------------------------------------------------------------------------

def who_matters_section(result: AnalysisResult, top: int = 10) -> str:
    """A Markdown "## Who matters" section: top funders, implementers, places, brokers and communities."""
    kinds = Counter(kind for _, _, kind in result.network.edges(keys=True))
    how = ("exact" if result.sampled_sources is None
           else f"estimated from {result.sampled_sources} sampled sources (seed {SEED})")
    edges = ", ".join(f"{kinds[k]} {k}" for k in KINDS if kinds[k]) or "none"
    lines = ["## Who matters", "",
             f"The actor network has {result.network.number_of_nodes()} nodes and "
             f"{result.network.number_of_edges()} edges ({edges}). Measures by {result.backend} on the undirected "
             f"network; betweenness {how}; communities by Louvain (seed {SEED}). Every node's scores are in "
             "`centrality.csv` and `scores.ttl`; amounts are project budgets (else the largest money figure about "
             "the project), not split between co-funders or places.", ""]
    money = f" ({result.currencies[0]})" if len(result.currencies) == 1 else ""
    tables = (
        ("Top funders", "funds", "projects", [("projects funded", "funds_out"), (f"amount{money}", "funded_amount")]),
        ("Top implementers", "implements", "projects", [("projects implemented", "implements_out"),
                                                        ("PageRank", "pagerank")]),
        ("Places that benefit most", "benefits", "projects", [("projects", "benefits_in"),
                                                              ("funders", "benefit_funders"),
                                                              (f"amount{money}", "benefit_amount")]),
        ("Brokers", "broker", "score", [("broker score", "broker"), ("betweenness", "betweenness")]),
    )
    for title, role, by, columns in tables:
        lines += [f"### {title}", ""]
        if role == "broker":
            lines += ["Organizations, people and funds on the shortest paths between funders and the places that "
                      "benefit: the share of funder-place pairs whose shortest paths run through them.", ""]
        rows = rank(result, role, by, top)
        if not rows:
            lines += ["None found.", ""]
            continue
        lines.append("| # | name | class | " + " | ".join(c for c, _ in columns) + " |")
        lines.append("| ---: | --- | --- | " + " | ".join("---:" for _ in columns) + " |")
        for row in rows:
            cells = [_cell(result.scores[row.iri][m], m) for _, m in columns]
            lines.append(f"| {row.rank} | {_md(row.label)} | {row.cls} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["### Communities", ""]
    shown = [c for c in result.communities if len(c) > 1][:top]
    if not shown:
        lines += ["None found.", ""]
    else:
        lines += ["| community | size | most central members (PageRank) |", "| ---: | ---: | --- |"]
        for members in shown:
            number = result.scores[members[0]]["community"]
            best = sorted(members, key=lambda v: (-result.scores[v]["pagerank"], result.network.nodes[v]["label"], v))
            names = ", ".join(_md(result.network.nodes[v]["label"]) for v in best[:5])
            lines.append(f"| {number} | {len(members)} | {names} |")
        lines.append("")
    return "\n".join(lines)


def _cell(value: int | float, measure_name: str) -> str:
    if measure_name.endswith("amount"):
        return f"{value:,.0f}" if value else "-"
    return f"{value:.4f}" if measure_name in _FLOATS else str(value)


def _md(text: str) -> str:
    """A label as a table cell: no line breaks, pipes or HTML from the documents."""
    text = " ".join(text.split())
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
