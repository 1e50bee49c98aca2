"""The shipped queries, rewritten for speed, against their plain formulations (as first written): the same
rows, in an order that refines the plain one, on the sample graph and on a synthetic graph, with and without
parameters. kg binds a parameter at the start of the WHERE clause; the plain queries get it at the end (a
trailing VALUES clause), as kg bound it before, so the two placements are shown to agree as well."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from benchmarks.bench_queries import synthetic_graph
from kg.query import QUERIES_DIR, bind_params, find_query, run_query
from kg.store import open_store

# The plain formulations (queries/*.rq before they were rewritten for Oxigraph's on-disk store).
PLAIN = {
    "01-funders": """PREFIX kg: <https://w3id.org/kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?funder ?funderLabel ?project ?projectLabel ?amount ?currency
WHERE {
  ?funder kg:funds ?project .
  ?funder rdfs:label ?funderLabel .
  ?project rdfs:label ?projectLabel .
  OPTIONAL { ?project kg:budgetAmount ?amount }
  OPTIONAL { ?project kg:currency ?currency }
}
ORDER BY ?funderLabel ?projectLabel
""",
    "02-implementers": """PREFIX kg: <https://w3id.org/kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?implementer ?implementerLabel ?project ?projectLabel
       (GROUP_CONCAT(DISTINCT ?funderLabel; SEPARATOR="; ") AS ?funders)
WHERE {
  ?implementer kg:implements ?project .
  ?implementer rdfs:label ?implementerLabel .
  ?project rdfs:label ?projectLabel .
  OPTIONAL { ?funder kg:funds ?project . ?funder rdfs:label ?funderLabel }
}
GROUP BY ?implementer ?implementerLabel ?project ?projectLabel
ORDER BY ?implementerLabel ?projectLabel
""",
    "03-co-implementers": """PREFIX kg: <https://w3id.org/kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?organization ?organizationLabel ?partner ?partnerLabel
       (COUNT(DISTINCT ?project) AS ?sharedProjects)
       (GROUP_CONCAT(DISTINCT ?projectLabel; SEPARATOR="; ") AS ?projects)
WHERE {
  ?organization kg:implements ?project .
  ?partner kg:implements ?project .
  FILTER (?organization != ?partner)
  ?organization rdfs:label ?organizationLabel .
  ?partner rdfs:label ?partnerLabel .
  ?project rdfs:label ?projectLabel .
}
GROUP BY ?organization ?organizationLabel ?partner ?partnerLabel
ORDER BY DESC(?sharedProjects) ?organizationLabel ?partnerLabel
""",
    "04-projects-by-municipality": """PREFIX kg: <https://w3id.org/kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?municipality ?municipalityLabel ?municipality2024Label ?department ?departmentLabel ?project ?projectLabel
       (GROUP_CONCAT(DISTINCT ?funderLabel; SEPARATOR="; ") AS ?funders)
       (GROUP_CONCAT(DISTINCT ?implementerLabel; SEPARATOR="; ") AS ?implementers)
WHERE {
  ?project a kg:Project ;
    kg:benefits ?municipality ;
    rdfs:label ?projectLabel .
  ?municipality a kg:Municipality ;
    rdfs:label ?municipalityLabel ;
    kg:partOf* ?department .
  ?department a kg:Department ;
    rdfs:label ?departmentLabel .
  OPTIONAL {
    ?municipality kg:partOf ?municipality2024 .
    ?municipality2024 a kg:Municipality ; rdfs:label ?municipality2024Label .
  }
  OPTIONAL { ?funder kg:funds ?project . ?funder rdfs:label ?funderLabel }
  OPTIONAL { ?implementer kg:implements ?project . ?implementer rdfs:label ?implementerLabel }
}
GROUP BY ?municipality ?municipalityLabel ?municipality2024Label ?department ?departmentLabel ?project ?projectLabel
ORDER BY ?departmentLabel ?municipalityLabel ?projectLabel
""",
    "05-projects-by-department": """PREFIX kg: <https://w3id.org/kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?department ?departmentLabel ?project ?projectLabel
       (GROUP_CONCAT(DISTINCT ?placeLabel; SEPARATOR="; ") AS ?places)
       (GROUP_CONCAT(DISTINCT ?funderLabel; SEPARATOR="; ") AS ?funders)
       (GROUP_CONCAT(DISTINCT ?implementerLabel; SEPARATOR="; ") AS ?implementers)
WHERE {
  ?project a kg:Project ;
    kg:benefits ?place ;
    rdfs:label ?projectLabel .
  ?place kg:partOf* ?department ;
    rdfs:label ?placeLabel .
  ?department a kg:Department ;
    rdfs:label ?departmentLabel .
  OPTIONAL { ?funder kg:funds ?project . ?funder rdfs:label ?funderLabel }
  OPTIONAL { ?implementer kg:implements ?project . ?implementer rdfs:label ?implementerLabel }
}
GROUP BY ?department ?departmentLabel ?project ?projectLabel
ORDER BY ?departmentLabel ?projectLabel
""",
    "06-project-beneficiaries": """PREFIX kg: <https://w3id.org/kg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?project ?projectLabel ?beneficiary ?beneficiaryLabel
       (SAMPLE(?typeName) AS ?beneficiaryType) (MIN(?evidenceSentence) AS ?sentence)
WHERE {
  ?project kg:benefits ?beneficiary ;
    rdfs:label ?projectLabel .
  ?beneficiary rdfs:label ?beneficiaryLabel .
  OPTIONAL {
    ?beneficiary a ?type .
    FILTER (STRSTARTS(STR(?type), "https://w3id.org/kg/ontology#"))
    BIND (STRAFTER(STR(?type), "#") AS ?typeName)
  }
  OPTIONAL {
    ?evidence rdf:subject ?project ;
      rdf:predicate kg:benefits ;
      rdf:object ?beneficiary ;
      kg:sentence ?evidenceSentence .
  }
}
GROUP BY ?project ?projectLabel ?beneficiary ?beneficiaryLabel
ORDER BY ?projectLabel ?beneficiaryLabel
""",
    "07-people-roles": """PREFIX kg: <https://w3id.org/kg/ontology#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?person ?personLabel ?role ?organization ?organizationLabel
WHERE {
  ?membership a kg:Membership ;
    org:member ?person ;
    org:organization ?organization .
  ?person rdfs:label ?personLabel .
  ?organization rdfs:label ?organizationLabel .
  OPTIONAL { ?membership kg:roleTitle ?role }
}
ORDER BY ?personLabel ?organizationLabel
""",
    "08-funding-sources": """PREFIX kg: <https://w3id.org/kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?source ?sourceLabel
       (GROUP_CONCAT(DISTINCT ?altLabel; SEPARATOR="; ") AS ?otherNames)
       ?project ?projectLabel
       (GROUP_CONCAT(DISTINCT ?implementerLabel; SEPARATOR="; ") AS ?implementers)
WHERE {
  ?source a kg:FundingSource ;
    rdfs:label ?sourceLabel .
  OPTIONAL { ?source skos:altLabel ?altLabel }
  OPTIONAL {
    ?source kg:funds ?project .
    ?project rdfs:label ?projectLabel .
    OPTIONAL { ?implementer kg:implements ?project . ?implementer rdfs:label ?implementerLabel }
  }
}
GROUP BY ?source ?sourceLabel ?project ?projectLabel
ORDER BY ?sourceLabel ?projectLabel
""",
    "09-project-timeline": """PREFIX kg: <https://w3id.org/kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?project ?projectLabel ?start ?end ?status ?projectType ?coverage ?budget ?currency
       (GROUP_CONCAT(DISTINCT ?identifier; SEPARATOR="; ") AS ?identifiers)
WHERE {
  ?project a kg:Project ;
    rdfs:label ?projectLabel .
  OPTIONAL { ?project kg:startDate ?start }
  OPTIONAL { ?project kg:endDate ?end }
  OPTIONAL { ?project kg:status ?status }
  OPTIONAL { ?project kg:projectType ?projectType }
  OPTIONAL { ?project kg:coverage ?coverage }
  OPTIONAL { ?project kg:budgetAmount ?budget }
  OPTIONAL { ?project kg:currency ?currency }
  OPTIONAL { ?project kg:identifier ?identifier }
}
GROUP BY ?project ?projectLabel ?start ?end ?status ?projectType ?coverage ?budget ?currency
ORDER BY (!BOUND(?start)) ?start ?projectLabel
""",
    "10-statistics-by-place": """PREFIX kg: <https://w3id.org/kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?place ?placeLabel ?placeType ?year ?measure ?value ?unit ?statedAs ?document
WHERE {
  ?figure a kg:Figure ;
    kg:refersTo ?place ;
    kg:measure ?measure ;
    kg:value ?value .
  ?place a ?class ;
    rdfs:label ?placeLabel .
  VALUES (?class ?placeType) {
    (kg:Country "Country") (kg:Department "Department") (kg:Municipality "Municipality")
  }
  OPTIONAL { ?figure kg:unit ?unit }
  OPTIONAL { ?figure kg:year ?year }
  OPTIONAL { ?figure kg:statedAs ?statedAs }
  OPTIONAL { ?figure kg:statedIn ?document }
}
ORDER BY ?placeLabel ?year ?measure
""",
    "11-evidence": """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX kg: <https://w3id.org/kg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?subject ?subjectLabel ?predicate ?object ?objectLabel ?document ?documentTitle ?sentence ?method ?confidence
WHERE {
  ?evidence a kg:Evidence ;
    rdf:subject ?subject ;
    rdf:predicate ?predicate ;
    rdf:object ?object ;
    kg:sentence ?sentence .
  OPTIONAL { ?subject rdfs:label ?subjectLabel }
  OPTIONAL { ?object rdfs:label ?objectLabel }
  OPTIONAL { ?evidence kg:method ?method }
  OPTIONAL { ?evidence kg:confidence ?confidence }
  OPTIONAL {
    ?evidence kg:evidenceDocument ?document .
    OPTIONAL { ?document dcterms:title ?documentTitle }
  }
}
ORDER BY ?predicate ?subjectLabel ?objectLabel DESC(?confidence) ?sentence
""",
    "12-actor-network": """PREFIX kg: <https://w3id.org/kg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
CONSTRUCT {
  ?node a ?class ;
    rdfs:label ?label .
  ?project kg:amount ?amount ;
    kg:currency ?currency .
  ?s ?p ?o .
  _:edge a rdf:Statement ;
    rdf:subject ?s ;
    rdf:predicate ?p ;
    rdf:object ?o ;
    kg:evidenceCount ?evidenceCount .
}
WHERE {
  {
    VALUES ?class { kg:Organization kg:Person kg:Project kg:FundingSource kg:Municipality kg:Department kg:Country }
    ?node a ?class .
    OPTIONAL { ?node rdfs:label ?label }
  }
  UNION
  {
    ?project a kg:Project .
    OPTIONAL {
      ?project kg:budgetAmount ?budget .
      OPTIONAL { ?project kg:currency ?budgetCurrency }
    }
    OPTIONAL {
      SELECT ?project (MAX(?value) AS ?figureAmount) (MIN(?unit) AS ?figureCurrency)
      WHERE {
        ?figure a kg:Figure ;
          kg:refersTo ?project ;
          kg:value ?value ;
          kg:unit ?unit .
        FILTER(REGEX(STR(?unit), "^[A-Z]{3}$"))
      }
      GROUP BY ?project
    }
    BIND(COALESCE(?budget, ?figureAmount) AS ?amount)
    BIND(IF(BOUND(?budget), ?budgetCurrency, ?figureCurrency) AS ?currency)
  }
  UNION
  {
    SELECT ?s ?p ?o (COUNT(DISTINCT ?evidence) AS ?evidenceCount)
    WHERE {
      VALUES ?p { kg:funds kg:implements kg:benefits kg:affiliatedWith kg:subOrganizationOf kg:partOf }
      VALUES ?sClass { kg:Organization kg:Person kg:Project kg:FundingSource kg:Municipality kg:Department kg:Country }
      VALUES ?oClass { kg:Organization kg:Person kg:Project kg:FundingSource kg:Municipality kg:Department kg:Country }
      ?s ?p ?o .
      ?s a ?sClass .
      ?o a ?oClass .
      OPTIONAL {
        ?evidence a kg:Evidence ;
          rdf:subject ?s ;
          rdf:predicate ?p ;
          rdf:object ?o ;
          kg:sentence ?sentence .
      }
    }
    GROUP BY ?s ?p ?o
  }
}
""",
    "13-co-mentions": """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX kg: <https://w3id.org/kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?entity ?entityLabel ?other ?otherLabel
       (COUNT(DISTINCT ?document) AS ?documents)
       (GROUP_CONCAT(DISTINCT ?title; SEPARATOR="; ") AS ?titles)
WHERE {
  ?entity kg:mentionedIn ?document .
  ?other kg:mentionedIn ?document .
  FILTER (?entity != ?other)
  ?entity rdfs:label ?entityLabel .
  ?other rdfs:label ?otherLabel .
  OPTIONAL { ?document dcterms:title ?title }
}
GROUP BY ?entity ?entityLabel ?other ?otherLabel
ORDER BY DESC(?documents) ?entityLabel ?otherLabel
""",
}
# The ORDER BY of each plain query, as columns (09's `(!BOUND(?start))` is implied by the start column).
ORDER = {"01-funders": "funderLabel projectLabel", "02-implementers": "implementerLabel projectLabel",
         "03-co-implementers": "sharedProjects organizationLabel partnerLabel",
         "04-projects-by-municipality": "departmentLabel municipalityLabel projectLabel",
         "05-projects-by-department": "departmentLabel projectLabel",
         "06-project-beneficiaries": "projectLabel beneficiaryLabel",
         "07-people-roles": "personLabel organizationLabel",
         "08-funding-sources": "sourceLabel projectLabel", "09-project-timeline": "start projectLabel",
         "10-statistics-by-place": "placeLabel year measure",
         "11-evidence": "predicate subjectLabel objectLabel confidence sentence",
         "13-co-mentions": "documents entityLabel otherLabel"}


@pytest.fixture(scope="module")
def graphs(build_result, tmp_path_factory) -> dict[str, Path]:
    """The sample graph, and a synthetic one of about 30k triples shaped like kg's output."""
    folder = tmp_path_factory.mktemp("rewrites")
    sample = folder / "sample.ttl"
    sample.write_bytes(Path(build_result.files["graph.ttl"]).read_bytes())
    return {"sample": sample, "synthetic": synthetic_graph(30_000, folder / "synthetic.nt")["path"]}


def plain(name: str, graph: Path, params: dict[str, str]) -> list[tuple]:
    """Rows of the plain formulation, the parameters bound in a VALUES clause after it."""
    text = PLAIN[name]
    if params:
        bound = bind_params(find_query(name), params)
        text += f"VALUES ({' '.join('?' + k for k in bound)}) {{ ({' '.join(map(str, bound.values()))}) }}\n"
    return [tuple(solution) for solution in open_store(graph).store.query(text)]


def cells(row: tuple) -> tuple[str, ...]:
    """A row as text, the names in a GROUP_CONCAT cell sorted (SPARQL leaves their order to the plan)."""
    return tuple("; ".join(sorted(t.value.split("; "))) if isinstance(t, ox.Literal) and "; " in t.value
                 else "" if t is None else str(t) for t in row)


def assert_same(name: str, variables: tuple[str, ...], rewritten: list[tuple], reference: list[tuple]) -> None:
    """The same rows, and the same sequence of the plain ORDER BY's values (ties may be in another order)."""
    assert Counter(map(cells, rewritten)) == Counter(map(cells, reference)), name
    keys = [variables.index(k) for k in ORDER[name].split()]
    assert [tuple(cells(r)[k] for k in keys) for r in rewritten] == \
           [tuple(cells(r)[k] for k in keys) for r in reference], name


def test_the_plain_formulations_are_those_of_every_shipped_query():
    assert sorted(PLAIN) == sorted(p.stem for p in QUERIES_DIR.glob("*.rq"))


@pytest.mark.parametrize("where", ["sample", "synthetic"])
@pytest.mark.parametrize("name", sorted(set(PLAIN) - {"12-actor-network"}))
def test_rewritten_queries_give_the_rows_of_the_plain_ones(graphs, where, name):
    graph = graphs[where]
    result = run_query(name, graph=graph)
    reference = plain(name, graph, {})
    if name == "13-co-mentions":  # without a parameter: pairs named together in two documents or more
        documents = result.variables.index("documents")
        reference = [r for r in reference if int(r[documents].value) >= 2]
    assert result.rows, f"{name} gives no rows on the {where} graph"
    assert_same(name, result.variables, list(result.rows), reference)
    for param in find_query(name).params:
        column = [row[result.variables.index(param.name)] for row in result.rows]
        counts = Counter(t.value for t in column if isinstance(t, ox.NamedNode if param.type == "iri" else ox.Literal))
        ranked = [value for value, _ in counts.most_common()]
        for value in dict.fromkeys([ranked[0], ranked[-1]]):  # the value on most rows, and one on fewest
            bound = run_query(name, {param.name: value}, graph=graph)
            assert bound.rows, f"{name} {param.name}={value}"
            assert_same(name, bound.variables, list(bound.rows), plain(name, graph, {param.name: value}))


@pytest.mark.parametrize("where", ["sample", "synthetic"])
def test_the_rewritten_actor_network_is_the_plain_one(graphs, where):
    def shape(triples) -> tuple[set, Counter]:
        """Ground triples, and each statement node as the set of its (predicate, object) pairs."""
        ground, nodes = set(), {}
        for t in triples:
            if isinstance(t.subject, ox.BlankNode):
                nodes.setdefault(t.subject.value, set()).add((str(t.predicate), str(t.object)))
            else:
                ground.add(str(t))
        return ground, Counter(frozenset(pairs) for pairs in nodes.values())

    rewritten = run_query("12-actor-network", graph=graphs[where]).triples
    reference = open_store(graphs[where]).store.query(PLAIN["12-actor-network"])
    assert len(rewritten) > 100 and shape(rewritten) == shape(reference)
