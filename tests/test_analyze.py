"""kg.analyze and kg.cli_analyze: the actor network, its measures and rankings, the files and the commands.

Small graphs whose answers are worked out by hand, then the sample corpus (the session `build_result`).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import yaml
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg import analyze as A
from kg.cli_analyze import add_commands
from kg.errors import GraphFileError
from kg.ontology import KG

REPO = Path(__file__).resolve().parents[1]
RES = "https://w3id.org/kg/resource/"
IOM = RES + "organization/iom"
# Not rdflib's XSD namespace object: pytest probes module globals and XSD warns on unknown names.
XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")
XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")


# --- tiny graphs built by hand ----------------------------------------------------------------------

def node(graph: Graph, cls: str, slug: str, label: str) -> URIRef:
    iri = URIRef(f"{RES}{cls.lower()}/{slug}")
    graph.add((iri, RDF.type, KG[cls]))
    graph.add((iri, RDFS.label, Literal(label)))
    return iri


def evidence(graph: Graph, s, p, o, sentence: str | None) -> None:
    ev = URIRef(f"{RES}evidence/{abs(hash((s, p, o, sentence)))}")
    graph.add((ev, RDF.type, KG.Evidence))
    graph.add((ev, RDF.subject, s))
    graph.add((ev, RDF.predicate, p))
    graph.add((ev, RDF.object, o))
    if sentence:
        graph.add((ev, KG.sentence, Literal(sentence)))


def money(graph: Graph, about, value: str, unit: str) -> None:
    fig = BNode()
    graph.add((fig, RDF.type, KG.Figure))
    graph.add((fig, KG.refersTo, about))
    graph.add((fig, KG.value, Literal(Decimal(value))))
    graph.add((fig, KG.unit, Literal(unit)))


@pytest.fixture(scope="module")
def roles_graph() -> Graph:
    """Two funders, three projects, one implementer, two places.

    F1 (a fund) funds P1 (budget USD 100) and P2 (money figures USD 50 and USD 30, and 7 returnees);
    F2 (an organization) funds P3 (budget USD 1000); O implements all three; P1 and P2 benefit X,
    P3 benefits Y; X is part of Y. F1 funds P1 rests on two sentences; X part of Y on a gazetteer record.
    """
    g = Graph()
    f1 = node(g, "FundingSource", "f1", "Fund One")
    f2 = node(g, "Organization", "f2", "Donor Two")
    o = node(g, "Organization", "o", "Implementer")
    p1, p2, p3 = (node(g, "Project", f"p{i}", f"Project {i}") for i in (1, 2, 3))
    x = node(g, "Municipality", "x", "Town X")
    y = node(g, "Department", "y", "Department Y")
    for s, p, ob in [(f1, KG.funds, p1), (f1, KG.funds, p2), (f2, KG.funds, p3), (o, KG.implements, p1),
                     (o, KG.implements, p2), (o, KG.implements, p3), (p1, KG.benefits, x), (p2, KG.benefits, x),
                     (p3, KG.benefits, y), (x, KG.partOf, y)]:
        g.add((s, p, ob))
    g.add((p1, KG.budgetAmount, Literal(Decimal("100.00"))))
    g.add((p1, KG.currency, Literal("USD")))
    g.add((p3, KG.budgetAmount, Literal(Decimal("1000.00"))))
    g.add((p3, KG.currency, Literal("USD")))
    money(g, p2, "50", "USD")
    money(g, p2, "30", "USD")
    money(g, p2, "7", "returnees")
    money(g, x, "99999", "USD")  # remittances to a place are not project money
    evidence(g, f1, KG.funds, p1, "Fund One finances Project 1.")
    evidence(g, f1, KG.funds, p1, "Project 1, financed by Fund One, started.")
    evidence(g, x, KG.partOf, y, None)
    return g


@pytest.fixture(scope="module")
def roles(roles_graph) -> A.AnalysisResult:
    return A.measure(A.actor_network(roles_graph))


def iri(cls: str, slug: str) -> str:
    return f"{RES}{cls.lower()}/{slug}"


def path_graph(extra: bool = False) -> Graph:
    """F funds P1, O implements P1 and P2, P2 benefits X: the path F - P1 - O - P2 - X.
    With `extra`: a person affiliated with another organization, and an organization with no edges."""
    g = Graph()
    f = node(g, "FundingSource", "f", "F")
    p1, p2 = node(g, "Project", "p1", "P1"), node(g, "Project", "p2", "P2")
    o = node(g, "Organization", "o", "O")
    x = node(g, "Municipality", "x", "X")
    for t in [(f, KG.funds, p1), (o, KG.implements, p1), (o, KG.implements, p2), (p2, KG.benefits, x)]:
        g.add(t)
    if extra:
        g.add((node(g, "Person", "a", "A"), KG.affiliatedWith, node(g, "Organization", "b", "B")))
        node(g, "Organization", "lonely", "Lonely")
    return g


# --- the query file ---------------------------------------------------------------------------------

def test_query_header_parses_as_yaml_with_the_agreed_fields():
    from kg.query import find_query, parse_header

    query = find_query(A.NETWORK_QUERY)
    assert query.path.name == "12-actor-network.rq"
    sparql = (REPO / "queries" / "12-actor-network.rq").read_text(encoding="utf-8")
    assert query.text == sparql
    header = parse_header(sparql)
    assert header["summary"] == "The actor network the analytics use"
    assert header["params"] == []
    assert header["returns"] == ("a graph (CONSTRUCT) of kg:funds, kg:implements, kg:benefits, kg:affiliatedWith, "
                                 "kg:subOrganizationOf, kg:partOf edges with labels, classes, amounts and evidence counts")
    assert isinstance(header["description"], str) and len(header["description"]) > 50
    assert set(header) == {"summary", "description", "params", "returns"}
    lines = sparql.splitlines()
    assert all(line.startswith("#+ ") for line in lines[:lines.index("")])
    assert "PREFIX kg: <https://w3id.org/kg/ontology#>" in lines and "CONSTRUCT {" in lines


def test_query_runs_unchanged_in_rdflib_too(roles_graph):
    # The file is plain SPARQL: another engine gives the same edges.
    from kg.query import find_query

    sparql = find_query(A.NETWORK_QUERY).text
    result = roles_graph.query(sparql).graph
    assert len(set(result.subject_objects(KG.funds))) == 3
    assert len(set(result.subject_objects(KG.partOf))) == 1


# --- projection -------------------------------------------------------------------------------------

def test_projection_nodes_edges_and_attributes(roles):
    g = roles.network
    assert sorted(g.nodes) == sorted(iri(c, s) for c, s in [
        ("FundingSource", "f1"), ("Organization", "f2"), ("Organization", "o"), ("Project", "p1"),
        ("Project", "p2"), ("Project", "p3"), ("Municipality", "x"), ("Department", "y")])
    assert g.nodes[iri("FundingSource", "f1")] == {"iri": iri("FundingSource", "f1"), "label": "Fund One",
                                                   "class": "FundingSource"}
    assert g.number_of_edges() == 10
    assert sorted(k for _, _, k in g.edges(keys=True)) == sorted(
        ["funds"] * 3 + ["implements"] * 3 + ["benefits"] * 3 + ["partOf"])
    f1, p1, p2, p3 = iri("FundingSource", "f1"), iri("Project", "p1"), iri("Project", "p2"), iri("Project", "p3")
    assert g.edges[f1, p1, "funds"] == {"kind": "funds", "evidence": 2, "amount": 100.0, "currency": "USD"}
    # No budget: the largest money figure about the project (not the count of returnees).
    assert g.edges[f1, p2, "funds"] == {"kind": "funds", "evidence": 0, "amount": 50.0, "currency": "USD"}
    assert g.edges[iri("Organization", "f2"), p3, "funds"]["amount"] == 1000.0
    # Only funds edges carry amounts; a gazetteer record has no sentence, so it is no evidence here.
    assert g.edges[iri("Organization", "o"), p1, "implements"] == {"kind": "implements", "evidence": 0}
    assert g.edges[iri("Municipality", "x"), iri("Department", "y"), "partOf"] == {"kind": "partOf", "evidence": 0}
    assert "amount" not in g.nodes[iri("Municipality", "x")]


def test_projection_accepts_a_pyoxigraph_store(roles_graph, roles):
    store = A.network_store(roles_graph)
    again = A.actor_network(store)
    assert sorted(again.edges(keys=True, data=True)) == sorted(roles.network.edges(keys=True, data=True))


# --- measures ---------------------------------------------------------------------------------------

def test_degrees_by_hand(roles):
    s = roles.scores
    expected = {  # (degree, in, out)
        ("FundingSource", "f1"): (2, 0, 2), ("Organization", "f2"): (1, 0, 1), ("Organization", "o"): (3, 0, 3),
        ("Project", "p1"): (3, 2, 1), ("Project", "p2"): (3, 2, 1), ("Project", "p3"): (3, 2, 1),
        ("Municipality", "x"): (3, 2, 1), ("Department", "y"): (2, 2, 0)}
    for (cls, slug), (deg, din, dout) in expected.items():
        row = s[iri(cls, slug)]
        assert (row["degree"], row["in_degree"], row["out_degree"]) == (deg, din, dout), slug
    assert s[iri("FundingSource", "f1")]["funds_out"] == 2
    assert s[iri("Project", "p1")]["funds_in"] == 1 and s[iri("Project", "p1")]["implements_in"] == 1
    assert s[iri("Municipality", "x")]["benefits_in"] == 2 and s[iri("Municipality", "x")]["partOf_out"] == 1
    assert s[iri("Department", "y")]["partOf_in"] == 1


def test_role_rankings_by_hand(roles):
    assert [r.label for r in A.rank(roles, "funds")] == ["Fund One", "Donor Two"]  # 2 projects, 1
    assert [(r.label, r.score) for r in A.rank(roles, "funds", "amount")] == [("Donor Two", 1000.0),
                                                                               ("Fund One", 150.0)]
    assert [(r.label, r.score) for r in A.rank(roles, "implements")] == [("Implementer", 3)]
    assert [(r.label, r.score) for r in A.rank(roles, "benefits")] == [("Town X", 2), ("Department Y", 1)]
    # One distinct funder each: the tie is broken by label.
    assert [(r.label, r.score) for r in A.rank(roles, "benefits", "funders")] == [("Department Y", 1), ("Town X", 1)]
    assert [(r.label, r.score) for r in A.rank(roles, "benefits", "amount")] == [("Department Y", 1000.0),
                                                                                  ("Town X", 150.0)]
    assert [r.rank for r in A.rank(roles, "benefits")] == [1, 2]
    assert len(A.rank(roles, "benefits", top=1)) == 1


def test_broker_shares_by_hand(roles):
    # Pairs (F1,X): via P1 or P2; (F1,Y): via P1 or P2, then X; (F2,X): P3, Y; (F2,Y): P3. Four pairs.
    s = roles.scores
    assert s[iri("Project", "p1")]["broker"] == 0.25
    assert s[iri("Project", "p2")]["broker"] == 0.25
    assert s[iri("Project", "p3")]["broker"] == 0.5
    assert s[iri("Municipality", "x")]["broker"] == 0.25
    assert s[iri("Department", "y")]["broker"] == 0.25
    assert s[iri("Organization", "o")]["broker"] == 0.0
    assert A.rank(roles, "broker") == []  # projects and places are not brokers


def test_path_graph_broker_betweenness_and_eigenvector_by_hand():
    result = A.measure(A.actor_network(path_graph()))
    s = result.scores
    f, p1, o, p2, x = (iri(*a) for a in [("FundingSource", "f"), ("Project", "p1"), ("Organization", "o"),
                                         ("Project", "p2"), ("Municipality", "x")])
    [top] = A.rank(result, "broker")
    assert (top.iri, top.label, top.score) == (o, "O", 1.0)
    # Normalized betweenness on a path of 5: pairs through the node / 6 pairs of other nodes.
    assert [s[v]["betweenness"] for v in (f, p1, o, p2, x)] == [0.0, 0.5, 0.666667, 0.5, 0.0]
    # The leading eigenvector of a path of 5 is sin(j pi / 6), scaled to unit length.
    assert [s[v]["eigenvector"] for v in (f, p1, o, p2, x)] == [0.288675, 0.5, 0.57735, 0.5, 0.288675]
    assert math.isclose(sum(s[v]["pagerank"] for v in s), 1.0, abs_tol=1e-5)
    assert s[f]["pagerank"] == s[x]["pagerank"] < s[p1]["pagerank"]


def test_eigenvector_per_component_on_a_disconnected_graph():
    result = A.measure(A.actor_network(path_graph(extra=True)))
    s = result.scores
    n = 8
    assert s[iri("Organization", "o")]["eigenvector"] == round(1 / math.sqrt(3) * math.sqrt(5 / n), 6)
    assert s[iri("Person", "a")]["eigenvector"] == s[iri("Organization", "b")]["eigenvector"] == \
        round(math.sqrt(1 / n), 6)
    assert s[iri("Organization", "lonely")]["eigenvector"] == 0.0
    assert s[iri("Organization", "lonely")]["degree"] == 0
    # Communities: numbered by size; the lonely organization is a community of its own.
    assert [len(c) for c in result.communities][-1] == 1
    assert s[iri("Person", "a")]["community"] == s[iri("Organization", "b")]["community"]


def test_both_backends_give_the_same_scores(roles_graph, build_result):
    for graph in (roles_graph, build_result.graph):
        network = A.actor_network(graph)
        small, large = A.measure(network, backend="networkx"), A.measure(network, backend="igraph")
        assert (small.backend, large.backend) == ("networkx", "igraph")
        assert small.scores.keys() == large.scores.keys()
        for v in small.scores:
            assert small.scores[v].keys() == large.scores[v].keys()
            for m in ("degree", "in_degree", "funds_out", "benefit_funders", "benefit_amount"):
                assert small.scores[v][m] == large.scores[v][m], (v, m)
            for m in ("pagerank", "betweenness", "broker", "eigenvector"):
                assert abs(small.scores[v][m] - large.scores[v][m]) <= 2e-6, (v, m)
        assert sum(map(len, small.communities)) == sum(map(len, large.communities)) == len(network)


def test_on_a_connected_network_the_measures_are_networkx_own(build_result):
    network = A.actor_network(build_result.graph)
    largest = max(nx.weakly_connected_components(network), key=len)
    part = network.subgraph(largest).copy()
    result = A.measure(part)
    plain = nx.Graph(part.to_undirected())
    expected = {"eigenvector": nx.eigenvector_centrality_numpy(plain), "betweenness": nx.betweenness_centrality(plain),
                "pagerank": nx.pagerank(plain, tol=1e-10, max_iter=1000)}  # the default tolerance is 1e-6 per node
    for name, values in expected.items():
        for v, value in values.items():
            assert abs(result.scores[v][name] - value) <= 2e-6, (name, v)


def test_sampled_betweenness_with_every_source_is_exact(monkeypatch, build_result):
    network = A.actor_network(build_result.graph)
    exact = A.measure(network)
    monkeypatch.setattr(A, "EXACT_BETWEENNESS_MAX", 10)
    monkeypatch.setattr(A, "SAMPLED_SOURCES", 10_000)
    sampled = A.measure(network)
    assert exact.sampled_sources is None and sampled.sampled_sources == len(network)
    assert {v: r["betweenness"] for v, r in sampled.scores.items()} == \
        {v: r["betweenness"] for v, r in exact.scores.items()}


def test_sampled_betweenness_agrees_across_backends(monkeypatch, build_result):
    network = A.actor_network(build_result.graph)
    monkeypatch.setattr(A, "EXACT_BETWEENNESS_MAX", 10)
    monkeypatch.setattr(A, "SAMPLED_SOURCES", 20)
    small, large = A.measure(network, backend="networkx"), A.measure(network, backend="igraph")
    assert small.sampled_sources == large.sampled_sources == 20
    assert all(abs(small.scores[v]["betweenness"] - large.scores[v]["betweenness"]) <= 2e-6 for v in small.scores)
    assert any(r["betweenness"] > 0 for r in small.scores.values())


def test_unknown_role_backend_and_measure_messages(roles):
    with pytest.raises(A.AnalysisError) as err:
        A.rank(roles, "pays")
    assert str(err.value) == "Unknown role 'pays'. Available: funds, implements, benefits, broker"
    with pytest.raises(A.AnalysisError) as err:
        A.rank(roles, "implements", "amount")
    assert str(err.value) == "Role 'implements' cannot be ranked by 'amount'. Available: projects"
    with pytest.raises(A.AnalysisError) as err:
        A.measure(roles.network, backend="gephi")
    assert str(err.value) == "Unknown backend 'gephi'. Available: auto, networkx, igraph"


def test_an_empty_graph_gives_empty_files(tmp_path):
    result = A.analyze(Graph(), tmp_path)
    assert result.scores == {} and result.communities == []
    assert (tmp_path / "centrality.csv").read_text(encoding="utf-8").splitlines() == [",".join(A.CSV_COLUMNS)]
    assert "None found." in A.who_matters_section(result)


# --- the sample corpus ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(build_result, tmp_path_factory) -> A.AnalysisResult:
    return A.analyze(build_result.graph, tmp_path_factory.mktemp("analysis"))


def test_iom_is_the_top_implementer(sample):
    top = A.rank(sample, "implements")[0]
    assert (top.iri, top.label, top.cls) == (IOM, "International Organization for Migration", "Organization")
    assert top.score >= 5


def test_csv_has_a_row_per_node_sorted(sample):
    rows = list(csv.DictReader(io.StringIO(sample.files["centrality.csv"].read_text(encoding="utf-8"))))
    assert [r["iri"] for r in rows] == sorted(sample.network.nodes)
    assert tuple(rows[0]) == A.CSV_COLUMNS
    iom = next(r for r in rows if r["iri"] == IOM)
    assert iom["label"] == "International Organization for Migration" and iom["class"] == "Organization"
    assert int(iom["implements_out"]) == sample.scores[IOM]["implements_out"]
    assert all(len(r["pagerank"].split(".")[1]) == A.DECIMALS for r in rows)
    assert all(r["class"] in A.CLASSES for r in rows)


@pytest.mark.parametrize("name, read", [("network.graphml", nx.read_graphml), ("network.gexf", nx.read_gexf)])
def test_exports_reload_with_the_same_nodes_and_edges(sample, name, read):
    reloaded = read(sample.files[name])
    rows = list(csv.DictReader(io.StringIO(sample.files["centrality.csv"].read_text(encoding="utf-8"))))
    assert sorted(reloaded.nodes) == [r["iri"] for r in rows]
    assert sorted((u, v, d["kind"]) for u, v, d in reloaded.edges(data=True)) == \
        sorted(sample.network.edges(keys=True))
    for v, data in reloaded.nodes(data=True):
        assert data["label"] == sample.network.nodes[v]["label"]
        assert data["class"] == sample.network.nodes[v]["class"]
        assert int(data["community"]) == sample.scores[v]["community"]
        assert all(isinstance(value, (str, int, float)) for value in data.values())
    for _, _, data in reloaded.edges(data=True):
        assert all(isinstance(value, (str, int, float)) for value in data.values())


def test_scores_ttl_parses_and_scores_only_nodes(sample, build_result):
    scores = Graph().parse(sample.files["scores.ttl"], format="turtle")
    subjects = {str(s) for s in scores.subjects()}
    assert subjects == set(sample.network.nodes)
    assert all((URIRef(s), None, None) in build_result.graph for s in subjects)
    pr = scores.value(URIRef(IOM), KG.pageRank)
    assert pr.datatype == XSD_DECIMAL and float(pr) == sample.scores[IOM]["pagerank"]
    assert scores.value(URIRef(IOM), KG.community).datatype == XSD_INTEGER
    assert {p for p in scores.predicates()} == {KG.degree, KG.inDegree, KG.outDegree, KG.pageRank, KG.betweenness,
                                                KG.eigenvectorCentrality, KG.brokerScore, KG.community}


def test_who_matters_section(sample):
    text = A.who_matters_section(sample)
    assert text.startswith("## Who matters\n")
    for title in ("### Top funders", "### Top implementers", "### Places that benefit most", "### Brokers",
                  "### Communities"):
        assert title in text
    implementers = text.split("### Top implementers")[1].split("###")[0]
    assert "| 1 | International Organization for Migration | Organization | " in implementers
    table_rows = [line for line in implementers.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert 1 <= len(table_rows) <= 10


def test_markdown_cells_escape_labels():
    g = Graph()
    f = node(g, "FundingSource", "f", "Fund | <script>x</script>\nTwo")
    g.add((f, KG.funds, node(g, "Project", "p", "P")))
    text = A.who_matters_section(A.measure(A.actor_network(g)))
    assert "| 1 | Fund \\| &lt;script&gt;x&lt;/script&gt; Two | FundingSource | 1 | - |" in text


def test_two_runs_give_byte_identical_files(build_result, sample, tmp_path):
    again = A.analyze(build_result.graph, tmp_path)
    for name, path in sample.files.items():
        assert path.read_bytes() == again.files[name].read_bytes(), name


def test_another_process_with_another_hash_seed_writes_the_same_files(build_result, sample, tmp_path):
    code = ("import sys; from kg.pipeline import load_graph; from kg.analyze import analyze; "
            "analyze(load_graph(sys.argv[1]), sys.argv[2])")
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONHASHSEED="1234")
    proc = subprocess.run([sys.executable, "-c", code, str(build_result.files["graph.ttl"]), str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for name, path in sample.files.items():
        assert path.read_bytes() == (tmp_path / name).read_bytes(), name


# --- commands ---------------------------------------------------------------------------------------

def kg_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kg")
    add_commands(parser.add_subparsers())
    return parser


def run_command(argv: list[str], capsys) -> tuple[int, str, str]:
    args = kg_parser().parse_args(argv)
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_rank_json_shape_and_order(build_result, capsys):
    code, out, _ = run_command(["rank", "--role", "implements", "--format", "json", "--top", "5",
                                "--graph", str(build_result.files["graph.ttl"])], capsys)
    assert code == 0
    rows = json.loads(out)
    assert 1 <= len(rows) <= 5
    assert all({"label", "iri", "class", "score"} <= set(row) for row in rows)
    assert rows[0]["label"] == "International Organization for Migration" and rows[0]["iri"] == IOM
    keys = [(-row["score"], row["label"]) for row in rows]
    assert keys == sorted(keys)
    assert [row["rank"] for row in rows] == list(range(1, len(rows) + 1))


def test_rank_csv_and_table(build_result, capsys):
    graph = str(build_result.files["graph.ttl"])
    code, out, _ = run_command(["rank", "--role", "funds", "--by", "amount", "--format", "csv", "--graph", graph],
                               capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and list(rows[0]) == ["rank", "label", "iri", "class", "score"]
    assert [float(r["score"]) for r in rows] == sorted((float(r["score"]) for r in rows), reverse=True)
    code, out, _ = run_command(["rank", "--role", "broker", "--graph", graph], capsys)
    assert code == 0 and out.splitlines()[0].split() == ["#", "score", "class", "label", "iri"]


def test_rank_with_bad_arguments(build_result, capsys):
    with pytest.raises(SystemExit):
        kg_parser().parse_args(["rank", "--role", "pays"])
    assert "invalid choice: 'pays'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        kg_parser().parse_args(["rank", "--role", "funds", "--top", "0"])
    assert "'0' must be 1 or more" in capsys.readouterr().err
    with pytest.raises(A.AnalysisError, match="Role 'broker' cannot be ranked by 'amount'. Available: score"):
        run_command(["rank", "--role", "broker", "--by", "amount", "--graph", str(build_result.files["graph.ttl"])],
                    capsys)


def test_missing_graph_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KG_OUT_DIR", str(tmp_path))
    with pytest.raises(GraphFileError) as err:
        run_command(["rank", "--role", "funds"], capsys)
    assert str(err.value) == f"{tmp_path / 'graph.ttl'}: no such file; run `kg build` first or name an existing graph file"


def test_analyze_command_writes_files_and_prints_the_section(build_result, tmp_path, capsys):
    code, out, err = run_command(["analyze", "--graph", str(build_result.files["graph.ttl"]), "--out",
                                  str(tmp_path)], capsys)
    assert code == 0
    assert out.startswith("## Who matters")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["centrality.csv", "network.gexf", "network.graphml",
                                                         "scores.ttl"]
    assert f"Wrote {tmp_path / 'scores.ttl'}" in err


def _network_of(lines: list[str], predicates: frozenset[str]) -> tuple[dict, list]:
    network = A.actor_network(A.network_store(lines, predicates))
    return dict(network.nodes(data=True)), sorted(network.edges(keys=True, data=True))


@pytest.mark.parametrize("which", ["sample corpus", "hand-made roles graph"])
def test_the_network_query_only_needs_the_predicates_it_names(which, build_result, roles_graph):
    """A build loads only the triples whose predicate the network query names (network_predicates); the
    network must be the same as from the whole graph, money, evidence counts and all."""
    if which == "sample corpus":
        lines = build_result.lines
    else:
        lines = sorted(line.rstrip(" .") for line in roles_graph.serialize(format="nt").splitlines() if line.strip())
    predicates = A.network_predicates()
    if which == "sample corpus":  # the filter does drop something (sentences' offsets, mentions, documents)
        assert sum(line.split(" ", 2)[1][1:-1] in predicates for line in lines) < len(lines) * 0.8
    full, filtered = _network_of(lines, frozenset()), _network_of(lines, predicates)
    assert full == filtered
    assert full[0] and full[1]


@pytest.mark.parametrize("write, read", [(A.network_graphml, nx.read_graphml), (A.network_gexf, nx.read_gexf)])
def test_xml_exports_hold_hostile_labels(write, read):
    """Labels from documents reach the GraphML/GEXF files escaped: markup, quotes, ampersands, line breaks
    and characters XML cannot hold (dropped) must not break the file or change another attribute."""
    g = Graph()
    label = 'Fund "A" <script>alert(1)</script> & Co\n\ttab\x01\x0b'
    f = node(g, "FundingSource", "f", label)
    p = node(g, "Project", "p", "P & <Q>")
    g.add((f, KG.funds, p))
    result = A.measure(A.actor_network(g))
    reloaded = read(io.BytesIO(write(result)))
    assert reloaded.nodes[str(f)]["label"] == 'Fund "A" <script>alert(1)</script> & Co\n\ttab'
    assert reloaded.nodes[str(p)]["label"] == "P & <Q>"
    assert reloaded.nodes[str(p)]["class"] == "Project"
    assert [(u, v, d["kind"]) for u, v, d in reloaded.edges(data=True)] == [(str(f), str(p), "funds")]


def test_measures_are_kept_while_the_network_is_unchanged(build_result, tmp_path):
    """With `keep`, an unchanged network reads its measures back and leaves the files alone; a changed
    network, or a file changed by hand, measures again and gives what a fresh run gives."""
    keep = tmp_path / "analysis.json"
    first = A.analyze(build_result.graph, tmp_path / "out", keep=keep)
    files = {name: (tmp_path / "out" / name).read_bytes() for name in A.FILES}
    stamps = {name: (tmp_path / "out" / name).stat().st_mtime_ns for name in A.FILES}
    # Mark a kept score: if it comes back, the measures were read, not computed.
    kept = json.loads(keep.read_text(encoding="utf-8"))
    top = max(first.scores, key=lambda v: first.scores[v]["pagerank"])
    kept["scores"][top]["pagerank"] = 0.123456
    keep.write_text(json.dumps(kept), encoding="utf-8")
    again = A.analyze(build_result.graph, tmp_path / "out", keep=keep)
    assert again.scores[top]["pagerank"] == 0.123456
    assert again.communities == first.communities and again.backend == first.backend
    assert {name: (tmp_path / "out" / name).stat().st_mtime_ns for name in A.FILES} == stamps
    assert A.who_matters_section(again) != A.who_matters_section(first)  # made from the kept scores
    # A file changed by hand: measured again, every file as a fresh run writes it.
    (tmp_path / "out" / "centrality.csv").write_text("edited\n", encoding="utf-8")
    fresh = A.analyze(build_result.graph, tmp_path / "out", keep=keep)
    assert fresh.scores[top]["pagerank"] == first.scores[top]["pagerank"]
    assert {name: (tmp_path / "out" / name).read_bytes() for name in A.FILES} == files
    # Another network (one edge fewer): measured again.
    smaller = Graph()
    for triple in build_result.graph:
        smaller.add(triple)
    edge = sorted(smaller.triples((None, KG.implements, None)))[0]
    smaller.remove(edge)
    changed = A.analyze(smaller, tmp_path / "out", keep=keep)
    assert changed.network.number_of_edges() == first.network.number_of_edges() - 1
    assert changed.scores == A.analyze(smaller, tmp_path / "plain").scores


def test_a_network_with_values_marshal_cannot_keep_as_they_are_is_not_kept(tmp_path):
    keep = tmp_path / "analysis.json"
    plain = nx.MultiDiGraph()
    plain.add_node("a", label="A", amount=1.5)
    plain.add_edge("a", "a", key="funds", evidence=2)
    A._keep_network(keep, "digest", plain)
    assert A._kept_network_digest(keep) == "digest"
    numeric = nx.MultiDiGraph()
    numeric.add_node("a", amount=np.float64(1.5))  # marshal would write its bytes, not a number
    A._keep_network(keep, "other", numeric)
    assert A._kept_network_digest(keep) is None and not A._network_file(keep).exists()
