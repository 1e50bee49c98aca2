"""Deterministic files: Turtle and JSON-LD with sorted content, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg.ontology import PREFIXES


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, fsync, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are ordinary files
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def turtle(graph: Graph) -> bytes:
    """Turtle with subjects, predicates and objects in sorted order (rdflib sorts; input order is sorted too)."""
    return graph.serialize(format="turtle", encoding="utf-8")


def jsonld(graph: Graph, base_iri: str) -> bytes:
    """JSON-LD (expanded values, compact IRIs through @context), one node per subject, all sorted."""
    context = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
    context["kgr"] = base_iri
    prefixes = sorted(context.items(), key=lambda kv: -len(kv[1]))

    def compact(iri: str) -> str:
        for prefix, ns in prefixes:
            if iri.startswith(ns) and len(iri) > len(ns):
                return f"{prefix}:{iri[len(ns):]}"
        return iri

    nodes: dict[str, dict] = {}
    for s, p, o in graph:
        sid = compact(str(s)) if isinstance(s, URIRef) else f"_:{s}"
        node = nodes.setdefault(sid, {"@id": sid})
        if p == RDF.type:
            node.setdefault("@type", []).append(compact(str(o)))
            continue
        node.setdefault(compact(str(p)), []).append(_value(o, compact))
    out = []
    for sid in sorted(nodes):
        node = nodes[sid]
        ordered = {"@id": sid}
        if "@type" in node:
            ordered["@type"] = sorted(node["@type"])
        for key in sorted(k for k in node if not k.startswith("@")):
            ordered[key] = sorted(node[key], key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
        out.append(ordered)
    doc = {"@context": dict(sorted(context.items())), "@graph": out}
    return (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


def _value(o, compact) -> dict:
    if isinstance(o, URIRef):
        return {"@id": compact(str(o))}
    if isinstance(o, BNode):
        return {"@id": f"_:{o}"}
    assert isinstance(o, Literal)
    value: dict = {"@value": str(o)}
    if o.language:
        value["@language"] = o.language
    elif o.datatype and o.datatype != XSD.string:
        value["@type"] = compact(str(o.datatype))
    return value
