"""One node per real actor across documents: merge per-document entities that share a key."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from kg.model import Summary


@dataclass
class Resolved:
    """An entity as the whole corpus sees it."""

    key: str
    cls: str
    label: str
    alt_labels: set[str] = field(default_factory=set)
    attributes: dict = field(default_factory=dict)
    documents: set[str] = field(default_factory=set)
    label_votes: Counter = field(default_factory=Counter)


def resolve(summaries: Iterable[Summary], only: set[str] | None = None) -> dict[str, Resolved]:
    """Entities of all documents (their kg.model.Summary, in id order) merged by key; the label is the most used
    name (ties: longest, then A-Z). With `only`, just the entities of those keys (each depends on its own)."""
    merged: dict[str, Resolved] = {}
    for summary in summaries:
        for entity in summary.entities:
            if only is None or entity[0] in only:
                _merge(merged, entity, summary.id)
    for r in merged.values():
        r.label = sorted(r.label_votes, key=lambda name: (-r.label_votes[name], -len(name), name))[0]
        r.alt_labels.discard(r.label)
        for name in list(r.label_votes):
            if name != r.label:
                r.alt_labels.add(name)
    return merged


def _merge(merged: dict[str, Resolved], entity: tuple, doc_id: str) -> None:
    key, cls, label, mentions, alt_labels, attributes = entity
    r = merged.get(key)
    if r is None:
        r = merged[key] = Resolved(key=key, cls=cls, label=label)
    r.label_votes[label] += max(1, mentions)
    r.alt_labels.update(a for a in alt_labels if a)
    for name, value in sorted(attributes.items()):
        r.attributes.setdefault(name, value)
    if mentions:
        r.documents.add(doc_id)
