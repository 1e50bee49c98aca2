"""The whole benchmark suite, one table: `python -m benchmarks [--quick] [--docs N] [--only SECTION ...]`.

Sections, in order: build (benchmarks/bench_build.py: N synthetic releases, default 10,000), queries
(bench_queries.py: every shipped query at 100k and 1M triples), centrality (bench_centrality.py: 10k and
100k nodes), views (bench_views.py: first draw of 1k and 5k nodes in headless Chromium). `--quick`: 200
documents, queries at 100k, centrality at 10k, views at 1k. Progress goes to stderr, the table to stdout.
Run it on a quiet machine: the load average at start and end is printed under the table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECTIONS = ("build", "queries", "centrality", "views")
FULL = {"docs": 10_000, "queries": (100_000, 1_000_000), "centrality": (10_000, 100_000), "views": (1000, 5000)}
QUICK = {"docs": 200, "queries": (100_000,), "centrality": (10_000,), "views": (1000,)}


def build_rows(rows: list[dict]) -> list[dict]:
    return [{"section": "build", "measure": r["measure"], "value": r["value"], "notes": r["rate"]} for r in rows]


def query_rows(rows: list[dict], start: dict[str, float] | None = None) -> list[dict]:
    from benchmarks.bench_queries import CLI_TIMEOUT, _seconds, rdflib_cell

    out = []
    if start:
        out.append({"section": "queries", "measure": "process start: kg --version", "value": f"{start['kg']:.3f} s",
                    "notes": f"python -c pass {start['python']:.3f} s; the floor under every kg query call"})
    for size in dict.fromkeys(r["size"] for r in rows):
        first = next(r for r in rows if r["size"] == size)
        parse = f"; rdflib parse {first['rdflib_parse_s']:.1f} s" if first["rdflib_parse_s"] is not None else ""
        out.append({"section": "queries", "measure": f"{first['triples']:,} triples: store built once",
                    "value": f"{first['store_build_s']:.1f} s",
                    "notes": f"graph generated in {first['generate_s']:.1f} s{parse}"})
        for r in (r for r in rows if r["size"] == size):
            rdflib = rdflib_cell(r)
            rows_note = "" if r["rows"] is None else f"; {r['rows']:,} rows"
            out.append({"section": "queries", "measure": f"{r['query']} @ {r['triples']:,}: kg query call",
                        "value": _seconds(r["kg_query_s"], CLI_TIMEOUT),
                        "notes": f"answer kept {_seconds(r['kept_s'], CLI_TIMEOUT)}; "
                                 f"in-process {_seconds(r['in_process_s'], CLI_TIMEOUT)}; rdflib {rdflib}; "
                                 f"speed-up {r['speedup'] or 'n/a'}{rows_note}"})
    return out


def centrality_rows(rows: list[dict]) -> list[dict]:
    return [{"section": "centrality", "measure": f"all measures, {r['nodes']:,} nodes / {r['edges']:,} edges",
             "value": f"{r['measure_s']:.2f} s",
             "notes": f"{r['backend']}; betweenness from {r['betweenness_sources']:,} sources; "
                      f"{r['communities']:,} communities"} for r in rows]


def views_rows(rows: list[dict]) -> list[dict]:
    return [{"section": "views", "measure": f"whole-graph view, {r['nodes']:,} nodes: first draw",
             "value": f"{r['first_draw_s']:.2f} s",
             "notes": f"render {r['render_s']:.2f} s; page {r['page_kb']:,} KiB; in page {r['in_page_ms']:,} ms; "
                      f"highlight {r['highlight_ms']:,} ms"} for r in rows]


def table(rows: list[dict]) -> str:
    """One Markdown table: section, measure, value, notes."""
    head = {"section": "section", "measure": "measure", "value": "value", "notes": "notes"}
    keys = list(head)
    widths = {k: max(len(str(r[k])) for r in [head, *rows]) for k in keys}
    lines = ["| " + " | ".join(head[k].ljust(widths[k]) for k in keys) + " |",
             "| " + " | ".join("-" * (widths[k] - 1) + ":" if k == "value" else "-" * widths[k] for k in keys) + " |"]
    lines += ["| " + " | ".join(str(r[k]).rjust(widths[k]) if k == "value" else str(r[k]).ljust(widths[k])
                                for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def _views(sizes: tuple[int, ...]) -> list[dict]:
    try:
        from playwright.sync_api import Error as PlaywrightError
    except ImportError:
        return [{"section": "views", "measure": "whole-graph view", "value": "skipped",
                 "notes": "playwright for Python is not installed (pip install playwright)"}]
    from benchmarks import bench_views

    try:
        return views_rows(bench_views.run(sizes))
    except PlaywrightError as exc:
        return [{"section": "views", "measure": "whole-graph view", "value": "skipped",
                 "notes": f"Chromium did not start or draw: {str(exc).splitlines()[0]}"}]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 docs; queries at 100k; centrality at 10k; "
                        "views at 1k")
    parser.add_argument("--docs", type=int, metavar="N", help="documents for the build benchmark (default: 10,000, "
                        "or 200 with --quick)")
    parser.add_argument("--workers", type=int, metavar="N", help="extraction processes (default: all cores)")
    parser.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION",
                        help=f"run only this section (repeatable): {', '.join(SECTIONS)}")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    sections = args.only or list(SECTIONS)
    load_before = os.getloadavg()
    started = time.perf_counter()
    rows: list[dict] = []

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    def report(section: list[dict]) -> list[dict]:
        """A finished section's rows, also shown at once on stderr (a later section may fail)."""
        print(table(section), file=sys.stderr, flush=True)
        return section

    if "build" in sections:
        from benchmarks import bench_build

        docs = args.docs or plan["docs"]
        say(f"build: {docs} synthetic documents")
        rows += report(build_rows(bench_build.run(docs, args.workers)))
    if "queries" in sections:
        from benchmarks import bench_queries

        say(f"queries: {', '.join(f'{s:,}' for s in plan['queries'])} triples")
        start = bench_queries.process_start()
        rows += report(query_rows(bench_queries.run(plan["queries"], progress=True), start))
    if "centrality" in sections:
        from benchmarks import bench_centrality

        say(f"centrality: {', '.join(f'{s:,}' for s in plan['centrality'])} nodes")
        rows += report(centrality_rows(bench_centrality.run(plan["centrality"])))
    if "views" in sections:
        say(f"views: {', '.join(f'{s:,}' for s in plan['views'])} nodes")
        rows += report(_views(plan["views"]))
    say("done")
    load_after = os.getloadavg()
    print(table(rows))
    print(f"\n{os.cpu_count()} cores; load average (1, 5, 15 min) {', '.join(f'{x:.2f}' for x in load_before)} at "
          f"start, {', '.join(f'{x:.2f}' for x in load_after)} at the end; {time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
