"""Parallel extraction and the per-document cache give the same graph as a plain build."""

import json
import shutil
from pathlib import Path

from kg.cache import ExtractionCache, fingerprint
from kg.pipeline import run
from kg.settings import SAMPLE_CORPUS, Settings


def test_parallel_build_equals_serial_build(tmp_path, build_result):
    corpus = tmp_path / "corpus"
    # Enough documents for the worker pool to be used: the samples under several names with varied text.
    for i in range(12):
        for src in sorted(SAMPLE_CORPUS.glob("*.txt")):
            text = src.read_text(encoding="utf-8") + f"\nCopy {i}.\n"
            (corpus / f"{i:02d}").mkdir(parents=True, exist_ok=True)
            (corpus / f"{i:02d}" / src.name).write_text(text, encoding="utf-8")
    parallel = run([corpus], out_dir=tmp_path / "p", workers=2, validate=False)
    serial = run([corpus], out_dir=tmp_path / "s", workers=1, validate=False)
    assert len(parallel.documents) == 60
    assert (tmp_path / "p" / "graph.ttl").read_bytes() == (tmp_path / "s" / "graph.ttl").read_bytes()


def test_rebuild_uses_the_cache_and_sees_changes(tmp_path, extractor):
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    first = run([corpus], out_dir=tmp_path / "out", extractor=extractor, validate=False)
    cache = ExtractionCache(tmp_path / "out", Settings.from_env())
    assert len(list(cache.dir.glob("??/*.entry"))) == 5
    before = (tmp_path / "out" / "graph.ttl").read_bytes()
    # A rebuild with nothing changed reads every document from the cache: same bytes, no extractor needed.
    again = run([corpus], out_dir=tmp_path / "out", validate=False, workers=1)
    assert (tmp_path / "out" / "graph.ttl").read_bytes() == before
    assert [x.document.id for x in again.extractions] == [x.document.id for x in first.extractions]
    # One changed document is extracted again; its new fact appears.
    target = corpus / "001_f895a70f8baf4d0d.txt"
    target.write_text(target.read_text(encoding="utf-8").replace("Jorge Sagastume", "Jorge Sagastume Reyes"),
                      encoding="utf-8")
    changed = run([corpus], out_dir=tmp_path / "out", extractor=extractor, validate=False)
    labels = {e.label for x in changed.extractions for e in x.entities}
    assert "Jorge Sagastume Reyes" in labels
    assert len(list(cache.dir.glob("??/*.entry"))) == 6


def test_cache_fingerprint_changes_with_settings():
    assert fingerprint(Settings(model="a")) != fingerprint(Settings(model="b"))


def test_cached_graph_lines_follow_a_renamed_file(tmp_path, extractor):
    """The cache keeps each document's graph lines, which name its source file: a file renamed (same content)
    must not bring back the old name, and a settings change must not reuse lines made with other settings."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    run([corpus], out_dir=tmp_path / "out", extractor=extractor, validate=False, views=False, analyze=False)
    cache = ExtractionCache(tmp_path / "out", Settings.from_env())
    assert len(list(cache.dir.glob("??/*.entry"))) == 5
    target = corpus / "001_f895a70f8baf4d0d.txt"
    target.rename(corpus / "renamed.txt")
    cached = run([corpus], out_dir=tmp_path / "out", validate=False, views=False, analyze=False, workers=1)
    fresh = run([corpus], out_dir=tmp_path / "fresh", extractor=extractor, validate=False, views=False,
                analyze=False, cache=False)
    assert cached.lines == fresh.lines
    assert any("renamed.txt" in line for line in cached.lines)
    assert not any("001_f895a70f8baf4d0d.txt" in line for line in cached.lines)
    other = Settings.from_env(base_iri="https://example.org/kg/")
    moved = run([corpus], out_dir=tmp_path / "out", settings=other, extractor=extractor, validate=False,
                views=False, analyze=False)
    assert moved.lines and all("https://w3id.org/kg/resource/" not in line for line in moved.lines)


def test_cached_graph_lines_keep_unicode_line_separators(tmp_path, sample_docs):
    """A cached document's lines come back as written, even with characters str.splitlines() would split at
    (U+2028, U+0085, vertical tab) inside a literal."""
    from kg.build import document_lines
    from kg.model import Extraction

    settings = Settings.from_env()
    from dataclasses import replace

    doc = next(iter(sample_docs.values()))
    odd = replace(doc, title="Line\u2028separator\x85next\x0bline")
    extraction = Extraction(odd, (), ())
    lines = document_lines(extraction, settings)
    assert any("\u2028" in line for line in lines)
    cache = ExtractionCache(tmp_path, settings)
    cache.put(extraction, lines)
    assert cache.get_summary(odd.content_hash, odd.source).title == odd.title
    assert cache.lines(odd.content_hash, odd.source) == lines
    assert cache.lines(odd.content_hash, "another/name.txt") is None


def test_rebuild_reads_only_summaries_and_lines(tmp_path, extractor):
    """A rebuild of unchanged documents reads each one's summary and graph lines, not its whole extraction:
    with every cached extraction deleted it writes the same files, and the extractions are read back (from the
    cache) only when asked for, with an error naming the document when they are gone."""
    import pytest

    from kg.errors import KGError

    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    out = tmp_path / "out"
    first = run([corpus], out_dir=out, extractor=extractor, validate=False, views=False)
    files = {name: (out / name).read_bytes() for name in ("graph.nt", "graph.ttl", "graph.jsonld", "report.md")}
    assert [x.summary() for x in first.extractions] == first.summaries
    cache = ExtractionCache(out, Settings.from_env())
    for path in cache.dir.rglob("*.entry"):  # cut after the summary and lines: the extraction is gone
        data = path.read_bytes()
        path.write_bytes(data[:4 + int.from_bytes(data[:4], "little")])
    again = run([corpus], out_dir=out, validate=False, views=False, workers=1)
    assert {name: (out / name).read_bytes() for name in files} == files
    assert again.summaries == first.summaries
    with pytest.raises(KGError, match="its extraction is no longer in the cache"):
        again.extractions


def test_summaries_are_kept_in_one_file(tmp_path, extractor):
    """A build keeps its documents' summaries in one file (kg.cache.SUMMARIES), which the next build reads instead
    of the head of each document's entry file, as long as that file is the one the summary was read
    from: one written since, or gone, is read (or its document extracted) again; a kept file that cannot be read
    sends the build back to the entry files."""
    import marshal
    import os
    import pickle

    from kg.cache import SUMMARIES
    from kg.model import Summary

    corpus, out = tmp_path / "corpus", tmp_path / "out"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    first = run([corpus], out_dir=out, extractor=extractor, validate=False, views=False, analyze=False)
    settings = Settings.from_env()
    kept = ExtractionCache(out, settings).dir / SUMMARIES
    one = first.summaries[0]
    data = kept.read_bytes()
    entries = marshal.loads(data)
    assert set(entries) == {x.content_hash for x in first.summaries}
    stamp, row = entries[one.content_hash]
    assert Summary(*row) == one
    entries[one.content_hash] = (stamp, row[:2] + ("Kept in the one file",) + row[3:])
    kept.write_bytes(marshal.dumps(entries))
    reader = ExtractionCache(out, settings)
    assert reader.get_summary(one.content_hash, one.source).title == "Kept in the one file"
    assert pickle.loads(pickle.dumps(reader))._kept is None  # a spawned worker does not get them
    lines_file = Path(ExtractionCache(out, settings).path(one.content_hash))
    os.utime(lines_file, ns=(1, 1))  # not the file the entry was read from
    assert ExtractionCache(out, settings).get_summary(one.content_hash, one.source) == one
    kept.write_bytes(data[: len(data) // 2])  # cut short
    assert ExtractionCache(out, settings).get_summary(one.content_hash, one.source) == one
    kept.write_bytes(data)
    assert ExtractionCache(out, settings).get_summary(one.content_hash, "other.txt") is None  # another name
    lines_file.unlink()
    assert ExtractionCache(out, settings).get_summary(one.content_hash, one.source) is None
    again = run([corpus], out_dir=out, extractor=extractor, validate=False, views=False, analyze=False)
    assert again.summaries == first.summaries and again.lines == first.lines
    assert lines_file.is_file()
    assert {h: raw for h, (_, raw) in marshal.loads(kept.read_bytes()).items()} == {
        h: raw for h, (_, raw) in marshal.loads(data).items()}


def test_summary_round_trips_through_json(build_result):
    from kg.model import Summary

    for x in build_result.extractions:
        summary = x.summary()
        assert Summary.from_json(summary.to_json()) == summary
        assert summary.mentioned == sum(1 for e in x.entities if e.mentions)


def test_a_build_gives_back_the_callers_collector_thresholds(tmp_path, extractor, monkeypatch):
    """run() collects cycles less often while it works (kg.pipeline.BUILD_GC_THRESHOLDS), and not after,
    even when it fails."""
    import gc

    import pytest

    from kg import pipeline

    seen = []
    real = pipeline.merge
    before = gc.get_threshold()
    try:
        gc.set_threshold(1234, 11, 12)
        monkeypatch.setattr(pipeline, "merge", lambda *a, **k: seen.append(gc.get_threshold()) or real(*a, **k))
        run([SAMPLE_CORPUS], out_dir=tmp_path / "out", extractor=extractor, validate=False, views=False)
        assert seen == [pipeline.BUILD_GC_THRESHOLDS]
        assert gc.get_threshold() == (1234, 11, 12)

        def broken(*args, **kwargs):
            raise RuntimeError("merge failed")

        monkeypatch.setattr(pipeline, "merge", broken)
        with pytest.raises(RuntimeError, match="merge failed"):
            run([SAMPLE_CORPUS], out_dir=tmp_path / "out2", extractor=extractor, validate=False, views=False)
        assert gc.get_threshold() == (1234, 11, 12)
    finally:
        gc.set_threshold(*before)
