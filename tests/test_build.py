"""The graph a build produces, its files (deterministic, parseable) and atomic writes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS

from kg.ontology import KG, load_ontology
from kg.serialize import write_atomic

REPO = Path(__file__).resolve().parents[1]

RELATIONS = (KG.funds, KG.implements, KG.benefits, KG.affiliatedWith, KG.subOrganizationOf, KG.partOf)
ENTITY_CLASSES = (KG.Organization, KG.Person, KG.Project, KG.FundingSource, KG.Municipality, KG.Department,
                  KG.Country)
OUTPUTS = ("graph.ttl", "graph.jsonld", "graph.nt", "report.md")
# rdflib's own JSON-LD parser uses its deprecated ConjunctiveGraph internally.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


# --- The graph ------------------------------------------------------------------------------------

@pytest.mark.parametrize("relation", RELATIONS, ids=lambda r: str(r).rsplit("#", 1)[-1])
def test_every_relation_triple_has_evidence(build_result, relation):
    g = build_result.graph
    pairs = list(g.subject_objects(relation))
    assert pairs, f"no {relation} triple in the sample graph"
    for s, o in pairs:
        evidence = [e for e in g.subjects(RDF.subject, s)
                    if (e, RDF.type, KG.Evidence) in g and (e, RDF.predicate, relation) in g and (e, RDF.object, o) in g]
        assert evidence, f"no kg:Evidence for {s} {relation} {o}"
        for e in evidence:
            sources = list(g.objects(e, PROV.wasDerivedFrom))
            assert sources and all(isinstance(src, URIRef) for src in sources), e
            assert g.value(e, KG.method) is not None, e
            assert 0 <= g.value(e, KG.confidence).toPython() <= 1, e


def test_every_evidence_record_states_a_triple_of_the_graph(build_result):
    g = build_result.graph
    records = list(g.subjects(RDF.type, KG.Evidence))
    assert len(records) > 50
    for e in records:
        triple = (g.value(e, RDF.subject), g.value(e, RDF.predicate), g.value(e, RDF.object))
        assert None not in triple, e
        assert triple in g, f"{e} states a triple that is not in the graph: {triple}"


def test_evidence_sentences_are_the_document_text(build_result):
    g = build_result.graph
    from kg.build import document_iri
    from kg.settings import Settings

    docs = {document_iri(d.id, Settings.from_env().base_iri): d for d in build_result.documents}
    n = 0
    for e, d in g.subject_objects(KG.evidenceDocument):
        doc = docs[d]
        start, end = g.value(e, KG.startOffset).toPython(), g.value(e, KG.endOffset).toPython()
        assert doc.text[start:end] == str(g.value(e, KG.sentence)), e
        assert (e, PROV.wasDerivedFrom, d) in g
        n += 1
    assert n > 50


def test_no_blank_nodes(build_result):
    blanks = [t for t in build_result.graph if any(isinstance(x, BNode) for x in t)]
    assert blanks == []


def test_entities_are_iris_under_the_base(build_result):
    from kg.settings import Settings

    base = Settings.from_env().base_iri
    g = build_result.graph
    for cls in ENTITY_CLASSES:
        members = list(g.subjects(RDF.type, cls))
        assert members, cls
        for s in members:
            assert isinstance(s, URIRef) and str(s).startswith(base), s
            assert " " not in str(s)


def test_mentioned_entities_have_labels(build_result):
    g = build_result.graph
    mentioned = set(g.subjects(KG.mentionedIn, None))
    assert len(mentioned) > 30
    for s in mentioned:
        assert g.value(s, RDFS.label) is not None, s
        assert len(list(g.objects(s, SKOS.prefLabel))) == 1, s
        assert any((s, RDF.type, cls) in g for cls in ENTITY_CLASSES), s
        assert all((d, RDF.type, KG.Document) in g for d in g.objects(s, KG.mentionedIn)), s


def test_document_nodes(build_result, readme_titles):
    g = build_result.graph
    documents = list(g.subjects(RDF.type, KG.Document))
    assert len(documents) == 5
    titles = set()
    for d in documents:
        [path] = list(g.objects(d, KG.sourcePath))
        [title] = list(g.objects(d, DCTERMS.title))
        assert Path(str(path)).name in readme_titles
        assert str(title) == readme_titles[Path(str(path)).name][1]
        assert g.value(d, KG.contentHash) is not None
        titles.add(str(title))
    assert len(titles) == 5


def test_graph_uses_only_declared_kg_terms(build_result):
    declared = set(load_ontology().subjects(RDF.type, None))
    used = {t for triple in build_result.graph for t in triple
            if isinstance(t, URIRef) and str(t).startswith(str(KG._NS))}
    assert used and used <= declared, used - declared


def test_memberships_carry_the_role(build_result):
    g = build_result.graph
    memberships = list(g.subjects(RDF.type, KG.Membership))
    assert memberships
    for m in memberships:
        person, org = g.value(m, URIRef("http://www.w3.org/ns/org#member")), \
            g.value(m, URIRef("http://www.w3.org/ns/org#organization"))
        assert (person, KG.affiliatedWith, org) in g
        assert (person, KG.hasMembership, m) in g
    roles = {str(o) for m in memberships for o in g.objects(m, KG.roleTitle)}
    assert {"Chief of Mission", "Acting Municipal Mayor"} <= roles


def test_report_counts_match_the_graph(build_result):
    counts = build_result.class_counts
    assert counts["Document"] == 5
    for cls in ENTITY_CLASSES:
        name = str(cls).rsplit("#", 1)[-1]
        assert counts[name] == len(set(build_result.graph.subjects(RDF.type, cls))) > 0


# --- Files: determinism and parsing ----------------------------------------------------------------

ALL_OUTPUTS = (*OUTPUTS, "centrality.csv", "network.graphml", "network.gexf", "scores.ttl", "views/index.html")


def test_pipeline_wrote_its_files(build_result):
    assert sorted(build_result.files) == sorted(ALL_OUTPUTS)
    for name, path in build_result.files.items():
        assert path.is_file() and path.stat().st_size > 0, name
    # Besides the outputs only the per-document cache and the views folder; no temporary files.
    out = build_result.files["graph.ttl"].parent
    leftovers = sorted(p.name for p in out.iterdir() if p.name not in ALL_OUTPUTS)
    assert leftovers == [".cache", "views"]


@pytest.mark.parametrize("name", OUTPUTS)
def test_two_builds_are_byte_identical(build_result, cli_build, name):
    proc, out = cli_build
    assert proc.returncode == 0, proc.stderr
    first = build_result.files[name].read_bytes()
    second = (out / name).read_bytes()
    assert first == second, f"{name} differs between two builds of the same corpus"


def _diff(a: Graph, b: Graph) -> str:
    _, only_a, only_b = graph_diff(to_isomorphic(a), to_isomorphic(b))
    lines = [f"- {t}" for t in sorted(only_a)[:20]] + [f"+ {t}" for t in sorted(only_b)[:20]]
    return "\n".join(lines)


def test_turtle_parses_with_rdflib_and_oxigraph(build_result):
    path = build_result.files["graph.ttl"]
    g = Graph().parse(path, format="turtle")
    assert len(g) == len(build_result.graph)
    assert isomorphic(g, build_result.graph), _diff(g, build_result.graph)
    quads = list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE))
    assert len(quads) == len(g)


def test_jsonld_is_the_same_graph_as_turtle(build_result):
    ttl = Graph().parse(build_result.files["graph.ttl"], format="turtle")
    jsonld = Graph().parse(build_result.files["graph.jsonld"], format="json-ld")
    assert len(jsonld) == len(ttl)
    assert isomorphic(jsonld, ttl), _diff(jsonld, ttl)


def test_typed_literals_survive_the_files(build_result):
    from decimal import Decimal

    xsd = "http://www.w3.org/2001/XMLSchema#"
    for name, fmt in (("graph.ttl", "turtle"), ("graph.jsonld", "json-ld")):
        g = Graph().parse(build_result.files[name], format=fmt)
        [budget] = list(g.objects(None, KG.budgetAmount))
        assert str(budget.datatype) == xsd + "decimal" and budget.toPython() == Decimal("103058.00"), name
        assert {(str(o), str(o.datatype)) for o in g.objects(None, KG.startDate)} == {("2017", xsd + "gYear")}, name
        offsets = list(g.objects(None, KG.startOffset))
        assert offsets and all(str(o.datatype) == xsd + "integer" for o in offsets), name


# --- Atomic writes --------------------------------------------------------------------------------

def test_write_atomic_creates_the_file_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "sub" / "graph.ttl"
    write_atomic(target, b"hello\n")
    assert target.read_bytes() == b"hello\n"
    assert [p.name for p in target.parent.iterdir()] == ["graph.ttl"]


def test_write_atomic_replaces_an_existing_file_whole(tmp_path):
    target = tmp_path / "report.md"
    target.write_bytes(b"old content that is much longer than the new content\n" * 100)
    with open(target, "rb") as reader:  # a reader of the old file keeps seeing the old file
        write_atomic(target, b"new\n")
        assert reader.read().startswith(b"old content")
    assert target.read_bytes() == b"new\n"
    assert os.listdir(tmp_path) == ["report.md"]


def test_write_atomic_failure_keeps_the_old_file_and_no_temp_file(tmp_path):
    target = tmp_path / "graph.jsonld"
    target.write_bytes(b"previous\n")
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"previous\n"
    assert os.listdir(tmp_path) == ["graph.jsonld"]


def test_background_writes_write_every_file(tmp_path, build_result):
    from kg.serialize import BackgroundWrites, graph_files

    nt = build_result.files["graph.nt"]
    writes = BackgroundWrites([(graph_files, (nt, build_result.base_iri, tmp_path / "g.ttl", tmp_path / "g.jsonld"))])
    writes.wait()
    assert (tmp_path / "g.ttl").read_bytes() == build_result.files["graph.ttl"].read_bytes()
    assert (tmp_path / "g.jsonld").read_bytes() == build_result.files["graph.jsonld"].read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["g.jsonld", "g.ttl"]


def test_background_writes_report_a_failure_and_keep_the_old_files(tmp_path, build_result):
    """A bad line half-way through: the error reaches the build, and neither file is replaced or left half-written."""
    from kg.serialize import BackgroundWrites, graph_files

    good = build_result.files["graph.nt"]
    bad = tmp_path / "bad.nt"
    head = "".join(good.read_text(encoding="utf-8").splitlines(keepends=True)[:30])
    bad.write_text(head + "<oops> this is not N-Triples\n", encoding="utf-8")
    for name in ("graph.ttl", "graph.jsonld"):
        (tmp_path / name).write_bytes(b"previous\n")
    writes = BackgroundWrites([(graph_files, (bad, build_result.base_iri, tmp_path / "graph.ttl", tmp_path / "graph.jsonld"))])
    with pytest.raises(OSError, match="not a kg N-Triples line: <oops>"):
        writes.wait()
    assert (tmp_path / "graph.ttl").read_bytes() == (tmp_path / "graph.jsonld").read_bytes() == b"previous\n"
    assert sorted(os.listdir(tmp_path)) == ["bad.nt", "graph.jsonld", "graph.ttl"]


def test_background_writes_from_a_script_without_a_main_guard(tmp_path, build_result):
    """A user's script that calls kg at its top level (no `if __name__ == "__main__":`) runs once: the
    process writing the files in the background does not run the caller's script again."""
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(f"""
        from pathlib import Path
        from kg.serialize import BackgroundWrites, graph_files

        with open({str(tmp_path / "runs.txt")!r}, "a") as runs:
            runs.write("run\\n")
        writes = BackgroundWrites([(graph_files, (Path({str(build_result.files["graph.nt"])!r}), {build_result.base_iri!r},
                                                  Path({str(tmp_path / "g.ttl")!r}), Path({str(tmp_path / "g.jsonld")!r})))])
        writes.wait()
    """), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "runs.txt").read_text(encoding="utf-8") == "run\n"
    assert (tmp_path / "g.ttl").read_bytes() == build_result.files["graph.ttl"].read_bytes()


def test_graph_files_are_the_streaming_writers_output(tmp_path, build_result):
    """The one-pass writer gives the bytes turtle_lines and jsonld_lines give, on a graph large enough to be
    written in several batches."""
    from kg.serialize import graph_files, jsonld_lines, read_ntriples, turtle_lines

    lines = sorted(f"<https://w3id.org/kg/resource/n/{i:05d}> <http://www.w3.org/2000/01/rdf-schema#label> \"n{i}\"@en"
                   for i in range(3000)) + list(read_ntriples(build_result.files["graph.nt"]))
    lines.sort()
    nt = tmp_path / "g.nt"
    nt.write_text("".join(f"{line} .\n" for line in lines), encoding="utf-8")
    graph_files(nt, build_result.base_iri, tmp_path / "g.ttl", tmp_path / "g.jsonld")
    assert (tmp_path / "g.ttl").read_text(encoding="utf-8") == "".join(turtle_lines(lines, build_result.base_iri))
    assert (tmp_path / "g.jsonld").read_text(encoding="utf-8") == "".join(jsonld_lines(lines, build_result.base_iri))


def test_graph_nt_is_the_sorted_graph(build_result):
    """graph.nt: one triple per line, sorted, the same triples as graph.ttl (for bulk loaders and diffs)."""
    text = build_result.files["graph.nt"].read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines == sorted(lines) and len(lines) == len(set(lines)) == build_result.triple_count
    assert isomorphic(Graph().parse(data=text, format="nt"), build_result.graph)


_AWKWARD_LINES = [
    # Escapes N-Triples and JSON write differently, language tags, datatypes with and without a prefix,
    # several values of one property (sorted in JSON-LD), rdf:type as an object, IRIs no prefix covers.
    '<https://w3id.org/kg/resource/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/kg/ontology#Organization>',
    '<https://w3id.org/kg/resource/a> <http://www.w3.org/2000/01/rdf-schema#label> "quote \\" backslash \\\\ tab \\t nl \\n cr \\r"',
    '<https://w3id.org/kg/resource/a> <http://www.w3.org/2004/02/skos/core#altLabel> "b"',
    '<https://w3id.org/kg/resource/a> <http://www.w3.org/2004/02/skos/core#altLabel> "A"',
    '<https://w3id.org/kg/resource/a> <http://www.w3.org/2004/02/skos/core#altLabel> "control \\u0001 del \\u007F astral \\U0001F600"',
    '<https://w3id.org/kg/resource/a> <http://www.w3.org/2004/02/skos/core#altLabel> "fr"@fr',
    '<https://w3id.org/kg/resource/a> <http://www.w3.org/2004/02/skos/core#altLabel> "é \u2028 \u0085 ü"@es-SV',
    '<https://w3id.org/kg/resource/a> <https://w3id.org/kg/ontology#budgetAmount> "12.50"^^<http://www.w3.org/2001/XMLSchema#decimal>',
    '<https://w3id.org/kg/resource/a> <https://w3id.org/kg/ontology#identifier> "x"^^<https://example.org/dt#custom>',
    '<https://w3id.org/kg/resource/b> <http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>',
    '<https://w3id.org/kg/resource/b> <https://example.org/p#x> <https://example.org/has/a/slash/>',
    '<https://w3id.org/kg/resource/b> <https://example.org/p#x> <https://w3id.org/kg/resource/a>',
]


@pytest.mark.parametrize("writer,fmt", [("turtle_lines", "turtle"), ("jsonld_lines", "json-ld")])
def test_streaming_writers_keep_every_term(writer, fmt):
    """graph.ttl and graph.jsonld are written from N-Triples lines by kg's own writers: each must give back
    the very graph the lines state, escapes, language tags and datatypes included."""
    import kg.serialize as serialize

    lines = sorted(_AWKWARD_LINES)
    text = "".join(getattr(serialize, writer)(lines, "https://w3id.org/kg/resource/"))
    expected = Graph().parse(data="".join(f"{line} .\n" for line in lines), format="nt")
    got = Graph().parse(data=text, format=fmt)
    assert len(got) == len(expected) == len(lines)
    assert isomorphic(got, expected), _diff(got, expected)


def test_lines_to_graph_gives_the_terms_rdflib_parses(build_result):
    """lines_to_graph (pyoxigraph's parser, rdflib's terms) gives the very triples rdflib's own N-Triples parser
    gives: on the sample graph and on lines with escapes, language tags and datatypes."""
    from kg.build import lines_to_graph

    for lines in (build_result.lines, sorted(_AWKWARD_LINES)):
        expected = Graph().parse(data="".join(f"{line} .\n" for line in lines), format="nt")
        got = lines_to_graph(lines, build_result.base_iri)
        assert set(got) == set(expected) and len(got) == len(lines)
        def kinds(graph: Graph) -> set:  # language tags come lowercased (tags are case-insensitive; kg writes none)
            return {(type(o), getattr(o, "datatype", None), (getattr(o, "language", None) or "").lower()) for o in
                    graph.objects()}

        assert kinds(got) == kinds(expected)
    assert not any(getattr(o, "language", None) for o in build_result.graph.objects())
