"""kg.query and `kg query`/`kg queries`: the shipped query files run on the sample graph, locally and at a
real Oxigraph server, with parameters that filter, refusals, errors and output formats."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import kg_in_process as cli
import yaml
from rdflib import Graph

from kg.errors import KGError
from kg.query import (PARAM_TYPES, QUERIES_DIR, OrderKey, QueryError, QueryFile, Result, bind_params, bind_values,
                      check_query, find_query, format_result, from_pyoxigraph, mask, order_rows, parse_header,
                      prepare, query_form, read_query, run_query, split_order_by, to_term)
from kg.store import open_store, push

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "queries").glob("*.rq"))
KGR = "https://w3id.org/kg/resource/"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def graph(build_result, tmp_path_factory) -> Path:
    """The sample graph, copied into a folder of its own (its store is made beside it)."""
    path = tmp_path_factory.mktemp("query-graph") / "graph.ttl"
    shutil.copyfile(build_result.files["graph.ttl"], path)
    return path


@pytest.fixture(scope="module")
def endpoint(oxigraph_server, graph) -> str:
    """The query URL of the Oxigraph server, its default graph replaced by the sample graph."""
    push(graph, f"{oxigraph_server}/store")
    return f"{oxigraph_server}/query"


def write_query(tmp_path: Path, text: str, name: str = "90-test.rq") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path




def rows_as_text(result: Result) -> list[tuple[str, ...]]:
    return sorted(tuple("" if t is None else str(t) for t in row) for row in result.rows)


def cells(row: tuple) -> tuple[str, ...]:
    """A row as text, the names in a GROUP_CONCAT cell ("a; b") sorted: SPARQL leaves their order to the
    engine's plan, and a parameter (a VALUES block at the start of the query) changes the plan."""
    return tuple("; ".join(sorted(t.value.split("; "))) if isinstance(t, ox.Literal) and "; " in t.value
                 else str(t) for t in row)


def canonical(triples) -> list[str]:
    """The triples as sorted N-Triples lines with canonical (RDFC-1.0) blank node labels."""
    dataset = ox.Dataset([ox.Quad(t.subject, t.predicate, t.object) for t in triples])
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)


def column(result: Result, name: str) -> list:
    i = result.variables.index(name)
    return [row[i] for row in result.rows]


def fill_required(query: QueryFile, graph: Path) -> dict[str, str]:
    """Values for the query's required parameters, taken from the graph, that give rows."""
    required = [p for p in query.params if p.required]
    if not required:
        return {}
    store = open_store(graph).store
    candidates = []
    for p in required:
        if p.type == "iri":
            found = {str(q.subject.value) for q in store if isinstance(q.subject, ox.NamedNode)}
        elif p.type == "year":
            found = {q.object.value for q in store if isinstance(q.object, ox.Literal)
                     and q.object.datatype.value == XSD + "gYear"}
        else:
            found = {q.object.value for q in store if isinstance(q.object, ox.Literal)}
        candidates.append(sorted(found))
    for values in itertools.islice(itertools.product(*candidates), 500):
        params = {p.name: v for p, v in zip(required, values)}
        try:
            if len(run_query(query, params, graph=graph)):
                return params
        except QueryError:
            continue
    pytest.fail(f"{query.name}: no values of its required parameters give rows on the sample graph")


# ---------------------------------------------------------------------------------------------
# The shipped files


def test_the_library_holds_the_queries_it_promises():
    names = [p.stem for p in SHIPPED]
    assert len(names) >= 12
    for name in names:
        assert re.fullmatch(r"\d\d-[a-z0-9]+(-[a-z0-9]+)*", name), name
    for slug in ("funders", "implementers", "co-implementers", "projects-by-municipality", "projects-by-department",
                 "project-beneficiaries", "people-roles", "funding-sources", "project-timeline",
                 "statistics-by-place", "evidence", "co-mentions"):
        assert any(n.endswith("-" + slug) for n in names), slug
    assert QUERIES_DIR == REPO / "queries"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_header_parses_as_yaml_and_text_is_plain_sparql(path):
    text = path.read_text(encoding="utf-8")
    header_lines = list(itertools.takewhile(lambda line: line.startswith("#+"), text.splitlines()))
    assert header_lines, "the file starts with a #+ header"
    raw = yaml.safe_load("\n".join(re.sub(r"^#\+ ?", "", line) for line in header_lines))
    assert set(raw) <= {"summary", "description", "params", "returns"} and raw["summary"]
    q = read_query(path)
    assert q.summary == str(raw["summary"]).strip() and q.returns
    for p in q.params:
        assert p.type in PARAM_TYPES and p.description
    # Runs unchanged in any SPARQL tool: pyoxigraph parses the whole file with no prefixes given to it.
    check_query(text, source=str(path))
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    used = set(re.findall(r"(?<![\w<?$])([a-z][\w-]*):(?=[\w(])", mask(body)))
    declared = set(re.findall(r"PREFIX\s+([\w-]+):", body))
    assert used <= declared, f"prefixes used without a PREFIX line: {used - declared}"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_query_returns_rows_on_the_sample_graph(path, graph):
    q = read_query(path)
    result = run_query(q, fill_required(q, graph), graph=graph)
    assert len(result) > 0, f"{q.name} returned nothing on the sample graph"
    if result.kind == "select" and q.returns:
        assert list(result.variables) == list(q.returns), "the header's `returns` names the columns in order"


# Queries that, without a parameter, list only the strongest rows (their headers say which); with one, all.
LESS_WITHOUT_PARAMETERS = {"13-co-mentions"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_parameter_really_filters(path, graph):
    q = read_query(path)
    base_params = fill_required(q, graph)
    unfiltered = run_query(q, base_params, graph=graph)
    for p in q.params:
        if p.required or unfiltered.kind != "select":
            continue
        assert p.name in unfiltered.variables, f"{q.name}: parameter {p.name} should also be a returned column"
        kind = ox.NamedNode if p.type == "iri" else ox.Literal
        values = [t for t in column(unfiltered, p.name) if isinstance(t, kind)]
        # The value shared by the fewest rows, so that filtering visibly removes some.
        value = min(set(values), key=lambda t: (values.count(t), str(t)))
        text = value.value
        filtered = run_query(q, {**base_params, p.name: text}, graph=graph)
        assert filtered.rows, f"{q.name} {p.name}={text}: no rows"
        assert all(t == value for t in column(filtered, p.name)), f"{q.name}: {p.name} did not filter"
        i = unfiltered.variables.index(p.name)
        expected = sorted(cells(r) for r in unfiltered.rows if r[i] == value)
        if q.name in LESS_WITHOUT_PARAMETERS:
            assert set(expected) <= set(cells(r) for r in filtered.rows)
        else:
            assert sorted(cells(r) for r in filtered.rows) == expected
        if len(set(values)) > 1:
            assert len(filtered.rows) < len(unfiltered.rows)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_same_results_locally_and_at_the_endpoint(path, graph, endpoint):
    q = read_query(path)
    params = fill_required(q, graph)
    local = run_query(q, params, graph=graph)
    remote = run_query(q, params, endpoint=endpoint)
    assert local.kind == remote.kind
    if local.kind == "graph":
        # RDFC-1.0 canonical blank node labels (rdflib's isomorphic() takes minutes on ~100 blank nodes).
        a, b = canonical(local.triples), canonical(remote.triples)
        if a != b:
            pytest.fail(f"only local:\n{chr(10).join(sorted(set(a) - set(b)))}\n"
                        f"only remote:\n{chr(10).join(sorted(set(b) - set(a)))}")
        return
    assert local.variables == remote.variables
    assert rows_as_text(local) == rows_as_text(remote)
    optional = [p for p in q.params if not p.required and p.name in local.variables]
    if optional:
        p = optional[0]
        value = next(t for t in column(local, p.name) if isinstance(t, ox.NamedNode if p.type == "iri"
                                                                     else ox.Literal)).value
        bound = {**params, p.name: value}
        assert rows_as_text(run_query(q, bound, graph=graph)) == rows_as_text(run_query(q, bound, endpoint=endpoint))


def test_known_answers_on_the_sample_graph(graph):
    funders = run_query("funders", {"funder": "kgr:funding-source/idf"}, graph=graph)
    amounts = {(r[3].value, r[4].value if r[4] else None, r[5].value if r[5] else None) for r in funders.rows}
    assert ("Strengthening the Integration Process for Returned Migrants in El Salvador", "103058", "USD") in amounts
    # Municipalities roll up to departments through the 2024 municipalities (kg:partOf*).
    by_department = run_query("projects-by-department", {"department": "kgr:department/sv-sm"}, graph=graph)
    assert [r[3].value for r in by_department.rows] == ["Regeneration of public areas"]
    by_municipality = run_query("projects-by-municipality", {"municipality": "kgr:municipality/sv-sm-san-miguel"},
                                graph=graph)
    row = dict(zip(by_municipality.variables, by_municipality.rows[0]))
    assert (row["municipality2024Label"].value, row["departmentLabel"].value) == ("San Miguel Centro", "San Miguel")
    evidence = run_query("evidence", {"subject": "kgr:funding-source/pbf", "predicate": "kg:funds"}, graph=graph)
    assert any("Peacebuilding Fund" in r[7].value for r in evidence.rows)


# ---------------------------------------------------------------------------------------------
# Catalogue and header


def test_catalogue_finds_queries_by_name_slug_number_and_path():
    first = SHIPPED[0]
    assert find_query(first.stem).path == first
    assert find_query(first.stem.split("-", 1)[1]).path == first
    assert find_query(first.stem[:2]).path == first
    assert find_query(str(first)).path == first
    with pytest.raises(QueryError) as err:
        find_query("projcts")
    assert str(err.value) == f"Unknown query 'projcts'. Available: {', '.join(p.stem for p in SHIPPED)}"


def test_header_format_of_the_brief_parses():
    text = ("#+ summary: Who funds which projects, with amounts where known\n"
            "#+ description: >\n"
            "#+   One or more lines of explanation for analysts.\n"
            "#+ params:\n"
            "#+   - name: funder\n"
            "#+     type: iri            # iri | string | integer | decimal | year\n"
            "#+     required: false\n"
            "#+     description: Only this funder (an entity IRI)\n"
            "#+ returns: funder, funderLabel, project, projectLabel, amount, currency\n"
            "SELECT * WHERE { ?s ?p ?o }\n")
    header = parse_header(text)
    assert header["params"] == [{"name": "funder", "type": "iri", "required": False,
                                 "description": "Only this funder (an entity IRI)"}]
    assert header["description"] == "One or more lines of explanation for analysts.\n"


def test_bad_header_is_reported_with_the_file(tmp_path):
    path = write_query(tmp_path, "#+ summary: x\n#+ params:\n#+   - name: a\n#+     type: date\nSELECT * {}\n")
    with pytest.raises(QueryError) as err:
        read_query(path)
    assert str(err.value) == f"{path}: parameter a has unknown type 'date'; expected one of " \
                             f"iri, string, integer, decimal, year"
    path = write_query(tmp_path, "#+ summary: [unclosed\nSELECT * {}\n", "91-bad.rq")
    with pytest.raises(QueryError, match=r"91-bad.rq line 1: the #\+ header is not valid YAML"):
        read_query(path)


# ---------------------------------------------------------------------------------------------
# Parameters: types, missing, unknown, injection

PARAM_QUERY = """#+ summary: test
#+ params:
#+   - name: who
#+     type: iri
#+     required: true
#+   - name: year
#+     type: year
PREFIX kg: <https://w3id.org/kg/ontology#>
SELECT ?who ?year WHERE { ?who kg:funds ?p }
"""


def test_missing_and_unknown_parameters_list_the_expected_ones(tmp_path):
    q = read_query(write_query(tmp_path, PARAM_QUERY))
    with pytest.raises(QueryError) as err:
        bind_params(q, {"year": "2017"})
    assert str(err.value) == "90-test: missing required parameter 'who'. Expected: who (iri, required), " \
                             "year (year, optional)"
    with pytest.raises(QueryError) as err:
        bind_params(q, {"who": "kgr:organization/iom", "yaer": "2017"})
    assert str(err.value) == "90-test: unknown parameter 'yaer'. Expected: who (iri, required), year (year, optional)"
    with pytest.raises(QueryError) as err:
        run_query("co-mentions", {"entty": "x"}, graph=tmp_path / "unused.ttl")
    assert str(err.value) == "13-co-mentions: unknown parameter 'entty'. Expected: entity (iri, optional)"


def test_parameter_values_become_typed_terms():
    from kg.query import Param

    assert to_term(Param("a", "iri"), "kgr:organization/iom") == ox.NamedNode(KGR + "organization/iom")
    assert to_term(Param("a", "iri"), "kg:funds") == ox.NamedNode("https://w3id.org/kg/ontology#funds")
    assert to_term(Param("a", "year"), "2017") == ox.Literal("2017", datatype=ox.NamedNode(XSD + "gYear"))
    assert to_term(Param("a", "integer"), "+42") == ox.Literal("42", datatype=ox.NamedNode(XSD + "integer"))
    assert to_term(Param("a", "decimal"), "1.50") == ox.Literal("1.50", datatype=ox.NamedNode(XSD + "decimal"))
    assert to_term(Param("a", "string"), "IOM") == ox.Literal("IOM")
    for kind, bad, message in [
        ("year", "17", "parameter a (year): '17' is not a year like 2017"),
        ("integer", "4.2", "parameter a (integer): '4.2' is not an integer"),
        ("decimal", "NaN", "parameter a (decimal): 'NaN' is not a decimal number"),
        ("iri", "iom", "parameter a (iri): 'iom' is not an absolute IRI (like https://w3id.org/kg/resource/...) "
                       "or a known prefixed name (kgr:organization/iom, kg:funds)"),
    ]:
        with pytest.raises(QueryError) as err:
            to_term(Param("a", kind), bad)
        assert str(err.value) == message


INJECTION_QUERY = """#+ summary: echo a value
#+ params:
#+   - name: name
#+     type: string
#+   - name: thing
#+     type: iri
SELECT ?name ?thing (STRLEN(?name) AS ?length) WHERE { }
"""


@pytest.mark.parametrize("value", ['x" } ; DROP ALL ; #', "x' } ; DROP ALL ; #", 'x"""} DROP ALL #',
                                   "x\\\" } DROP ALL #", "\\u0022 } ; DROP ALL ; #", "line\n} DROP ALL\r#"])
def test_a_string_parameter_cannot_break_out(tmp_path, graph, endpoint, value):
    q = read_query(write_query(tmp_path, INJECTION_QUERY))
    triples_before = len(open_store(graph).store)
    for where in ({"graph": graph}, {"endpoint": endpoint}):
        result = run_query(q, {"name": value}, **where)
        assert [r[0].value for r in result.rows] == [value], where
    assert len(open_store(graph).store) == triples_before
    assert run_query("funders", graph=graph).rows and run_query("funders", endpoint=endpoint).rows


def test_an_iri_parameter_cannot_break_out(tmp_path, graph):
    q = read_query(write_query(tmp_path, INJECTION_QUERY))
    with pytest.raises(QueryError) as err:
        run_query(q, {"thing": "http://x.org/a> } ; DROP ALL ; #"}, graph=graph)
    assert str(err.value) == ("parameter thing (iri): 'http://x.org/a> } ; DROP ALL ; #' is not a valid IRI: "
                              "it contains space '>' '}' (no spaces, controls or any of <>\"{}|^`\\ allowed)")


# ---------------------------------------------------------------------------------------------
# Refusals and syntax errors


def test_an_update_is_refused_unless_allowed(tmp_path, graph):
    path = write_query(tmp_path, "#+ summary: clean up\nPREFIX kg: <https://w3id.org/kg/ontology#>\n"
                                 "DELETE WHERE { ?s kg:funds ?o }\n")
    with pytest.raises(QueryError) as err:
        run_query(path, graph=graph)
    assert str(err.value) == (f"{path} line 3: the query contains a SPARQL Update operation (DELETE); "
                              f"kg runs read-only queries unless you pass --allow-update")
    before = graph.read_bytes()
    result = run_query(path, graph=graph, allow_update=True)
    assert result.kind == "graph" and result.triples
    assert not any(t.predicate.value.endswith("#funds") for t in result.triples)
    assert graph.read_bytes() == before, "the graph file is never changed"
    assert run_query("funders", graph=graph).rows, "nor is its store"


@pytest.mark.parametrize("word", ["INSERT DATA { <urn:a> <urn:b> <urn:c> }", "LOAD <http://example.org/x.ttl>",
                                  "CLEAR ALL", "drop graph <urn:g>", "CREATE GRAPH <urn:g>",
                                  "ADD DEFAULT TO <urn:g>", "MOVE <urn:a> TO <urn:b>", "COPY <urn:a> TO <urn:b>"])
def test_every_update_operation_is_refused(word):
    with pytest.raises(QueryError, match=r"query line 2: the query contains a SPARQL Update operation"):
        check_query(f"PREFIX ex: <urn:ex:>\n{word}")


def test_update_words_in_strings_iris_comments_and_names_are_not_updates():
    text = ('PREFIX drop: <urn:x:>\nPREFIX ex: <http://example.org/DELETE#>\n'
            '# DELETE everything? No: this is a comment\n'
            'SELECT ?insert ?load WHERE { ?insert ex:load "DROP ALL; CLEAR" . ?insert drop:copy ?load .\n'
            "  FILTER(?load != '''MOVE\nADD''') OPTIONAL { ?load <urn:create#service> ?x } }\n")
    assert check_query(text) == "SELECT"


def test_service_is_refused_unless_allowed(tmp_path, graph, oxigraph_server, endpoint):
    path = write_query(tmp_path, f"#+ summary: federated\nPREFIX kg: <https://w3id.org/kg/ontology#>\n"
                                 f"SELECT ?funder WHERE {{\n  SERVICE <{oxigraph_server}/query> "
                                 f"{{ ?funder kg:funds ?p }}\n}}\n")
    with pytest.raises(QueryError) as err:
        run_query(path, graph=graph)
    assert str(err.value) == f"{path} line 4: the query calls another endpoint (SERVICE); pass --allow-service to let it"
    # Allowed, the local query really calls the Oxigraph server.
    result = run_query(path, graph=graph, allow_service=True)
    assert {r[0].value for r in result.rows} >= {KGR + "organization/usaid", KGR + "funding-source/pbf"}


def test_syntax_errors_give_line_and_column(tmp_path, graph, endpoint):
    path = write_query(tmp_path, "#+ summary: broken\nPREFIX kg: <https://w3id.org/kg/ontology#>\n"
                                 "SELECT ?s WHERE {\n  ?s kg:funds ?o .\n  OPTIONAL ?o\n}\n")
    for where in ({"graph": graph}, {"endpoint": endpoint}):
        with pytest.raises(QueryError) as err:
            run_query(path, **where)
        assert str(err.value) == f'{path} line 5, column 12: SPARQL syntax error: expected "{{"'
    path = write_query(tmp_path, "PREFIX kg: <https://w3id.org/kg/ontology#>\nSELECT ?s WHERE {\n  ?s kg:funds ?o\n",
                       "91-open.rq")
    with pytest.raises(QueryError) as err:
        run_query(path, graph=graph)
    assert str(err.value).startswith(f"{path}: SPARQL syntax error at the end of the query (something left open?): ")


def test_an_undeclared_prefix_is_a_syntax_error(tmp_path, graph):
    path = write_query(tmp_path, "SELECT ?s WHERE { ?s kg:funds ?o }\n")
    with pytest.raises(QueryError) as err:
        run_query(path, graph=graph)
    assert str(err.value) == f"{path} line 1, column 30: SPARQL syntax error: undeclared prefix kg:; " \
                             f"add a PREFIX line for it"


# ---------------------------------------------------------------------------------------------
# Query forms and output formats


def test_ask_construct_describe(tmp_path, graph, endpoint):
    ask = write_query(tmp_path, "PREFIX kg: <https://w3id.org/kg/ontology#>\nASK { ?f kg:funds ?p }\n", "a.rq")
    construct = write_query(tmp_path, "PREFIX kg: <https://w3id.org/kg/ontology#>\n"
                                      "CONSTRUCT { ?p kg:fundedBy ?f } WHERE { ?f kg:funds ?p }\n", "c.rq")
    describe = write_query(tmp_path, "DESCRIBE <https://w3id.org/kg/resource/funding-source/pbf>\n", "d.rq")
    for where in ({"graph": graph}, {"endpoint": endpoint}):
        assert run_query(ask, **where).boolean is True
        assert len(run_query(construct, **where).triples) == 5
        assert len(run_query(describe, **where).triples) > 3
    assert json.loads(format_result(run_query(ask, graph=graph), "json")) == {"head": {}, "boolean": True}
    text = format_result(run_query(construct, graph=graph), "table")
    assert "kg:fundedBy" in text and len(Graph().parse(data=text, format="turtle")) == 5
    with pytest.raises(QueryError, match=r"--format csv is for SELECT and ASK results"):
        format_result(run_query(construct, graph=graph), "csv")


def test_construct_output_is_the_same_every_time(graph):
    """The engine names blank nodes at random; `kg query` writes them by what is said about them, so the
    network query (a blank rdf:Statement node per edge) gives the same Turtle on every call, and the same graph."""
    from collections import Counter

    from rdflib import BNode

    def described(g: Graph) -> tuple[set, Counter]:
        """Triples without blank nodes, and each blank node's description (rdflib's isomorphism test is
        exponential on this many alike blank nodes; here none points to another)."""
        plain = {t for t in g if not isinstance(t[0], BNode) and not isinstance(t[2], BNode)}
        blanks = Counter(tuple(sorted(g.predicate_objects(b))) for b in set(g.subjects()) if isinstance(b, BNode))
        return plain, blanks

    first, second = (format_result(run_query("actor-network", graph=graph), "table") for _ in range(2))
    assert first == second and "_:b0" in first
    engine = Graph().parse(data="".join(f"{t} .\n" for t in run_query("actor-network", graph=graph).triples), format="nt")
    written = Graph().parse(data=first, format="turtle")
    assert len(written) == len(engine) and described(written) == described(engine)


def test_output_formats(graph):
    result = run_query("funders", graph=graph)
    data = json.loads(format_result(result, "json"))
    assert data["head"]["vars"] == ["funder", "funderLabel", "project", "projectLabel", "amount", "currency"]
    assert len(data["results"]["bindings"]) == len(result.rows)
    for binding in data["results"]["bindings"]:
        assert binding["funder"]["type"] == "uri" and binding["funderLabel"] == {
            "type": "literal", "value": binding["funderLabel"]["value"]}
    amount = next(b["amount"] for b in data["results"]["bindings"] if "amount" in b)
    assert amount == {"type": "literal", "value": "103058", "datatype": XSD + "decimal"} or \
        amount["datatype"] == XSD + "decimal"
    # The JSON is standard: pyoxigraph's parser for SPARQL results reads it back to the same rows.
    parsed = ox.parse_query_results(format_result(result, "json"), format=ox.QueryResultsFormat.JSON)
    assert [tuple(s[i] for i in range(6)) for s in parsed] == list(result.rows)
    tsv = format_result(result, "tsv")
    parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    assert [tuple(s[i] for i in range(6)) for s in parsed] == list(result.rows)
    rows = list(csv.reader(io.StringIO(format_result(result, "csv"))))
    assert rows[0] == ["funder", "funderLabel", "project", "projectLabel", "amount", "currency"]
    assert rows[1][0].startswith(KGR) and len(rows) == len(result.rows) + 1
    md = format_result(result, "md").splitlines()
    assert md[0] == "| funder | funderLabel | project | projectLabel | amount | currency |"
    assert md[1] == "| --- | --- | --- | --- | --- | --- |" and len(md) == len(result.rows) + 2
    table = format_result(result, "table").splitlines()
    assert table[0].split() == ["funder", "funderLabel", "project", "projectLabel", "amount", "currency"]
    assert set(table[1]) == {"-", " "} and "kgr:organization/usaid" in "\n".join(table)


# ---------------------------------------------------------------------------------------------
# The CLI


def test_cli_query_and_queries(capsys, graph, endpoint):
    code, out, err = cli(capsys, "query", "funders", "--graph", graph, "--param", "funder=kgr:organization/usaid",
                         "--format", "csv")
    assert code == 0 and err == ""
    assert out.splitlines()[1].startswith(KGR + "organization/usaid,United States Agency for International Development")
    code, remote, _ = cli(capsys, "query", "01", "--endpoint", endpoint, "-p", "funder=kgr:organization/usaid",
                          "-f", "csv")
    assert code == 0 and remote == out
    code, out, err = cli(capsys, "queries")
    assert code == 0 and "01-funders  Who funds which projects" in out
    assert "--param funder=…  iri, optional: Only this funder" in out
    code, out, err = cli(capsys, "query", "funders", "--graph", graph, "--param", "funder")
    assert (code, out, err) == (1, "", "Error: --param needs NAME=VALUE, got 'funder'\n")
    code, out, err = cli(capsys, "query", "funders", "--graph", graph, "-p", "funder=https://example.org/nobody")
    assert code == 0 and err == "Warning: the query returned no rows\n"


def test_cli_query_pauses_the_garbage_collector_only_while_it_runs(capsys, graph, monkeypatch):
    """`kg query` makes its rows with the cyclic garbage collector off, and turns it back on after, also when
    the query fails (tests and notebooks call the CLI in their own long-lived process)."""
    import gc

    import kg.query

    seen = []
    real = kg.query.run_local

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(kg.query, "run_local", spy)
    assert gc.isenabled()
    code, out, _ = cli(capsys, "query", "funders", "--graph", graph, "--format", "tsv", "--fresh")
    assert code == 0 and out.startswith("?funder\t") and seen == [False] and gc.isenabled()
    code, _, err = cli(capsys, "query", "funders", "--graph", graph, "-p", "funder=not an iri")
    assert code == 1 and "not a valid IRI" in err and gc.isenabled()


def test_cli_without_a_graph_says_to_build_first(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("KG_OUT_DIR", str(tmp_path / "out"))
    code, out, err = cli(capsys, "query", "funders")
    assert code == 1 and out == ""
    assert err == (f"Error: {tmp_path / 'out' / 'graph.ttl'}: no graph yet; run `kg build` first, "
                   f"or pass --graph FILE or --endpoint URL\n")


def test_remote_errors_are_kg_errors(graph):
    with pytest.raises(KGError) as err:
        run_query("funders", endpoint="127.0.0.1:7878/query")
    assert str(err.value) == ("127.0.0.1:7878/query: not an http(s) URL; pass the endpoint URL, "
                              "e.g. http://127.0.0.1:7878/query")


# ---------------------------------------------------------------------------------------------
# ORDER BY in Python (kg.query.order_rows): exactly the order of the Oxigraph server, or the engine's


def python_order(text: str, graph: Path) -> Result | None:
    """The rows of `text` sorted by order_rows, or None where it leaves the sorting to the engine."""
    unordered, keys = split_order_by(text)
    return order_rows(from_pyoxigraph(open_store(graph).store.query(unordered)), keys)


@pytest.mark.parametrize("path", [p for p in SHIPPED if query_form(p.read_text()) == "SELECT"], ids=lambda p: p.stem)
def test_shipped_queries_are_sorted_in_python_in_the_servers_order(path, graph, endpoint):
    q = read_query(path)
    params = fill_required(q, graph)
    ordered = python_order(prepare(q, params)[1], graph)
    assert ordered is not None, f"{q.name}: kg cannot sort its rows itself"
    remote = run_query(q, params, endpoint=endpoint)
    assert len(ordered.rows) > 1 and [cells(r) for r in ordered.rows] == [cells(r) for r in remote.rows]
    assert run_query(q, params, graph=graph).rows == ordered.rows


X = "^^<http://www.w3.org/2001/XMLSchema#"
ORDER_CASES = {
    # Code points, not UTF-16 units: U+1F600 sorts after U+FFFD; upper case before lower case; "" first.
    "strings": ('(?s ?n) { ("b" 1) ("a" 2) ("B" 3) ("é" 4) ("\\uFFFD" 5) ("\\U0001F600" 6) ("" 7) ("a b" 8) '
                '("ab" 9) (UNDEF 10) }', ["?s", "DESC(?s)", "ASC(?s)"]),
    # Numbers by value whatever their type: 9 < 10, -1.5 < 0.25; unbound first (last with DESC).
    "numbers": ('(?n ?s) { (10 "a") (9 "b") (-1.5 "c") (0.25 "d") (2 "e") (3.5 "f") (100 "g") (UNDEF "h") '
                '(-7 "i") }', ["?n", "DESC(?n)"]),
    # Unbound < IRI < literal; IRIs by code point.
    "kinds": ('(?v ?s) { (<http://e/a> "1") ("x" "2") (UNDEF "3") (<http://e/B> "4") ("X" "5") (<http://e/é> "6") }',
              ["?v ?s", "DESC(?v) ?s"]),
    # Dates and years; (!BOUND(?d)) puts rows without one last.
    "dates": (f'(?d ?y ?s) {{ ("2012-01-01"{X}date> "2019"{X}gYear> "a") ("2011-12-31"{X}date> "2020"{X}gYear> "b") '
              f'(UNDEF "2018"{X}gYear> "c") ("2012-01-02"{X}date> UNDEF "d") (UNDEF "2017"{X}gYear> "e") }}',
              ["(!BOUND(?d)) ?d ?s", "?y ?s", "DESC(?y) ?d ?s"]),
    # Equal numbers of different types (1 and 1.0) tie, and the next key decides.
    "equal numbers": ('(?n ?s) { (1 "b") (1.0 "a") (1 "c") (0.5 "d") }', ["?n ?s", "?n DESC(?s)"]),
    # Ties on the first keys are broken by the later ones, each in its own direction.
    "keys": ('(?a ?b ?c) { ("x" 1 "p") ("x" 1 "q") ("x" 2 "p") ("y" 1 "p") ("x" 2 "q") (UNDEF 2 "r") }',
             ["?a DESC(?b) ?c", "DESC(?a) ?b DESC(?c)", "?b ?a ?c"]),
}


@pytest.mark.parametrize("case", ORDER_CASES)
def test_order_rows_gives_the_servers_order(tmp_path, graph, endpoint, case):
    values, orders = ORDER_CASES[case]
    variables = re.match(r"\(([^)]*)\)", values).group(1)
    for n, order in enumerate(orders):
        path = write_query(tmp_path, f"SELECT {variables} WHERE {{ VALUES {values} }}\nORDER BY {order}\n",
                           f"9{n}-order.rq")
        ordered = python_order(path.read_text(encoding="utf-8"), graph)
        assert ordered is not None, f"{case}: ORDER BY {order} was left to the engine"
        remote = run_query(path, endpoint=endpoint)
        assert [tuple(map(str, r)) for r in ordered.rows] == [tuple(map(str, r)) for r in remote.rows], order
        assert run_query(path, graph=graph).rows == ordered.rows


FALLBACK_CASES = {
    "language tags": ('(?s) { ("b"@en) ("a"@fr) ("c") }', "?s"),
    "strings and numbers in one key": ('(?s) { ("b") (2) ("a") (1) }', "?s"),
    "distinct rows that tie on every key": ('(?k ?s) { ("x" "b") ("x" "a") ("w" "c") }', "?k"),
    "a date with a time zone": (f'(?d) {{ ("2012-01-01Z"{X}date>) ("2012-01-02"{X}date>) }}', "?d"),
    "a key that is not returned": ('(?k ?s) { ("x" "b") ("y" "a") }', "?s"),
}


@pytest.mark.parametrize("case", FALLBACK_CASES)
def test_what_order_rows_cannot_prove_is_left_to_the_engine(tmp_path, graph, endpoint, case):
    values, order = FALLBACK_CASES[case]
    projected = "?k" if case == "a key that is not returned" else re.match(r"\(([^)]*)\)", values).group(1)
    path = write_query(tmp_path, f"SELECT {projected} WHERE {{ VALUES {values} }}\nORDER BY {order}\n")
    assert python_order(path.read_text(encoding="utf-8"), graph) is None
    assert rows_in_order(run_query(path, graph=graph)) == rows_in_order(run_query(path, endpoint=endpoint))


def rows_in_order(result: Result) -> list[tuple[str, ...]]:
    return [tuple(map(str, r)) for r in result.rows]


def test_only_a_final_order_by_on_variables_is_split_off():
    text = "SELECT ?s WHERE {\n  ?s ?p ?o\n}\nORDER BY DESC(?s) ?p\n  (!BOUND(?o)) # last\n"
    assert split_order_by(text) == ("SELECT ?s WHERE {\n  ?s ?p ?o\n}\n",
                                    (OrderKey("s", descending=True), OrderKey("p"), OrderKey("o", unbound=True)))
    for kept in ("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 10",
                 "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s OFFSET 1",
                 "SELECT ?s WHERE { ?s ?p ?o } ORDER BY STR(?s)",
                 "SELECT ?s WHERE { ?s ?p ?o } ORDER BY (BOUND(?s))",
                 "SELECT ?s WHERE { { SELECT ?s { ?s ?p ?o } ORDER BY ?s } }",
                 "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s VALUES ?s { <urn:a> }",
                 "SELECT ?s WHERE { ?s ?p ?o } # ORDER BY ?s"):
        assert split_order_by(kept) is None, kept


def test_parameters_are_bound_at_the_start_of_the_where_clause():
    bindings = {"who": ox.NamedNode(KGR + "organization/iom")}
    assert bind_values("SELECT ?who WHERE {\n  ?who ?p ?o\n}\nORDER BY ?who\n", bindings) == \
        f"SELECT ?who WHERE {{ VALUES (?who) {{ (<{KGR}organization/iom>) }} \n  ?who ?p ?o\n}}\nORDER BY ?who\n"
    # A VALUES block before a BIND of the same variable would be an error: it goes at the end instead.
    assert bind_values("SELECT ?who WHERE { ?x ?p ?o BIND(?x AS ?who) }", bindings) == \
        f"SELECT ?who WHERE {{ ?x ?p ?o BIND(?x AS ?who)  VALUES (?who) {{ (<{KGR}organization/iom>) }} }}"
    assert bind_values("SELECT ?who WHERE { { SELECT (?x AS ?who) { ?x ?p ?o } } }", bindings).startswith(
        "SELECT ?who WHERE { VALUES (?who)")
