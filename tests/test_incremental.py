"""A rebuild after a few documents change patches the graph files (kg.incremental): the files it leaves are byte
for byte those of a full build of the same corpus, and it falls back to a full build when the files are not what
the last build left."""

from __future__ import annotations

import random
import shutil
import unicodedata
from pathlib import Path

import pytest

from benchmarks.generate import generate
from kg import analyze, incremental, network_patch
from kg.pipeline import run

FILES = ("graph.nt", "graph.ttl", "graph.jsonld", "report.md", "centrality.csv", "scores.ttl", "network.gexf")


def _build(corpus: Path, out: Path, extractor):
    return run([corpus], out_dir=out, extractor=extractor, views=False, validate=False, progress=False)


def _full(corpus: Path, out: Path, cached: Path, extractor):
    """A build of `corpus` that writes every file: the cache of `cached` (no state, no kept analytics) copied in."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(cached / ".cache", out / ".cache", ignore=shutil.ignore_patterns("build", "analysis.json"))
    result = _build(corpus, out, extractor)
    assert result.patched is None
    return result


def _same_files(a: Path, b: Path) -> None:
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    generate(60, folder, seed=11)
    return folder


def test_rebuild_patches_to_the_bytes_of_a_full_build(corpus, tmp_path, extractor, monkeypatch):
    docs = tmp_path / "docs"
    shutil.copytree(corpus, docs)
    out = tmp_path / "out"
    first = _build(docs, out, extractor)
    assert first.patched is None
    files = sorted(docs.glob("*.txt"))
    edited = files[7]
    original = edited.read_text(encoding="utf-8")
    words = original.split()

    def edit_word():  # a word of the body changes: offsets after it move, so its evidence records change
        edited.write_text(original.replace(words[40], words[40] + "s", 1), encoding="utf-8")

    def remove():
        files[12].unlink()

    def add():  # a new document naming actors the others name (their labels are voted again)
        (docs / "zz_new.txt").write_text(files[3].read_text(encoding="utf-8").replace(".", ". Also,", 2), encoding="utf-8")

    def revert():  # back to content the cache holds: nothing extracted, the lines read from the cache
        edited.write_text(original, encoding="utf-8")

    queried = []  # the network query does not run on the whole graph after a change: the last network is patched
    real = analyze.actor_network
    monkeypatch.setattr(analyze, "actor_network", lambda graph: queried.append(1) or real(graph))
    for step, change in enumerate((edit_word, remove, add, revert)):
        change()
        queried.clear()
        again = _build(docs, out, extractor)
        assert again.patched, f"step {step} ({change.__name__}) wrote every file"
        assert not queried, change.__name__
        full = _full(docs, tmp_path / f"full{step}", out, extractor)
        _same_files(out, tmp_path / f"full{step}")
        assert again.triple_count == full.triple_count
        assert again.class_counts == full.class_counts and again.relation_counts == full.relation_counts
        assert again.lines == full.lines


def test_nothing_changed_leaves_the_files_alone(corpus, tmp_path, extractor):
    """And the graph is read back from them for validation and views."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for path in sorted(corpus.glob("*.txt"))[:6]:
        shutil.copy(path, docs)
    out = tmp_path / "out"
    _build(docs, out, extractor)
    before = {name: (out / name).stat().st_mtime_ns for name in incremental.GRAPH_FILES}
    again = run([docs], out_dir=out, extractor=extractor, views=True, validate=True, progress=False)
    assert again.patched == 0
    assert again.validation.conforms and len(again.graph) == again.triple_count == len(again.lines)
    assert (out / "views" / "index.html").is_file()
    assert {name: (out / name).stat().st_mtime_ns for name in incremental.GRAPH_FILES} == before


@pytest.mark.parametrize("damage", ["edit", "remove"])
def test_a_graph_file_changed_since_means_a_full_build(corpus, tmp_path, extractor, damage):
    docs = tmp_path / "docs"
    shutil.copytree(corpus, docs)
    out = tmp_path / "out"
    _build(docs, out, extractor)
    ttl = out / "graph.ttl"
    if damage == "edit":
        ttl.write_text(ttl.read_text(encoding="utf-8") + "\n# my note\n", encoding="utf-8")
    else:
        ttl.unlink()
    first = sorted(docs.glob("*.txt"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\nThe end.\n", encoding="utf-8")
    again = _build(docs, out, extractor)
    assert again.patched is None
    _full(docs, tmp_path / "full", out, extractor)
    _same_files(out, tmp_path / "full")


def test_many_changes_mean_a_full_build(corpus, tmp_path, extractor, monkeypatch):
    docs = tmp_path / "docs"
    shutil.copytree(corpus, docs)
    out = tmp_path / "out"
    _build(docs, out, extractor)
    for path in sorted(docs.glob("*.txt"))[:3]:
        path.unlink()
    assert _build(docs, out, extractor).patched is None
    monkeypatch.setattr(incremental, "MAX_CHANGED_SHARE", 0.1)  # 6 of 60
    for path in sorted(docs.glob("*.txt"))[:5]:
        path.unlink()
    assert _build(docs, out, extractor).patched
    _full(docs, tmp_path / "full", out, extractor)
    _same_files(out, tmp_path / "full")


def test_rewrite_equals_writing_the_new_lines(build_result, tmp_path):
    """Random removals and additions (new subjects, whole subjects gone, first and last records, escapes) patched
    into files written from one set of lines give the files written from the other."""
    import random

    from kg import serialize

    lines = build_result.lines
    extra = [f'<https://w3id.org/kg/resource/zz/{i}> <http://www.w3.org/2000/01/rdf-schema#label> "x\\\\y \\"{i}\\" \\u00e9"'
             for i in range(5)] + ['<http://example.org/a%20b> <http://example.org/p> <http://example.org/o>',
                                   '<https://w3id.org/kg/resource/aa> <http://example.org/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer>']
    rng = random.Random(3)
    base = build_result.base_iri

    def write(folder: Path, rows: list[str]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        serialize.write_atomic(folder / "graph.nt", serialize.ntriples_chunks(rows))
        serialize.graph_files(folder / "graph.nt", base, folder / "graph.ttl", folder / "graph.jsonld")

    for trial in range(25):
        old = sorted(set(rng.sample(lines, len(lines) * 3 // 4) + rng.sample(extra, rng.randint(0, 3))))
        pool = sorted(set(lines) | set(extra))
        new = sorted(set(line for line in old if rng.random() > 0.02) | set(rng.sample(pool, rng.randint(1, 60))))
        if trial % 5 == 0:  # a whole subject goes, and the first and last lines change
            subject = old[len(old) // 2].split(" ", 1)[0]
            new = sorted(set(line for line in new if not line.startswith(subject + " ")) - {old[0], old[-1]})
        patched, expected = tmp_path / f"p{trial}", tmp_path / f"e{trial}"
        write(patched, old)
        write(expected, new)
        incremental.rewrite(patched, sorted(set(old) - set(new)), sorted(set(new) - set(old)), base)
        for name in incremental.GRAPH_FILES:
            assert (patched / name).read_bytes() == (expected / name).read_bytes(), (trial, name)


def test_rewrite_refuses_a_missing_line(build_result, tmp_path):
    from kg import serialize

    serialize.write_atomic(tmp_path / "graph.nt", serialize.ntriples_chunks(build_result.lines))
    serialize.graph_files(tmp_path / "graph.nt", build_result.base_iri, tmp_path / "graph.ttl", tmp_path / "graph.jsonld")
    before = (tmp_path / "graph.nt").read_bytes()
    with pytest.raises(ValueError, match="missing"):
        incremental.rewrite(tmp_path, ['<http://example.org/not> <http://example.org/in> "the graph"'], [],
                            build_result.base_iri)
    assert (tmp_path / "graph.nt").read_bytes() == before


def test_the_state_follows_the_network_query(monkeypatch):
    """The network's store holds the triples the network query names: another query text means another state."""
    import kg.query

    before = incremental.code_stamp()
    real = kg.query.find_query

    def edited(ref, folder=None):
        found = real(ref, folder)
        return type(found)(**{**found.__dict__, "text": found.text + "\n# edited\n"})

    monkeypatch.setattr(kg.query, "find_query", edited)
    assert incremental.code_stamp() != before


def test_measures_kept_from_before_a_build_without_analytics_are_not_used(corpus, tmp_path, extractor):
    docs = tmp_path / "docs"
    shutil.copytree(corpus, docs)
    out = tmp_path / "out"
    _build(docs, out, extractor)
    sorted(docs.glob("*.txt"))[5].unlink()  # the network changes, in a build that does not measure it
    assert run([docs], out_dir=out, extractor=extractor, views=False, validate=False, progress=False,
               analyze=False).patched
    assert not (out / ".cache" / "analysis.json").exists()
    assert not (out / ".cache" / "analysis-network.marshal").exists()
    edited = sorted(docs.glob("*.txt"))[7]  # then a change that leaves the network as that build left it
    edited.write_text(edited.read_text(encoding="utf-8").replace(" the ", " a ", 1), encoding="utf-8")
    assert _build(docs, out, extractor).patched
    _full(docs, tmp_path / "full", out, extractor)
    _same_files(out, tmp_path / "full")


@pytest.mark.parametrize("damage", [b"", b"not marshal", "other digest"])
def test_a_kept_network_that_cannot_be_read_means_the_query_runs(corpus, tmp_path, extractor, monkeypatch, damage):
    import marshal

    docs = tmp_path / "docs"
    shutil.copytree(corpus, docs)
    out = tmp_path / "out"
    _build(docs, out, extractor)
    kept = out / ".cache" / "analysis-network.marshal"
    digest, nodes, edges = marshal.loads(kept.read_bytes())
    kept.write_bytes(marshal.dumps(["0" * 64, nodes, edges]) if damage == "other digest" else damage)
    queried = []
    real = analyze.actor_network
    monkeypatch.setattr(analyze, "actor_network", lambda graph: queried.append(1) or real(graph))
    edited = sorted(docs.glob("*.txt"))[7]
    edited.write_text(edited.read_text(encoding="utf-8").replace(" the ", " a ", 1), encoding="utf-8")
    assert _build(docs, out, extractor).patched and queried
    assert marshal.loads(kept.read_bytes())[0] == digest  # kept again
    _full(docs, tmp_path / "full", out, extractor)
    _same_files(out, tmp_path / "full")


def _record(lines: list[str], kind: str) -> list[str]:
    """The network lines of the first kg:Evidence (or kg:Figure) record of `lines` that has a sentence (or unit)."""
    wanted = {f"<{p}>" for p in analyze.network_predicates()}
    first = next(line.split(" ")[0] for line in lines if line.endswith(f"#{kind}>"))
    return [line for line in lines if line.split(" ")[0] == first and line.split(" ", 2)[1] in wanted]


def _renamed(record: list[str], new: str = "renamed") -> list[str]:
    subject = record[0].split(" ")[0]
    return [line.replace(subject, subject[:-1] + new + ">", 1) for line in record]


@pytest.mark.parametrize("kind", ["Evidence", "Figure"])
def test_network_unchanged_only_where_the_query_cannot_tell(build_result, kind):
    from kg.analyze import network_store

    lines = build_result.lines
    record = _record(lines, kind)
    assert len(record) >= 4

    def unchanged(removed: list[str], added: list[str]) -> bool:
        after = sorted((set(lines) - set(removed)) | set(added))
        return network_patch.unchanged(network_store(after), removed, added)

    # The same record under another IRI, with another sentence and label: the query counts it the same.
    moved = _renamed(record)
    reworded = [line.replace('"', '"Reworded: ', 1) if "#sentence>" in line or "#label>" in line else line
                for line in moved]
    assert unchanged(record, moved) and unchanged(record, reworded) and unchanged([], [])
    # A record that goes, or comes, or comes back with another value: the answer changes.
    assert not unchanged(record, [])
    assert not unchanged([], moved)
    changed = [line for line in moved if "#object>" not in line and "#value>" not in line]
    changed += [line.replace(line.split(" ", 2)[2], '"9"', 1) for line in moved if "#value>" in line]
    changed += [line.replace(line.split(" ", 2)[2], "<https://w3id.org/kg/resource/organization/someone-else>", 1)
                for line in moved if "#object>" in line]
    assert not unchanged(record, changed)
    # Part of a record that stays (its sentence line only), an entity's label, an entity that comes: not certain.
    sentence = [line for line in record if "#sentence>" in line or "#unit>" in line][:1]
    assert not unchanged(sentence, [sentence[0].replace('"', '"Other ', 1)])
    label = next(line for line in lines if line.startswith("<https://w3id.org/kg/resource/organization/")
                 and "rdf-schema#label>" in line)
    assert not unchanged([label], [label.replace('"', '"Renamed ', 1)])
    assert not unchanged([], ["<https://w3id.org/kg/resource/organization/new> "
                              "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/kg/ontology#Organization>"])
    # A type the query does not read, on a subject that stays: the answer cannot change.
    assert unchanged([], [f"{record[0].split(' ')[0]} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
                          "<https://w3id.org/kg/ontology#Membership>"])


def test_labels_voted_again_and_places_that_come_and_go(corpus, tmp_path, extractor, monkeypatch):
    """A rebuild makes the entity lines again only for the entities the changed documents name (kg.build
    entity_blocks): a document that outvotes an entity's label, and documents whose places leave or join the
    hierarchy, still patch to the bytes of a full build."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for path in sorted(corpus.glob("*.txt"))[:20]:
        shutil.copy(path, docs)
    out = tmp_path / "out"
    first = _build(docs, out, extractor)
    label = next(line.split(" ", 2)[2] for line in first.lines  # a person named with accents: "Andrés Bonilla"
                 if "/person/" in line and "rdf-schema#label>" in line and not line.isascii())
    person = next(line.split(" ", 1)[0] for line in first.lines if line.endswith(f"rdf-schema#label> {label}"))
    other = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()  # the same key: "Andres Bonilla"
    hierarchy = []
    real = incremental.hierarchy_lines
    monkeypatch.setattr(incremental, "hierarchy_lines", lambda places, *a: hierarchy.append(set(places)) or real(places, *a))
    outvote = docs / "zz_outvote.txt"
    rng = random.Random(3)
    steps = [lambda: outvote.write_text(
        "Meeting\n" + " ".join(f"“Returnees need opportunities in their own communities,” said {other.strip(chr(34))}, "
                                "the Mayor of Dolores." for _ in range(12)) + "\n", encoding="utf-8")]
    steps += [lambda p=p: p.unlink() for p in rng.sample(sorted(docs.glob("release_*.txt")), 4)]
    steps.append(lambda: outvote.unlink())
    for step, change in enumerate(steps):
        change()
        again = _build(docs, out, extractor)
        assert again.patched, f"step {step} wrote every file"
        full = _full(docs, tmp_path / f"full{step}", out, extractor)
        _same_files(out, tmp_path / f"full{step}")
        assert again.lines == full.lines
        if step == 0:  # the new document outvoted the label the others gave
            assert f"{person} <http://www.w3.org/2000/01/rdf-schema#label> {other}" in again.lines
    assert f"{person} <http://www.w3.org/2000/01/rdf-schema#label> {label}" in again.lines
    assert any(a != b for a, b in zip(hierarchy[::2], hierarchy[1::2])), "no place left or joined the hierarchy"
