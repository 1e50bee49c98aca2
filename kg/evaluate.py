"""Score extraction against hand annotations: precision, recall and F1 per class and per relation.

Gold files (one JSON per document, see eval/README.md) list entities by class and name with aliases,
and relations between those names. A system entity matches a gold entity of the same class when
any of its names (label, other labels) equals any gold name after normalisation.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kg.gazetteer import key
from kg.model import ENTITY_CLASSES, Extraction

SCORED_RELATIONS = ("funds", "implements", "benefits", "affiliatedWith")


def norm(name: str) -> str:
    """Names compare without case, accents, articles, possessives or a trailing project word."""
    text = key(name)
    text = re.sub(r"\b(?:project|programme|program)$", "", text).strip()
    return text


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: "Score") -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn


@dataclass
class Evaluation:
    entities: dict[str, Score] = field(default_factory=lambda: {c: Score() for c in ENTITY_CLASSES})
    relations: dict[str, Score] = field(default_factory=lambda: {r: Score() for r in SCORED_RELATIONS})
    fields_ok: int = 0
    fields_total: int = 0
    errors: list[str] = field(default_factory=list)

    def micro(self, table: dict[str, Score]) -> Score:
        total = Score()
        for s in table.values():
            total.add(s)
        return total

    @property
    def entity_f1(self) -> float:
        return self.micro(self.entities).f1

    @property
    def relation_f1(self) -> float:
        return self.micro(self.relations).f1

    def table(self, title: str) -> str:
        rows = [f"## {title}", "", "| | TP | FP | FN | precision | recall | F1 |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for name, table in (("entities", self.entities), ("relations", self.relations)):
            for label, s in table.items():
                rows.append(f"| {label} | {s.tp} | {s.fp} | {s.fn} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} |")
            m = self.micro(table)
            rows.append(f"| **all {name}** | {m.tp} | {m.fp} | {m.fn} | {m.precision:.3f} | {m.recall:.3f} | **{m.f1:.3f}** |")
        if self.fields_total:
            rows.append(f"\nProject-page fields on the project node: {self.fields_ok}/{self.fields_total}.")
        return "\n".join(rows) + "\n"


def load_gold(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def score_document(gold: dict, extraction: Extraction, ev: Evaluation) -> None:
    """Add one document's counts to `ev`; mismatches go to `ev.errors`."""
    doc = extraction.document
    keys_in_doc = {e.key for e in extraction.entities if e.mentions}
    keys_in_doc |= {s.subject for s in extraction.statements if s.predicate in SCORED_RELATIONS}
    keys_in_doc |= {s.obj for s in extraction.statements if s.predicate in SCORED_RELATIONS and not s.datatype}
    system = {e.key: e for e in extraction.entities if e.key in keys_in_doc and e.cls in ENTITY_CLASSES}
    gold_entities = [g for g in gold["entities"] if g["class"] in ENTITY_CLASSES]
    gold_names = [{norm(n) for n in [g["name"], *g.get("aliases", [])]} for g in gold_entities]
    match: dict[str, int] = {}  # system key -> gold index
    taken: set[int] = set()
    for k in sorted(system):
        e = system[k]
        names = {norm(n) for n in [e.label, *e.alt_labels]}
        for i, g in enumerate(gold_entities):
            if i not in taken and g["class"] == e.cls and names & gold_names[i]:
                match[k] = i
                taken.add(i)
                break
    for k, e in system.items():
        if k in match:
            ev.entities[e.cls].tp += 1
        else:
            ev.entities[e.cls].fp += 1
            ev.errors.append(f"{doc.source}: extra {e.cls} '{e.label}'")
    for i, g in enumerate(gold_entities):
        if i not in taken:
            ev.entities[g["class"]].fn += 1
            ev.errors.append(f"{doc.source}: missed {g['class']} '{g['name']}'")
    # Relations compare gold indices; an unmatched system entity keeps its own key.
    index = {}
    for i, g in enumerate(gold_entities):
        index.setdefault(g["name"], []).append(i)

    def gold_id(name: str, cls: str | None) -> int | str:
        options = index.get(name, [])
        for i in options:
            if cls is None or gold_entities[i]["class"] == cls:
                return i
        return f"?{name}"

    gold_rel = {(r["predicate"], gold_id(r["subject"], r.get("subject_class")), gold_id(r["object"], r.get("object_class")))
                for r in gold["relations"] if r["predicate"] in SCORED_RELATIONS}
    sys_rel = {(s.predicate, match.get(s.subject, s.subject), match.get(s.obj, s.obj))
               for s in extraction.statements if s.predicate in SCORED_RELATIONS and not s.datatype}
    label = {i: g["name"] for i, g in enumerate(gold_entities)}
    label.update({k: e.label for k, e in system.items() if k not in match})
    for rel in SCORED_RELATIONS:
        g = {r for r in gold_rel if r[0] == rel}
        s = {r for r in sys_rel if r[0] == rel}
        ev.relations[rel].tp += len(g & s)
        ev.relations[rel].fp += len(s - g)
        ev.relations[rel].fn += len(g - s)
        for r in sorted(s - g, key=str):
            ev.errors.append(f"{doc.source}: extra {rel}: {label.get(r[1], r[1])} -> {label.get(r[2], r[2])}")
        for r in sorted(g - s, key=str):
            ev.errors.append(f"{doc.source}: missed {rel}: {label.get(r[1], r[1])} -> {label.get(r[2], r[2])}")
    _score_fields(gold, extraction, match, gold_entities, ev)


def _score_fields(gold: dict, extraction: Extraction, match: dict, gold_entities: list, ev: Evaluation) -> None:
    names = {g["name"]: i for i, g in enumerate(gold_entities)}
    by_gold = {i: k for k, i in match.items()}
    wanted = {"budget": "budgetAmount", "currency": "currency", "start": "startDate", "end": "endDate", "status": "status"}
    for project, fields in gold.get("project_fields", {}).items():
        k = by_gold.get(names.get(project, -1))
        values: dict[str, set[str]] = {}
        for s in extraction.statements:
            if s.subject == k and s.datatype:
                values.setdefault(s.predicate, set()).add(s.obj)
        for field_name, predicate in wanted.items():
            if field_name in fields:
                ev.fields_total += 1
                if str(fields[field_name]) in values.get(predicate, set()):
                    ev.fields_ok += 1
        for identifier in fields.get("identifiers", []):
            ev.fields_total += 1
            ev.fields_ok += identifier in values.get("identifier", set())


def evaluate(gold_dir: Path, doc_dirs: Iterable[Path], extractor=None) -> dict[str, Evaluation]:
    """Evaluations keyed "samples" (the five bundled documents) and "eval" (the written ones), plus "all"."""
    from kg.extract import Extractor
    from kg.ingest import read_documents

    extractor = extractor or Extractor()
    docs = {}
    for item in read_documents(list(doc_dirs)):
        if hasattr(item, "text"):
            docs[Path(item.source).stem] = item
    results = {"samples": Evaluation(), "eval": Evaluation(), "all": Evaluation()}
    golds = sorted(gold_dir.glob("*.json"))
    wanted = [(g, docs[g.stem]) for g in golds if g.stem in docs]
    missing = [g.stem for g in golds if g.stem not in docs]
    for (gold_path, _doc), extraction in zip(wanted, extractor.extract_all([d for _, d in wanted])):
        gold = load_gold(gold_path)
        part = "eval" if gold_path.stem.startswith("e") else "samples"
        score_document(gold, extraction, results[part])
        score_document(gold, extraction, results["all"])
    for name in missing:
        results["all"].errors.append(f"no document for gold file {name}.json")
    return results
