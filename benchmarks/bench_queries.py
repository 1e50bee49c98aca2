"""Shipped queries at 100k and 1M triples: a whole `kg query` call on the cached store against rdflib in memory.

`run(sizes)` writes, for each size, a synthetic graph shaped like kg's output (`synthetic_graph`: documents
with titles, the seven entity classes with labels, funds/implements/benefits/affiliatedWith/subOrganizationOf
edges each with a kg:Evidence record and its sentence, kg:Figure nodes, kg:Membership nodes, mentions and the
place hierarchy; a fixed seed gives the same file) as N-Triples in a temporary folder, builds kg.store's
on-disk store once, then times every `queries/*.rq` three ways:

- `kg query NAME --graph FILE --format tsv` as a subprocess: what a user waits for, process start included;
- the same query in this process through kg.query.run_query (the store kept open, query, rows
  materialised);
- rdflib's in-memory engine on the same query text, in a forked child of a process that parsed the graph
  once, killed after `timeout` seconds (rdflib takes minutes on property paths at 1M triples).

    PYTHONPATH=. python benchmarks/bench_queries.py [SIZE ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kg.query import Catalogue, QueryFile, prepare, query_form, run_query  # noqa: E402
from kg.store import open_store  # noqa: E402

BASE = "https://w3id.org/kg/resource/"
KG = "https://w3id.org/kg/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
DCTERMS = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
CLASS_PATHS = {"Organization": "organization", "Person": "person", "Project": "project",
               "FundingSource": "funding-source", "Municipality": "municipality", "Department": "department",
               "Country": "country"}
# About this many triples per document (measured on the generator's output), to size the entity pools.
TRIPLES_PER_DOC = 150
WORDS = ("migration", "returnees", "community", "protection", "border", "youth", "employment", "reintegration",
         "municipal", "training", "children", "families", "labour", "governance", "health", "shelter")
ROLES = ("Mayor", "Chief of Mission", "Minister", "Director", "Coordinator", "Deputy Minister", "Ambassador")
METHODS = ("rule:funding", "rule:implementation", "rule:benefit", "rule:role")
MEASURES = (("returnees", "people"), ("families", "families"), ("remittances", "USD"))
DEFAULT_TIMEOUT = 60.0  # seconds for one rdflib query
CLI_TIMEOUT = 600.0  # seconds for one `kg query` call


# ---------------------------------------------------------------------------------------------
# The synthetic graph


def _iri(path: str) -> str:
    return f"<{BASE}{path}>"


def _lit(text: str, datatype: str | None = None) -> str:
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{body}"^^<{datatype}>' if datatype else f'"{body}"'


def _hex(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()[:16]


def synthetic_graph(size: int, path: str | Path, seed: int = 7) -> dict:
    """Write an N-Triples graph of about `size` triples shaped like kg's output; return counts and sample IRIs.

    Entities follow kg's IRI scheme and classes; relations carry kg:Evidence (rdf:subject/predicate/object,
    kg:sentence, kg:evidenceDocument, kg:method, kg:confidence); place edges carry gazetteer evidence without
    a sentence, as in a real build. A few big funders and implementers, many small ones.
    """
    rng = random.Random(seed)
    docs_estimate = max(4, size // TRIPLES_PER_DOC)
    out: list[str] = []
    emitted: set[str] = set()

    def t(s: str, p: str, o: str) -> None:
        out.append(f"{s} <{p}> {o} .\n")

    def entity(cls: str, slug: str, label: str, alt: str | None = None) -> str:
        iri = _iri(f"{CLASS_PATHS[cls]}/{slug}")
        if iri not in emitted:
            emitted.add(iri)
            t(iri, RDF + "type", f"<{KG}{cls}>")
            t(iri, RDFS + "label", _lit(label))
            t(iri, SKOS + "prefLabel", _lit(label))
            if alt:
                t(iri, SKOS + "altLabel", _lit(alt))
        return iri

    gazetteer = f"<{BASE}source/gazetteer-places>"
    t(gazetteer, RDF + "type", f"<{PROV}Entity>")
    t(gazetteer, RDFS + "label", _lit("kg place gazetteer (synthetic)"))

    def place(cls: str, code: str, name: str, parent: str | None) -> str:
        iri = entity(cls, code.lower(), name)
        t(iri, KG + "placeCode", _lit(code))
        t(iri, SCHEMA + "latitude", _lit(f"{13 + rng.random():.4f}", XSD + "decimal"))
        t(iri, SCHEMA + "longitude", _lit(f"{-89 + rng.random():.4f}", XSD + "decimal"))
        if parent:
            t(iri, KG + "partOf", parent)
            ev = _iri(f"evidence/{_hex(iri, 'partOf', parent)}")
            for p, o in ((RDF + "type", f"<{KG}Evidence>"), (RDF + "subject", iri),
                         (RDF + "predicate", f"<{KG}partOf>"), (RDF + "object", parent),
                         (PROV + "wasDerivedFrom", gazetteer), (KG + "method", _lit("gazetteer:places.csv")),
                         (KG + "confidence", _lit("1.0", XSD + "decimal"))):
                t(ev, p, o)
        return iri

    countries = [place("Country", code, name, None) for code, name in
                 (("SV", "El Salvador"), ("GT", "Guatemala"), ("HN", "Honduras"), ("MX", "Mexico"),
                  ("US", "United States"), ("CR", "Costa Rica"))]
    departments = [place("Department", f"{'SVGTHN'[2 * (i % 3):2 * (i % 3) + 2]}-D{i:02d}", f"Department {i}",
                         countries[i % 3]) for i in range(min(42, max(3, docs_estimate // 4)))]
    # Municipalities: new (2024) ones in departments; most former ones are districts of a new one.
    new_towns = [place("Municipality", f"M{i:04d}", f"Municipality {i}", departments[i % len(departments)])
                 for i in range(min(88, max(3, docs_estimate // 2)))]
    towns = new_towns + [place("Municipality", f"F{i:04d}", f"Town {i}",
                               rng.choice(new_towns) if rng.random() < 0.7 else rng.choice(departments))
                         for i in range(min(900, max(3, docs_estimate // 8)))]

    n_orgs = max(12, docs_estimate // 8)
    kinds = ("Ministry", "Institute", "Foundation", "Agency", "Council")
    orgs = [(f"org-{i:05d}", f"{rng.choice(WORDS).title()} {kinds[i % 5]} {i}", f"O{i}") for i in range(n_orgs)]
    org_weights = [1 / (r + 1) ** 0.9 for r in range(n_orgs)]
    sources = [(f"fund-{i:04d}", f"{rng.choice(WORDS).title()} Fund {i}", f"F{i}")
               for i in range(max(3, docs_estimate // 100))]
    n_projects = max(6, docs_estimate // 2)
    projects = [f"project-{i:06d}" for i in range(n_projects)]
    people: list[str] = []
    doc_ids: list[str] = []

    def relate(s: str, rel: str, o: str, doc: str, sentence: str, k: int) -> None:
        t(s, KG + rel, o)
        ev = _iri(f"evidence/{_hex(s, rel, o, doc, k)}")
        start = rng.randrange(0, 3000)
        for p, v in ((RDF + "type", f"<{KG}Evidence>"), (RDF + "subject", s), (RDF + "predicate", f"<{KG}{rel}>"),
                     (RDF + "object", o), (PROV + "wasDerivedFrom", doc), (KG + "evidenceDocument", doc),
                     (KG + "sentence", _lit(sentence)), (KG + "startOffset", _lit(str(start), XSD + "integer")),
                     (KG + "endOffset", _lit(str(start + len(sentence)), XSD + "integer")),
                     (KG + "method", _lit(rng.choice(METHODS))),
                     (KG + "confidence", _lit(rng.choice(("0.7", "0.8", "0.9")), XSD + "decimal"))):
            t(ev, p, v)

    i = 0
    while len(out) < size or i < 4:
        doc_hex = _hex("doc", seed, i)
        doc_ids.append(doc_hex)
        doc = _iri(f"document/{doc_hex}")
        p_index = rng.randrange(n_projects)
        slug = projects[p_index]
        theme = " ".join(rng.sample(WORDS, 3)).title()
        title = f"IOM Launches {theme} Project {i}"
        t(doc, RDF + "type", f"<{KG}Document>")
        t(doc, RDFS + "label", _lit(title))
        t(doc, DCTERMS + "title", _lit(title))
        t(doc, KG + "sourcePath", _lit(f"corpus/release_{i:06d}.txt"))
        t(doc, KG + "contentHash", _lit(hashlib.sha256(doc_hex.encode()).hexdigest()))
        t(doc, KG + "documentKind", _lit("news" if i % 10 else "project_page"))
        t(doc, SCHEMA + "datePublished", _lit(f"{2012 + i % 12}-{1 + i % 12:02d}-{1 + i % 28:02d}", XSD + "date"))
        t(doc, KG + "datelinePlace", _lit(f"Town {i % 60}"))

        project = entity("Project", slug, f"{theme} Project {p_index}")
        if i % 10 == 0:  # a project page: the project's fields
            amount = rng.randrange(100, 5000) * 1000
            for p, v in ((KG + "budgetAmount", _lit(f"{amount}.0", XSD + "decimal")), (KG + "currency", _lit("USD")),
                         (KG + "startDate", _lit(f"{2012 + i % 10}-01-01", XSD + "date")),
                         (KG + "endDate", _lit(f"{2014 + i % 10}-12-31", XSD + "date")),
                         (KG + "status", _lit("Active")),
                         (KG + "projectType", _lit("Development")), (KG + "coverage", _lit("National")),
                         (KG + "identifier", _lit(f"PR.{i:05d}"))):
                t(project, p, v)
        funders = {entity("FundingSource", *rng.choice(sources)) if rng.random() < 0.4
                   else entity("Organization", *orgs[rng.choices(range(n_orgs), org_weights)[0]])
                   for _ in range(1 + (rng.random() < 0.5))}
        implementers = {entity("Organization", *orgs[k]) for k in rng.choices(range(n_orgs), org_weights,
                                                                             k=1 + (rng.random() < 0.5))}
        places = rng.sample(towns, 2 + (rng.random() < 0.5))
        k = 0
        sentence = f"The {theme} project is funded by its partners and will benefit returnees in {len(places)} towns."
        for f in sorted(funders):
            relate(f, "funds", project, doc, sentence, k := k + 1)
        for org in sorted(implementers):
            relate(org, "implements", project, doc, f"It is implemented by IOM and partners, document {i}.", k := k + 1)
        for town in places:
            relate(project, "benefits", town, doc,
                   f"The project will benefit families in the municipality, document {i}.", k := k + 1)
        persons = []
        for _ in range(2):
            if people and rng.random() < 0.3:
                person_slug = rng.choice(people)
            else:
                person_slug = f"person-{len(people):06d}"
                people.append(person_slug)
            person = entity("Person", person_slug, f"Person {person_slug[7:]}")
            org = entity("Organization", *orgs[rng.choices(range(n_orgs), org_weights)[0]])
            role = rng.choice(ROLES)
            relate(person, "affiliatedWith", org, doc, f"“We work together,” said the {role}, document {i}.",
                   k := k + 1)
            membership = _iri(f"membership/{_hex(person, org, role)}")
            t(person, KG + "hasMembership", membership)
            t(membership, RDF + "type", f"<{KG}Membership>")
            t(membership, ORG + "member", person)
            t(membership, ORG + "organization", org)
            t(membership, KG + "roleTitle", _lit(role))
            persons.append(person)
        if i % 7 == 0:
            child, parent = rng.sample(range(n_orgs), 2)
            relate(entity("Organization", *orgs[child]), "subOrganizationOf", entity("Organization", *orgs[parent]),
                   doc, f"The office is part of the ministry, document {i}.", k := k + 1)
        # Figures: the project's money, and returnees in a department in a year.
        for n, (measure, unit), target, year in ((0, MEASURES[2], project, None),
                                                 (1, MEASURES[rng.randrange(2)], rng.choice(departments + places),
                                                  str(2012 + rng.randrange(12)))):
            value = rng.randrange(100, 90000)
            figure = _iri(f"figure/{_hex(doc_hex, n)}")
            stated = f"{'USD ' if unit == 'USD' else ''}{value:,}{'' if unit == 'USD' else ' ' + measure}"
            for p, v in ((RDF + "type", f"<{KG}Figure>"), (RDFS + "label", _lit(f"{measure}: {stated}")),
                         (KG + "value", _lit(f"{value}.0", XSD + "decimal")), (KG + "unit", _lit(unit)),
                         (KG + "measure", _lit(measure)), (KG + "statedAs", _lit(stated)),
                         (KG + "approximate", _lit("false", XSD + "boolean")), (KG + "statedIn", doc),
                         (PROV + "wasDerivedFrom", doc), (KG + "refersTo", target),
                         (KG + "sentence", _lit(f"In {year or 'total'}, {stated} were reported, document {i}.")),
                         (KG + "method", _lit("rule:figure")), (KG + "confidence", _lit("0.8", XSD + "decimal"))):
                t(figure, p, v)
            if year:
                t(figure, KG + "year", _lit(year, XSD + "gYear"))
        for mentioned in sorted({project, *funders, *implementers, *places, *persons}):
            t(mentioned, KG + "mentionedIn", doc)
        i += 1

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(out)
    samples = {"Organization": orgs[0][0], "Project": projects[0], "FundingSource": sources[0][0],
               "Municipality": towns[0], "Department": departments[0], "Country": countries[0], "Person": people[0]}
    samples = {cls: (v if v.startswith("<") else _iri(f"{CLASS_PATHS[cls]}/{v}"))[1:-1] for cls, v in samples.items()}
    return {"path": path, "triples": len(out), "documents": i, "samples": samples}


# Which sample entity fills a required IRI parameter, by the parameter's name.
PARAM_CLASSES = {"funder": "Organization", "implementer": "Organization", "organization": "Organization",
                 "entity": "Organization", "subject": "Organization", "project": "Project", "object": "Project",
                 "person": "Person", "source": "FundingSource", "municipality": "Municipality",
                 "beneficiary": "Municipality", "department": "Department", "place": "Department",
                 "country": "Country"}
PARAM_VALUES = {"string": "returnees", "integer": "1", "decimal": "1.0", "year": "2020"}


def required_params(query: QueryFile, samples: dict[str, str]) -> dict[str, str]:
    """Values for the query's required parameters, taken from the graph (optional ones stay unbound)."""
    values = {}
    for p in query.params:
        if not p.required:
            continue
        if p.type == "iri":
            values[p.name] = KG + "implements" if p.name == "predicate" else \
                samples[PARAM_CLASSES.get(p.name, "Organization")]
        else:
            values[p.name] = PARAM_VALUES[p.type]
    return values


# ---------------------------------------------------------------------------------------------
# Timing


def _timed_cli(name: str, params: dict[str, str], graph: Path, fmt: str | None,
               timeout: float, fresh: bool = True) -> tuple[float | None, str]:
    """Wall seconds of one `kg query` process (None after `timeout`), and its stderr; with `fresh`, the query
    runs on the store (--fresh), else the answer kept from an earlier call is printed (kg.answers)."""
    cmd = [sys.executable, "-m", "kg.cli", "query", name, "--graph", str(graph), *(["--format", fmt] if fmt else []),
           *(["--fresh"] if fresh else [])]
    for key, value in params.items():
        cmd += ["--param", f"{key}={value}"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                              timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None, ""
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"kg query {name} failed: {proc.stderr.strip()}")
    return elapsed, proc.stderr


def _repeat(measure, repeats: int, slow: float = 5.0) -> float | None:
    """Median of `repeats` runs of `measure()` (one run when the first is slower than `slow` s or times out)."""
    first = measure()
    if first is None or first > slow or repeats <= 1:
        return first
    times = [first] + [measure() for _ in range(repeats - 1)]
    return statistics.median(t for t in times if t is not None)


def process_start(repeats: int = 3) -> dict[str, float]:
    """Seconds for `python -c pass` and `python -m kg.cli --version`: the floor under every `kg query` call."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def timed(cmd: list[str]) -> float:
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True, cwd=ROOT)
        return time.perf_counter() - start

    return {"python": statistics.median(timed([sys.executable, "-c", "pass"]) for _ in range(repeats)),
            "kg": statistics.median(timed([sys.executable, "-m", "kg.cli", "--version"]) for _ in range(repeats))}


def _rdflib_child(graph, text: str, conn) -> None:
    start = time.perf_counter()
    try:
        rows = len(list(graph.query(text)))
    except Exception as exc:  # rdflib's SPARQL engine raises many unrelated types: report which one
        conn.send((None, None, f"{type(exc).__name__}: {exc}"))
    else:
        conn.send((time.perf_counter() - start, rows, None))
    conn.close()


def rdflib_worker(graph_path: str, jobs_path: str, timeout: float) -> None:
    """Parse the graph once with rdflib; run each job in a forked child killed after `timeout` s (JSON lines out)."""
    from rdflib import Graph

    start = time.perf_counter()
    graph = Graph()
    graph.parse(graph_path, format="nt")
    print(json.dumps({"parse_s": time.perf_counter() - start, "triples": len(graph)}), flush=True)
    fork = multiprocessing.get_context("fork")
    for job in json.loads(Path(jobs_path).read_text(encoding="utf-8")):
        receive, send = fork.Pipe(duplex=False)
        child = fork.Process(target=_rdflib_child, args=(graph, job["text"], send))
        child.start()
        send.close()
        result = {"name": job["name"], "seconds": None, "rows": None, "error": None}
        if receive.poll(timeout):
            try:
                result["seconds"], result["rows"], result["error"] = receive.recv()
            except EOFError:
                child.join()
                result["error"] = f"the process died (exit code {child.exitcode})"
        else:
            child.kill()
        child.join()
        receive.close()
        print(json.dumps(result), flush=True)


def _rdflib_times(graph: Path, jobs: list[dict], timeout: float, tmp: Path) -> tuple[float, dict[str, dict]]:
    jobs_path = tmp / "rdflib-jobs.json"
    jobs_path.write_text(json.dumps(jobs), encoding="utf-8")
    cmd = [sys.executable, "-m", "benchmarks.bench_queries", "--rdflib-worker", str(graph), str(jobs_path),
           str(timeout)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=3600 + timeout * (len(jobs) + 1))
    if proc.returncode != 0:
        raise RuntimeError(f"rdflib worker failed: {proc.stderr.strip()[-2000:]}")
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return lines[0]["parse_s"], {r["name"]: r for r in lines[1:]}


def run(sizes=(100_000, 1_000_000), *, queries: tuple[str, ...] | None = None, repeats: int = 3,
        timeout: float = DEFAULT_TIMEOUT, fmt: str = "tsv", rdflib: bool = True, seed: int = 7,
        progress: bool = False) -> list[dict]:
    """One row per (size, query): seconds for the `kg query` call, in process, and with rdflib; rows returned.

    `queries` limits the run to some shipped queries (by name); `timeout` caps each rdflib query.
    """
    catalogue = Catalogue()
    chosen = [catalogue.find(q) for q in queries] if queries else catalogue.queries
    rows: list[dict] = []

    def say(message: str) -> None:
        if progress:
            print(message, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="kg-bench-queries-") as tmp_name:
        tmp = Path(tmp_name)
        for size in sizes:
            started = time.perf_counter()
            info = synthetic_graph(size, tmp / f"{size}" / "graph.nt", seed=seed)
            generate_s = time.perf_counter() - started
            graph = info["path"]
            opened = open_store(graph)
            store_s, stored = opened.seconds, len(opened.store)
            del opened
            say(f"{size:,}: {info['triples']:,} triples, {info['documents']:,} documents; generated in "
                f"{generate_s:.1f} s, store built in {store_s:.1f} s")
            jobs = []
            for q in chosen:
                params = required_params(q, info["samples"])
                # CONSTRUCT/DESCRIBE results are always written as Turtle.
                shown = fmt if query_form(q.text) in ("SELECT", "ASK") else None
                cli_s = _repeat(lambda: _timed_cli(q.name, params, graph, shown, CLI_TIMEOUT)[0], repeats)
                kept_s = _repeat(lambda: _timed_cli(q.name, params, graph, shown, CLI_TIMEOUT, fresh=False)[0],
                                 repeats) if cli_s is not None else None
                result = None

                def in_process() -> float:
                    nonlocal result
                    start = time.perf_counter()
                    result = run_query(q, params, graph=graph)
                    return time.perf_counter() - start

                local_s = _repeat(in_process, repeats) if cli_s is not None else None
                say(f"  {q.name}: kg query {_seconds(cli_s, CLI_TIMEOUT)}, in process {_seconds(local_s, CLI_TIMEOUT)}"
                    f", {len(result) if result is not None else '?'} rows")
                rows.append({"query": q.name, "size": size, "triples": stored,
                             "rows": len(result) if result is not None else None,
                             "kg_query_s": cli_s, "kept_s": kept_s, "in_process_s": local_s, "rdflib_s": None,
                             "rdflib_rows": None,
                             "rdflib_error": None,
                             "rdflib_timeout_s": timeout, "speedup": None, "generate_s": round(generate_s, 2),
                             "store_build_s": round(store_s, 2), "rdflib_parse_s": None})
                jobs.append({"name": q.name, "text": prepare(q, params)[1]})
            if rdflib:
                say(f"  rdflib: parsing {info['triples']:,} triples, then {len(jobs)} queries "
                    f"(each capped at {timeout:g} s)")
                parse_s, timings = _rdflib_times(graph, jobs, timeout, tmp)
                for row in rows[-len(jobs):]:
                    timing = timings[row["query"]]
                    row.update(rdflib_s=timing["seconds"], rdflib_rows=timing["rows"], rdflib_error=timing["error"],
                               rdflib_parse_s=round(parse_s, 2))
                    row["speedup"] = "n/a" if timing["error"] else _speedup(row["rdflib_s"], row["in_process_s"],
                                                                            timeout)
                    say(f"  {row['query']}: rdflib {rdflib_cell(row)}")
    return rows


def _speedup(rdflib_s: float | None, local_s: float | None, timeout: float) -> str:
    if local_s is None:
        return "n/a"
    floor = max(local_s, 1e-4)
    ratio = (timeout if rdflib_s is None else rdflib_s) / floor
    shown = f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:.1f}x"
    return f"> {shown}" if rdflib_s is None else shown


def _seconds(value: float | None, timeout: float) -> str:
    if value is None:
        return f"> {timeout:g} s"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def table(rows: list[dict], start: dict[str, float] | None = None) -> str:
    """A Markdown table: query, size, embedded store (kg query call), in-process, rdflib, speed-up, rows."""
    head = ["query", "size", "kg query call", "answer kept", "in-process", "rdflib", "speed-up", "rows"]
    cells = [[r["query"], f"{r['triples']:,}", _seconds(r["kg_query_s"], CLI_TIMEOUT),
              _seconds(r["kept_s"], CLI_TIMEOUT),
              _seconds(r["in_process_s"], CLI_TIMEOUT),
              rdflib_cell(r),
              r["speedup"] or "n/a", _rows(r)] for r in rows]
    widths = [max(len(line[i]) for line in [head, *cells]) for i in range(len(head))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |",
             "| " + " | ".join("-" * w if i == 0 else "-" * (w - 1) + ":" for i, w in enumerate(widths)) + " |"]
    lines += ["| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths)))
              + " |" for line in cells]
    notes = []
    for size in dict.fromkeys(r["size"] for r in rows):
        r = next(r for r in rows if r["size"] == size)
        parse = f"; rdflib parse {r['rdflib_parse_s']:.1f} s" if r["rdflib_parse_s"] is not None else ""
        notes.append(f"{r['triples']:,} triples: generated in {r['generate_s']:.1f} s, store built in "
                     f"{r['store_build_s']:.1f} s{parse}")
    if start:
        notes.append(f"process start: python -c pass {start['python']:.3f} s; kg --version {start['kg']:.3f} s")
    if start and "load_before" in start:
        # Other work on the machine slows every timing down: say how busy it was (os.getloadavg, 1/5/15 min).
        loads = " / ".join(" ".join(f"{x:.2f}" for x in start[k]) for k in ("load_before", "load_after"))
        notes.append(f"load average before / after the run: {loads} ({os.cpu_count()} CPUs)")
    notes.append("kg query call: a subprocess `kg query NAME --graph FILE --format tsv --fresh` (CONSTRUCT: Turtle), "
                 "the query run on the store, median of 3 (one run when slower than 5 s); answer kept: the same call "
                 "without --fresh, which prints the answer kept by the call before (kg.answers); in-process: kg.query.run_query on the same store, which the "
                 "process keeps open as a notebook does, rows materialised, not formatted; rdflib: the same query "
                 "text on an in-memory rdflib Graph, parse excluded; speed-up: rdflib / in-process")
    return "\n".join(lines + [""] + [f"- {n}" for n in notes])


def rdflib_cell(row: dict) -> str:
    """The rdflib time of a row: seconds, "> N s" after the timeout, "not run", or the error it raised."""
    if row["rdflib_parse_s"] is None:
        return "not run"
    if row["rdflib_error"]:
        return f"error ({row['rdflib_error'].split(':')[0]})"
    return _seconds(row["rdflib_s"], row["rdflib_timeout_s"])


def _rows(row: dict) -> str:
    shown = "" if row["rows"] is None else f"{row['rows']:,}"
    if row["rdflib_rows"] is not None and row["rdflib_rows"] != row["rows"]:
        shown += f" (rdflib {row['rdflib_rows']:,})"
    return shown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, help="graph sizes in triples (default: 100000 1000000)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per rdflib query")
    parser.add_argument("--no-rdflib", action="store_true", help="skip rdflib")
    parser.add_argument("--query", action="append", metavar="NAME", dest="queries",
                        help="time only this shipped query (repeatable; default: all of them)")
    parser.add_argument("--rdflib-worker", nargs=3, metavar=("GRAPH", "JOBS", "TIMEOUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rdflib_worker:
        graph, jobs, timeout = args.rdflib_worker
        rdflib_worker(graph, jobs, float(timeout))
        return 0
    start = process_start()
    start["load_before"] = os.getloadavg()
    rows = run(tuple(args.sizes) or (100_000, 1_000_000), queries=tuple(args.queries or ()) or None,
               timeout=args.timeout, rdflib=not args.no_rdflib, progress=True)
    start["load_after"] = os.getloadavg()
    print(table(rows, start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
