"""Interactive graph views: self-contained, offline HTML pages drawn with vis-network, built with pyvis.

One page for the whole graph and one per project, organization, department and municipality, plus an
index. Every string that came from a document is untrusted: it travels to the page only as JSON inside
`<script type="application/json">` (with `<`, `>`, `&` escaped) and is put on screen by our own script
with `textContent`; the page's Content-Security-Policy forbids any network request and any script but
ours. Only this module imports pyvis.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import itertools
import json
import math
import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

from rdflib import BNode, Graph, Literal
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from kg.errors import VizError
from kg.ontology import KG, ORG
from kg.serialize import file_stamp, ntriples_chunks, write_atomic

ASSETS = Path(__file__).resolve().parent / "viz_assets"
GENERATOR = "kg viz"
# Views with more nodes than this get no edge labels and hide edges while dragging.
LARGE_VIEW = 1000
# Evidence sentences a page carries for its focus node and for each other node, those about nodes on the page
# first (the side panel lists them and counts the rest). Every page that showed a node used to carry all of
# them: at 1,000 releases IOM's were ~1 MB on most of 1,239 pages (2.2 GB of views).
FACTS_PER_NODE = 200
FACTS_PER_OTHER_NODE = 20
SEED = 20240601

# class name -> (label, colour, vis-network shape, glyph for the legend); most specific class first.
CLASSES: dict[str, tuple[str, str, str, str]] = {
    "Project": ("Project", "#009E73", "diamond", "\u25c6"),
    "FundingSource": ("Funding source", "#CC79A7", "star", "\u2605"),
    "Person": ("Person", "#E69F00", "triangle", "\u25b2"),
    "Organization": ("Organization", "#0072B2", "dot", "\u25cf"),
    "Municipality": ("Municipality", "#56B4E9", "square", "\u25a0"),
    "Department": ("Department", "#D55E00", "hexagon", "\u2b22"),
    "Country": ("Country", "#7A5C2E", "triangleDown", "\u25bc"),
    "Place": ("Place", "#999999", "square", "\u25a0"),
}
# relation name -> (label, colour)
RELATIONS: dict[str, tuple[str, str]] = {
    "funds": ("funds", "#B2182B"),
    "implements": ("implements", "#2166AC"),
    "benefits": ("benefits", "#1B7837"),
    "affiliatedWith": ("affiliated with", "#E08214"),
    "subOrganizationOf": ("sub-organization of", "#6A6A6A"),
    "partOf": ("part of", "#8073AC"),
}
INVERSE_LABELS = {"funds": "funded by", "implements": "implemented by", "benefits": "benefits from",
                  "affiliatedWith": "has affiliate", "subOrganizationOf": "has sub-organization",
                  "partOf": "has part"}
DETAIL_PROPERTIES = ("budgetAmount", "currency", "startDate", "endDate", "status", "projectType", "coverage",
                     "identifier", "placeCode")
VIEW_KINDS = ("graph", "project", "organization", "department", "municipality")
_RESERVED = {"index", "graph", "lib"}


@dataclass
class Node:
    iri: str
    label: str
    cls: str
    alt: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    details: list[list[str]] = field(default_factory=list)
    # [relation text, other node's label or a literal, sentence, document title]
    facts: list[list[str]] = field(default_factory=list)


@dataclass
class VizData:
    """The drawable part of a graph: entities, the six relations between them, and their evidence."""

    nodes: dict[str, Node]
    edges: list[tuple[str, str, str]]  # (subject IRI, relation name, object IRI), sorted
    size: dict[str, float]  # IRI -> size in pixels (from centrality scores or degree)
    # indexes of `edges`: IRI -> edges touching it; (relation, IRI) -> objects, and -> subjects
    touching: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    out: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    into: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        touching, out, into = defaultdict(list), defaultdict(set), defaultdict(set)
        for edge in self.edges:
            s, rel, o = edge
            touching[s].append(edge)
            touching[o].append(edge)
            out[rel, s].add(o)
            into[rel, o].add(s)
        self.touching, self.out, self.into = dict(touching), dict(out), dict(into)

    def neighbours(self, iri: str) -> set[str]:
        return {o if s == iri else s for s, _, o in self.touching.get(iri, ())}


@dataclass(frozen=True)
class View:
    """One page: a set of nodes (IRIs, sorted) and the relations among them."""

    name: str  # file stem, safe ASCII
    kind: str  # one of VIEW_KINDS
    title: str
    focus: str | None
    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str, str], ...]

    @property
    def file(self) -> str:
        return f"{self.name}.html"


# --- from RDF to drawable data -------------------------------------------------------------------

def read_graph(path: str | Path) -> "_Triples":
    """What the views read of a graph file: Turtle, N-Triples, N-Quads and TriG through pyoxigraph's parser
    (1,000 releases' graph.ttl in about 2 s, where rdflib takes 19 s), JSON-LD and RDF/XML through rdflib. A
    GraphFileError names the file and what is wrong with it."""
    from kg.errors import GraphFileError
    from kg.store import JSONLD_SUFFIXES, NATIVE_FORMATS, check_graph_file, jsonld_as_ntriples

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in NATIVE_FORMATS and suffix not in JSONLD_SUFFIXES:
        from kg.pipeline import load_graph

        return _Triples.of(load_graph(path))
    import pyoxigraph as ox

    check_graph_file(path)
    try:
        if suffix in JSONLD_SUFFIXES:
            return _Triples.parsed(ox.parse(jsonld_as_ntriples(path), format=ox.RdfFormat.N_TRIPLES))
        return _Triples.parsed(ox.parse(path=str(path), format=NATIVE_FORMATS[suffix]))
    except SyntaxError as exc:
        raise GraphFileError(f"{path}: cannot parse: {exc}") from None


class _Literal(str):
    """A literal's lexical form, told apart from an IRI (a plain str) in a _Triples index."""


class _Triples:
    """The triples `collect` reads, indexed both ways: IRIs as str ("_:" + id for blank nodes), literals as _Literal.

    Made from an rdflib Graph, or straight from kg's N-Triples lines (kg.build; without the final " ."): collect
    of 1,000 releases' lines takes 1.9 s, against 12 s to make an rdflib Graph of them and collect from it. Only
    triples whose predicate collect asks for are kept."""

    def __init__(self, triples: Iterable[tuple[str, str, str]]):
        self.forward: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        # by (object, whether it is a literal): the literal "x" is not the IRI x
        self.backward: dict[str, dict[tuple[str, bool], list[str]]] = defaultdict(lambda: defaultdict(list))
        for s, p, o in triples:
            self.forward[p][s].append(o)
            self.backward[p][o, isinstance(o, _Literal)].append(s)

    @classmethod
    def of(cls, source) -> "_Triples":
        """From an rdflib Graph or kg's N-Triples lines (or a _Triples, as read_graph gives, as it is)."""
        if isinstance(source, _Triples):
            return source
        wanted = _wanted()
        if isinstance(source, Graph):
            def term(t) -> str:
                if isinstance(t, Literal):
                    return _Literal(t)
                return f"_:{t}" if isinstance(t, BNode) else str(t)

            return cls((term(s), str(p), term(o)) for s, p, o in source if str(p) in wanted)
        import pyoxigraph as ox

        marked = {f"<{p}>" for p in wanted}
        lines = [line for line in source if line.split(" ", 2)[1] in marked]
        return cls.parsed(ox.parse("".join(ntriples_chunks(lines)).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))

    @classmethod
    def parsed(cls, triples) -> "_Triples":
        """From pyoxigraph's parser (triples or quads: a triple in several named graphs is read once); literals
        keep their lexical form (a store would give 103058.00 back as 103058)."""
        import pyoxigraph as ox

        wanted = _wanted()

        def value(t) -> str:
            if isinstance(t, ox.Literal):
                return _Literal(t.value)
            return f"_:{t.value}" if isinstance(t, ox.BlankNode) else t.value

        return cls(dict.fromkeys((value(t.subject), t.predicate.value, value(t.object)) for t in triples
                                 if t.predicate.value in wanted))

    def subjects(self, p, o) -> list[str]:
        """Subjects of `p` with the IRI `o`."""
        return self.backward.get(str(p), {}).get((str(o), False), [])

    def objects(self, s, p) -> list[str]:
        return self.forward.get(str(p), {}).get(str(s), [])

    def value(self, s, p) -> str | None:
        return min(self.objects(s, p), default=None)

    def subject_objects(self, p) -> Iterator[tuple[str, str]]:
        for s, objects in self.forward.get(str(p), {}).items():
            for o in objects:
                yield s, o


@functools.lru_cache(maxsize=1)
def _wanted() -> frozenset[str]:
    """Every predicate collect reads."""
    names = [*RELATIONS, *DETAIL_PROPERTIES, "roleTitle", "sentence", "evidenceDocument"]
    return frozenset({str(RDF.type), str(RDF.subject), str(RDF.predicate), str(RDF.object), str(SKOS.prefLabel),
                      str(SKOS.altLabel), str(RDFS.label), str(DCTERMS.title), str(ORG.member), str(ORG.organization),
                      *(str(KG[name]) for name in names)})


def collect(graph, scores: dict[str, float] | None = None) -> VizData:
    """Entities, relations and evidence of `graph` (an rdflib Graph, kg's N-Triples lines as kg.build makes them,
    or what read_graph gives); node sizes from `scores` (IRI -> value) or degree."""
    graph = _Triples.of(graph)
    nodes: dict[str, Node] = {}
    for cls in CLASSES:
        for s in graph.subjects(RDF.type, KG[cls]):
            if not isinstance(s, _Literal) and not s.startswith("_:") and s not in nodes:
                nodes[s] = Node(s, _label(graph, s), cls)
    for iri, node in nodes.items():
        node.alt = sorted(set(graph.objects(iri, SKOS.altLabel)) - {node.label})
        node.roles = sorted(set(graph.objects(iri, KG.roleTitle)))
        node.details = sorted([name, str(o)] for name in DETAIL_PROPERTIES for o in graph.objects(iri, KG[name]))
    for membership in graph.subjects(RDF.type, KG.Membership):
        for person in graph.objects(membership, ORG.member):
            node = nodes.get(person)
            if node is None:
                continue
            orgs = sorted(_label(graph, o) for o in graph.objects(membership, ORG.organization))
            for title in sorted(graph.objects(membership, KG.roleTitle)) or [""]:
                role = ", ".join(x for x in [title, *orgs] if x)
                if role and role not in node.roles:
                    node.roles.append(role)
    for node in nodes.values():
        # A bare title ("Chief of Mission") says less than a membership's "Chief of Mission, IOM El Salvador".
        node.roles = sorted(r for r in node.roles if ", " in r or not any(o.startswith(r + ", ") for o in node.roles))
    edges = sorted({(s, rel, o) for rel in RELATIONS for s, o in graph.subject_objects(KG[rel])
                    if s in nodes and o in nodes and s != o})
    degree: dict[str, int] = defaultdict(int)
    for s, _, o in edges:
        degree[s] += 1
        degree[o] += 1
    _add_evidence(graph, nodes)
    nodes = dict(sorted(nodes.items()))  # in one order, whatever the source's
    return VizData(nodes, edges, _sizes(nodes, degree, scores))


def _label(graph: _Triples, s: str) -> str:
    for prop in (SKOS.prefLabel, RDFS.label, DCTERMS.title):
        values = sorted(str(o) for o in graph.objects(s, prop))
        if values:
            return values[0]
    return str(s).rstrip("/").rsplit("/", 1)[-1]


def _add_evidence(graph: _Triples, nodes: dict[str, Node]) -> None:
    titles: dict[str, str] = {}
    for ev in graph.subjects(RDF.type, KG.Evidence):
        s, p, o = graph.value(ev, RDF.subject), graph.value(ev, RDF.predicate), graph.value(ev, RDF.object)
        sentence = graph.value(ev, KG.sentence)
        if s is None or p is None or o is None or sentence is None:
            continue
        doc = graph.value(ev, KG.evidenceDocument)
        if doc is not None and doc not in titles:
            titles[doc] = _label(graph, doc)
        title = titles.get(doc, "") if doc is not None else ""
        rel = str(p).rsplit("#", 1)[-1]
        other = str(o) if isinstance(o, _Literal) else (nodes[o].label if o in nodes else _label(graph, o))
        if s in nodes:
            # "roleTitle" -> "role title"
            words = RELATIONS[rel][0] if rel in RELATIONS else re.sub(r"(?<!^)(?=[A-Z])", " ", rel).lower()
            nodes[s].facts.append([words, other, str(sentence), title])
        if o in nodes and rel in RELATIONS:
            nodes[o].facts.append([INVERSE_LABELS[rel], nodes[s].label if s in nodes else _label(graph, s),
                                   str(sentence), title])
    for node in nodes.values():
        node.facts = sorted({tuple(f) for f in node.facts})
        node.facts = [list(f) for f in node.facts]


def _sizes(nodes: dict[str, Node], degree: dict[str, int], scores: dict[str, float] | None) -> dict[str, float]:
    raw = {iri: float(scores.get(iri, 0.0)) for iri in nodes} if scores else \
          {iri: float(degree.get(iri, 0)) for iri in nodes}
    top = max(raw.values(), default=0.0)
    if top <= 0:
        return {iri: 12.0 for iri in nodes}
    return {iri: round(10.0 + 30.0 * math.sqrt(max(v, 0.0) / top), 1) for iri, v in raw.items()}


# --- which views -----------------------------------------------------------------------------------

def plan_views(data: VizData, kinds: Iterable[str] | None = None) -> list[View]:
    """The whole graph, then one view per project, organization, department and municipality."""
    kinds = tuple(kinds) if kinds is not None else VIEW_KINDS
    unknown = sorted(set(kinds) - set(VIEW_KINDS))
    if unknown:
        raise VizError(f"unknown view kind(s) {', '.join(unknown)}; available: {', '.join(VIEW_KINDS)}")
    names = _file_names(data.nodes)
    views = []
    if "graph" in kinds:
        views.append(_view(data, "graph", "graph", "Whole graph", None, set(data.nodes)))
    by_class: dict[str, list[str]] = defaultdict(list)
    for iri in sorted(data.nodes):
        by_class[data.nodes[iri].cls].append(iri)
    pick = {"project": ("Project", _project_nodes), "organization": ("Organization", _organization_nodes),
            "department": ("Department", _place_nodes), "municipality": ("Municipality", _place_nodes)}
    for kind in VIEW_KINDS[1:]:
        if kind not in kinds:
            continue
        cls, select = pick[kind]
        for iri in by_class[cls]:
            views.append(_view(data, names[iri], kind, data.nodes[iri].label, iri, select(data, iri)))
    return views


def _view(data: VizData, name: str, kind: str, title: str, focus: str | None, members: set[str]) -> View:
    edges = tuple(sorted({e for m in members for e in data.touching.get(m, ()) if e[0] in members and e[2] in members}))
    return View(name, kind, title, focus, tuple(sorted(members)), edges)


def _related(data: VizData, iri: str, rel: str, *, incoming: bool) -> set[str]:
    return set((data.into if incoming else data.out).get((rel, iri), ()))


def _project_nodes(data: VizData, iri: str) -> set[str]:
    """The project, its funders, implementers, beneficiaries and their places, and the people of its organizations."""
    funders = _related(data, iri, "funds", incoming=True)
    implementers = _related(data, iri, "implements", incoming=True)
    beneficiaries = _related(data, iri, "benefits", incoming=False)
    places = set()
    for b in beneficiaries:
        places |= _related(data, b, "partOf", incoming=False)
    orgs = funders | implementers | beneficiaries
    people = {p for o in orgs for p in _related(data, o, "affiliatedWith", incoming=True)}
    return {iri} | orgs | places | people


def _organization_nodes(data: VizData, iri: str) -> set[str]:
    """Everything within two relations of the organization, in either direction."""
    members, frontier = {iri}, {iri}
    for _ in range(2):
        frontier = {n for f in frontier for n in data.neighbours(f)} - members
        members |= frontier
    return members


def _place_nodes(data: VizData, iri: str) -> set[str]:
    """The place, the places above and within it, the projects that benefit any of them, and their funders and implementers."""
    inside, frontier = {iri}, {iri}
    while frontier:
        frontier = {s for f in frontier for s in _related(data, f, "partOf", incoming=True)} - inside
        inside |= frontier
    above, frontier = set(), {iri}
    while frontier:
        frontier = {o for f in frontier for o in _related(data, f, "partOf", incoming=False)} - above - inside
        above |= frontier
    projects = {p for place in inside for p in _related(data, place, "benefits", incoming=True)}
    actors = {a for p in projects for rel in ("funds", "implements") for a in _related(data, p, rel, incoming=True)}
    return inside | above | projects | actors


def _file_names(nodes: dict[str, Node]) -> dict[str, str]:
    """IRI -> file stem: '<class>-<slug>' in lowercase ASCII, with a hash where that is ambiguous."""
    names, used = {}, set(_RESERVED)
    for iri in sorted(nodes):
        parts = [p for p in iri.rstrip("/").split("/") if p]
        stem = _slug("-".join(parts[-2:]))
        if not stem or stem in used or len(stem) > 80:
            stem = f"{stem[:70].rstrip('-')}-{hashlib.sha1(iri.encode('utf-8')).hexdigest()[:8]}".lstrip("-")
        used.add(stem)
        names[iri] = stem
    return names


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


# --- layout ----------------------------------------------------------------------------------------

def layout(members: list[str], edges: Iterable[tuple[str, str, str]]) -> dict[str, tuple[int, int]]:
    """Deterministic positions in pixels: igraph's Fruchterman-Reingold if igraph is installed, else networkx or rings."""
    index = {iri: i for i, iri in enumerate(members)}
    pairs = sorted({(index[s], index[o]) for s, _, o in edges if s in index and o in index})
    n = len(members)
    if n == 0:
        return {}
    if n == 1:
        return {members[0]: (0, 0)}
    try:
        import igraph
    except ImportError:
        igraph = None
    if igraph is not None:
        coords = _igraph_layout(igraph, n, pairs)
    elif n <= 400:
        coords = _networkx_layout(n, pairs)
    else:
        coords = _ring_layout(n, pairs)
    return _scale(members, coords, pairs)


GRID_LAYOUT_MIN_NODES = 100  # from here igraph's grid variant: 10-15x faster at 300-1,000 nodes (a build of
# 1,000 releases spent 100 s laying out its views without it); igraph itself switches at 1,000


def _igraph_layout(igraph, n: int, pairs: list[tuple[int, int]]) -> list[tuple[float, float]]:
    g = igraph.Graph(n=n, edges=pairs)
    # igraph draws random numbers from a Python object; a private seeded one makes the layout repeatable.
    igraph.set_random_number_generator(random.Random(SEED))
    try:
        coords = g.layout_fruchterman_reingold(niter=500, grid=n > GRID_LAYOUT_MIN_NODES)
    finally:
        igraph.set_random_number_generator(random)
    return [(float(x), float(y)) for x, y in coords.coords]


def _networkx_layout(n: int, pairs: list[tuple[int, int]]) -> list[tuple[float, float]]:
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(pairs)
    pos = nx.spring_layout(g, seed=SEED, iterations=100)
    return [(float(pos[i][0]), float(pos[i][1])) for i in range(n)]


def _ring_layout(n: int, pairs: list[tuple[int, int]]) -> list[tuple[float, float]]:
    """Each connected component as rings around its best-connected node, components on a grid; O(nodes + edges)."""
    adjacency: dict[int, list[int]] = defaultdict(list)
    for a, b in pairs:
        adjacency[a].append(b)
        adjacency[b].append(a)
    seen: set[int] = set()
    components = []
    for start in sorted(range(n), key=lambda i: (-len(adjacency[i]), i)):
        if start in seen:
            continue
        rings, frontier = [[start]], [start]
        seen.add(start)
        while frontier:
            nxt = sorted({b for a in frontier for b in adjacency[a]} - seen)
            seen.update(nxt)
            if nxt:
                rings.append(nxt)
            frontier = nxt
        components.append(rings)
    coords: list[tuple[float, float]] = [(0.0, 0.0)] * n
    columns = max(1, math.ceil(math.sqrt(len(components))))
    offset_x = offset_y = row_height = 0.0
    for k, rings in enumerate(components):
        radius = float(len(rings))
        for depth, ring in enumerate(rings):
            for j, node in enumerate(ring):
                angle = 2 * math.pi * j / len(ring) + depth * 0.5
                r = depth * max(1.0, len(ring) / (2 * math.pi)) ** 0.5 if depth else 0.0
                radius = max(radius, r)
                coords[node] = (offset_x + r * math.cos(angle), offset_y + r * math.sin(angle))
        row_height = max(row_height, 2 * radius + 2)
        offset_x += 2 * radius + 2
        if (k + 1) % columns == 0:
            offset_x, offset_y, row_height = 0.0, offset_y + row_height, 0.0
    return coords


def _scale(members: list[str], coords: list[tuple[float, float]], pairs: list[tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """Scale so that the median edge is about 150 px long (or the layout spans ~150 px per sqrt(node))."""
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    lengths = sorted(math.dist(coords[a], coords[b]) for a, b in pairs if math.dist(coords[a], coords[b]) > 0)
    if lengths:
        factor = 150.0 / lengths[len(lengths) // 2]
    else:
        span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
        factor = 150.0 * math.sqrt(len(members)) / span
    return {iri: (round((x - cx) * factor), round((y - cy) * factor)) for iri, (x, y) in zip(members, coords)}


# --- pages -----------------------------------------------------------------------------------------

def build_network(data: VizData, view: View):
    """The view as a pyvis Network: nodes with class colour and shape, size and fixed position; edges by relation."""
    from pyvis.network import Network

    large = len(view.nodes) > LARGE_VIEW
    net = Network(directed=True, cdn_resources="in_line")
    net.toggle_physics(False)
    net.options.edges.smooth.enabled = False
    net.options.edges.color.inherit = False
    net.toggle_hide_edges_on_drag(large)
    positions = layout(list(view.nodes), view.edges)
    index = {iri: i for i, iri in enumerate(view.nodes)}
    # Nodes and edges go straight into pyvis's lists of dicts: add_node and add_edge search the whole list
    # on every call (0.6 s and 3.8 s at 5k nodes).
    for iri in view.nodes:
        node = data.nodes[iri]
        _, colour, shape, _ = CLASSES[node.cls]
        x, y = positions[iri]
        # No `title`: vis-network would show it as a tooltip of its own; ours is built with textContent.
        entry = {"id": index[iri], "label": _short(node.label), "shape": shape, "color": colour,
                 "size": data.size[iri], "x": x, "y": y, "borderWidth": 3 if iri == view.focus else 1}
        net.nodes.append(entry)
        net.node_ids.append(index[iri])
        net.node_map[index[iri]] = entry
    for k, (s, rel, o) in enumerate(view.edges):
        edge = {"id": k, "from": index[s], "to": index[o], "rel": rel, "arrows": "to",
                "color": {"color": RELATIONS[rel][1], "highlight": RELATIONS[rel][1], "hover": RELATIONS[rel][1]}}
        if not large:
            edge["label"] = RELATIONS[rel][0]
        net.edges.append(edge)
    return net


def _short(label: str, limit: int = 40) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "\u2026"


def page_data(data: VizData, view: View, names: dict[str, str] | None = None) -> dict:
    """Everything the page's script needs, as plain JSON-able data (built through pyvis)."""
    net = build_network(data, view)
    nodes, edges, _, _, _, options = net.get_network_data()
    options = json.loads(options)
    options["interaction"].update({"hover": True, "tooltipDelay": 3600000, "navigationButtons": False,
                                   "keyboard": False, "multiselect": False})
    options["nodes"] = {"font": {"size": 14, "face": "sans-serif", "color": "#343434"}, "opacity": 1}
    options["edges"]["color"].update({"opacity": 1})
    options["edges"].update({"font": {"size": 10, "align": "middle", "face": "sans-serif", "color": "#555555",
                                      "strokeWidth": 3}, "width": 1.5,
                             "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}}})
    options["layout"] = {"randomSeed": 1, "improvedLayout": False}
    present = {data.nodes[i].cls for i in view.nodes}
    rels = {e[1] for e in view.edges}
    return {
        "title": view.title, "kind": view.kind, "focus": view.nodes.index(view.focus) if view.focus else None,
        "classes": [{"name": c, "label": v[0], "color": v[1], "glyph": v[3]} for c, v in CLASSES.items() if c in present],
        "relations": [{"name": r, "label": v[0], "inverse": INVERSE_LABELS[r], "color": v[1]} for r, v in RELATIONS.items() if r in rels],
        "nodes": nodes, "edges": edges, "info": page_info(data, view, names),
        "options": options,
    }


def page_info(data: VizData, view: View, names: dict[str, str] | None = None) -> list[dict]:
    """What the page says about each of its nodes: label, class, other names, roles, details, evidence."""
    info = []
    shown = {data.nodes[i].label for i in view.nodes}
    for iri in view.nodes:
        node = data.nodes[iri]
        if iri == view.focus or len(node.facts) <= FACTS_PER_OTHER_NODE:
            facts = node.facts[:FACTS_PER_NODE]
        else:  # those about nodes on this page first (fact: relation, other's label, sentence, title)
            facts = list(itertools.islice(itertools.chain((f for f in node.facts if f[1] in shown),
                                                          (f for f in node.facts if f[1] not in shown)),
                                          FACTS_PER_OTHER_NODE))
        info.append({"iri": iri, "label": node.label, "cls": node.cls, "alt": node.alt, "roles": node.roles,
                     "details": node.details, "facts": facts, "factCount": len(node.facts),
                     "view": (names or {}).get(iri, "") if iri != view.focus else ""})
    return info


def script_json(obj: object) -> str:
    """JSON safe to place inside <script type="application/json">: no '<', '>', '&', U+2028/2029 left raw."""
    text = json.dumps(obj, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _assets() -> dict[str, str]:
    import pyvis

    lib = Path(pyvis.__file__).resolve().parent / "templates" / "lib" / "vis-9.1.2"
    if not (lib / "vis-network.min.js").is_file():
        raise VizError(f"{lib}: vis-network is missing from the installed pyvis; reinstall pyvis>=0.3.2")
    files = {"vis-network.min.js": lib / "vis-network.min.js", "vis-network.min.css": lib / "vis-network.css",
             "kg-view.js": ASSETS / "kg-view.js", "kg-view.css": ASSETS / "kg-view.css"}
    return {name: path.read_text(encoding="utf-8") for name, path in files.items()}


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def page_html(data: VizData, view: View, *, names: dict[str, str] | None = None, inline: bool = False) -> str:
    """The HTML page of `view`: scripts and styles beside it in lib/ or, with `inline`, inside it."""
    return _page(script_json(page_data(data, view, names)), view.title, inline=inline)


def _page(payload: str, title: str, *, inline: bool) -> str:
    if inline:
        assets = _assets()
        for name in ("vis-network.min.js", "kg-view.js"):
            if "</script" in assets[name].lower():
                raise VizError(f"{name} contains '</script' and cannot be inlined")
        for name in ("vis-network.min.css", "kg-view.css"):
            if "</style" in assets[name].lower():
                raise VizError(f"{name} contains '</style' and cannot be inlined")
        scripts = [assets["vis-network.min.js"], assets["kg-view.js"]]
        head = "".join(f"<style>{assets[n]}</style>\n" for n in ("vis-network.min.css", "kg-view.css"))
        body = "".join(f"<script>{s}</script>\n" for s in scripts)
        script_src = " ".join(_sha256(s) for s in scripts)
    else:
        head = '<link rel="stylesheet" href="lib/vis-network.min.css">\n<link rel="stylesheet" href="lib/kg-view.css">\n'
        body = '<script src="lib/vis-network.min.js"></script>\n<script src="lib/kg-view.js"></script>\n'
        script_src = "'self'"
    csp = (f"default-src 'none'; script-src {script_src}; style-src 'self' 'unsafe-inline'; img-src data:; "
           "font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'")
    return _render("view.html", csp=csp, title=title, head=head, body=body, payload=payload, index_link=not inline)


def _render(template: str, **values) -> str:
    return _templates().get_template(template).render(generator=GENERATOR, **values)


@functools.lru_cache(maxsize=1)
def _templates():
    """The page templates, compiled once (compiling them for each page cost 5 ms a page)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(ASSETS), autoescape=True, undefined=StrictUndefined,
                       keep_trailing_newline=True, auto_reload=False)


def render_views(graph, out_dir: str | Path, scores: dict[str, float] | None = None, *,
                 kinds: Iterable[str] | None = None, source: str | None = None) -> list[Path]:
    """Write OUT/views/index.html, one page per view and lib/; return the paths of the pages (index first).

    `graph` is what collect takes (an rdflib Graph, kg's N-Triples lines, what read_graph gives), or a function
    that gives it. A page drawn last time from the same data (by the digest kept in OUT/.cache/views.json) and
    untouched since is left as it is: the same bytes, without laying it out again. `source` names what the graph is made from (e.g. a digest of its file): when the views were last
    drawn from the same source, scores and kinds by this code, and none of their files was touched since, nothing
    is done at all, and a function given as `graph` is not called."""
    views_dir = Path(out_dir) / "views"
    drawn = _read_drawn(Path(out_dir) / DRAWN)
    key = None if source is None else _source_key(source, scores, kinds)
    if key is not None and drawn.get("source") == key and (same := _untouched(views_dir, drawn)) is not None:
        _remove_stale(views_dir, {path.name for path in same})
        return same
    data = collect(graph() if callable(graph) else graph, scores)
    views = plan_views(data, kinds)
    names = {v.focus: v.name for v in views if v.focus}
    assets = _assets()
    for name, text in assets.items():
        write_atomic(views_dir / "lib" / name, text.encode("utf-8"))
    pages = drawn.get("pages", {})
    record: dict[str, list] = {}
    written = []
    node_digests: dict[str, str] = {}
    for view in views:
        path = views_dir / view.file
        digest = _page_digest(data, view, names, node_digests)
        try:
            same = pages.get(view.file) == [digest, *file_stamp(path)]
        except OSError:  # no such page
            same = False
        if same:
            record[view.file] = pages[view.file]  # drawn from the same data last time, and untouched since
        else:
            write_atomic(path, page_html(data, view, names=names).encode("utf-8"), fsync=False)
            record[view.file] = [digest, *file_stamp(path)]
        written.append(path)
    groups = []
    for kind, heading in (("graph", "Whole graph"), ("project", "Projects"), ("organization", "Organizations"),
                          ("department", "Departments"), ("municipality", "Municipalities")):
        items = sorted((v for v in views if v.kind == kind), key=lambda v: (v.title.casefold(), v.name))
        if items:
            groups.append({"heading": heading, "views": [{"file": v.file, "title": v.title, "nodes": len(v.nodes),
                                                          "edges": len(v.edges)} for v in items]})
    index = views_dir / "index.html"
    write_atomic(index, _render("index.html", groups=groups, nodes=len(data.nodes), edges=len(data.edges)).encode("utf-8"))
    _remove_stale(views_dir, {p.name for p in written} | {"index.html"})
    others = {"index.html": file_stamp(index), **{f"lib/{name}": file_stamp(views_dir / "lib" / name) for name in assets}}
    kept = {"source": key, "order": [view.file for view in views], "pages": record, "files": others}
    write_atomic(Path(out_dir) / DRAWN, json.dumps(kept, sort_keys=True).encode("utf-8"), fsync=False)
    return [index, *written]


# OUT/.cache/views.json: for each page, a digest of what it was drawn from and the (size, mtime) of the file
# written, so that a page whose data did not change is not laid out and written again (the layout is most of a
# page's cost); the digest covers everything a page shows and this module's code and assets. Also: the key of the
# source, scores and kinds the views were drawn from ("source", None when no source was named), the pages in
# order, and the (size, mtime) of the index and lib/ files.
DRAWN = Path(".cache") / "views.json"


def _read_drawn(path: Path) -> dict:
    try:
        drawn = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not (isinstance(drawn, dict) and isinstance(drawn.get("pages"), dict) and isinstance(drawn.get("order"), list)
            and isinstance(drawn.get("files"), dict)):
        return {}
    return drawn


def _source_key(source: str, scores: dict[str, float] | None, kinds: Iterable[str] | None) -> str:
    h = hashlib.sha256(_code_stamp().encode("ascii"))
    h.update(json.dumps([source, sorted((scores or {}).items()), None if kinds is None else sorted(kinds)],
                        ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()


def _untouched(views_dir: Path, drawn: dict) -> list[Path] | None:
    """The paths of the views recorded in `drawn` (index first), if every file of them is as it was written."""
    try:
        stamps = {**{name: value[1:] for name, value in drawn["pages"].items()}, **drawn["files"]}
        if set(drawn["order"]) != set(drawn["pages"]):
            return None
        if any(file_stamp(views_dir / name) != stamp for name, stamp in stamps.items()):
            return None
    except (OSError, TypeError, AttributeError, IndexError):
        return None
    return [views_dir / "index.html", *(views_dir / name for name in drawn["order"])]


def _page_digest(data: VizData, view: View, names: dict[str, str], node_digests: dict[str, str]) -> str:
    """A digest of all a page is drawn from: the view, its nodes' sizes, each node's data (all of a Node, hashed
    once per node in `node_digests`: the evidence of a node such as IOM is on most pages), the names of the
    views its nodes link to, and this module's code. page_info and page_data read nothing else."""
    h = hashlib.sha256(_code_stamp().encode("ascii"))
    nodes = []
    for iri in view.nodes:
        if iri not in node_digests:
            node = data.nodes[iri]
            whole = json.dumps([getattr(node, f.name) for f in fields(node)], ensure_ascii=False)
            node_digests[iri] = hashlib.sha256(whole.encode("utf-8")).hexdigest()
        nodes.append([iri, node_digests[iri], data.size[iri], names.get(iri, "")])
    h.update(json.dumps([view.name, view.kind, view.title, view.focus, view.edges, nodes],
                        ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _code_stamp() -> str:
    import networkx
    import pyvis

    try:  # the layout comes from igraph where it is installed, else networkx
        import igraph
    except ImportError:
        igraph = None
    h = hashlib.sha256(f"{pyvis.__version__} {networkx.__version__} {getattr(igraph, '__version__', None)}".encode())
    for path in [Path(__file__), *sorted(ASSETS.iterdir())]:
        if path.is_file():
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def _remove_stale(views_dir: Path, keep: set[str]) -> None:
    """Delete pages of an earlier run that this run did not write (only pages kg wrote)."""
    marker = f'<meta name="generator" content="{GENERATOR}">'
    for path in views_dir.glob("*.html"):
        if path.name not in keep and marker in path.read_text(encoding="utf-8", errors="replace")[:2000]:
            path.unlink()


# --- notebooks -------------------------------------------------------------------------------------

def show(graph_or_view_path: Graph | str | Path, view: str = "graph", *, scores: dict[str, float] | None = None,
         height: int = 640):
    """An IPython HTML object: the view in an iframe whose srcdoc is the self-contained page.

    Pass an rdflib Graph or a graph file (and the view's file stem, default the whole graph), or the path of a
    page that `render_views` wrote.
    """
    from IPython.display import HTML

    if isinstance(graph_or_view_path, Graph):
        page = _inline_page(graph_or_view_path, view, scores)
    else:
        path = Path(graph_or_view_path)
        if path.suffix.lower() in (".html", ".htm"):
            if not path.is_file():
                raise VizError(f"{path}: no such view; run `kg viz` first")
            page = _inline_file(path)
        else:
            page = _inline_page(read_graph(path), view, scores)
    return HTML(f'<div class="kg-view"><iframe srcdoc="{html.escape(page, quote=True)}" '
                f'style="width:100%;height:{int(height)}px;border:1px solid #ccc" sandbox="allow-scripts"></iframe></div>')


def _inline_page(graph, view: str, scores: dict[str, float] | None) -> str:
    data = collect(graph, scores)
    views = {v.name: v for v in plan_views(data, ["graph"] if view == "graph" else None)}
    if view not in views:
        raise VizError(f"unknown view '{view}'; available: {', '.join(sorted(views)[:20])}"
                       + (" ..." if len(views) > 20 else ""))
    return page_html(data, views[view], inline=True)


def _inline_file(path: Path) -> str:
    """A page written by render_views, with its lib/ files put inside it."""
    text = path.read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', text, re.S)
    if not m:
        raise VizError(f"{path}: not a page written by kg viz (no kg-data block)")
    payload = json.loads(m.group(1))
    # Links to other views do not resolve inside an iframe's srcdoc.
    for info in payload.get("info", []):
        info["view"] = ""
    return _page(script_json(payload), str(payload.get("title", "")), inline=True)
