"""The notebooks in notebooks/: stored without outputs, only the public kg API, and each runs top to bottom.

Each notebook is executed headless with nbclient in a kernel of this interpreter, in its own copy of the
notebooks folder, on the sample corpus. A cell error fails the test with the cell's traceback. To keep
the suite short, most start from a copy of the session's build (`build_result`) in `out/notebooks/`, as
after running notebook 1; FRESH ones start with no graph and must build it themselves, as any notebook
run alone does (they all share that code: see test_notebooks_build_the_graph_when_missing).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, require

NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = ("01-build-and-explore", "02-queries", "03-who-matters", "04-linked-data-round-trip")
# The public API the notebooks may use.
PUBLIC_MODULES = {"kg.pipeline", "kg.query", "kg.analyze", "kg.viz", "kg.store"}
CELL_TIMEOUT = 300  # seconds per cell; generous for a busy 2-core machine
KERNEL_NAME = "kg-notebook-tests"
FRESH = {"04-linked-data-round-trip"}  # run with no graph built beforehand
BUILD_IF_MISSING = "if not GRAPH.exists():"
# What each notebook must show besides running without error: charts (PNG images) and graph views (kg.viz.show).
MUST_SHOW = {
    "01-build-and-explore": {"charts": 1, "views": 2},
    "02-queries": {"charts": 2, "views": 0},
    "03-who-matters": {"charts": 2, "views": 1},
    "04-linked-data-round-trip": {"charts": 0, "views": 0},
}


def _nbformat():
    try:
        import nbformat as module
    except ImportError:
        module = None
    require(module, "nbformat (pip install nbformat)")
    return module


def _python(source: str) -> str:
    """A code cell's source without IPython magics and shell escapes, so that it parses as Python."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def test_the_four_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS][:4] == list(EXPECTED)
    assert (NOTEBOOK_DIR / "README.md").is_file()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_clean(path):
    """Valid nbformat 4, no outputs or execution counts, prose in Markdown cells."""
    nbf = _nbformat()
    nb = nbf.read(str(path), as_version=4)
    nbf.validate(nb)
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; strip them before committing"
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    assert markdown and nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert len(markdown) >= 4, f"{path.name}: say in prose what the reader is looking at"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_uses_only_the_public_api(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    used = set()
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = _python("".join(cell["source"]))
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "kg":
                used.add(node.module)
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{path.name}: imports private names {private} from {node.module}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "kg":
                        used.add(alias.name)
        assert not re.search(r"\bkg(\.\w+)*\._", source), f"{path.name}: uses a private kg name"
    assert used, f"{path.name}: does not use kg at all"
    assert used <= PUBLIC_MODULES, f"{path.name}: imports {sorted(used - PUBLIC_MODULES)}; allowed: {sorted(PUBLIC_MODULES)}"


def test_notebooks_build_the_graph_when_missing():
    """Each notebook builds the shared graph (01 always, the others when it is missing), so any runs alone."""
    nbf = _nbformat()
    for path in NOTEBOOKS:
        source = "\n".join(c.source for c in nbf.read(str(path), as_version=4).cells if c.cell_type == "code")
        assert 'OUT = Path("../out/notebooks")' in source, path.name
        if path.stem.startswith("01"):
            assert "result = run(out_dir=OUT" in source, path.name
        else:
            assert BUILD_IF_MISSING in source and "run(out_dir=OUT" in source, path.name


@pytest.fixture(scope="session")
def kernel_manager_class(tmp_path_factory):
    """A kernel manager class whose only kernel spec runs this interpreter, with the repository importable."""
    try:
        import ipykernel  # noqa: F401
        import nbclient  # noqa: F401
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager
        from traitlets import default
    except ImportError as exc:
        require(False, f"{exc.name} (pip install nbclient nbformat ipykernel)")
    kernels = tmp_path_factory.mktemp("kernels")
    (kernels / KERNEL_NAME).mkdir()
    pythonpath = os.pathsep.join([str(REPO), *([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])])
    (kernels / KERNEL_NAME / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "kg tests",
        "language": "python",
        "env": {"PYTHONPATH": pythonpath},
    }), encoding="utf-8")

    class Manager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self):
            return KernelSpecManager(kernel_dirs=[str(kernels)])

    return Manager


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path, kernel_manager_class, build_result):
    """Top to bottom in its own folder: no cell may fail, and the charts and views must be there."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nbf = _nbformat()
    if path.stem.startswith("04"):
        exe = Path(sys.executable).with_name("oxigraph")
        require(exe.exists() or shutil.which("oxigraph"), "the oxigraph server (pip install oxigraph)")
    workdir = tmp_path / "notebooks"
    workdir.mkdir()
    if path.stem not in FRESH:
        shutil.copytree(build_result.files["graph.ttl"].parent, tmp_path / "out" / "notebooks")
    shutil.copy(path, workdir / path.name)
    nb = nbf.read(str(workdir / path.name), as_version=4)
    client = NotebookClient(nb, kernel_name=KERNEL_NAME, kernel_manager_class=kernel_manager_class,
                            timeout=CELL_TIMEOUT, startup_timeout=120, resources={"metadata": {"path": str(workdir)}})
    start = time.monotonic()
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name}: a cell failed:\n{exc}", pytrace=False)
    print(f"{path.name}: {time.monotonic() - start:.1f} s")

    assert (tmp_path / "out" / "notebooks" / "graph.ttl").is_file(), "the notebook did not build the graph"
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    charts = sum("image/png" in out.get("data", {}) for out in outputs)
    views = sum('class="kg-view"' in out.get("data", {}).get("text/html", "") for out in outputs)
    expected = MUST_SHOW.get(path.stem, {"charts": 0, "views": 0})
    assert charts >= expected["charts"], f"{path.name}: {charts} chart(s), expected {expected['charts']}"
    assert views >= expected["views"], f"{path.name}: {views} graph view(s), expected {expected['views']}"
    if path.stem.startswith("04"):
        text = "".join(out.get("text", "") for out in outputs)
        pid = re.search(r"Oxigraph \(pid (\d+)\)", text)
        assert pid and "Server stopped" in text, "the notebook did not start and stop its SPARQL server"
        assert not Path(f"/proc/{pid.group(1)}").exists(), f"the SPARQL server (pid {pid.group(1)}) is still running"
