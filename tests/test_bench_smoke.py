"""Each benchmark runs on tiny sizes and returns rows with the expected keys (no timing is asserted)."""

from __future__ import annotations

import shutil

import pytest

from benchmarks import __main__ as suite
from benchmarks import bench_build, bench_centrality, bench_queries
from kg.query import Catalogue, read_query, run_query
from tests.conftest import require

QUERY_KEYS = {"query", "size", "triples", "rows", "kg_query_s", "kept_s", "in_process_s", "rdflib_s", "rdflib_rows",
              "rdflib_error", "rdflib_timeout_s", "speedup", "generate_s", "store_build_s", "rdflib_parse_s"}


def check_suite_rows(rows: list[dict]) -> None:
    assert rows and all(set(r) == {"section", "measure", "value", "notes"} for r in rows)
    text = suite.table(rows)
    assert text.splitlines()[0].split() == ["|", "section", "|", "measure", "|", "value", "|", "notes", "|"]
    assert len(text.splitlines()) == len(rows) + 2


def test_every_shipped_query_returns_rows_on_the_synthetic_graph(tmp_path):
    info = bench_queries.synthetic_graph(2000, tmp_path / "graph.nt")
    assert info["triples"] >= 2000 and info["documents"] >= 4
    bench_queries.synthetic_graph(2000, tmp_path / "again.nt")
    assert (tmp_path / "graph.nt").read_bytes() == (tmp_path / "again.nt").read_bytes()
    for query in Catalogue().queries:
        assert len(run_query(query, bench_queries.required_params(query, info["samples"]), graph=info["path"])), \
            query.name


def test_required_parameters_are_filled_from_the_graph(tmp_path):
    path = tmp_path / "q.rq"
    path.write_text("#+ summary: test\n#+ params:\n#+   - {name: project, type: iri, required: true}\n"
                    "#+   - {name: measure, type: string, required: true}\n"
                    "#+   - {name: year, type: year}\nSELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    info = bench_queries.synthetic_graph(500, tmp_path / "graph.nt")
    params = bench_queries.required_params(read_query(path), info["samples"])
    assert params == {"project": info["samples"]["Project"], "measure": "returnees"}


def test_bench_queries(tmp_path):
    rows = bench_queries.run((2000,), queries=("01-funders", "12-actor-network"), repeats=1, timeout=60)
    assert [r["query"] for r in rows] == ["01-funders", "12-actor-network"]
    for r in rows:
        assert set(r) == QUERY_KEYS
        assert r["rows"] and r["rows"] == r["rdflib_rows"], "both engines give the same number of rows"
        assert r["kg_query_s"] > 0 and r["in_process_s"] > 0 and r["rdflib_s"] > 0 and r["speedup"].endswith("x")
        assert r["kept_s"] > 0
    assert "| 01-funders" in bench_queries.table(rows)
    check_suite_rows(suite.query_rows(rows, {"python": 0.02, "kg": 1.0}))


def test_bench_queries_reports_rdflib_timeouts_and_errors():
    (slow,) = rows = bench_queries.run((2000,), queries=("13-co-mentions",), repeats=1, timeout=0.05)
    assert slow["rdflib_s"] is None and slow["rdflib_rows"] is None and slow["speedup"].startswith("> ")
    assert "> 0.05 s" in bench_queries.table(rows)
    # rdflib 7 raises on GROUP_CONCAT over a group where the variable is never bound (09's identifiers).
    (failing,) = rows = bench_queries.run((2000,), queries=("09-project-timeline",), repeats=1)
    assert failing["rdflib_error"].startswith("NotBoundError") and failing["speedup"] == "n/a"
    assert "error (NotBoundError)" in bench_queries.table(rows)


def test_bench_build():
    rows = bench_build.run(10, workers=1)
    assert len(rows) == 15 and all(set(r) == {"measure", "value", "rate"} for r in rows)
    per_doc = {r["measure"]: r for r in rows if r["measure"].startswith("per document")}
    assert len(per_doc) == 6 and all(r["value"].endswith(" ms") for r in per_doc.values())
    model = next(r for name, r in per_doc.items() if name.startswith("per document, one process: spaCy NER"))
    assert float(model["value"][:-3]) > 0 and "(9 docs)" in model["measure"]  # one of the ten was removed
    stages = {r["measure"]: r["rate"] for r in rows if "stages" in r["measure"]}
    assert set(stages) == {"build stages (kg build --timings)", "rebuild stages (kg build --timings)",
                           "its stages (kg build --timings)"}
    assert all("extract" in v for v in stages.values())
    assert "extract" in stages["build stages (kg build --timings)"] and "analyze" in stages["build stages (kg build --timings)"]
    check_suite_rows(suite.build_rows(rows))


def test_bench_centrality():
    rows = bench_centrality.run((500,))
    assert [r["nodes"] for r in rows] == [500] or 450 <= rows[0]["nodes"] <= 550
    assert set(rows[0]) == {"nodes", "edges", "average_degree", "backend", "betweenness_sources", "communities",
                            "generate_s", "measure_s"}
    check_suite_rows(suite.centrality_rows(rows))


def test_bench_views():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require(False, "playwright for Python (pip install playwright)")
    require(shutil.which("chromium") or shutil.which("chromium-browser"), "chromium (apt-get install chromium)")
    from benchmarks import bench_views

    rows = bench_views.run((100,))
    assert set(rows[0]) == {"nodes", "edges", "shown", "render_s", "page_kb", "first_draw_s", "in_page_ms",
                            "highlight_ms"}
    check_suite_rows(suite.views_rows(rows))


def test_suite_arguments():
    with pytest.raises(SystemExit):
        suite.main(["--only", "nothing"])
