"""The actor network of the last build brought up to date by the lines that went and came since, instead of
being queried again from the whole graph.

`queries/12-actor-network.rq` defines the network, and each part of its answer depends on a few triples:
a node's class, label and money on its own triples and on the kg:Figure records that kg:refersTo it; an
edge on its triple, the classes of its two ends, and the number of kg:Evidence records (with a sentence)
whose rdf:subject, rdf:predicate and rdf:object are its own. So after a change:

- the nodes asked about again (NODES_QUERY, query 12's first two parts asking only about them) are the
  subjects of the lines that went or came that are or were nodes, and what the records among them
  kg:refersTo (before or after);
- an edge that was in the network keeps its evidence count plus what the records that changed add or take
  away (each counted before and after the change from its lines and the store);
- an edge whose triple came, or with an end that became a node, is counted in the store; an edge whose
  triple went, or with an end that is no longer a node, leaves.

NODES_QUERY restates part of query 12; it is used only while query 12 is the text it restates (MIRRORS, a
hash the tests check), so an edited query 12 is always run whole.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from itertools import product

import networkx as nx
import pyoxigraph

from kg.analyze import CLASSES, KINDS, assemble, collect, network_terms
from kg.query import find_query
from kg.vocab import NETWORK_QUERY, PREFIXES

# SHA-256 of the text of queries/12-actor-network.rq that NODES_QUERY restates.
MIRRORS = "7f32b985540910657fa7f473154c67c2b7e61785922be72895a4a0c9b2344ef7"
# Above this many IRIs to ask about, or subjects whose lines changed, the whole query is run instead (it
# reads the whole graph once; a change this large is a new corpus more than an edit).
MAX_AROUND = 2_000
MAX_CHANGED = 20_000

_CLASSES = "kg:Organization kg:Person kg:Project kg:FundingSource kg:Municipality kg:Department kg:Country"

# Query 12's nodes and the money of its projects, asked only about the IRIs written in for AROUND.
NODES_QUERY = f"""PREFIX kg: <{PREFIXES["kg"]}>
PREFIX rdfs: <{PREFIXES["rdfs"]}>
CONSTRUCT {{
  ?node a ?class ;
    rdfs:label ?label .
  ?project kg:amount ?amount ;
    kg:currency ?currency .
}}
WHERE {{
  {{
    VALUES ?node {{ AROUND }}
    VALUES ?class {{ {_CLASSES} }}
    ?node a ?class .
    OPTIONAL {{ ?node rdfs:label ?label }}
  }}
  UNION
  {{
    VALUES ?project {{ AROUND }}
    ?project a kg:Project .
    OPTIONAL {{
      ?project kg:budgetAmount ?budget .
      OPTIONAL {{ ?project kg:currency ?budgetCurrency }}
    }}
    OPTIONAL {{
      SELECT ?project (MAX(?value) AS ?figureAmount) (MIN(?unit) AS ?figureCurrency)
      WHERE {{
        VALUES ?project {{ AROUND }}
        ?figure kg:refersTo ?project .
        ?figure a kg:Figure .
        ?figure kg:value ?value .
        ?figure kg:unit ?unit .
        FILTER(REGEX(STR(?unit), "^[A-Z]{{3}}$"))
      }}
      GROUP BY ?project
    }}
    BIND(COALESCE(?budget, ?figureAmount) AS ?amount)
    BIND(IF(BOUND(?budget), ?budgetCurrency, ?figureCurrency) AS ?currency)
  }}
}}
"""

_RDF, _KG = PREFIXES["rdf"], PREFIXES["kg"]
_TYPE, _SUBJECT, _PREDICATE, _OBJECT = (f"<{_RDF}{n}>" for n in ("type", "subject", "predicate", "object"))
_SENTENCE, _REFERS_TO, _EVIDENCE = f"<{_KG}sentence>", f"<{_KG}refersTo>", f"<{_KG}Evidence>"
_LABEL = f"<{PREFIXES['rdfs']}label>"
_RECORD_TYPES = frozenset({_EVIDENCE, f"<{_KG}Figure>"})
_KIND_OF = {f"<{_KG}{k}>": k for k in KINDS}
_NODE_CLASSES = frozenset(f"<{_KG}{c}>" for c in CLASSES)
_RECORD = (_TYPE, _SUBJECT, _PREDICATE, _OBJECT, _SENTENCE, _REFERS_TO)  # what is read of a record


def query_hash() -> str:
    return hashlib.sha256(find_query(NETWORK_QUERY).text.encode("utf-8")).hexdigest()


def unchanged(store: pyoxigraph.Store, removed: list[str], added: list[str]) -> bool:
    """Whether the network query gives what it gave before `removed` and `added` (already applied to `store`,
    the network's store) came into the graph: False wherever that is not certain.

    Certain only when every network line that went or came is either a type the query does not read, or part
    of a record that went or came whole (its subject has no other triple in the store) and is a kg:Evidence
    or kg:Figure record and no entity, and the records that went equal those that came but for their IRIs,
    labels and sentences (the query counts a record's sentence, not what it says). That is what an edit to a
    document that finds the same relations and figures does: its document, evidence and figure records get
    new IRIs and nothing else changes. Cheaper than `patched`: nothing is asked of the store but how many
    triples each changed subject has."""
    wanted = network_terms()
    balance: Counter = Counter()
    for lines, step in ((removed, -1), (added, 1)):
        groups: dict[str, list[tuple[str, str]]] = {}
        for line in lines:
            subject, predicate, value = line.split(" ", 2)
            if predicate in wanted:
                groups.setdefault(subject, []).append((predicate, value))
        for subject, pairs in groups.items():
            if not subject.startswith("<"):
                return False
            there = sum(1 for _ in store.quads_for_pattern(pyoxigraph.NamedNode(subject[1:-1]), None, None))
            types = {value for predicate, value in pairs if predicate == _TYPE}
            if there == (0 if step < 0 else len(pairs)):  # the whole record went, or came
                if types & _NODE_CLASSES:
                    return False
                if types & _RECORD_TYPES:
                    balance[frozenset((p, "" if p == _SENTENCE else v) for p, v in pairs if p != _LABEL)] += step
            elif any(p != _TYPE or v in _NODE_CLASSES | _RECORD_TYPES for p, v in pairs):
                return False
    return not any(balance.values())


def patched(store: pyoxigraph.Store, before: tuple[dict[str, dict], dict[tuple[str, str, str], int]],
            removed: list[str], added: list[str]) -> nx.MultiDiGraph | None:
    """The network query's answer on `store` (the network's store, after the change: kg.incremental.network_store),
    given `before`, its nodes and edges (as kg.analyze.collect gives them) before `removed` went and `added` came
    (kg's N-Triples lines without the final " ."); None when it cannot be had this way and the whole query must
    run: query 12 is not the text NODES_QUERY restates, a line holds a blank node or an escaped IRI, or the
    change is too large (MAX_AROUND, MAX_CHANGED)."""
    if query_hash() != MIRRORS:
        return None
    changes = _changes(removed, added)
    if changes is None or len(changes) > MAX_CHANGED:
        return None
    delta: Counter = Counter()  # (s, p, o) -> evidence records gained
    asked: set[str] = set()  # IRIs whose node (class, label, money) is asked about again
    triples: set[tuple[str, str, str]] = set()  # edge triples that went or came
    for subject, (gone, came) in changes.items():
        now = _record(store, subject)
        then = {p: now[p] - came.get(p, set()) | {v for v in gone.get(p, ()) if v.startswith("<")}
                for p in _RECORD if p != _SENTENCE}
        then[_SENTENCE] = now[_SENTENCE] + len(gone.get(_SENTENCE, ())) - len(came.get(_SENTENCE, ()))
        delta.update(_counted(now))
        delta.subtract(_counted(then))
        if (now[_TYPE] | then[_TYPE]) & _NODE_CLASSES:  # a node now or before
            asked.add(subject)
        asked |= now[_REFERS_TO] | then[_REFERS_TO]
        triples |= {(subject, p, o) for part in (gone, came) for p in part if p in _KIND_OF
                    for o in part[p] if o.startswith("<")}
    if len(asked) > MAX_AROUND:
        return None
    nodes = dict(before[0])
    for v in asked:
        nodes.pop(v[1:-1], None)
    found, _ = collect(store.query(NODES_QUERY.replace("AROUND", " ".join(sorted(asked))))) if asked else ({}, {})
    nodes.update(found)
    edges = {(u, v, k): n + delta[(f"<{u}>", f"<{_KG}{k}>", f"<{v}>")] for (u, v, k), n in before[1].items()}
    if any(n < 0 for n in edges.values()):  # the store did not hold what `before` was found in
        return None
    for s, p, o in sorted(triples):
        key = (s[1:-1], o[1:-1], _KIND_OF[p])
        if _has(store, s, p, o):
            if key not in edges:
                edges[key] = _evidence(store, s, p, o)
        else:
            edges.pop(key, None)
    for v in sorted(set(found) - set(before[0])):  # a new node: its edges to nodes
        term = pyoxigraph.NamedNode(v)
        for p in _KIND_OF:
            predicate = pyoxigraph.NamedNode(p[1:-1])
            ends = [(term, q.object) for q in store.quads_for_pattern(term, predicate, None)]
            ends += [(q.subject, term) for q in store.quads_for_pattern(None, predicate, term)]
            for s, o in ends:
                if isinstance(s, pyoxigraph.NamedNode) and isinstance(o, pyoxigraph.NamedNode):
                    key = (s.value, o.value, _KIND_OF[p])
                    if key not in edges:
                        edges[key] = _evidence(store, str(s), p, str(o))
    return assemble(nodes, edges)  # leaves out the edges of what is no longer a node


def _changes(removed: list[str], added: list[str]) -> dict[str, tuple[dict, dict]] | None:
    """subject -> (predicate -> objects that went, predicate -> objects that came), for the lines the network
    query reads; None if one holds a blank node, an escaped IRI (which the store would give back unlike the
    line) or an IRI the store would not take."""
    wanted = network_terms()
    changes: dict[str, tuple[dict, dict]] = {}
    for side, lines in enumerate((removed, added)):
        for line in lines:
            subject, predicate, value = line.split(" ", 2)
            if predicate not in wanted:
                continue
            if not (_plain_iri(subject) and (_plain_iri(value) or value.startswith('"'))):
                return None
            changes.setdefault(subject, ({}, {}))[side].setdefault(predicate, set()).add(value)
    return changes


def _plain_iri(term: str) -> bool:
    if not term.startswith("<") or "\\" in term:
        return False
    try:
        pyoxigraph.NamedNode(term[1:-1])
    except ValueError:
        return False
    return True


def _record(store: pyoxigraph.Store, subject: str) -> dict:
    """What the network query reads of `subject` as a record, now: its types, rdf:subject, rdf:predicate,
    rdf:object and kg:refersTo IRIs as `<…>` strings, and its number of kg:sentence values."""
    term = pyoxigraph.NamedNode(subject[1:-1])
    record: dict = {p: set() for p in _RECORD}
    record[_SENTENCE] = 0
    for p in _RECORD:
        for quad in store.quads_for_pattern(term, pyoxigraph.NamedNode(p[1:-1]), None):
            if p == _SENTENCE:
                record[p] += 1
            elif isinstance(quad.object, pyoxigraph.NamedNode):
                record[p].add(str(quad.object))
    return record


def _counted(record: dict) -> list[tuple[str, str, str]]:
    """The (s, p, o) a record is one of the evidence of (query 12: a kg:Evidence with a sentence)."""
    if _EVIDENCE not in record[_TYPE] or record[_SENTENCE] <= 0:
        return []
    return list(product(record[_SUBJECT], record[_PREDICATE], record[_OBJECT]))


def _has(store: pyoxigraph.Store, s: str, p: str, o: str) -> bool:
    return pyoxigraph.Quad(*(pyoxigraph.NamedNode(t[1:-1]) for t in (s, p, o))) in store


def _evidence(store: pyoxigraph.Store, s: str, p: str, o: str) -> int:
    """The evidence count query 12 gives the edge (s, p, o) (`<…>` strings): its kg:Evidence records with a
    sentence. The records are looked for on the side of the end with fewer of them (the two index ranges
    are walked together until one ends), so an edge between a hub and a new project costs little."""
    subject, predicate, obj = (pyoxigraph.NamedNode(t[1:-1]) for t in (s, p, o))
    rdf_subject, rdf_predicate, rdf_object = (pyoxigraph.NamedNode(t[1:-1]) for t in (_SUBJECT, _PREDICATE, _OBJECT))
    sides = [iter(store.quads_for_pattern(None, rdf_subject, subject)), iter(store.quads_for_pattern(None, rdf_object, obj))]
    seen: list[list] = [[], []]
    while True:
        side = next((i for i in (0, 1) if not _advance(sides[i], seen[i])), None)
        if side is not None:
            break
    sentence, evidence = pyoxigraph.NamedNode(_SENTENCE[1:-1]), pyoxigraph.NamedNode(_EVIDENCE[1:-1])
    rdf_type = pyoxigraph.NamedNode(_TYPE[1:-1])
    count = 0
    for record in set(seen[side]):
        if (pyoxigraph.Quad(record, rdf_subject, subject) in store and pyoxigraph.Quad(record, rdf_object, obj) in store
                and pyoxigraph.Quad(record, rdf_predicate, predicate) in store
                and pyoxigraph.Quad(record, rdf_type, evidence) in store
                and next(iter(store.quads_for_pattern(record, sentence, None)), None) is not None):
            count += 1
    return count


def _advance(quads, seen: list) -> bool:
    """One more record from `quads` into `seen`; False when there are no more."""
    quad = next(quads, None)
    if quad is None:
        return False
    seen.append(quad.subject)
    return True
