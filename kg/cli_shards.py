"""`kg shards`: per-document N-Quads shards of a corpus (a thin layer over kg.pipeline and kg.shards)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kg.settings import Settings


def add_commands(sub) -> None:
    """Register `kg shards` on the argparse sub-parsers object `sub`."""
    shards = sub.add_parser(
        "shards", help="one N-Quads file per document, its triples in a named graph (the document's IRI)",
        description="Extract the documents and write OUT/shards/<document id>.nq, one named graph per document. "
                    "Bulk-load them all (e.g. `oxigraph load`) for the whole graph in the union of the graphs.")
    shards.add_argument("paths", nargs="*", metavar="PATH", help=".txt, .html/.htm, .md files or folders of them "
                        "(default: the sample corpus)")
    shards.add_argument("--out", metavar="DIR", help="folder for the shards (default: OUT/shards, OUT being "
                        "out or KG_OUT_DIR); shards of documents no longer given are removed")
    shards.add_argument("--workers", type=int, metavar="N", help="extraction processes (default: all cores)")
    shards.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    shards.set_defaults(func=_shards)


def _shards(args: argparse.Namespace) -> int:
    from kg.pipeline import run
    from kg.shards import write_shards

    settings = Settings.from_env()
    out = Path(args.out) if args.out else settings.out_dir / "shards"
    result = run(args.paths or None, settings=settings, validate=False, write=False, views=False, analyze=False,
                 workers=args.workers, progress=False if args.quiet else None)
    paths = write_shards(result.extractions, out, settings)
    if not args.quiet:
        for skipped in result.skipped:
            print(f"Skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
        print(f"Wrote {len(paths)} shard{'s' if len(paths) != 1 else ''} to {out}", file=sys.stderr)
    return 0
