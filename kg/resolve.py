"""One node per real actor across documents: merge per-document entities that share a key."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from kg.model import Entity, Extraction


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


def resolve(extractions: Iterable[Extraction]) -> dict[str, Resolved]:
    """Entities of all extractions merged by key; the label is the most used name (ties: longest, then A-Z)."""
    merged: dict[str, Resolved] = {}
    for extraction in extractions:
        for entity in extraction.entities:
            _merge(merged, entity, extraction.document.id)
    for r in merged.values():
        r.label = sorted(r.label_votes, key=lambda name: (-r.label_votes[name], -len(name), name))[0]
        r.alt_labels.discard(r.label)
        for name in list(r.label_votes):
            if name != r.label:
                r.alt_labels.add(name)
    return merged


def _merge(merged: dict[str, Resolved], entity: Entity, doc_id: str) -> None:
    r = merged.get(entity.key)
    if r is None:
        r = merged[entity.key] = Resolved(key=entity.key, cls=entity.cls, label=entity.label)
    r.label_votes[entity.label] += max(1, len(entity.mentions))
    r.alt_labels.update(a for a in entity.alt_labels if a)
    for name, value in sorted(entity.attributes.items()):
        r.attributes.setdefault(name, value)
    if entity.mentions:
        r.documents.add(doc_id)
