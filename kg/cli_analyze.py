"""`kg analyze` and `kg rank`: who matters in the actor network (a thin layer over kg.analyze)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kg.settings import Settings

FORMATS = ("table", "json", "csv")


def add_commands(sub) -> None:
    """Register `analyze` and `rank` on the `kg` command's sub-parsers."""
    from kg.vocab import ROLES

    analyze = sub.add_parser("analyze", help="centrality, roles and communities of the actor network, as files")
    analyze.add_argument("--graph", metavar="FILE", help="graph file (default: OUT/graph.ttl)")
    analyze.add_argument("--out", metavar="DIR", help="folder for centrality.csv, network.graphml, network.gexf "
                         "and scores.ttl (default: out, or KG_OUT_DIR)")
    analyze.set_defaults(func=run_analyze)

    by = sorted({name for measures in ROLES.values() for name in measures})
    rank = sub.add_parser("rank", help="the top funders, implementers, places that benefit, or brokers")
    rank.add_argument("--role", required=True, choices=list(ROLES), help="funds, implements, benefits or broker")
    rank.add_argument("--by", choices=by, help="what to rank by: funds by projects|amount; implements by projects; "
                      "benefits by projects|funders|amount; broker by score (default: the first)")
    rank.add_argument("--top", type=_positive, default=10, metavar="N", help="how many rows (default: 10)")
    rank.add_argument("--graph", metavar="FILE", help="graph file (default: OUT/graph.ttl)")
    rank.add_argument("--format", choices=FORMATS, default="table", help="table (default), json or csv")
    rank.set_defaults(func=run_rank)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be 1 or more")
    return value


def _graph(args: argparse.Namespace):
    from kg.pipeline import load_graph

    return load_graph(Path(args.graph) if args.graph else Settings.from_env().out_dir / "graph.ttl")


def run_analyze(args: argparse.Namespace) -> int:
    from kg.analyze import analyze, who_matters_section

    out = Path(args.out) if args.out else Settings.from_env().out_dir
    result = analyze(_graph(args), out)
    sys.stdout.write(who_matters_section(result))
    for path in result.files.values():
        print(f"Wrote {path}", file=sys.stderr)
    return 0


def run_rank(args: argparse.Namespace) -> int:
    from kg.analyze import actor_network, measure, rank, ranking_csv, ranking_json, ranking_table

    rows = rank(measure(actor_network(_graph(args))), args.role, args.by, args.top)
    if not rows:
        print(f"Warning: nothing in the graph plays the role '{args.role}'", file=sys.stderr)
    formatters = {"table": ranking_table, "json": ranking_json, "csv": ranking_csv}
    sys.stdout.write(formatters[args.format](rows))
    return 0
