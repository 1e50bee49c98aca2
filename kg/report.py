"""report.md: what a build read, skipped and produced, and whether the graph validates."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kg.pipeline import BuildResult


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def build_report(result: "BuildResult") -> str:
    lines = ["# kg build report", ""]
    lines += [f"Input: {', '.join(_cell(p) for p in result.inputs)}", ""]
    lines += [f"Documents read: {len(result.summaries)}; skipped: {len(result.skipped)}; "
              f"triples: {result.triple_count}.", ""]
    lines += ["## Entities by class", "", "| class | count |", "| --- | ---: |"]
    lines += [f"| {cls} | {n} |" for cls, n in result.class_counts.items()]
    lines += ["", "## Relations", "", "| relation | count |", "| --- | ---: |"]
    lines += [f"| {rel} | {n} |" for rel, n in result.relation_counts.items()]
    lines += ["", "## Documents", "", "| document | title | kind | sentences | entities | statements |",
              "| --- | --- | --- | ---: | ---: | ---: |"]
    for d in sorted(result.summaries, key=lambda d: d.source):
        lines.append(f"| {_cell(d.source)} | {_cell(d.title)} | {d.kind} | {d.sentences} | {d.mentioned} | {d.statements} |")
    if result.who_matters:
        lines += ["", result.who_matters.strip()]
    warned = [(d.source, w) for d in result.summaries for w in d.warnings]
    if warned:
        lines += ["", "## Warnings", "", "| document | warning |", "| --- | --- |"]
        lines += [f"| {_cell(s)} | {_cell(w)} |" for s, w in sorted(warned)]
    lines += ["", "## Skipped", ""]
    if result.skipped:
        lines += ["| file | reason |", "| --- | --- |"]
        lines += [f"| {_cell(s.path)} | {_cell(s.reason)} |" for s in sorted(result.skipped, key=lambda s: s.path)]
    else:
        lines.append("None.")
    if result.notes:
        lines += ["", "## Notes", ""] + [f"- {_cell(n)}" for n in result.notes]
    lines += ["", "## Validation", ""]
    v = result.validation
    if v is None:
        lines.append("Not run.")
    else:
        lines.append(v.summary() + ".")
        if v.shacl_report:
            lines += ["", "```", v.shacl_report.strip()[:20000], "```"]
    return "\n".join(lines) + "\n"
