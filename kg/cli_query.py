"""`kg query`, `kg queries` and `kg push`: a thin layer over kg.query and kg.store.

Wire in with `add_commands(sub)` on the argparse sub-parsers of `kg`. Data goes to stdout, messages
to stderr; the library's KGErrors reach the caller (kg.cli turns them into `Error: ...`, exit 1).
"""

from __future__ import annotations

import argparse
import gc
import sys
import textwrap
from pathlib import Path

from kg.errors import KGError
from kg.settings import Settings


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `query`, `queries` and `push` on the `kg` sub-parsers."""
    from kg.query import FORMATS
    from kg.store import DEFAULT_TIMEOUT

    query = sub.add_parser(
        "query", help="run a SPARQL query file on the graph or at a SPARQL endpoint",
        description="Run a query from queries/ (by name: 01-funders, funders, 01) or any .rq file. "
                    "Parameters are bound as values, never pasted into the query text.")
    query.add_argument("query", metavar="QUERY", help="a shipped query's name or number (see `kg queries`), or a .rq file")
    where = query.add_mutually_exclusive_group()
    where.add_argument("--graph", metavar="FILE", help="graph file (default: OUT/graph.ttl); "
                       "a store beside it makes the next query fast")
    where.add_argument("--endpoint", metavar="URL", help="a SPARQL endpoint instead of a graph file "
                       "(credentials: KG_STORE_USER/KG_STORE_PASSWORD or KG_STORE_TOKEN)")
    query.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE",
                       help="a parameter of the query (repeatable); IRIs may use kgr: and kg: prefixes")
    query.add_argument("--format", "-f", choices=FORMATS, default="table",
                       help="output of SELECT/ASK results (default: table); CONSTRUCT/DESCRIBE give Turtle")
    query.add_argument("--allow-update", action="store_true",
                       help="run a SPARQL Update (on a graph file: on an in-memory copy, printed as Turtle)")
    query.add_argument("--allow-service", action="store_true", help="let the query call other endpoints (SERVICE)")
    query.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                       help=f"seconds to wait for an endpoint (default: {DEFAULT_TIMEOUT:g})")
    query.add_argument("--fresh", action="store_true",
                       help="run the query on the store again instead of printing the answer kept from the same "
                            "call on the same graph content (answers are kept beside the store; see kg.answers)")
    query.set_defaults(func=_query)

    queries = sub.add_parser("queries", help="list the shipped queries with their summaries and parameters")
    queries.set_defaults(func=_queries)

    push = sub.add_parser(
        "push", help="upload the graph to a SPARQL store (Graph Store Protocol; the graph is replaced at once)")
    push.add_argument("--store", required=True, metavar="URL",
                      help="Graph Store endpoint, e.g. http://127.0.0.1:7878/store (credentials: "
                           "KG_STORE_USER/KG_STORE_PASSWORD or KG_STORE_TOKEN)")
    push.add_argument("--graph", metavar="FILE", help="graph file (default: OUT/graph.ttl)")
    push.add_argument("--graph-iri", metavar="IRI", help="replace this named graph (default: the default graph)")
    push.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                      help=f"seconds to wait for the server per try (default: {DEFAULT_TIMEOUT:g})")
    push.add_argument("--batch-size", metavar="SIZE", default="2G",
                      help="files larger than this go in batches into a temporary graph that one SPARQL Update "
                      "MOVE swaps in (default: 2G, i.e. one PUT; on Oxigraph a MOVE of 1M triples took 357 s against 50 s for a PUT)")
    push.add_argument("--update-url", metavar="URL", help="SPARQL Update endpoint for the MOVE of a batched push "
                      "(default: the store URL with /store replaced by /update, as Oxigraph serves it)")
    push.set_defaults(func=_push)


def _default_graph(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    path = Settings.from_env().out_dir / "graph.ttl"
    if not path.exists():
        raise KGError(f"{path}: no graph yet; run `kg build` first, or pass --graph FILE or --endpoint URL")
    return path


def _params(items: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise KGError(f"--param needs NAME=VALUE, got '{item}'")
        params[name.strip()] = value
    return params


def _query(args: argparse.Namespace) -> int:
    from kg import answers
    from kg.query import find_query, format_result, prepare, run_local, run_remote

    query = find_query(args.query)  # an unknown name is reported before a missing graph
    graph = None if args.endpoint else _default_graph(args.graph)
    form, text = prepare(query, _params(args.param), allow_update=args.allow_update, allow_service=args.allow_service)
    slot = answers.slot(graph, form, text, args.format) if graph is not None else None
    answer = None if args.fresh else answers.recall(slot)
    if answer is None:
        # The rows are made as tuples that all live until they are printed: the cyclic garbage collector would
        # only walk them again and again meanwhile (12-actor-network at 1M triples: ~0.3 s of a 3.8 s call).
        collecting = gc.isenabled()
        gc.disable()
        try:
            if graph is None:
                result = run_remote(text, form, args.endpoint, timeout=args.timeout)
            else:
                result = run_local(text, form, graph, source=str(query.path))
            if result.message:
                print(result.message, file=sys.stderr)
            if result.kind == "update":
                return 0
            answer = answers.Answer(format_result(result, args.format), result.kind, len(result))
        finally:
            if collecting:
                gc.enable()
        answers.keep(slot, answer, graph, form, text, args.format)
    sys.stdout.write(answer.text)
    if answer.kind == "select" and not answer.count:
        print("Warning: the query returned no rows", file=sys.stderr)
    return 0


def _queries(args: argparse.Namespace) -> int:
    from kg.query import Catalogue

    catalogue = Catalogue()
    for q in catalogue.queries:
        print(f"{q.name}  {q.summary}")
        for p in q.params:
            print(textwrap.fill(f"--param {p.name}=…  {p.type}, {'required' if p.required else 'optional'}"
                                f"{': ' + p.description if p.description else ''}",
                                width=100, initial_indent="    ", subsequent_indent="        ",
                                break_on_hyphens=False, break_long_words=False))
    print(f"\n{len(catalogue.queries)} queries in {catalogue.folder}; run one with `kg query NAME`", file=sys.stderr)
    return 0


def _push(args: argparse.Namespace) -> int:
    from kg.store import parse_size, push

    graph = _default_graph(args.graph)
    result = push(graph, args.store, graph_iri=args.graph_iri, timeout=args.timeout,
                  batch_bytes=parse_size(args.batch_size), update_url=args.update_url)
    target = f"named graph <{args.graph_iri}>" if args.graph_iri else "default graph"
    if result.batches:
        tries = f" in {result.batches} batches and one MOVE"
    else:
        tries = f" after {result.tries} tries" if result.tries > 1 else ""
    print(f"Pushed {graph} ({result.bytes:,} bytes) to the {target} at {args.store}: HTTP {result.status}"
          f"{tries}, {result.seconds:.2f} s", file=sys.stderr)
    return 0
