"""The `kg` command end to end, run as a subprocess (`python -m kg.cli`)."""

from __future__ import annotations

import re
import shutil

import pytest
from rdflib import Graph
from rdflib.namespace import RDF

from kg.ontology import KG

LATIN1_TEXT = "Gestión de la migración en San Salvador. El proyecto beneficia a Mejicanos."
BAD = {
    "empty.txt": (b"", "empty file"),
    "blank.txt": (b"   \n\t\n  \n", "no text (whitespace only)"),
    "binary.txt": (b"\x89PNG\r\n\x1a\n" + bytes(512), "binary file, not text"),
}
NAV_REASON = "no usable text (only navigation, markup or a title)"


def no_traceback(proc) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout, proc.stdout


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory, seed_files):
    """One real sample document plus one file of each kind of bad input; returns (folder, expected skips)."""
    folder = tmp_path_factory.mktemp("mixed")
    good = seed_files[2]
    shutil.copyfile(good, folder / good.name)
    expected = {}
    for name, (data, reason) in BAD.items():
        (folder / name).write_bytes(data)
        expected[str(folder / name)] = reason
    lines = good.read_text(encoding="utf-8").split("\n")
    (folder / "navigation.txt").write_text("\n".join(lines[: lines.index("- 2030 Agenda") + 1]) + "\n",
                                           encoding="utf-8")
    expected[str(folder / "navigation.txt")] = NAV_REASON
    (folder / "latin1.txt").write_bytes(LATIN1_TEXT.encode("latin-1"))
    (folder / "table.csv").write_text("a,b\n", encoding="utf-8")  # unsupported in a folder: ignored
    return folder, expected


@pytest.fixture(scope="module")
def mixed_build(run_kg, mixed_folder, tmp_path_factory):
    folder, _ = mixed_folder
    out = tmp_path_factory.mktemp("mixed-out")
    return run_kg(["build", folder, "--out", out]), out


def test_build_with_bad_files_exits_0_and_names_each_skip(mixed_build, mixed_folder):
    proc, out = mixed_build
    folder, expected = mixed_folder
    assert proc.returncode == 0, proc.stderr
    no_traceback(proc)
    for path, reason in expected.items():
        assert f"Skipped {path}: {reason}" in proc.stderr.splitlines(), (path, proc.stderr)
    skipped_lines = [line for line in proc.stderr.splitlines() if line.startswith("Skipped ")]
    assert len(skipped_lines) == len(expected), skipped_lines
    assert "latin1.txt" not in "".join(skipped_lines) and "table.csv" not in proc.stderr
    assert f"Warning: {folder / 'latin1.txt'}: not UTF-8 (line 1); read as Windows-1252/Latin-1" in proc.stderr
    assert "Read 2 document(s), skipped 4." in proc.stderr


def test_build_with_bad_files_reports_them(mixed_build, mixed_folder):
    proc, out = mixed_build
    folder, expected = mixed_folder
    report = (out / "report.md").read_text(encoding="utf-8")
    section = report.split("## Skipped", 1)[1].split("\n## ", 1)[0]
    for path, reason in expected.items():
        assert f"| {path} | {reason} |" in section, section
    assert "latin1.txt" not in section
    assert "not UTF-8 (line 1)" in report.split("## Warnings", 1)[1].split("\n## ", 1)[0]
    assert "SHACL: conforms" in report
    g = Graph().parse(out / "graph.ttl", format="turtle")
    assert len(list(g.subjects(RDF.type, KG.Document))) == 2


def test_build_strict_exits_1_when_a_file_is_skipped(run_kg, mixed_folder, tmp_path):
    folder, expected = mixed_folder
    proc = run_kg(["build", folder, "--out", tmp_path / "out", "--strict", "--no-validate", "--quiet"])
    assert proc.returncode == 1, proc.stderr
    no_traceback(proc)
    for path, reason in expected.items():
        assert f"Skipped {path}: {reason}" in proc.stderr
    # The outputs are still written.
    assert (tmp_path / "out" / "graph.ttl").is_file()


def test_build_sample_corpus(cli_build):
    proc, out = cli_build
    assert proc.returncode == 0, proc.stderr
    no_traceback(proc)
    for name in ("graph.ttl", "graph.jsonld", "report.md"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
        assert f"Wrote {out / name}" in proc.stderr
    assert "Read 5 document(s), skipped 0." in proc.stderr


def test_report_of_the_sample_build(cli_build):
    proc, out = cli_build
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Entities by class" in report
    assert "SHACL: conforms" in report
    g = Graph().parse(out / "graph.ttl", format="turtle")
    for cls in ("Organization", "Person", "Project", "FundingSource", "Municipality", "Department", "Country",
                "Document"):
        m = re.search(rf"^\| {cls} \| (\d+) \|$", report, re.M)
        assert m, f"no count row for {cls}"
        assert int(m.group(1)) == len(set(g.subjects(RDF.type, KG[cls]))) > 0, cls
    for rel in ("funds", "implements", "benefits", "affiliatedWith", "subOrganizationOf", "partOf"):
        m = re.search(rf"^\| {rel} \| (\d+) \|$", report, re.M)
        assert m and int(m.group(1)) == len(set(g.subject_objects(KG[rel]))) > 0, rel
    assert "Documents read: 5; skipped: 0;" in report
    assert "## Skipped\n\nNone." in report


def test_validate_the_built_graph(run_kg, cli_build):
    _, out = cli_build
    proc = run_kg(["validate", out / "graph.ttl"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    no_traceback(proc)
    assert "SHACL: conforms" in proc.stdout
    assert re.search(r"graph\.ttl: \d+ triples", proc.stdout)


VIOLATION = """@prefix kg: <https://w3id.org/kg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/kg/resource/organization/nameless> a kg:Organization .
<https://w3id.org/kg/resource/project/p> a kg:Project ; rdfs:label "P" .
"""


def test_validate_a_graph_with_a_violation_exits_1(run_kg, tmp_path):
    path = tmp_path / "bad.ttl"
    path.write_text(VIOLATION, encoding="utf-8")
    proc = run_kg(["validate", path])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    no_traceback(proc)
    assert "SHACL: 1 violation(s)" in proc.stdout
    assert "no rdfs:label" in proc.stdout
    assert "organization/nameless" in proc.stdout


def test_validate_missing_file_is_a_clean_error(run_kg, tmp_path):
    missing = tmp_path / "missing.ttl"
    proc = run_kg(["validate", missing])
    assert proc.returncode == 1
    no_traceback(proc)
    assert proc.stderr.startswith("Error:"), proc.stderr
    assert str(missing) in proc.stderr


def test_validate_unparsable_file_is_a_clean_error(run_kg, tmp_path):
    path = tmp_path / "broken.ttl"
    path.write_text("this is <not turtle\n", encoding="utf-8")
    proc = run_kg(["validate", path])
    assert proc.returncode == 1
    no_traceback(proc)
    assert proc.stderr.startswith("Error:") and str(path) in proc.stderr


def test_missing_graph_message_is_exact_and_names_no_unknown_option(run_kg, tmp_path):
    missing = tmp_path / "missing.ttl"
    proc = run_kg(["validate", missing])
    assert proc.returncode == 1
    assert proc.stderr.strip() == (f"Error: {missing}: no such file; run `kg build` first or name an existing "
                                   "graph file")


def test_no_command_prints_usage_and_exits_2(run_kg):
    proc = run_kg([])
    assert proc.returncode == 2
    assert "usage: kg" in proc.stderr
    no_traceback(proc)
