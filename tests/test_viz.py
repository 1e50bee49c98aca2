"""kg.viz: HTML views of the graph, opened in a real headless Chromium (Debian's chromium through Playwright).

Every view of the sample graph must draw offline with no request and no console error, search, filter and
highlight must work on the page, and text from documents must never run as script, however hostile.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from kg import viz
from kg.errors import GraphFileError
from kg.ontology import KG, ORG

REPO = Path(__file__).resolve().parents[1]
PAYLOADS = ['<script>window.__pwned=1</script>', '<img src=x onerror="window.__pwned=1">',
            '<svg onload="window.__pwned=1">', '"><script>window.__pwned=1</script>',
            "'><img src=x onerror=window.__pwned=1>", '</script><script>window.__pwned=1</script>',
            '<!--<script>window.__pwned=1</script>-->', 'javascript:window.__pwned=1', '\u2028\u2029&amp;']

# A release written like IOM's, with markup where names, titles and quotes go. Each line was adjusted until
# the extractor kept the markup in a label (two project names) and in the document title.
HOSTILE_RELEASE = """IOM and the "><script>window.__pwned=1</script> Fund Launch a Project in El Salvador
San Salvador – The <svg onload=window.__pwned=1> Foundation today launched the project "Safe <script>window.__pwned=1</script> Return", funded by the <img src=x onerror=window.__pwned=1> Development Fund and implemented by IOM in Usulután and La Libertad.
The project, called "Entrepreneurs <img src=x onerror=window.__pwned=1> Reintegration", is implemented by IOM El Salvador and financed by the European Union.
The second project, called "Safe <script>window.__pwned=1</script> Return", is implemented by IOM El Salvador and financed by the <svg onload=window.__pwned=1> Fund for Returnees.
The launch was attended by Ana <script>window.__pwned=1</script> Perez, Deputy Minister for Salvadorans Abroad, and Maria Lopez, IOM's Chief of Mission for El Salvador.
"This project <svg onload=window.__pwned=1> matters," said Maria Lopez.
For further information, please contact:
IOM El Salvador – <img src=x onerror=window.__pwned=1> Gomez, Email: x@iom.int
IOM El Salvador – Jose "><img src=x onerror=window.__pwned=1> Ramos, Email: y@iom.int
"""

NODE_POINT = """(id) => {
    const p = kgView.network.getPositions([id])[id];
    const d = kgView.network.canvasToDOM(p);
    const r = document.getElementById('kg-network').getBoundingClientRect();
    return [r.left + d.x, r.top + d.y];
}"""


def _bench():
    spec = importlib.util.spec_from_file_location("bench_views", REPO / "benchmarks" / "bench_views.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Opened:
    """A page opened from disk, with what it asked the network for, logged as errors and tried as dialogs."""

    def __init__(self, browser, url: str, *, timeout: float = 30_000):
        self.requests, self.errors, self.dialogs = [], [], []
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.page.on("request", self._request)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.goto(url, timeout=timeout)

    def goto(self, url: str, *, timeout: float = 30_000) -> None:
        self.page.goto(url)
        self.page.wait_for_function("window.kgReady === true", timeout=timeout)

    def _request(self, request):
        if not request.url.startswith(("file:", "data:", "about:")):
            self.requests.append(request.url)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def eval(self, script, arg=None):
        return self.page.evaluate(script, arg)

    def point(self, node_id: int) -> list[float]:
        return self.eval(NODE_POINT, node_id)

    def clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.requests == [], self.requests
        assert self.dialogs == [], self.dialogs
        assert self.eval("typeof window.__pwned") == "undefined"
        # nothing from the data became an element
        assert self.eval("document.querySelectorAll('img, svg, iframe, object, embed, script:not([src]):not([type])').length") == 0

    def close(self) -> None:
        self.page.close()


@pytest.fixture(scope="module")
def sample_views(build_result, tmp_path_factory):
    out = tmp_path_factory.mktemp("views")
    paths = viz.render_views(build_result.graph, out)
    data = viz.collect(build_result.graph)
    return out / "views", paths, {v.file: v for v in viz.plan_views(data)}


@pytest.fixture
def opened(chromium):
    pages = []

    def open_page(path_or_url, **kw):
        url = path_or_url if isinstance(path_or_url, str) else Path(path_or_url).as_uri()
        page = Opened(chromium, url, **kw)
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        page.close()


def _payload(path: Path) -> dict:
    m = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', path.read_text(encoding="utf-8"), re.S)
    return json.loads(m.group(1))


# --- files ---------------------------------------------------------------------------------------

def test_index_links_every_view(sample_views, build_result):
    views_dir, paths, views = sample_views
    index = (views_dir / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)"', index)
    counts = build_result.class_counts
    expected = 1 + counts["Project"] + counts["Organization"] + counts["Department"] + counts["Municipality"]
    assert len(links) == len(set(links)) == expected == len(paths) - 1
    assert "graph.html" in links
    for link in links:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*\.html", link), link
        assert (views_dir / link).is_file()
    kinds = {v.kind for v in views.values()}
    assert kinds == {"graph", "project", "organization", "department", "municipality"}
    assert "organization-iom.html" in links and "project-peace-post-conflict-generation.html" in links


def test_views_hold_what_the_issue_asks(sample_views, build_result):
    _, _, views = sample_views
    data = viz.collect(build_result.graph)
    pbf = "https://w3id.org/kg/resource/funding-source/pbf"
    project = views["project-peace-post-conflict-generation.html"]
    assert pbf in project.nodes and "https://w3id.org/kg/resource/organization/iom" in project.nodes
    assert {rel for _, rel, _ in project.edges} >= {"funds", "implements"}
    whole = views["graph.html"]
    assert set(whole.nodes) == set(data.nodes) and len(whole.edges) == len(data.edges)
    assert sum(build_result.relation_counts.values()) == len(data.edges)
    iom = views["organization-iom.html"]
    one_step = data.neighbours("https://w3id.org/kg/resource/organization/iom")
    assert one_step < set(iom.nodes)
    assert any(n not in one_step for n in iom.nodes if n != "https://w3id.org/kg/resource/organization/iom")
    # evidence reaches the page with the document's title
    payload = _payload(sample_views[0] / "project-peace-post-conflict-generation.html")
    facts = [f for i in payload["info"] if i["iri"] == pbf for f in i["facts"]]
    assert any("Peacebuilding Fund" in f[2] and f[3] == "IOM to Support Migrant Entrepreneurs Returned to El Salvador"
               for f in facts), facts
    peraza = next(i for i in _payload(sample_views[0] / "graph.html")["info"] if i["label"] == "Jorge Peraza Breedy")
    assert "Chief of Mission, IOM El Salvador, Guatemala and Honduras" in peraza["roles"]


def test_no_remote_resources_and_no_html_sinks(sample_views):
    views_dir, paths, _ = sample_views
    for path in [*paths, *sorted((views_dir / "lib").iterdir())]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I), path
        assert not re.search(r"@import|url\(\s*['\"]?\s*(https?:)?//", text, re.I), path
        if path.suffix == ".html":
            assert "Content-Security-Policy" in text and "default-src 'none'" in html.unescape(text)
    ours = re.sub(r"/\*.*?\*/", "", (viz.ASSETS / "kg-view.js").read_text(encoding="utf-8"), flags=re.S)
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function(", "title:"):
        assert sink not in ours, sink
    assert all("title" not in n for n in _payload(views_dir / "graph.html")["nodes"])


def test_script_json_escapes_what_could_end_the_script():
    data = {"a": "</script><!-- & \u2028\u2029 '\"", "b": PAYLOADS}
    text = viz.script_json(data)
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text) == data


def test_rerun_is_byte_identical_across_processes(build_result, tmp_path):
    graph_file = build_result.files["graph.ttl"]
    first = viz.render_views(build_result.graph, tmp_path / "a")
    code = ("import sys; from kg.pipeline import load_graph; from kg.viz import render_views; "
            "render_views(load_graph(sys.argv[1]), sys.argv[2])")
    env = {**os.environ, "PYTHONHASHSEED": "4242", "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", code, str(graph_file), str(tmp_path / "b")], check=True, env=env, timeout=300)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a" / "views").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b" / "views").rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) == len(first) + 4
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_pages_whose_data_did_not_change_are_not_drawn_again(build_result, tmp_path, monkeypatch):
    graph = Graph()
    for triple in build_result.graph:
        graph.add(triple)
    out = tmp_path / "a"
    paths = viz.render_views(graph, out)
    stamps = {p.name: p.stat().st_mtime_ns for p in paths}
    assert (out / viz.DRAWN).is_file()
    # Nothing changed: no page is written again.
    viz.render_views(graph, out)
    assert {p.name: p.stat().st_mtime_ns for p in paths if p.name != "index.html"} == \
        {k: v for k, v in stamps.items() if k != "index.html"}
    # One project renamed, one page edited by hand, one deleted: those pages and the pages that show the project
    # are drawn again, and every file is what a first drawing into an empty folder gives.
    project = URIRef("https://w3id.org/kg/resource/project/peace-post-conflict-generation")
    for prop in (RDFS.label, SKOS.prefLabel):
        for old in list(graph.objects(project, prop)):
            graph.remove((project, prop, old))
            graph.add((project, prop, Literal("Renamed Programme")))
    (out / "views" / "graph.html").write_text("edited", encoding="utf-8")
    (out / "views" / "organization-iom.html").unlink()
    again = viz.render_views(graph, out)
    fresh = viz.render_views(graph, tmp_path / "b")
    assert [p.name for p in again] == [p.name for p in fresh]
    for a, b in zip(again, fresh):
        assert a.read_bytes() == b.read_bytes(), a.name
    drawn = {p.name for p in again if p.name in stamps and p.stat().st_mtime_ns != stamps[p.name]}
    showing = {p.name for p in again if "Renamed Programme" in p.read_text(encoding="utf-8")}
    assert {"graph.html", "index.html"} <= drawn and "organization-iom.html" in showing
    assert drawn == showing | {"graph.html", "index.html"}
    assert len(drawn) < len(paths) - 3
    # Another version of the code draws every page again.
    stamps = {p.name: p.stat().st_mtime_ns for p in again}
    monkeypatch.setattr(viz, "_code_stamp", lambda: "another version")
    viz.render_views(graph, out)
    assert all(p.stat().st_mtime_ns != stamps[p.name] for p in again)


def test_views_of_an_unchanged_source_are_left_alone_without_making_the_graph(build_result, tmp_path):
    out, graph = tmp_path / "a", build_result.graph
    made = []

    def make():
        made.append(1)
        return graph

    def files():
        return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in (out / "views").rglob("*") if p.is_file()}

    paths = viz.render_views(make, out, source="graph.nt 1")
    before = files()
    assert len(made) == 1 and paths[0].name == "index.html" and len(before) == len(paths) + 4  # + lib/
    # The same source, scores and kinds, nothing touched: the graph is not made, no file is written.
    assert viz.render_views(make, out, source="graph.nt 1") == paths
    assert len(made) == 1 and files() == before
    # A page kg wrote that is not one of these views goes, as when they are drawn.
    (out / "views" / "organization-gone.html").write_bytes(paths[1].read_bytes())
    assert viz.render_views(make, out, source="graph.nt 1") == paths
    assert len(made) == 1 and files() == before
    # Another source, other scores, other kinds, or a file of the views touched: drawn (pages whose data did not
    # change are still kept), and the files are what a first drawing gives.
    scores = {"https://w3id.org/kg/resource/organization/iom": 0.5}
    for call in ({"source": "graph.nt 2"}, {"source": "graph.nt 2", "scores": scores},
                 {"source": "graph.nt 2", "scores": scores, "kinds": ["project"]}):
        viz.render_views(make, out, **call)
        viz.render_views(make, out, **call)
    assert len(made) == 4
    (out / "views" / "lib" / "kg-view.js").unlink()
    viz.render_views(make, out, source="graph.nt 2", scores=scores, kinds=["project"])
    (out / "views" / "index.html").write_text("edited", encoding="utf-8")
    again = viz.render_views(make, out, source="graph.nt 2", scores=scores, kinds=["project"])
    assert len(made) == 6
    fresh = viz.render_views(graph, tmp_path / "b", scores=scores, kinds=["project"])
    assert [p.name for p in again] == [p.name for p in fresh] and len(fresh) < len(paths)
    for a, b in zip(again, fresh):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert (out / "views" / "lib" / "kg-view.js").read_bytes() == (tmp_path / "b" / "views" / "lib" / "kg-view.js").read_bytes()
    # Without a source there is no such shortcut.
    viz.render_views(make, out)
    viz.render_views(make, out)
    assert len(made) == 8


def test_stale_pages_are_removed_and_foreign_files_kept(build_result, tmp_path):
    views_dir = tmp_path / "views"
    views_dir.mkdir()
    (views_dir / "mine.html").write_text("<p>not written by kg</p>", encoding="utf-8")
    viz.render_views(build_result.graph, tmp_path)
    (views_dir / "organization-gone.html").write_text((views_dir / "graph.html").read_text(encoding="utf-8"), encoding="utf-8")
    viz.render_views(build_result.graph, tmp_path)
    assert not (views_dir / "organization-gone.html").exists()
    assert (views_dir / "mine.html").exists()


def _as_data(data: viz.VizData) -> list:
    return [[(iri, vars(node)) for iri, node in data.nodes.items()], data.edges, data.size]


def test_collect_from_lines_is_collect_from_the_graph(build_result):
    # kg.build's lines (what a build hands the views) and the rdflib graph of the same triples give the same data.
    assert _as_data(viz.collect(build_result.lines)) == _as_data(viz.collect(build_result.graph))
    # Also where the graph has blank nodes, literals that look like IRIs, escapes and several values.
    graph = _hostile_graph()
    base = "https://w3id.org/kg/resource/"
    member = BNode()
    graph.add((member, RDF.type, KG.Membership))
    graph.add((member, ORG.member, URIRef(base + "person/ana")))
    graph.add((member, ORG.organization, URIRef(base + "organization/iom")))
    graph.add((member, KG.roleTitle, Literal("Chief \\ of \"Mission\"\n")))
    graph.add((URIRef(base + "person/ana"), RDF.type, KG.Person))
    graph.add((URIRef(base + "person/ana"), RDFS.label, Literal(base + "organization/iom")))
    graph.add((URIRef(base + "person/ana"), SKOS.altLabel, Literal("Ana", lang="es")))
    graph.add((URIRef(base + "person/ana"), SKOS.altLabel, Literal("Ána")))
    graph.add((URIRef(base + "person/literal-type"), RDF.type, Literal(str(KG.Person))))  # a literal is no class
    lines = [line[:-2] for line in sorted(graph.serialize(format="nt").split("\n")) if line]
    from_lines, from_graph = viz.collect(lines), viz.collect(graph)
    assert _as_data(from_lines) == _as_data(from_graph)
    assert base + "person/literal-type" not in from_lines.nodes
    ana = from_lines.nodes[base + "person/ana"]
    assert ana.roles == ['Chief \\ of "Mission"\n, iom'] and ana.label == base + "organization/iom"
    assert ana.alt == ["Ana", "Ána"]


def test_read_graph_gives_what_the_build_lines_give_in_every_format(build_result, tmp_path):
    expected = _as_data(viz.collect(build_result.lines))
    for name in ("graph.ttl", "graph.nt", "graph.jsonld"):
        assert _as_data(viz.collect(viz.read_graph(build_result.files[name]))) == expected, name
    xml = tmp_path / "graph.rdf"  # RDF/XML goes through rdflib
    build_result.graph.serialize(xml, format="xml")
    assert _as_data(viz.collect(viz.read_graph(xml))) == expected
    # Literals keep their lexical form (an Oxigraph store would give a decimal's canonical one).
    budgets = [d for n in viz.collect(viz.read_graph(build_result.files["graph.ttl"])).nodes.values()
               for d in n.details if d[0] == "budgetAmount"]
    assert ["budgetAmount", "103058.00"] in budgets
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .\n", encoding="utf-8")
    with pytest.raises(GraphFileError, match=re.escape(f"{broken}: cannot parse")):
        viz.read_graph(broken)
    with pytest.raises(GraphFileError, match=re.escape(f"{tmp_path / 'gone.nt'}: no such file")):
        viz.read_graph(tmp_path / "gone.nt")


def test_sizes_follow_scores_else_degree(build_result):
    iom = "https://w3id.org/kg/resource/organization/iom"
    by_degree = viz.collect(build_result.graph)
    assert by_degree.size[iom] == max(by_degree.size.values()) == 40.0
    pbf = "https://w3id.org/kg/resource/funding-source/pbf"
    by_score = viz.collect(build_result.graph, scores={pbf: 0.9, iom: 0.1})
    assert by_score.size[pbf] == 40.0 and 10.0 < by_score.size[iom] < 40.0
    assert min(by_score.size.values()) == 10.0


def test_layout_is_deterministic_with_or_without_igraph():
    bench = _bench()
    data = viz.collect(bench.synthetic_graph(300))
    view = viz.plan_views(data, ["graph"])[0]
    members = list(view.nodes)
    assert viz.layout(members, view.edges) == viz.layout(members, view.edges)
    index = {iri: i for i, iri in enumerate(members)}
    pairs = sorted({(index[s], index[o]) for s, _, o in view.edges})
    assert viz._networkx_layout(len(members), pairs) == viz._networkx_layout(len(members), pairs)
    rings = viz._ring_layout(len(members), pairs)
    assert rings == viz._ring_layout(len(members), pairs) and len(set(rings)) == len(members)


def test_unknown_view_kind_names_the_choices(build_result, tmp_path):
    with pytest.raises(viz.VizError, match=r"unknown view kind\(s\) projects; available: graph, project, organization, "
                                           r"department, municipality"):
        viz.render_views(build_result.graph, tmp_path, kinds=["projects"])


def test_cli_viz(build_result, tmp_path, capsys):
    from kg import cli_viz

    parser = argparse.ArgumentParser(prog="kg")
    cli_viz.add_commands(parser.add_subparsers())
    args = parser.parse_args(["viz", "--graph", str(build_result.files["graph.ttl"]), "--out", str(tmp_path)])
    assert args.func(args) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(tmp_path / "views" / "index.html")
    assert err.startswith("Wrote ") and (tmp_path / "views" / "graph.html").is_file()
    missing = tmp_path / "nope.ttl"
    args = parser.parse_args(["viz", "--graph", str(missing), "--out", str(tmp_path)])
    with pytest.raises(GraphFileError, match=re.escape(f"{missing}: no such file; run `kg build` first")):
        args.func(args)


# --- in the browser ------------------------------------------------------------------------------

def test_every_sample_view_draws_offline(sample_views, opened):
    views_dir, paths, views = sample_views
    assert len(paths) > 40
    page = opened(paths[1])
    for path in paths[1:]:
        if path != paths[1]:
            page.goto(path.as_uri())
        view = views[path.name]
        assert page.eval("[kgView.nodes.length, kgView.data.info.length]") == [len(view.nodes)] * 2, path.name
        assert page.eval("kgView.edges.length") == len(view.edges), path.name
        assert page.eval("document.getElementById('kg-title').textContent") == view.title
        page.clean()


def test_index_opens_offline(sample_views, chromium):
    views_dir, _, _ = sample_views
    page = chromium.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:", "about:")) else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto((views_dir / "index.html").as_uri())
    assert page.locator("a").count() > 40 and requests == [] and errors == []
    page.click('a[href="graph.html"]')
    page.wait_for_url("**/graph.html")
    page.wait_for_function("window.kgReady === true")
    assert requests == [] and errors == []
    page.close()


def test_search_finds_a_node_by_label(sample_views, opened):
    page = opened(sample_views[0] / "graph.html")
    page.page.fill("#kg-search", "peacebuilding")
    button = page.page.locator("#kg-results button").first
    assert "United Nations Peacebuilding Fund" in button.text_content()
    button.click()
    node = int(page.eval("document.getElementById('kg-panel').getAttribute('data-node')"))
    assert page.eval(f"kgView.data.info[{node}].label") == "United Nations Peacebuilding Fund"
    assert page.eval("kgView.network.getSelectedNodes()") == [node]
    assert page.page.locator("#kg-panel h2").text_content() == "United Nations Peacebuilding Fund"
    # other labels are searched too, accents ignored, Enter picks the first
    page.page.fill("#kg-search", "PBF")
    assert page.page.locator("#kg-results button").count() >= 1
    page.page.fill("#kg-search", "usulutan este")
    page.page.press("#kg-search", "Enter")
    assert page.page.locator("#kg-panel h2").text_content() == "Usulután Este"
    assert page.eval("kgView.search('zzzz-no-such-name')") == []
    page.clean()


def test_filters_hide_and_show_classes_and_relations(sample_views, opened):
    page = opened(sample_views[0] / "graph.html")
    info = page.eval("kgView.data.info")
    edges = page.eval("kgView.data.edges")
    people = {i for i, n in enumerate(info) if n["cls"] == "Person"}
    assert people
    page.page.locator('#kg-class-filters input[value="Person"]').uncheck()
    shown = set(page.eval("kgView.visibleNodeIds()"))
    assert shown == set(range(len(info))) - people
    assert all(e["from"] not in people and e["to"] not in people
               for e in edges if e["id"] in set(page.eval("kgView.visibleEdgeIds()")))
    assert "of %d nodes" % len(info) in page.page.locator("#kg-count").text_content()
    page.page.locator('#kg-class-filters input[value="Person"]').check()
    assert len(page.eval("kgView.visibleNodeIds()")) == len(info)
    part_of = {e["id"] for e in edges if e["rel"] == "partOf"}
    page.page.locator('#kg-relation-filters input[value="partOf"]').uncheck()
    assert set(page.eval("kgView.visibleEdgeIds()")) == {e["id"] for e in edges} - part_of
    assert len(page.eval("kgView.visibleNodeIds()")) == len(info)
    page.page.locator('#kg-relation-filters input[value="partOf"]').check()
    assert len(page.eval("kgView.visibleEdgeIds()")) == len(edges)
    # the legend names every class and relation drawn, with its count
    legend = page.page.locator("#kg-filters").text_content()
    for name in ("Organization", "Person", "Project", "Funding source", "Municipality", "Department", "Country",
                 "funds", "implements", "benefits", "affiliated with", "sub-organization of", "part of"):
        assert name in legend, name
    page.clean()


def test_click_highlights_the_neighbourhood_and_shows_evidence(sample_views, opened):
    page = opened(sample_views[0] / "project-peace-post-conflict-generation.html")
    info = page.eval("kgView.data.info")
    edges = page.eval("kgView.data.edges")
    focus = page.eval("kgView.data.focus")
    assert info[focus]["label"] == "UN Peace for the Post-Conflict Generation Programme"
    page.eval("kgView.clear()")
    # hovering shows our tooltip, built from text
    page.page.mouse.move(*page.point(focus))
    page.page.wait_for_selector("#kg-tooltip:not([hidden])")
    assert "UN Peace for the Post-Conflict Generation Programme" in page.page.locator("#kg-tooltip").text_content()
    page.page.mouse.click(*page.point(focus))
    assert page.eval("kgView.network.getSelectedNodes()") == [focus]
    expected = {focus} | {e["to"] for e in edges if e["from"] == focus} | {e["from"] for e in edges if e["to"] == focus}
    assert set(page.eval("kgView.highlighted()")) == expected and len(expected) > 3
    others = [i for i in range(len(info)) if i not in expected]
    if others:
        assert page.eval(f"kgView.network.body.nodes[{others[0]}].options.opacity") < 0.5
    assert page.eval(f"kgView.network.body.nodes[{focus}].options.opacity") == 1
    panel = page.page.locator("#kg-panel")
    assert panel.is_visible()
    text = panel.text_content()
    assert "Evidence" in text and "IOM to Support Migrant Entrepreneurs Returned to El Salvador" in text
    assert "financed by the United Nation\u2019s Peacebuilding Fund (PBF)" in text
    # clicking empty canvas clears the highlight
    page.page.mouse.click(*page.eval("(() => { const r = document.getElementById('kg-network').getBoundingClientRect(); "
                                     "return [r.left + 3, r.bottom - 3]; })()"))
    assert page.eval("kgView.highlighted()") == [] and not panel.is_visible()
    page.clean()


def _poke(page: Opened, nodes: list[int] | None = None) -> None:
    """Hover and click nodes (all by default; the panel closed in between so that it hides none), then search for markup."""
    for node in range(page.eval("kgView.nodes.length")) if nodes is None else nodes:
        page.eval("kgView.clear()")
        x, y = page.point(node)
        page.page.mouse.move(x, y)
        page.page.mouse.click(x, y)
        page.eval(f"kgView.select({node})")
    for query in ("<script", "<img", "onerror", "<svg", '">'):
        page.page.fill("#kg-search", query)
        if page.page.locator("#kg-results button").count():
            page.page.locator("#kg-results button").first.click()


def _open_all(opened, paths: list[Path]) -> Opened:
    """Every page in one tab: all nodes poked on the whole graph, the focus node on the others."""
    page = opened(paths[1])
    for path in paths[1:]:
        if path != paths[1]:
            page.goto(path.as_uri())
        focus = page.eval("kgView.data.focus")
        _poke(page, None if focus is None else [focus])
        page.clean()
    return page


def test_hostile_release_cannot_run_script(extractor, opened, tmp_path):
    from kg import pipeline

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "hostile.txt").write_text(HOSTILE_RELEASE, encoding="utf-8")
    result = pipeline.run([docs], out_dir=tmp_path / "out", extractor=extractor, progress=False, validate=False)
    labels = [str(o) for o in result.graph.objects(None, RDFS.label)]
    assert any("<script>" in label for label in labels) and any("onerror" in label for label in labels), labels
    assert any("<script>" in str(o) for o in result.graph.objects(None, DCTERMS.title))
    paths = viz.render_views(result.graph, tmp_path / "out")
    assert len(paths) > 10
    for path in paths:
        assert "<script>window" not in path.read_text(encoding="utf-8")
    page = _open_all(opened, paths)
    page.goto(paths[1].as_uri())
    hostile = [i for i, n in enumerate(page.eval("kgView.data.info")) if "<script>" in n["label"]]
    page.eval(f"kgView.select({hostile[0]})")
    assert "Safe <script>window.__pwned=1</script> Return" in page.page.locator("#kg-panel h2").text_content()
    page.clean()


def _hostile_graph() -> Graph:
    """Markup in every field a view shows: labels, other labels, roles, details, titles, sentences."""
    g = Graph()
    base = "https://w3id.org/kg/resource/"
    doc = URIRef(base + "document/hostile")
    g.add((doc, RDF.type, KG.Document))
    g.add((doc, DCTERMS.title, Literal(PAYLOADS[3] + " title")))
    entities = {}
    for k, cls in enumerate(("Organization", "Person", "Project", "FundingSource", "Department", "Municipality")):
        iri = URIRef(f"{base}{cls.lower()}/x{k}")
        entities[cls] = iri
        g.add((iri, RDF.type, getattr(KG, cls)))
        g.add((iri, RDFS.label, Literal(f"{cls} {PAYLOADS[k % len(PAYLOADS)]}")))
        g.add((iri, SKOS.prefLabel, Literal(f"{cls} {PAYLOADS[k % len(PAYLOADS)]}")))
        g.add((iri, SKOS.altLabel, Literal(PAYLOADS[(k + 1) % len(PAYLOADS)])))
    g.add((entities["Person"], KG.roleTitle, Literal(PAYLOADS[5])))
    g.add((entities["Project"], KG.status, Literal(PAYLOADS[6])))
    membership = URIRef(base + "membership/m")
    g.add((membership, RDF.type, KG.Membership))
    g.add((membership, ORG.member, entities["Person"]))
    g.add((membership, ORG.organization, entities["Organization"]))
    g.add((membership, KG.roleTitle, Literal(PAYLOADS[7])))
    triples = [("Organization", "implements", "Project"), ("FundingSource", "funds", "Project"),
               ("Project", "benefits", "Municipality"), ("Person", "affiliatedWith", "Organization"),
               ("Municipality", "partOf", "Department")]
    for k, (s, rel, o) in enumerate(triples):
        g.add((entities[s], getattr(KG, rel), entities[o]))
        ev = URIRef(f"{base}evidence/e{k}")
        for p, v in ((RDF.type, KG.Evidence), (RDF.subject, entities[s]), (RDF.predicate, getattr(KG, rel)),
                     (RDF.object, entities[o]), (KG.sentence, Literal(" ".join(PAYLOADS))), (KG.evidenceDocument, doc)):
            g.add((ev, p, v))
    return g


def test_markup_in_every_field_is_shown_as_text(opened, tmp_path):
    paths = viz.render_views(_hostile_graph(), tmp_path)
    assert [p.name for p in paths] == ["index.html", "graph.html", "project-x2.html", "organization-x0.html",
                                       "department-x4.html", "municipality-x5.html"]
    index = paths[0].read_text(encoding="utf-8")
    assert "<script>window" not in index and "&lt;script&gt;" in index
    page = _open_all(opened, paths)
    page.goto(paths[1].as_uri())
    info = page.eval("kgView.data.info")
    for node, item in enumerate(info):
        page.eval(f"kgView.select({node})")
        panel = page.page.locator("#kg-panel").text_content()
        assert item["label"] in panel and all(a in panel for a in item["alt"])
    assert PAYLOADS[3] + " title" in page.page.locator("#kg-panel").text_content()
    assert page.eval("document.title") == "Whole graph"
    page.clean()


def test_show_embeds_a_self_contained_page(build_result, sample_views, chromium):
    pytest.importorskip("IPython")
    for shown in (viz.show(build_result.graph, "organization-iom"), viz.show(sample_views[0] / "graph.html")):
        markup = shown.data
        m = re.fullmatch(r'<div class="kg-view"><iframe srcdoc="([^"]*)" style="[^"]*" sandbox="allow-scripts">'
                         r'</iframe></div>', markup)
        assert m, markup[:200]
        page_html = html.unescape(m.group(1))
        assert 'src="lib/' not in page_html and "<script>" in page_html
        page = chromium.new_page()
        requests, errors = [], []
        page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:", "about:")) else None)
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.set_content(f"<!DOCTYPE html><html><body>{markup}</body></html>")
        frame = page.frames[1]
        frame.wait_for_function("window.kgReady === true", timeout=30_000)
        assert frame.evaluate("kgView.nodes.length") > 5
        assert requests == [] and errors == []
        page.close()
    with pytest.raises(viz.VizError, match="unknown view 'organization-nope'; available: "):
        viz.show(build_result.graph, "organization-nope")


def test_a_large_view_is_laid_out_in_advance_and_draws(opened, tmp_path):
    graph = _bench().synthetic_graph(1500)
    paths = viz.render_views(graph, tmp_path, kinds=["graph"])
    payload = _payload(paths[1])
    assert len(payload["nodes"]) > viz.LARGE_VIEW
    assert payload["options"]["physics"]["enabled"] is False
    assert all(isinstance(n["x"], int) and isinstance(n["y"], int) for n in payload["nodes"])
    assert all("label" not in e for e in payload["edges"])
    page = opened(paths[1], timeout=60_000)
    assert page.eval("kgView.nodes.length") == len(payload["nodes"])
    assert page.eval("window.kgDrawnAt") < 30_000
    page.eval("kgView.select(0)")
    assert 0 in page.eval("kgView.highlighted()")
    page.clean()


def test_a_page_carries_at_most_facts_per_node_and_counts_the_rest(opened, tmp_path):
    g = Graph()
    base = "https://w3id.org/kg/resource/"
    org = URIRef(base + "organization/busy")
    g.add((org, RDF.type, KG.Organization))
    g.add((org, RDFS.label, Literal("Busy Agency")))
    doc = URIRef(base + "document/d")
    g.add((doc, DCTERMS.title, Literal("A release")))
    total = viz.FACTS_PER_NODE + 50
    for k in range(total):
        project = URIRef(f"{base}project/p{k:03d}")
        g.add((project, RDF.type, KG.Project))
        g.add((project, RDFS.label, Literal(f"Project {k:03d}")))
        g.add((org, KG.implements, project))
        ev = URIRef(f"{base}evidence/e{k}")
        for p, v in ((RDF.type, KG.Evidence), (RDF.subject, org), (RDF.predicate, KG.implements),
                     (RDF.object, project), (KG.sentence, Literal(f"Busy Agency implements project {k:03d}.")),
                     (KG.evidenceDocument, doc)):
            g.add((ev, p, v))
    facts = viz.collect(g).nodes[str(org)].facts
    assert len(facts) == total
    paths = {p.name: p for p in viz.render_views(g, tmp_path, kinds=["organization", "project"])}

    def busy(page: str) -> dict:
        return next(i for i in _payload(paths[page])["info"] if i["iri"] == str(org))

    # Its own page: the first FACTS_PER_NODE of them.
    assert busy("organization-busy.html")["facts"] == facts[:viz.FACTS_PER_NODE]
    assert busy("organization-busy.html")["factCount"] == total
    # Another page: FACTS_PER_OTHER_NODE, those about the page's nodes first.
    on_project = busy("project-p149.html")
    assert on_project["factCount"] == total and len(on_project["facts"]) == viz.FACTS_PER_OTHER_NODE
    assert on_project["facts"][0][1] == "Project 149" and on_project["facts"][1:] == [
        f for f in facts if f[1] != "Project 149"][:viz.FACTS_PER_OTHER_NODE - 1]
    page = opened(paths["organization-busy.html"])
    page.eval(f"kgView.select({_payload(paths['organization-busy.html'])['focus']})")
    panel = page.page.locator("#kg-panel").text_content()
    assert f"Evidence ({total})" in panel and "50 more not shown (kg explain gives them all)" in panel
    assert page.page.locator("#kg-panel .kg-fact").count() == viz.FACTS_PER_NODE
    page.goto(paths["project-p149.html"].as_uri())
    page.eval(f"kgView.select({[i['iri'] for i in page.eval('kgView.data.info')].index(str(org))})")
    panel = page.page.locator("#kg-panel").text_content()
    assert f"{total - viz.FACTS_PER_OTHER_NODE} more not shown (its own view shows more; " in panel
    assert page.page.locator("#kg-panel .kg-fact").first.text_content().endswith("A release")
    assert "Project 149" in page.page.locator("#kg-panel .kg-fact").first.text_content()
    page.clean()
