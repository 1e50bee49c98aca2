"""Figures (money, counts) and release dates read from the sample documents, as the graph carries them."""

from decimal import Decimal

import pytest
from rdflib.namespace import RDF, RDFS, XSD

from kg.ontology import KG, SCHEMA


def _figures(build_result):
    g = build_result.graph
    out = {}
    for node in g.subjects(RDF.type, KG.Figure):
        out[str(g.value(node, KG.statedAs))] = node
    return g, out


@pytest.mark.parametrize("stated, value, unit, measure, year, approximate", [
    ("US$2.1 billion", Decimal("2100000000"), "USD", "remittances", "2003", False),
    ("USD 946.2 million", Decimal("946200000"), "USD", "remittances", None, False),
    ("almost USD 500,000", Decimal("500000"), "USD", "investment", None, True),
    ("1,058 returnees", Decimal("1058"), "returnees", "returnees", "2017", False),
    ("3,988 returnees", Decimal("3988"), "returnees", "returnees", "2017", False),
])
def test_figures_carry_value_unit_measure_year(build_result, stated, value, unit, measure, year, approximate):
    g, figures = _figures(build_result)
    node = figures[stated]
    assert g.value(node, KG.value).toPython() == value
    assert str(g.value(node, KG.unit)) == unit
    assert str(g.value(node, KG.measure)) == measure
    found_year = g.value(node, KG.year)
    assert (found_year is None and year is None) or (str(found_year) == year and found_year.datatype == XSD.gYear)
    assert g.value(node, KG.approximate).toPython() is approximate


def test_figures_refer_to_their_place_and_project(build_result):
    g, figures = _figures(build_result)
    labels = lambda node: {str(g.value(t, RDFS.label)) for t in g.objects(node, KG.refersTo)}  # noqa: E731
    assert labels(figures["1,058 returnees"]) == {"San Miguel"}
    assert "San Salvador" in labels(figures["3,988 returnees"])
    san_salvador = next(g.objects(figures["3,988 returnees"], KG.refersTo))
    assert (san_salvador, RDF.type, KG.Department) in g
    assert any("Return and Reintegration" in label for label in labels(figures["almost USD 500,000"]))


def test_every_figure_quotes_its_sentence(build_result):
    g, figures = _figures(build_result)
    docs = {d.id: d for d in build_result.documents}
    assert len(figures) >= 8
    for node in figures.values():
        doc_iri = g.value(node, KG.statedIn)
        doc = docs[str(doc_iri).rsplit("/", 1)[-1]]
        start, end = g.value(node, KG.startOffset).toPython(), g.value(node, KG.endOffset).toPython()
        assert doc.text[start:end] == str(g.value(node, KG.sentence))
        assert str(g.value(node, KG.statedAs)) in str(g.value(node, KG.sentence))


def test_release_dates_use_the_year_the_text_gives(build_result, docs_by_name, doc_iri):
    g = build_result.graph
    dates = {name: g.value(doc_iri(name), SCHEMA.datePublished) for name in docs_by_name}
    # "today (14/11)" and "between January and September of 2017 … so far, this year"
    assert str(dates["003_62dc29989b251171.txt"]) == "2017-11-14"
    assert dates["003_62dc29989b251171.txt"].datatype == XSD.date
    # "today (17/04)" with no year the text pins down: a month and day only
    assert str(dates["002_a7675c9ddf4547aa.txt"]) == "--04-17"
    assert dates["002_a7675c9ddf4547aa.txt"].datatype == XSD.gMonthDay
    assert dates["000_fcf440579cd8874a.txt"] is None
