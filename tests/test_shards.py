"""kg.shards: one N-Quads file per document; bulk-loaded together they hold the whole graph."""

from __future__ import annotations

import argparse

import pyoxigraph as ox
import pytest

from kg.build import document_iri, entity_iri
from kg.errors import KGError
from kg.settings import Settings
from kg.shards import load_shards, shard_lines, write_shards

BASE = Settings.from_env().base_iri
KG = "https://w3id.org/kg/ontology#"
LABELS = ("http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel",
          "http://www.w3.org/2004/02/skos/core#altLabel")
RELATIONS = ("funds", "implements", "benefits", "affiliatedWith", "subOrganizationOf", "partOf")


@pytest.fixture(scope="module")
def shards(build_result, tmp_path_factory):
    out = tmp_path_factory.mktemp("shards")
    return out, write_shards(build_result.extractions, out)


def full_store(build_result) -> ox.Store:
    """The full build in a store, so that literals are compared as pyoxigraph normalises them (1.0 = 1)."""
    store = ox.Store()
    store.bulk_load("".join(f"{line} .\n" for line in build_result.lines).encode(), format=ox.RdfFormat.N_TRIPLES)
    return store


def test_one_shard_per_document_in_its_own_named_graph(build_result, shards):
    out, paths = shards
    assert [p.name for p in paths] == sorted(f"{x.document.id}.nq" for x in build_result.extractions)
    for x, path in zip(sorted(build_result.extractions, key=lambda x: x.document.id), paths):
        graph = ox.NamedNode(str(document_iri(x.document.id, BASE)))
        quads = list(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))
        assert quads and {q.graph_name for q in quads} == {graph}
        subjects = {q.subject for q in quads}
        assert graph in subjects, "the document node is in its own graph"
        # Its statements, each with an evidence record that has the sentence; its figures and mentions.
        triples = {q.triple for q in quads}
        for st in x.statements:
            if st.datatype or not (st.subject and st.obj) or st.provenance.confidence < Settings().min_confidence:
                continue
            s, p, o = (ox.NamedNode(str(entity_iri(st.subject, BASE))), ox.NamedNode(KG + st.predicate),
                       ox.NamedNode(str(entity_iri(st.obj, BASE))))
            assert ox.Triple(s, p, o) in triples
            assert any(ox.Triple(q.subject, ox.NamedNode(KG + "sentence"), ox.Literal(st.provenance.sentence))
                       in triples for q in quads if q.predicate.value.endswith("#subject") and q.object == s)
        assert sum(1 for q in quads if q.predicate.value == KG + "mentionedIn") == \
            sum(1 for e in x.entities if e.mentions)
        assert sum(1 for q in quads if q.object == ox.NamedNode(KG + "Figure")) == len(x.figures)


def test_all_shards_together_hold_every_triple_of_the_full_build(build_result, shards):
    _, paths = shards
    union = load_shards(paths)
    assert len(list(union.named_graphs())) == len(build_result.extractions)
    together = {q.triple for q in union}
    full = {q.triple for q in full_store(build_result)}
    relations = {t for t in full if t.predicate.value in {KG + r for r in RELATIONS}}
    assert len(relations) > 50 and relations <= together
    # Everything else too, but labels: a shard labels an entity as its document names it.
    missing = {t for t in full - together if t.predicate.value not in LABELS}
    assert not missing, "\n".join(sorted(map(str, missing))[:20])
    labelled = {t.subject for t in full if t.predicate.value == LABELS[0]}
    assert labelled == {t.subject for t in together if t.predicate.value == LABELS[0]}
    extra = {t for t in together - full if t.predicate.value not in LABELS}
    assert not extra, "\n".join(sorted(map(str, extra))[:20])


def test_shards_are_deterministic_and_the_folder_is_pruned(build_result, shards, tmp_path):
    _, first = shards
    stale = tmp_path / "0123456789abcdef.nq"
    stale.write_text("", encoding="utf-8")
    other = tmp_path / "notes.nq"
    other.write_text("", encoding="utf-8")
    again = write_shards(list(reversed(build_result.extractions)), tmp_path)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in first]
    assert not stale.exists() and other.exists(), "only shard-named files of other documents are removed"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([p.name for p in again] + ["notes.nq"])
    one = build_result.extractions[0]
    lines = list(shard_lines(one))
    assert lines == sorted(lines) and all(line.endswith(f" <{document_iri(one.document.id, BASE)}> .\n")
                                          for line in lines)


def test_a_broken_shard_is_reported(tmp_path):
    bad = tmp_path / "0123456789abcdef.nq"
    bad.write_text("<urn:a> <urn:b> <urn:c> <urn:g>\n", encoding="utf-8")
    with pytest.raises(KGError, match=r"0123456789abcdef\.nq: cannot parse: "):
        load_shards([bad])


def test_cli_writes_the_shards_of_the_given_documents(seed_files, tmp_path, capsys):
    from kg.cli_shards import add_commands

    parser = argparse.ArgumentParser(prog="kg")
    add_commands(parser.add_subparsers())
    out = tmp_path / "shards"
    args = parser.parse_args(["shards", *map(str, seed_files[:2]), "--out", str(out), "--workers", "1"])
    assert args.func(args) == 0
    err = capsys.readouterr().err
    assert err.endswith(f"Wrote 2 shards to {out}\n")
    written = sorted(out.glob("*.nq"))
    assert len(written) == 2
    assert len(load_shards(written)) > 100
    args = parser.parse_args(["shards", str(seed_files[0]), "--out", str(out), "--workers", "1", "--quiet"])
    assert args.func(args) == 0 and capsys.readouterr().err == ""
    assert len(list(out.glob("*.nq"))) == 1, "the shard of the document no longer given is removed"
