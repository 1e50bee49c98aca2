"""Broken and hostile input: nothing lost, nothing executed, output always valid and written atomically.

A hostile corpus is generated in a temporary folder next to a copy of the sample corpus; the real
`kg build` runs over both as a subprocess. The good documents' graph must come out the same as when
they are built alone, every file that cannot be read is named with its reason, and the outputs parse.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from kg import ingest
from kg.errors import InputError
from kg.ingest import MAX_BYTES, MAX_CHARS, Skipped, iter_files, read_document, read_documents

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "corpus" / "seeds"
EVAL_DOCS = REPO / "eval" / "docs"

# Characters that must never reach an IRI unescaped (RFC 3987 excludes them, Turtle rejects them).
IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f-\x9f]')
# A name with every kind of character that breaks naive serializers, HTML and shells.
HOSTILE_NAME = 'Fundación "Niños <b>Mañana</b>" {Sur} \\ Norte \u200fسلام\u200f 😀'
DEEP = 60_000
# The first line of eval document e01 with a non-ASCII letter ("Reintegración" …).
LATIN1_LINE = next(i for i, line in enumerate(
    (EVAL_DOCS / "e01_guatemala_huehuetenango_reintegration.txt").read_text(encoding="utf-8").replace("–", "-")
    .split("\n"), 1) if not line.isascii())


def _cli(*args: object, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "kg.cli", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def make_good_corpus(root: Path) -> Path:
    """A copy of the five sample documents."""
    good = root / "good"
    good.mkdir()
    for seed in sorted(SEEDS.glob("*.txt")):
        (good / seed.name).write_bytes(seed.read_bytes())
    return good


def make_hostile_corpus(root: Path) -> tuple[Path, dict[str, str], dict[str, str]]:
    """The hostile folder; returns it, {file name: exact skip reason}, {file name: title expected in report.md}."""
    bad = root / "hostile"
    (bad / "sub dir ñ").mkdir(parents=True)
    skips: dict[str, str] = {}
    titles: dict[str, str] = {}

    (bad / "empty.txt").write_bytes(b"")
    skips["empty.txt"] = "empty file"
    (bad / "blank.md").write_bytes(b" \n\t\r\n  \xc2\xa0\n")
    skips["blank.md"] = "no text (whitespace only)"
    (bad / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    skips["binary.txt"] = "binary file, not text"
    (bad / "random.html").write_bytes(bytes((i * 7919 + 13) % 256 for i in range(50_000)))
    skips["random.html"] = "binary file, not text"
    (bad / "only markup.html").write_text("<html><head><title>x</title><script>alert(1)</script></head>"
                                          "<body><nav>Home</nav></body></html>", encoding="utf-8")
    skips["only markup.html"] = "no usable text (only navigation, markup or a title)"

    # Readable in other encodings: project page in Latin-1, release in UTF-16 with a byte order mark.
    e01 = (EVAL_DOCS / "e01_guatemala_huehuetenango_reintegration.txt").read_text(encoding="utf-8")
    (bad / "latin1 página.txt").write_bytes(e01.replace("–", "-").encode("latin-1"))
    titles["latin1 página.txt"] = "Returned Migrants in Huehuetenango to Get Help Starting Over in Their Own Communities"
    e11 = (EVAL_DOCS / "e11_el_salvador_diaspora_mentors.txt").read_text(encoding="utf-8")
    (bad / "sub dir ñ" / "utf16 – Diáspora.txt").write_bytes(e11.encode("utf-16"))
    titles["utf16 – Diáspora.txt"] = "Salvadoran Professionals Abroad to Mentor Young Entrepreneurs in Eastern El Salvador"

    # HTML whose scripts, styles, frames and handlers must neither show up nor run.
    e10 = (EVAL_DOCS / "e10_honduras_storm_shelters.html").read_text(encoding="utf-8")
    e10 = e10.replace("<body>", '<body onload="alert(\'ONLOAD\')"><iframe src="javascript:alert(1)" '
                      'srcdoc="<p>IFRAMETEXT</p>">IFRAMEBODY</iframe><style>p{x:"STYLETEXT"}</style>'
                      "<script>document.write('SCRIPTTEXT')</script><noscript>NOSCRIPTTEXT</noscript>", 1)
    (bad / "storm <page>.html").write_text(e10, encoding="utf-8")
    titles["storm <page>.html"] = "Thousands of Families Displaced by Storms in Northern Honduras Find Safe Shelter"

    # 60,000 levels of nesting around a real paragraph.
    deep = ("<html><body><h1>Deeply Nested Release About Guazapa</h1>" + "<div><span>" * (DEEP // 2)
            + "<p>The International Organization for Migration (IOM) opened an office in Guazapa with the "
              "support of the Government of Canada.</p>" + "</span></div>" * (DEEP // 2) + "</body></html>")
    (bad / "deep.html").write_text(deep, encoding="utf-8")
    titles["deep.html"] = "Deeply Nested Release About Guazapa"

    # Names with quotes, angle brackets, braces, backslashes, a line break, RTL marks and emoji.
    (bad / "names ✨ émoji.md").write_text(
        f"# Release About {HOSTILE_NAME}\n\n"
        f"San Miguel – The {HOSTILE_NAME} and IOM launched a project called “Puentes <{{Futuro}}> \\ 🌉 "
        "Esperanza” in San Miguel, funded by the\nGobierno de \"Canadá\" {{}}.\n\n"
        "The Mayor of San Miguel, María <José> {O'Brien} \\ Pérez 😀, welcomed the project.\n",
        encoding="utf-8")
    # Inline HTML tags in Markdown are markup, not text; the other angle brackets are text.
    titles["names ✨ émoji.md"] = f"Release About {HOSTILE_NAME}".replace("<b>", "").replace("</b>", "")

    # A release repeated to 30 MB: read up to the caps, with exact warnings.
    e13 = (EVAL_DOCS / "e13_el_salvador_honduras_border_training.txt").read_bytes()
    with open(bad / "big 30MB.txt", "wb") as handle:
        for _ in range(30_000_000 // len(e13) + 1):
            handle.write(e13)
    titles["big 30MB.txt"] = "Border Officials from El Salvador and Honduras Train Together to Protect Migrants"

    # The same document under a second name (and in a sub folder): counted once.
    (bad / "sub dir ñ" / "copia de 000 – São Tomé.txt").write_bytes(
        (SEEDS / "000_fcf440579cd8874a.txt").read_bytes())

    # Links: a loop of folders, a link to itself, a broken link; a named pipe that must not be opened.
    os.symlink(bad, bad / "sub dir ñ" / "loop")
    os.symlink("self.txt", bad / "self.txt")
    skips["self.txt"] = "symbolic link loop"
    os.symlink(bad / "nowhere.txt", bad / "gone.txt")
    skips["gone.txt"] = "broken symbolic link"
    os.mkfifo(bad / "pipe.txt")
    skips["pipe.txt"] = "not a regular file (a named pipe, socket or device)"
    return bad, skips, titles


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("hostile-corpus")
    good = make_good_corpus(root)
    bad, skips, titles = make_hostile_corpus(root)
    return {"good": good, "bad": bad, "skips": skips, "titles": titles}


@pytest.fixture(scope="module")
def builds(corpora, tmp_path_factory) -> dict:
    """`kg build` of the good documents alone, and of good + hostile (validation on), as subprocesses."""
    alone = tmp_path_factory.mktemp("out-good")
    both = tmp_path_factory.mktemp("out-hostile")
    started = time.monotonic()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    commands = {"alone": ["build", corpora["good"], "--out", alone, "--no-validate", "--quiet"],
                "both": ["build", corpora["good"], corpora["bad"], "--out", both]}
    running = {name: subprocess.Popen([sys.executable, "-m", "kg.cli", *map(str, args)], cwd=REPO, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for name, args in commands.items()}
    done = {}
    for name, popen in running.items():
        stdout, stderr = popen.communicate(timeout=600)
        done[name] = subprocess.CompletedProcess(popen.args, popen.returncode, stdout, stderr)
    proc_alone, proc_both = done["alone"], done["both"]
    return {"alone": (proc_alone, alone), "both": (proc_both, both), "seconds": time.monotonic() - started}


# --- The real CLI over the hostile corpus -----------------------------------------------------------

def test_build_exits_0_without_a_traceback(builds):
    for name in ("alone", "both"):
        proc, out = builds[name]
        assert proc.returncode == 0, proc.stderr[-5000:]
        assert "Traceback" not in proc.stderr, proc.stderr[-5000:]
        assert {"graph.ttl", "graph.jsonld", "report.md"} <= {p.name for p in out.iterdir()}


def test_every_skipped_file_is_named_with_its_reason(builds, corpora):
    proc, out = builds["both"]
    bad = corpora["bad"]
    skipped = dict(re.findall(r"^Skipped (.+?): (.+)$", proc.stderr, re.M))
    expected = {str(bad / name): reason for name, reason in corpora["skips"].items()}
    copy = bad / "sub dir ñ" / "copia de 000 – São Tomé.txt"
    expected[str(copy)] = (f"same content as {corpora['good'] / '000_fcf440579cd8874a.txt'}; "
                           "its facts are counted once")
    assert skipped == expected
    report = (out / "report.md").read_text(encoding="utf-8")
    for path, reason in expected.items():
        assert f"| {path} | {reason} |" in report, path


def test_readable_files_are_read_and_titled(builds, corpora):
    proc, out = builds["both"]
    report = (out / "report.md").read_text(encoding="utf-8")
    for name, title in corpora["titles"].items():
        row = next((line for line in report.split("\n") if f"/{name} |" in line), None)
        assert row is not None, f"{name} not among the documents of report.md"
        assert f"| {title.replace('|', chr(92) + '|')} |" in row, row
    assert "Read 11 document(s), skipped 9." in proc.stderr


def test_degraded_files_are_warned_about_exactly(builds, corpora):
    proc, _ = builds["both"]
    bad = corpora["bad"]
    warnings = re.findall(r"^Warning: (.+)$", proc.stderr, re.M)
    assert sorted(warnings) == sorted([
        f"{bad / 'big 30MB.txt'}: larger than 5 MB; only the first 5 MB were read",
        f"{bad / 'big 30MB.txt'}: text longer than {MAX_CHARS:,} characters; only the first {MAX_CHARS:,} were kept",
        f"{bad / 'latin1 página.txt'}: not UTF-8 (line {LATIN1_LINE}); read as Windows-1252/Latin-1",
    ])


def test_nothing_hidden_in_html_reaches_the_graph(builds):
    _, out = builds["both"]
    ttl = (out / "graph.ttl").read_text(encoding="utf-8")
    for hidden in ("ONLOAD", "IFRAMETEXT", "IFRAMEBODY", "STYLETEXT", "SCRIPTTEXT", "NOSCRIPTTEXT", "alert(",
                   "gtag", "dataLayer"):
        assert hidden not in ttl, hidden


def _graphs(builds) -> tuple[Graph, Graph]:
    alone, both = Graph(), Graph()
    alone.parse(builds["alone"][1] / "graph.ttl", format="turtle")
    both.parse(builds["both"][1] / "graph.ttl", format="turtle")
    return alone, both


def test_good_documents_graph_is_unchanged(builds):
    """Every fact of the good documents is still there, unchanged.

    The hostile documents add their own entities and facts, and may name entities the good documents
    name too (IOM, El Salvador), so the whole graph is not the same. What must hold: every triple of
    the good-only graph is in the combined graph (relations, classes, evidence, documents, figures),
    except that an entity's preferred label may be another of its names once more documents mention
    it: the old label is then one of its labels.
    """
    alone, both = _graphs(builds)
    label_props = {RDFS.label, SKOS.prefLabel, SKOS.altLabel}
    missing = []
    for s, p, o in alone:
        if (s, p, o) in both:
            continue
        if p in label_props and o in {l for q in label_props for l in both.objects(s, q)}:
            continue
        missing.append((s, p, o))
    assert not missing, "\n".join(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in sorted(missing)[:50])
    assert len(both) > len(alone)


def test_duplicate_document_adds_no_facts(builds, corpora):
    from rdflib.namespace import RDF

    from kg.ontology import KG

    alone, both = _graphs(builds)
    sources = sorted(str(o) for o in both.objects(None, KG.sourcePath))
    assert len(sources) == len(set(both.subjects(RDF.type, KG.Document))) == 11
    assert not [s for s in sources if "copia de 000" in s]
    original = str(corpora["good"] / "000_fcf440579cd8874a.txt")
    assert sources.count(original) == 1
    # The document's node and what cites it are those of the build without the copy.
    [doc] = both.subjects(KG.sourcePath, Literal(original))
    assert set(both.predicate_objects(doc)) == set(alone.predicate_objects(doc))
    assert set(both.subjects(None, doc)) == set(alone.subjects(None, doc))


def test_graph_files_parse_and_agree(builds):
    import pyoxigraph

    for name in ("alone", "both"):
        out = builds[name][1]
        ttl = Graph().parse(out / "graph.ttl", format="turtle")
        jsonld = Graph().parse(out / "graph.jsonld", format="json-ld")
        assert len(ttl) == len(jsonld) > 0
        json.loads((out / "graph.jsonld").read_text(encoding="utf-8"))
        oxi = list(pyoxigraph.parse(path=str(out / "graph.ttl"), format=pyoxigraph.RdfFormat.TURTLE))
        assert len(oxi) == len(ttl)
        from rdflib.compare import isomorphic

        assert isomorphic(ttl, jsonld)


def test_every_iri_is_legal(builds):
    import pyoxigraph

    _, both = _graphs(builds)
    bad = set()
    for triple in both:
        for term in triple:
            if isinstance(term, URIRef):
                iri = str(term)
                if IRI_FORBIDDEN.search(iri) or not re.match(r"^[a-z][a-z0-9+.-]*:", iri):
                    bad.add(iri)
                    continue
                try:
                    pyoxigraph.NamedNode(iri)
                except ValueError:
                    bad.add(iri)
    assert not bad, sorted(bad)[:20]


def test_hostile_names_survive_as_literals(builds):
    _, both = _graphs(builds)
    literals = {str(o) for o in both.objects() if isinstance(o, Literal)}
    assert any("😀" in l and "{Sur}" in l and "\\" in l and "<b>" not in l for l in literals), \
        sorted(l for l in literals if "Sur" in l)


# --- Atomic output ----------------------------------------------------------------------------------

def _outputs(out: Path) -> dict[str, bytes]:
    """Every file a build wrote under `out`, but the extraction cache."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.relative_to(out).parts}


def test_killed_build_leaves_previous_outputs_intact(tmp_path):
    one = tmp_path / "one"
    one.mkdir()
    (one / "a.txt").write_bytes((SEEDS / "002_a7675c9ddf4547aa.txt").read_bytes())
    out = tmp_path / "out"
    first = _cli("build", one, "--out", out, "--no-validate", "--quiet")
    assert first.returncode == 0, first.stderr
    before = _outputs(out)
    assert {"graph.ttl", "graph.jsonld", "report.md"} <= set(before)
    cached_before = set((out / ".cache").rglob("*.entry"))

    # 200 variations of the sample documents: a build that takes a minute.
    many = tmp_path / "many"
    many.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for i in range(200):
        text = seeds[i % len(seeds)].read_text(encoding="utf-8")
        (many / f"{i:03d}.txt").write_text(text.replace("IOM", f"IOM Office {i}", 1) + f"\nVariant {i}.\n",
                                           encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "build", str(many), "--out", str(out), "--no-validate",
                             "--workers", "1"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # its own process group: the kill reaches its workers
    try:
        # Extraction is under way once the first documents' results are cached; then kill without warning.
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if set((out / ".cache").rglob("*.entry")) - cached_before:
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the build ended before it could be killed"
        time.sleep(1.0)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    after = _outputs(out)
    assert sorted(after) == sorted(before), "files appeared or vanished"
    changed = [name for name in before if after[name] != before[name]]
    assert not changed, changed
    leftovers = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.tmp"))
    assert not leftovers, leftovers
    Graph().parse(out / "graph.ttl", format="turtle")


def test_next_build_removes_temporary_files_of_a_killed_one(tmp_path):
    one = tmp_path / "one"
    one.mkdir()
    (one / "a.txt").write_bytes((SEEDS / "002_a7675c9ddf4547aa.txt").read_bytes())
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".graph.ttl.k1ll3d.tmp"  # what a build killed between mkstemp and rename leaves
    stale.write_bytes(b"@prefix kg: <https://w3id.org/kg/ontology#> .\n<x")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    proc = _cli("build", one, "--out", out, "--no-validate", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert not stale.exists()


# --- Library level: each hostile file alone ---------------------------------------------------------

def test_deep_html_is_read_fast_and_whole(tmp_path):
    path = tmp_path / "deep.html"
    path.write_text("<h1>Deep Title Here</h1>" + "<div>" * DEEP + "<p>IOM works in Guazapa with the Mayor.</p>"
                    + "</div>" * DEEP + "<p>After the nesting, more text.</p>", encoding="utf-8")
    started = time.monotonic()
    doc = read_document(path)
    assert time.monotonic() - started < 10
    assert doc.text.split("\n") == ["Deep Title Here", "IOM works in Guazapa with the Mayor.",
                                    "After the nesting, more text."]


def test_unclosed_deep_html_is_read(tmp_path):
    path = tmp_path / "unclosed.html"
    path.write_text("<title>Unclosed</title>" + "<div><b><i>" * 20_000 + "IOM opened an office in Guazapa today.",
                    encoding="utf-8")
    doc = read_document(path)
    assert doc.text == "Unclosed\nIOM opened an office in Guazapa today."


def test_html_title_comes_from_h1_without_hidden_text(tmp_path):
    path = tmp_path / "t.html"
    path.write_text("<title>Site | Page</title><h1>IOM <script>x()</script>Open<b>s</b> an Office</h1>"
                    "<p>IOM opened an office in Guazapa today.</p>", encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "IOM Opens an Office"
    assert doc.text.split("\n")[0] == "IOM Opens an Office"


def test_big_file_is_cut_with_exact_warnings(tmp_path):
    release = (SEEDS / "002_a7675c9ddf4547aa.txt").read_bytes()
    path = tmp_path / "big.txt"
    path.write_bytes(release * (MAX_BYTES // len(release) + 2))
    doc = read_document(path)
    assert doc.warnings == ("larger than 5 MB; only the first 5 MB were read",
                            f"text longer than {MAX_CHARS:,} characters; only the first {MAX_CHARS:,} were kept")
    assert 0.98 * MAX_CHARS < len(doc.text) <= MAX_CHARS  # cut at a line break, after cleaning
    assert doc.title == "IOM to Support Migrant Entrepreneurs Returned to El Salvador"
    import hashlib

    assert doc.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_long_project_page_is_cut_to_the_limit_with_its_fields(tmp_path):
    # Values without labels: ingestion writes "Start Date: 2017" lines, longer than the source lines.
    page = ("Community Stabilization in Southern Honduras\n2017\n2019\nCompleted\nCommunity Stabilization\n"
            "National\nUSD 1500000.00\nHN10P0001\nCS.1234\nHonduras\n")
    path = tmp_path / "page.txt"
    path.write_text(page + "\nThe project supports returned migrants in Choluteca and Valle." * (MAX_CHARS // 40),
                    encoding="utf-8")
    doc = read_document(path)
    assert MAX_CHARS - 200 < len(doc.text) <= MAX_CHARS
    assert doc.kind == "project_page"
    assert doc.fields["Start Date"] == "2017" and doc.fields["Benefiting Member States"] == "Honduras"
    assert doc.warnings == (f"text longer than {MAX_CHARS:,} characters; only the first {MAX_CHARS:,} were kept",)


def test_cut_inside_a_multibyte_character_is_still_utf8(tmp_path):
    path = tmp_path / "cut.txt"
    body = "Gestión de la migración en Usulután y Mejicanos. " * 20
    data = ("Título\n\n" + body + "\n").encode("utf-8")
    data = data + "é".encode("utf-8") * (MAX_BYTES // 2)
    data = data[: MAX_BYTES] + data[MAX_BYTES - 1:]  # byte MAX_BYTES is inside a character
    path.write_bytes(data)
    doc = read_document(path)
    assert not any("UTF-8" in w for w in doc.warnings), doc.warnings
    assert "Gestión de la migración" in doc.text


def test_long_title_is_cut(tmp_path):
    path = tmp_path / "t.html"
    path.write_text("<h1>" + "Word " * 5000 + "</h1><p>IOM opened an office in Guazapa today.</p>", encoding="utf-8")
    doc = read_document(path)
    assert len(doc.title) <= ingest.MAX_TITLE and doc.title.endswith("…")
    assert len(doc.text) <= MAX_CHARS


def test_utf16_without_bom_is_read_with_a_warning(tmp_path):
    path = tmp_path / "u.txt"
    path.write_bytes("IOM in Guazapa\n\nIOM opened an office in Guazapa with partners.\n".encode("utf-16-le"))
    doc = read_document(path)
    assert doc.warnings == ("no byte order mark; read as UTF-16-LE",)
    assert "IOM opened an office in Guazapa with partners." in doc.text


def test_broken_utf16_with_bom_is_skipped(tmp_path):
    path = tmp_path / "u.txt"
    path.write_bytes(b"\xff\xfe" + "IOM in Guazapa".encode("utf-16-le") + b"\x00\xd8")  # a lone surrogate
    with pytest.raises(InputError) as info:
        read_document(path)
    assert info.value.reason == "not valid UTF-16 although it starts with its byte order mark"


def test_links_and_pipes_named_explicitly(tmp_path):
    os.symlink("loop.txt", tmp_path / "loop.txt")
    os.mkfifo(tmp_path / "fifo.txt")
    assert list(iter_files([tmp_path / "loop.txt", tmp_path / "fifo.txt"])) == [
        Skipped(str(tmp_path / "loop.txt"), "symbolic link loop"),
        Skipped(str(tmp_path / "fifo.txt"), "not a regular file (a named pipe, socket or device)"),
    ]


def test_control_characters_in_file_names_are_escaped(tmp_path):
    (tmp_path / "two\nlines.txt").write_bytes(b"")
    assert list(read_documents([tmp_path])) == [Skipped(str(tmp_path) + "/two\\x0alines.txt", "empty file")]


def test_undecodable_file_name_is_read(tmp_path):
    name = os.fsencode(tmp_path) + b"/caf\xe9.txt"
    with open(name, "wb") as handle:
        handle.write("IOM in Guazapa\n\nIOM opened an office in Guazapa with partners.\n".encode("utf-8"))
    [doc] = list(read_documents([tmp_path]))
    assert not isinstance(doc, Skipped), doc
    assert doc.source == str(tmp_path) + "/caf\\xe9.txt"  # no lone surrogates: it can be written anywhere


# --- Found in the lead's modules --------------------------------------------------------------------

def test_cli_reads_a_file_whose_name_is_not_utf8(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    with open(os.fsencode(folder) + b"/caf\xe9.txt", "wb") as handle:
        handle.write(b"IOM in Guazapa\n\nIOM opened an office in Guazapa with partners.\n")
    (folder / "two\nlines.txt").write_bytes(b"")
    proc = _cli("build", folder, "--out", tmp_path / "out", "--no-validate", "--quiet")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert f"Skipped {folder}/two\\x0alines.txt: empty file\n" in proc.stderr
    assert "caf\\xe9.txt" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_overlap_resolution_scales_linearly():
    from kg.extract import _resolve_overlaps
    from kg.rules import Cand

    def seconds(n: int) -> float:
        cands = [Cand(i * 20, i * 20 + 10, "Organization", f"Org {i}", "gazetteer:org", 0.9) for i in range(n)]
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            _resolve_overlaps(cands)
            best = min(best, time.perf_counter() - started)
        return best

    # Four times the candidates: about 4-5 times the time if n log n, 16 times if quadratic. Timings on a shared
    # machine jump: the ratio is taken up to three times, and must come under 8 once.
    ratios = []
    for _ in range(3):
        ratios.append(seconds(4000) / seconds(1000))
        if ratios[-1] < 8:
            break
    assert ratios[-1] < 8, ratios


def test_named_projects_scale_linearly():
    from kg.gazetteer import load
    from kg.rules import named_projects

    gaz = load()

    def seconds(n: int) -> float:
        text = "IOM said so. " + "Aaa " * n + "."
        best = float("inf")
        for _ in range(2):
            started = time.perf_counter()
            named_projects(text, gaz)
            best = min(best, time.perf_counter() - started)
        return best

    ratios = []  # as above: up to three tries on a machine whose timings jump
    for _ in range(3):
        ratios.append(seconds(1600) / seconds(400))
        if ratios[-1] < 8:
            break
    assert ratios[-1] < 8, ratios


def test_budget_with_a_currency_is_a_decimal(extractor):
    doc = read_document(EVAL_DOCS / "e06_project_honduras_community_stabilization.txt")
    extraction = extractor.extract(doc)
    amounts = [st.obj for st in extraction.statements if st.predicate == "budgetAmount"]
    assert amounts and all(re.fullmatch(r"-?\d+(\.\d+)?", a) for a in amounts), amounts


def test_names_in_other_scripts_get_distinct_iris():
    from kg.build import entity_iri

    base = "https://w3id.org/kg/resource/"
    assert entity_iri("Person/محمد", base) != entity_iri("Person/سلام", base)
    assert entity_iri("Person/juan-李", base) != entity_iri("Person/juan-王", base)
