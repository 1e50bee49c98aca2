"""Shared fixtures: the shipped corpus and ontology, one loaded Extractor, one pipeline build, the CLI.

Everything is real: the spaCy model, rdflib, pyshacl, and the `kg` command run as a subprocess.
Something a test needs that is missing skips the test locally and fails it under CI=true.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "corpus" / "seeds"
CORPUS_README = REPO / "corpus" / "README.md"


def require(condition: object, what: str) -> None:
    """Skip the test when `condition` is false, unless running under CI, where it fails."""
    if condition:
        return
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"missing under CI: {what}")
    pytest.skip(f"missing: {what}")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def seed_files() -> list[Path]:
    """The shipped sample documents, sorted by name."""
    return sorted(SEEDS.glob("*.txt"))


@pytest.fixture(scope="session")
def readme_titles() -> dict[str, tuple[str, str]]:
    """file name -> (kind, title) from the table of corpus/README.md."""
    rows = {}
    for line in CORPUS_README.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\|\s*(\d{3}_[0-9a-f]+\.txt)\s*\|\s*([^|]+?)\s*\|\s*(.+?)\s*\|\s*$", line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3))
    return rows


@pytest.fixture(scope="session")
def sample_docs(seed_files):
    """file name -> Document, read directly with kg.ingest.read_document."""
    from kg.ingest import read_document

    return {path.name: read_document(path) for path in seed_files}


@pytest.fixture(scope="session")
def extractor():
    """The Extractor with the real spaCy model, loaded once for the whole session."""
    from kg.extract import Extractor

    return Extractor()


@pytest.fixture(scope="session")
def build_result(extractor, tmp_path_factory):
    """kg.pipeline.run over the bundled sample corpus, once per session (validation included)."""
    from kg import pipeline

    out = tmp_path_factory.mktemp("pipeline-out")
    return pipeline.run(out_dir=out, extractor=extractor, progress=False)


@pytest.fixture()
def graph_copy(build_result, tmp_path) -> Path:
    """A fresh copy of the sample graph.ttl in a folder of its own (stores and answers are made beside it)."""
    path = tmp_path / "graph.ttl"
    shutil.copyfile(build_result.files["graph.ttl"], path)
    return path


@pytest.fixture(scope="session")
def docs_by_name(build_result):
    """file name -> Document of the session build."""
    return {Path(d.source).name: d for d in build_result.documents}


@pytest.fixture(scope="session")
def extractions_by_name(build_result):
    return {Path(x.document.source).name: x for x in build_result.extractions}


@pytest.fixture(scope="session")
def doc_iri(docs_by_name):
    """file name -> IRI of its kg:Document node."""
    from kg.build import document_iri
    from kg.settings import Settings

    base = Settings.from_env().base_iri

    def iri(name: str):
        return document_iri(docs_by_name[name].id, base)

    return iri


def _cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
    env.update(extra)
    return env


def run_kg_command(args: list[str], *, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    """`python -m kg.cli ARGS` as a subprocess with the repository on PYTHONPATH."""
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *map(str, args)],
        cwd=cwd or REPO, env=_cli_env(**env), capture_output=True, text=True, timeout=600,
    )


@pytest.fixture(scope="session")
def run_kg():
    return run_kg_command


@pytest.fixture(scope="session")
def cli_build(tmp_path_factory):
    """`kg build --out DIR` on the sample corpus as a subprocess, with its own PYTHONHASHSEED."""
    out = tmp_path_factory.mktemp("cli-out")
    seed = "4242" if os.environ.get("PYTHONHASHSEED") != "4242" else "17"
    proc = run_kg_command(["build", "--out", out], PYTHONHASHSEED=seed)
    return proc, out


@pytest.fixture(scope="session")
def java() -> str:
    """Path of `java` (the OWL reasoner HermiT needs it)."""
    path = shutil.which("java")
    require(path, "java (owlready2's HermiT reasoner needs a Java runtime)")
    return path


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium driven by Playwright (no `playwright install`: it launches /usr/bin/chromium)."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    require(sync_playwright, "playwright for Python (pip install playwright)")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    require(executable, "chromium (apt-get install chromium)")
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            require(False, f"a Chromium that starts ({executable}: {exc})")
        yield browser
        browser.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """A real Oxigraph SPARQL server on a free loopback port, for the whole session; yields its base URL.

    SPARQL query at BASE/query, update at BASE/update, Graph Store Protocol at BASE/store. The `oxigraph`
    PyPI package installs the binary next to the interpreter.
    """
    import time
    import urllib.error
    import urllib.request

    exe = Path(sys.executable).with_name("oxigraph")
    executable = str(exe) if exe.exists() else shutil.which("oxigraph")
    require(executable, "the oxigraph server (pip install oxigraph)")
    location = tmp_path_factory.mktemp("oxigraph-data")
    log = (location.parent / "oxigraph.log").open("wb")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([executable, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    ready = False
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/query?query=ASK%7B%7D", timeout=2) as response:
                ready = response.status == 200
                break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    if not ready:
        proc.kill()
        proc.wait(10)
        log.close()
        require(False, f"an oxigraph server that answers on {base} within 30 s (log: {log.name})")
    yield base
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
    log.close()


def kg_in_process(capsys, *args: object) -> tuple[int, str, str]:
    """`kg ARGS` run in this process through kg.cli.main: (exit code, stdout, stderr)."""
    from kg.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err
