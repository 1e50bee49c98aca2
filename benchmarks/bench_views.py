"""Time to first draw of the whole-graph view in headless Chromium, on synthetic graphs of 1,000 and 5,000 entities.

    PYTHONPATH=. python benchmarks/bench_views.py [SIZE ...]

Needs Debian's chromium (/usr/bin/chromium) and Playwright for Python (no `playwright install`).
Each size: build a synthetic graph shaped like kg's (organizations, people, projects, funds, places, with one
evidence record per relation), render the whole-graph view, open it from disk and wait for the page's
`window.kgReady` (set on vis-network's first "afterDrawing"); then click the best-connected node and time the
neighbourhood highlight.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from kg.ontology import KG

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
BASE = "https://w3id.org/kg/resource/"
# share of entities per class, roughly as in built corpora
MIX = (("Organization", 0.35), ("Person", 0.25), ("Project", 0.15), ("FundingSource", 0.05),
       ("Municipality", 0.15), ("Department", 0.05))


def synthetic_graph(n: int, seed: int = 1) -> Graph:
    """A kg-shaped graph with about `n` entities and ~1.7 relations per entity, each relation with evidence."""
    rng = random.Random(seed)
    g = Graph()
    ids: dict[str, list[URIRef]] = {}
    for cls, share in MIX:
        slug = "funding-source" if cls == "FundingSource" else cls.lower()
        ids[cls] = [URIRef(f"{BASE}{slug}/{cls.lower()}-{i:05d}") for i in range(max(1, round(n * share)))]
        for k, iri in enumerate(ids[cls]):
            g.add((iri, RDF.type, getattr(KG, cls)))
            g.add((iri, RDFS.label, Literal(f"{cls} {k}")))
            g.add((iri, SKOS.prefLabel, Literal(f"{cls} {k}")))
    doc = URIRef(f"{BASE}document/synthetic")
    g.add((doc, RDF.type, KG.Document))
    g.add((doc, DCTERMS.title, Literal("A synthetic release")))
    orgs, people, projects = ids["Organization"], ids["Person"], ids["Project"]
    funders = orgs[: max(1, len(orgs) // 5)] + ids["FundingSource"]
    places = ids["Municipality"] + ids["Department"]

    def relate(s, rel, o, k):
        g.add((s, getattr(KG, rel), o))
        ev = URIRef(f"{BASE}evidence/{rel}-{k}")
        g.add((ev, RDF.type, KG.Evidence))
        g.add((ev, RDF.subject, s))
        g.add((ev, RDF.predicate, getattr(KG, rel)))
        g.add((ev, RDF.object, o))
        g.add((ev, KG.sentence, Literal(f"Sentence {k} says that {s.rsplit('/', 1)[-1]} {rel} {o.rsplit('/', 1)[-1]}.")))
        g.add((ev, KG.evidenceDocument, doc))

    k = 0
    for p in projects:
        for rel, pool, count in (("funds", funders, 1), ("implements", orgs, 2)):
            for s in rng.sample(pool, min(count, len(pool))):
                relate(s, rel, p, k := k + 1)
        for o in rng.sample(places, min(2, len(places))):
            relate(p, "benefits", o, k := k + 1)
    for person in people:
        relate(person, "affiliatedWith", rng.choice(orgs), k := k + 1)
    for org in orgs[len(orgs) // 5:]:
        if rng.random() < 0.3:
            relate(org, "subOrganizationOf", rng.choice(orgs[: len(orgs) // 5] or orgs), k := k + 1)
    for m in ids["Municipality"]:
        relate(m, "partOf", rng.choice(ids["Department"]), k := k + 1)
    return g


def run(sizes=(1000, 5000)) -> list[dict]:
    """One row per size: entities, relations, render seconds, page size, time to first draw, highlight time."""
    from playwright.sync_api import sync_playwright

    from kg.viz import collect, plan_views, render_views

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    rows = []
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as tmp:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            for n in sizes:
                graph = synthetic_graph(n)
                start = time.perf_counter()
                paths = render_views(graph, Path(tmp) / str(n), kinds=["graph"])
                render_s = time.perf_counter() - start
                view = plan_views(collect(graph), ["graph"])[0]
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                start = time.perf_counter()
                page.goto(paths[1].as_uri())
                page.wait_for_function("window.kgReady === true", timeout=120_000)
                draw_s = time.perf_counter() - start
                drawn_ms = page.evaluate("window.kgDrawnAt")
                shown = page.evaluate("kgView.nodes.length")
                hub = page.evaluate("""() => { const d = {}; kgView.data.edges.forEach(e => {
                    d[e.from] = (d[e.from] || 0) + 1; d[e.to] = (d[e.to] || 0) + 1; });
                    return Number(Object.keys(d).sort((a, b) => d[b] - d[a] || a - b)[0]); }""")
                highlight_ms = page.evaluate("""(id) => { const t = performance.now(); kgView.select(id);
                    return performance.now() - t; }""", hub)
                page.close()
                rows.append({"nodes": len(view.nodes), "edges": len(view.edges), "shown": shown,
                             "render_s": round(render_s, 2), "page_kb": round(paths[1].stat().st_size / 1024),
                             "first_draw_s": round(draw_s, 2), "in_page_ms": round(drawn_ms),
                             "highlight_ms": round(highlight_ms)})
        finally:
            browser.close()
    return rows


def _layout_engine() -> str:
    try:
        import igraph  # noqa: F401
    except ImportError:
        return "networkx/rings (no igraph)"
    return "igraph Fruchterman-Reingold"


if __name__ == "__main__":
    sizes = tuple(int(a) for a in sys.argv[1:]) or (1000, 5000)
    rows = run(sizes)
    print(f"layout: {_layout_engine()}; physics off; Chromium headless, page opened from disk\n")
    print("| nodes | edges | render (s) | page (KiB) | goto to first draw (s) | first draw in page (ms) | highlight (ms) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['nodes']} | {r['edges']} | {r['render_s']} | {r['page_kb']} | {r['first_draw_s']} "
              f"| {r['in_page_ms']} | {r['highlight_ms']} |")
