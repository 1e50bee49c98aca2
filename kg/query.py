"""SPARQL from files: the shipped query catalogue, header parsing, safe parameter binding, local and remote runs.

A query file is `queries/NN-slug.rq`: a header of `#+ key: value` lines (YAML once the `#+` is taken
off: summary, description, params, returns), then plain SPARQL that runs unchanged in any SPARQL tool.

Parameters are bound as data, never pasted into the text: each value is converted to an RDF term
(IRIs validated, literals escaped by pyoxigraph's N-Triples serialiser) and joined to the query as a
`VALUES (?a ?b) { (<iri> "x") }` block at the start of its WHERE clause. The same bound text runs on
the local pyoxigraph store and at a remote endpoint, so both give the same rows. (pyoxigraph's own
`substitutions=` would be the local alternative, but in 0.5 it treats a substituted variable as
unbound in BOUND() and still reports its value on rows where an OPTIONAL did not match it, so local
results would differ from those of a VALUES block at an endpoint.)
"""

from __future__ import annotations

import ast
import csv
import datetime
import functools
import io
import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple

import pyoxigraph as ox
import yaml

from kg.errors import QueryError
from kg.vocab import PREFIXES
from kg.settings import PACKAGE_DIR, Settings
from kg.store import DEFAULT_TIMEOUT, DEFAULT_TRIES, EndpointError, HTTPStatusError, auth_headers, check_url, \
    load_into, open_store, with_retries

# Installed wheels carry a copy of queries/ inside the package; a source checkout uses the top-level folder.
QUERIES_DIR = next((p for p in (PACKAGE_DIR / "_queries", PACKAGE_DIR.parent / "queries") if p.is_dir()),
                   PACKAGE_DIR.parent / "queries")
PARAM_TYPES = ("iri", "string", "integer", "decimal", "year")
FORMATS = ("table", "csv", "tsv", "json", "md")
XSD = "http://www.w3.org/2001/XMLSchema#"
UPDATE_OPERATIONS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY")
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
# Characters that may not appear in an IRI (SPARQL's IRIREF production), besides controls and space.
IRI_FORBIDDEN = '<>"{}|^`\\'
TABLE_CELL_LIMIT = 60


# ---------------------------------------------------------------------------------------------
# Query files and the catalogue


@dataclass(frozen=True)
class Param:
    name: str
    type: str = "string"
    required: bool = False
    description: str = ""

    def describe(self) -> str:
        return f"{self.name} ({self.type}, {'required' if self.required else 'optional'})"


@dataclass(frozen=True)
class QueryFile:
    """A query file: its header fields and its text (header included, so error lines match the file)."""

    path: Path
    summary: str
    description: str
    params: tuple[Param, ...]
    returns: tuple[str, ...]
    text: str

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def slug(self) -> str:
        return slug_of(self.path)


def slug_of(path: Path) -> str:
    """`funders` for `01-funders.rq`."""
    return re.sub(r"^\d+-", "", path.stem)


def parse_header(text: str, source: str = "query") -> dict:
    """The `#+` header at the top of a query file as a dict ({} when there is none)."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#+"):
            body = stripped[2:]
            lines.append(body[1:] if body.startswith(" ") else body)
        elif stripped and not lines:
            break  # the header, if any, comes first
        elif lines and not stripped.startswith("#+"):
            break
    if not lines:
        return {}
    try:
        header = yaml.safe_load("\n".join(lines))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise QueryError(f"{source}{where}: the #+ header is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if header is None:
        return {}
    if not isinstance(header, dict):
        raise QueryError(f"{source}: the #+ header must be `key: value` lines, not {type(header).__name__}")
    return header


def read_query(path: str | Path) -> QueryFile:
    """A query file with its header parsed; a file without a header is a query without parameters."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"{path}: cannot read the query file: {exc}") from None
    header = parse_header(text, str(path))
    known = {"summary", "description", "params", "returns"}
    unknown = sorted(set(header) - known)
    if unknown:
        raise QueryError(f"{path}: unknown header key(s) {', '.join(unknown)}; expected {', '.join(sorted(known))}")
    params = tuple(_param(p, path) for p in header.get("params") or [])
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise QueryError(f"{path}: a parameter is declared twice in the header: {', '.join(names)}")
    returns = header.get("returns") or ()
    if isinstance(returns, str):
        returns = [r.strip() for r in returns.split(",") if r.strip()]
    return QueryFile(path, str(header.get("summary") or "").strip(), str(header.get("description") or "").strip(),
                     params, tuple(str(r) for r in returns), text)


def _param(raw: object, path: Path) -> Param:
    if not isinstance(raw, dict) or "name" not in raw:
        raise QueryError(f"{path}: each entry of params needs at least `name:` (and type, required, description)")
    name, kind = str(raw["name"]), str(raw.get("type", "string"))
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise QueryError(f"{path}: parameter name '{name}' is not a SPARQL variable name")
    if kind not in PARAM_TYPES:
        raise QueryError(f"{path}: parameter {name} has unknown type '{kind}'; expected one of {', '.join(PARAM_TYPES)}")
    return Param(name, kind, bool(raw.get("required", False)), str(raw.get("description") or "").strip())


class Catalogue:
    """The query files of a folder (default: the shipped `queries/`), found by file name, slug or number.

    Headers are parsed when asked for: `find` reads only the file it returns (a `kg query` call then
    spends ~1 ms on YAML rather than ~20 ms for the whole catalogue).
    """

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder is not None else QUERIES_DIR
        self.paths = sorted(self.folder.glob("*.rq"))

    @functools.cached_property
    def queries(self) -> list[QueryFile]:
        return [read_query(p) for p in self.paths]

    def names(self) -> list[str]:
        return [p.stem for p in self.paths]

    def find(self, ref: str | Path) -> QueryFile:
        """`01-funders`, `funders`, `01`, or the path of any .rq file."""
        ref_text = str(ref)
        for p in self.paths:
            if ref_text in (p.stem, slug_of(p), p.name) or ref_text == p.stem.split("-", 1)[0]:
                return read_query(p)
        path = Path(ref_text)
        if path.suffix == ".rq" or path.is_file():
            if path.is_file():
                return read_query(path)
            raise QueryError(f"{path}: no such query file")
        raise QueryError(f"Unknown query '{ref_text}'. Available: {', '.join(self.names()) or '(none)'}")


def find_query(ref: str | Path, folder: str | Path | None = None) -> QueryFile:
    return Catalogue(folder).find(ref)


# ---------------------------------------------------------------------------------------------
# Parameters


def bind_params(query: QueryFile, raw: Mapping[str, str]) -> dict[str, ox.NamedNode | ox.Literal]:
    """Parameter values converted to RDF terms by their declared types; unknown and missing ones refused."""
    declared = {p.name: p for p in query.params}
    expected = ", ".join(p.describe() for p in query.params) or "none (this query takes no parameters)"
    for name in raw:
        if name not in declared:
            raise QueryError(f"{query.name}: unknown parameter '{name}'. Expected: {expected}")
    for p in query.params:
        if p.required and p.name not in raw:
            raise QueryError(f"{query.name}: missing required parameter '{p.name}'. Expected: {expected}")
    return {name: to_term(declared[name], value) for name, value in raw.items()}


def to_term(param: Param, value: str) -> ox.NamedNode | ox.Literal:
    """The RDF term for a parameter value of the parameter's type."""
    where = f"parameter {param.name} ({param.type})"
    if param.type == "iri":
        return ox.NamedNode(validate_iri(expand_iri(value), what=where))
    if param.type == "integer":
        if not re.fullmatch(r"[+-]?\d+", value.strip()):
            raise QueryError(f"{where}: '{value}' is not an integer")
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
    if param.type == "decimal":
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise QueryError(f"{where}: '{value}' is not a decimal number")
        return ox.Literal(value.strip(), datatype=ox.NamedNode(XSD + "decimal"))
    if param.type == "year":
        if not re.fullmatch(r"-?\d{4}", value.strip()):
            raise QueryError(f"{where}: '{value}' is not a year like 2017")
        return ox.Literal(value.strip(), datatype=ox.NamedNode(XSD + "gYear"))
    return ox.Literal(value)


def expand_iri(value: str) -> str:
    """`kg:funds` or `kgr:organization/iom` to a full IRI; anything else unchanged."""
    prefix, sep, rest = value.partition(":")
    namespaces = {**PREFIXES, "kgr": Settings.from_env().base_iri}
    if sep and prefix in namespaces and not rest.startswith("//"):
        return namespaces[prefix] + rest
    return value


def validate_iri(value: str, *, what: str = "IRI") -> str:
    """`value` if it is an absolute IRI that cannot break out of `<...>`, else a QueryError saying why."""
    bad = sorted({c for c in value if c in IRI_FORBIDDEN or ord(c) <= 0x20})
    if bad:
        shown = " ".join("space" if c == " " else repr(c) for c in bad)
        raise QueryError(f"{what}: '{value}' is not a valid IRI: it contains {shown} "
                         f"(no spaces, controls or any of {IRI_FORBIDDEN} allowed)")
    if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", value):
        raise QueryError(f"{what}: '{value}' is not an absolute IRI (like https://w3id.org/kg/resource/...) "
                         f"or a known prefixed name (kgr:organization/iom, kg:funds)")
    try:
        ox.NamedNode(value)
    except ValueError as exc:
        raise QueryError(f"{what}: '{value}' is not a valid IRI: {exc}") from None
    return value


# ---------------------------------------------------------------------------------------------
# Query text: masking, safety checks, binding


_TOKENS = re.compile(
    r"'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n\r]*",
    re.S,
)


def mask(text: str) -> str:
    """`text` with strings, IRIs and comments blanked out (same length, same lines), leaving only syntax."""
    return _TOKENS.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _keyword(words: Sequence[str]) -> re.Pattern[str]:
    # A keyword, not part of a variable (?drop), a prefixed name (ex:load, load:x) or a longer word.
    return re.compile(r"(?<![\w?$:.\-])(" + "|".join(words) + r")(?![\w:\-])", re.I)


_UPDATE = _keyword(UPDATE_OPERATIONS)
_SERVICE = _keyword(["SERVICE"])
_FORM = _keyword([*QUERY_FORMS, *UPDATE_OPERATIONS, "WITH"])
_VALUES = _keyword(["VALUES"])


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT, DESCRIBE, or UPDATE."""
    m = _FORM.search(mask(text))
    if not m:
        return "SELECT"  # not a query at all: the parser reports the syntax error
    word = m.group(1).upper()
    return word if word in QUERY_FORMS else "UPDATE"


def check_query(text: str, *, source: str = "query", allow_update: bool = False, allow_service: bool = False,
                syntax: bool = True) -> str:
    """The query form, after refusing updates and SERVICE unless allowed and reporting syntax errors."""
    masked = mask(text)
    if not allow_update and (m := _UPDATE.search(masked)):
        raise QueryError(f"{source} line {_line(masked, m.start())}: the query contains a SPARQL Update operation "
                         f"({m.group(1).upper()}); kg runs read-only queries unless you pass --allow-update")
    if not allow_service and (m := _SERVICE.search(masked)):
        raise QueryError(f"{source} line {_line(masked, m.start())}: the query calls another endpoint (SERVICE); "
                         f"pass --allow-service to let it")
    form = query_form(text)
    if syntax:
        check_syntax(text, form, source=source)
    return form


def check_syntax(text: str, form: str, *, source: str = "query") -> None:
    """A QueryError with line and column if pyoxigraph cannot parse `text` (nothing is evaluated)."""
    if form == "UPDATE":
        return  # checking an update means running it; the store reports its syntax errors
    if form == "ASK" and _SERVICE.search(mask(text)):
        return  # ASK is evaluated at once, and that would call the service
    try:
        _EMPTY.query(text)  # SELECT/CONSTRUCT/DESCRIBE results are lazy: this only parses
    except SyntaxError as exc:
        raise QueryError(syntax_message(exc, source, text)) from None


_EMPTY = ox.Store()


def syntax_message(exc: SyntaxError, source: str, text: str | None = None) -> str:
    """pyoxigraph's "error at LINE:COL: expected ..." as "SOURCE line L, column C: SPARQL syntax error: ..."."""
    message = str(exc)
    m = re.match(r"error at (\d+):(\d+):\s*(.*)", message, re.S)
    if not m:
        return f"{source}: SPARQL syntax error: {message}"
    detail = " ".join(m.group(3).split())
    if "Prefix not found" in detail and text is not None:
        masked = mask(text)
        declared = set(re.findall(r"(?i)PREFIX\s+([\w.-]*):", masked))
        used = re.findall(r"(?<![\w?$:.\-])([A-Za-z][\w.-]*)?:(?=[\w(%])", masked)
        missing = sorted({u for u in used if u not in declared})
        if missing:
            detail = f"undeclared prefix {', '.join(u + ':' for u in missing)}; add a PREFIX line for it"
    if len(detail) > 160:  # the parser can list every character class it would have accepted
        detail = detail[:159] + "…"
    line, column = int(m.group(1)), int(m.group(2))
    if text is not None and line > len(text.splitlines()):
        return f"{source}: SPARQL syntax error at the end of the query (something left open?): {detail}"
    return f"{source} line {line}, column {column}: SPARQL syntax error: {detail}"


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _top_level_groups(masked: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the outermost `{ ... }` groups of masked query text."""
    groups, depth, start = [], 0, 0
    for i, ch in enumerate(masked):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                groups.append((start, i))
    return groups


def bind_values(text: str, bindings: Mapping[str, ox.NamedNode | ox.Literal], *, source: str = "query") -> str:
    """`text` with `VALUES (?a ?b) { (<iri> "x") }` inserted at the start of its WHERE clause.

    At the start, the engine begins from the given values: Oxigraph otherwise evaluates each OPTIONAL over
    the whole graph before it joins the values (11-evidence with an object at 1M triples: 3 s against
    1 ms). It follows that an OPTIONAL that binds a parameter must match the given value. Where the WHERE
    clause BINDs a parameter itself (at its top level), a VALUES block before the BIND would be an error,
    so the block goes at the end of the clause instead.
    """
    if not bindings:
        return text
    masked = mask(text)
    groups = _top_level_groups(masked)
    where = None
    for n in range(len(groups) - 1, -1, -1):
        before = masked[groups[n - 1][1] + 1 if n else 0:groups[n][0]]
        if not _VALUES.search(before):  # skip a trailing VALUES clause
            where = groups[n]
            break
    if where is None:
        raise QueryError(f"{source}: the query has no WHERE clause to bind parameters in")
    names = " ".join(f"?{name}" for name in bindings)
    row = " ".join(str(term) for term in bindings.values())  # N-Triples form: IRIs checked, literals escaped
    block = f" VALUES ({names}) {{ ({row}) }} "  # on the line of the brace: line numbers stay those of the file
    at = where[1] if _binds_at_top(masked, where, bindings) else where[0] + 1
    bound = text[:at] + block + text[at:]
    # Defence in depth: the block must have added no syntax outside its literals and IRIs.
    if _UPDATE.search(mask(block)) or _SERVICE.search(mask(block)):
        raise QueryError(f"{source}: a parameter value would change the query; refused")
    return bound


def _binds_at_top(masked: str, group: tuple[int, int], names: Iterable[str]) -> bool:
    """Whether a `BIND(... AS ?name)` at the top level of `group` (not in a nested group) binds one of `names`."""
    wanted = set(names)
    depth = 0
    for m in re.finditer(r"[{}]|\bAS\s*[?$](\w+)", masked[group[0] + 1:group[1]], re.I):
        if m.group(0) in "{}":
            depth += 1 if m.group(0) == "{" else -1
        elif depth == 0 and m.group(1) in wanted:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Running


@dataclass(frozen=True)
class Result:
    """Rows of a SELECT, the answer of an ASK, or the triples of a CONSTRUCT/DESCRIBE (or of an update)."""

    kind: str  # "select" | "ask" | "graph" | "update" (an update run at an endpoint)
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[object, ...], ...] = ()
    boolean: bool | None = None
    triples: tuple[ox.Triple, ...] = ()
    message: str = ""

    def __len__(self) -> int:
        """Rows, triples, 1 for an ASK answer, 0 for an update."""
        if self.kind == "select":
            return len(self.rows)
        if self.kind == "graph":
            return len(self.triples)
        return 1 if self.kind == "ask" else 0


def prepare(query: QueryFile, params: Mapping[str, str] | None = None, *, allow_update: bool = False,
            allow_service: bool = False) -> tuple[str, str]:
    """(form, text to run): the file checked, then its parameters bound as a VALUES block."""
    source = str(query.path)
    form = check_query(query.text, source=source, allow_update=allow_update, allow_service=allow_service)
    bindings = bind_params(query, params or {})
    if bindings and form == "UPDATE":
        raise QueryError(f"{source}: parameters cannot be bound in an update")
    return form, bind_values(query.text, bindings, source=source)


def run_query(query: QueryFile | str | Path, params: Mapping[str, str] | None = None, *,
              graph: str | Path | None = None, endpoint: str | None = None, allow_update: bool = False,
              allow_service: bool = False, timeout: float = DEFAULT_TIMEOUT, tries: int = DEFAULT_TRIES,
              env: Mapping[str, str] | None = None) -> Result:
    """Run a query (a QueryFile, a catalogue name or a path) on a graph file or at a SPARQL endpoint."""
    if not isinstance(query, QueryFile):
        query = find_query(query)
    form, text = prepare(query, params, allow_update=allow_update, allow_service=allow_service)
    if endpoint:
        return run_remote(text, form, endpoint, timeout=timeout, tries=tries, env=env)
    if graph is None:
        graph = Settings.from_env().out_dir / "graph.ttl"
    return run_local(text, form, graph, source=str(query.path))


def run_local(text: str, form: str, graph: str | Path, *, source: str = "query") -> Result:
    """Run checked, bound query text on the cached store of a graph file.

    A final ORDER BY on variables is done here in Python (see `order_rows`): Oxigraph's on-disk store
    reads both strings from RocksDB at every comparison, which made sorting 10k rows cost more than
    finding them. Where the rows cannot be put in exactly the order Oxigraph would give, the query runs
    again with its ORDER BY. An update runs on an in-memory copy (the graph file and its store are
    never changed) and the result is the updated graph.
    """
    try:
        if form == "UPDATE":
            scratch = ox.Store()
            load_into(scratch, Path(graph))
            scratch.update(text)
            triples = tuple(sorted((q.triple for q in scratch), key=str))
            return Result("graph", triples=triples, message="update applied to an in-memory copy of the graph; "
                                                            "the graph file is unchanged")
        store = open_store(graph).store
        if form == "SELECT" and (split := split_order_by(text)) is not None:
            unordered, keys = split
            ordered = order_rows(from_pyoxigraph(store.query(unordered)), keys)
            if ordered is not None:
                return ordered
        return from_pyoxigraph(store.query(text))
    except SyntaxError as exc:
        raise QueryError(syntax_message(exc, source, text)) from None
    except OSError as exc:  # pyoxigraph's evaluation errors (a failing SERVICE call, a full disk)
        raise QueryError(f"{source}: the query failed: {exc}") from None


def from_pyoxigraph(results: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> Result:
    if isinstance(results, ox.QueryBoolean):
        return Result("ask", boolean=bool(results))
    if isinstance(results, ox.QuerySolutions):
        variables = tuple(v.value for v in results.variables)
        return Result("select", variables, tuple(map(tuple, results)))  # a solution iterates over all variables
    return Result("graph", triples=tuple(results))


# ---------------------------------------------------------------------------------------------
# ORDER BY in Python


class OrderKey(NamedTuple):
    """One condition of an ORDER BY: `?variable`, `DESC(?variable)`, or `(!BOUND(?variable))` (`unbound`)."""

    variable: str
    descending: bool = False
    unbound: bool = False  # sort on whether the variable is unbound: rows where it is bound come first


_ORDER_CONDITION = re.compile(r"\s*(?:(ASC|DESC)\s*\(\s*[?$](\w+)\s*\)|[?$](\w+)"
                              r"|\(\s*!\s*BOUND\s*\(\s*[?$](\w+)\s*\)\s*\))", re.I)
_ORDER_BY = re.compile(rf"(?<![\w?$:.\-])ORDER\s+BY((?:{_ORDER_CONDITION.pattern})+)\s*$", re.I)
# The literals order_rows sorts itself, with the lexical forms it accepts: valid numbers; dates and years
# without a time zone and with four-digit years, which compare as their text does.
STRING_TYPE = XSD + "string"
NUMBER_FORMS = {XSD + "integer": r"[+-]?\d+", XSD + "decimal": r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"}
DATE_FORMS = {XSD + "date": r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])", XSD + "gYear": r"\d{4}"}


def split_order_by(text: str) -> tuple[str, tuple[OrderKey, ...]] | None:
    """(`text` without its final ORDER BY, its keys), when that ORDER BY is the last clause of the query and
    sorts on variables (`?v`, `ASC(?v)`, `DESC(?v)`, `(!BOUND(?v))`), with no LIMIT or OFFSET after it."""
    masked = mask(text)
    groups = _top_level_groups(masked)
    if not groups:
        return None
    m = _ORDER_BY.search(masked, groups[-1][1] + 1)
    if not m:
        return None
    keys = tuple(OrderKey(variable=c.group(2) or c.group(3) or c.group(4),
                          descending=(c.group(1) or "").upper() == "DESC", unbound=bool(c.group(4)))
                 for c in _ORDER_CONDITION.finditer(m.group(1)))
    return text[:m.start()] + text[m.end():], keys


def order_rows(result: Result, keys: Sequence[OrderKey]) -> Result | None:
    """The rows in the order Oxigraph's ORDER BY on `keys` gives them, or None where that order is not certain.

    SPARQL orders unbound < blank node < IRI < literal; Oxigraph compares IRIs and strings by code point,
    numbers by value, and dates and years without a time zone by their text. Handled: unbound, IRIs,
    plain strings, xsd:integer and xsd:decimal numbers, such xsd:date and xsd:gYear values. Anything
    else (blank nodes, language tags, time zones, strings compared with numbers, a key that is not a
    returned column), and distinct rows that tie on every key (Oxigraph's sort is not stable, so it
    leaves their order to chance), give None: the caller then lets the engine sort. Each key is only
    looked at within the rows that tie on the keys before it.
    """
    try:
        columns = [(result.variables.index(key.variable), key) for key in keys]
    except ValueError:
        return None
    rows = _sorted(list(result.rows), columns)
    return None if rows is None else Result(result.kind, result.variables, tuple(rows))


def _sorted(rows: list[tuple], columns: Sequence[tuple[int, OrderKey]]) -> list[tuple] | None:
    """`rows` sorted on the first column, then each run of equal values on the next ones (see order_rows)."""
    if not columns:
        return rows if all(row == rows[0] for row in rows) else None
    (i, key), rest = columns[0], columns[1:]
    by_term: dict = {}
    for row in rows:
        by_term.setdefault(row[i], []).append(row)
    keys = {term: (term is None) for term in by_term} if key.unbound else _order_keys(by_term)
    if keys is None:
        return None
    ordered: list[tuple] = []
    for _, terms in itertools.groupby(sorted(by_term, key=keys.__getitem__, reverse=key.descending),
                                      key=keys.__getitem__):
        run = [row for term in terms for row in by_term[term]]
        if len(run) > 1:
            run = _sorted(run, rest)
            if run is None:
                return None
        ordered += run
    return ordered


def _order_keys(terms: Iterable) -> dict | None:
    """Each term's sort key (see `_order_key`), or None if one is not handled or literals of kinds that the
    engine alone knows how to compare (strings and numbers) would be compared."""
    keys = {term: _order_key(term) for term in terms}
    if None in keys.values() or len({k[1] for k in keys.values() if k[0] == 2}) > 1:
        return None
    return keys


def _order_key(term: object) -> tuple | None:
    """(0 unbound | 1 IRI | 2 literal, kind of literal, value) ordered as Oxigraph orders, or None if not handled."""
    if term is None:
        return (0, "", 0)
    if isinstance(term, ox.NamedNode):
        return (1, "", term.value)
    if isinstance(term, ox.Literal) and term.language is None:
        datatype = term.datatype.value
        if datatype == STRING_TYPE:
            return (2, "string", term.value)
        if datatype in NUMBER_FORMS and re.fullmatch(NUMBER_FORMS[datatype], term.value):
            return (2, "number", Decimal(term.value))
        if datatype in DATE_FORMS and re.fullmatch(DATE_FORMS[datatype], term.value) and _real_date(term.value):
            return (2, datatype, term.value)
    return None


def _real_date(text: str) -> bool:
    """False for a date that does not exist (2023-02-30), which Oxigraph keeps as text that is not a date."""
    try:
        return len(text) == 4 or bool(datetime.date.fromisoformat(text))
    except ValueError:
        return False


RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


def run_remote(text: str, form: str, endpoint: str, *, timeout: float = DEFAULT_TIMEOUT, tries: int = DEFAULT_TRIES,
               env: Mapping[str, str] | None = None) -> Result:
    """Run checked, bound query text at a SPARQL endpoint through SPARQLWrapper (POST)."""
    from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    check_url(endpoint, "endpoint", example="http://127.0.0.1:7878/query")
    wrapper = SPARQLWrapper(endpoint)
    wrapper.setMethod(POST)
    wrapper.setOnlyConneg(True)
    wrapper.timeout = timeout  # setTimeout() would round to whole seconds
    for name, value in auth_headers(env).items():
        wrapper.addCustomHttpHeader(name, value)
    wrapper.setQuery(text)
    wrapper.setReturnFormat(TURTLE if form in ("CONSTRUCT", "DESCRIBE") else JSON)

    def attempt() -> tuple[bytes, str]:
        try:
            response = wrapper.query().response
            return response.read(), response.headers.get("Content-Type", "")
        except SPARQLWrapperException as exc:
            raise _status_of(exc) from None

    # An update is tried again only when it cannot have reached the server.
    retry = (lambda exc: isinstance(getattr(exc, "reason", exc), ConnectionRefusedError)) if form == "UPDATE" else None
    (body, content_type), _ = with_retries(attempt, url=endpoint, timeout=timeout, tries=tries,
                                           **({"retry": retry} if retry else {}))
    if form == "UPDATE":
        return Result("update", message=f"update applied at {endpoint}")
    media = content_type.split(";")[0].strip().lower()
    try:
        if form in ("CONSTRUCT", "DESCRIBE"):
            fmt = GRAPH_TYPES.get(media)
            if fmt is None:
                raise EndpointError(f"{endpoint}: answered a graph query with '{media}', not an RDF format "
                                    f"({', '.join(GRAPH_TYPES)})")
            triples = tuple(q.triple if isinstance(q, ox.Quad) else q for q in ox.parse(body, format=fmt))
            return Result("graph", triples=triples)
        fmt = RESULT_TYPES.get(media)
        if fmt is None:
            raise EndpointError(f"{endpoint}: answered with '{media}', not SPARQL results "
                                f"({', '.join(RESULT_TYPES)})")
        return from_pyoxigraph(ox.parse_query_results(body, format=fmt))
    except (SyntaxError, ValueError) as exc:
        raise EndpointError(f"{endpoint}: truncated or invalid response: {exc}") from None


_SW_STATUS = {"QueryBadFormed": 400, "Unauthorized": 401, "EndPointNotFound": 404, "URITooLong": 414,
              "EndPointInternalError": 500}


def _status_of(exc: Exception) -> HTTPStatusError:
    """SPARQLWrapper's exception for an HTTP error as the status and body it hides in its message."""
    status = _SW_STATUS.get(type(exc).__name__, 500)
    message = str(exc)
    body = b""
    if "Response:\n" in message:
        try:
            body = ast.literal_eval(message.split("Response:\n", 1)[1].strip())
        except (ValueError, SyntaxError):
            body = b""
    return HTTPStatusError(status, type(exc).__name__, body if isinstance(body, bytes) else str(body).encode())


# ---------------------------------------------------------------------------------------------
# Output


def format_result(result: Result, fmt: str = "table") -> str:
    """The result as text: table, csv, tsv, json (SPARQL 1.1 JSON results) or md; graphs as Turtle."""
    if fmt not in FORMATS:
        raise QueryError(f"unknown format '{fmt}'; expected one of {', '.join(FORMATS)}")
    if result.kind == "graph":
        if fmt != "table":
            raise QueryError(f"a CONSTRUCT or DESCRIBE query gives an RDF graph, written as Turtle; "
                             f"--format {fmt} is for SELECT and ASK results (use --format table or leave it out)")
        return turtle(result.triples)
    if result.kind == "ask":
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": result.boolean}, indent=2) + "\n"
        return ("true" if result.boolean else "false") + "\n"
    if result.kind == "update":
        return result.message + "\n"
    if fmt == "json":
        return json_lines(sparql_json(result))
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")  # SPARQL 1.1 CSV: RFC 4180 line ends
        writer.writerow(result.variables)
        for row in result.rows:
            writer.writerow(["" if t is None else _plain(t) for t in row])
        return buffer.getvalue()
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in result.variables)]
        lines += ["\t".join("" if t is None else str(t) for t in row) for row in result.rows]
        return "\n".join(lines) + "\n"
    namespaces = _namespaces()
    cells = [[_short(t, namespaces) for t in row] for row in result.rows]
    if fmt == "md":
        def esc(s: str) -> str:
            return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
        lines = ["| " + " | ".join(result.variables) + " |", "|" + "|".join(" --- " for _ in result.variables) + "|"]
        lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in cells]
        return "\n".join(lines) + "\n"
    cut = [[c if len(c) <= TABLE_CELL_LIMIT else c[:TABLE_CELL_LIMIT - 1] + "…" for c in row] for row in cells]
    widths = [max([len(v)] + [len(r[i]) for r in cut]) for i, v in enumerate(result.variables)]
    lines = ["  ".join(v.ljust(w) for v, w in zip(result.variables, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.replace("\n", " ").ljust(w) for c, w in zip(row, widths)).rstrip() for row in cut]
    return "\n".join(lines) + "\n"


def sparql_json(result: Result) -> dict:
    """A SELECT result in the SPARQL 1.1 Query Results JSON Format."""
    entries: dict = {}  # one entry per distinct term: labels and IRIs repeat from row to row
    bindings = []
    for row in result.rows:
        binding = {}
        for var, term in zip(result.variables, row):
            if term is None:
                continue
            entry = entries.get(term)
            if entry is None:
                entry = entries[term] = _json_term(term)
            binding[var] = entry
        bindings.append(binding)
    return {"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}


def _json_term(term: object) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        entry = {"type": "literal", "value": term.value}
        if term.language:
            entry["xml:lang"] = term.language
        elif term.datatype.value != XSD + "string":
            entry["datatype"] = term.datatype.value
        return entry
    return {"type": "triple", "value": str(term)}


def json_lines(results: dict) -> str:
    """SPARQL 1.1 JSON results with one binding per line.

    json.dumps with `indent` falls back to its pure-Python encoder: 3.7 s for the 50k rows of 11-evidence
    at 1M triples, against 0.8 s for the C encoder writing each binding on one line.
    """
    encode = json.JSONEncoder(ensure_ascii=False).encode
    head = encode(results["head"])
    bindings = ",\n".join(map(encode, results["results"]["bindings"]))
    return f'{{"head": {head}, "results": {{"bindings": [\n{bindings}\n]}}}}\n' if bindings else \
        f'{{"head": {head}, "results": {{"bindings": []}}}}\n'


def turtle(triples: Sequence[ox.Triple]) -> str:
    """Triples as Turtle with the project's prefixes, in a stable order (blank nodes renamed by what is said
    about them: the engine labels them at random)."""
    # Entity IRIs stay whole: as kgr: names their slashes would need escaping (kgr:country\/sv).
    prefixes = dict(PREFIXES)
    data = ox.serialize(sorted(stable_blank_nodes(triples), key=str), format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    return data.decode("utf-8")


def stable_blank_nodes(triples: Sequence[ox.Triple]) -> Sequence[ox.Triple]:
    """The triples with each blank node renamed b0, b1, ... in the order of the sorted triples it is in (other
    blank nodes in them masked), so that the same answer is written the same way every time. Blank nodes
    told apart only by other blank nodes may still swap names; kg's queries make none such."""
    said: dict[ox.BlankNode, list[str]] = {}
    for t in triples:
        s, o = isinstance(t.subject, ox.BlankNode), isinstance(t.object, ox.BlankNode)
        if s or o:
            line = f"{'_' if s else t.subject} {t.predicate} {'_' if o else t.object}"
            if s:
                said.setdefault(t.subject, []).append("s " + line)
            if o:
                said.setdefault(t.object, []).append("o " + line)
    if not said:
        return triples
    order = sorted(said, key=lambda b: sorted(said[b]))
    names = {b: ox.BlankNode(f"b{i}") for i, b in enumerate(order)}
    return [ox.Triple(names.get(t.subject, t.subject), t.predicate, names.get(t.object, t.object))
            if t.subject in names or t.object in names else t for t in triples]


def _plain(term: object) -> str:
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return getattr(term, "value", str(term))


def _namespaces() -> list[tuple[str, str]]:
    pairs = [*PREFIXES.items(), ("kgr", Settings.from_env().base_iri)]
    return sorted(pairs, key=lambda kv: -len(kv[1]))


def _short(term: object, namespaces: list[tuple[str, str]]) -> str:
    """A term as a person reads it: prefixed IRIs, plain literal values."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, ns in namespaces:
            if term.value.startswith(ns) and len(term.value) > len(ns):
                return f"{prefix}:{term.value[len(ns):]}"
        return f"<{term.value}>"
    return _plain(term)
