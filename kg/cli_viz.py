"""`kg viz`: interactive HTML views of a graph (registered on the `kg` command by `add_commands`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kg.settings import Settings


def add_commands(sub) -> None:
    """Register `kg viz` on the argparse sub-parsers object `sub`."""
    viz = sub.add_parser("viz", help="interactive HTML views of the graph (whole graph, projects, organizations, places)")
    viz.add_argument("--graph", metavar="FILE", help="graph file (default: OUT/graph.ttl)")
    viz.add_argument("--out", metavar="DIR", help="output folder; pages go to DIR/views (default: out, or KG_OUT_DIR)")
    viz.set_defaults(func=_viz)


def _viz(args: argparse.Namespace) -> int:
    from kg.serialize import file_sha256
    from kg.viz import read_graph, render_views

    settings = Settings.from_env(out_dir=Path(args.out) if args.out else None)
    path = Path(args.graph) if args.graph else settings.out_dir / "graph.ttl"
    try:  # views drawn from these very bytes are left alone, without parsing the graph again
        source = f"{path.suffix.lower()} {file_sha256(path)}"
    except OSError:
        source = None  # read_graph says what is wrong with the file
    paths = render_views(lambda: read_graph(path), settings.out_dir, source=source)
    print(f"Wrote {len(paths) - 1} view(s) and {paths[0]}", file=sys.stderr)
    print(paths[0])
    return 0
