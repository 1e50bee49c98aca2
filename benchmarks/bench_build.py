"""Build throughput against spaCy's own NER on the same text, peak memory, and incremental rebuild time.

`run(n_docs, workers)` generates n synthetic releases (benchmarks/generate.py), then measures, in
this order: spaCy NER alone (the same model and components kg loads, the same cleaned text, the same
number of processes); a full `kg build` (no cache, validation off); spaCy NER alone again (the build's
ratio is to the mean of the two, which brackets it: this machine's speed drifts by a quarter within minutes,
and one baseline before the build gave 1.31x and 1.69x in two runs ten minutes apart); a rebuild after one document changes
(one word); a rebuild after one document is removed (which changes the actor network, so the analytics run);
then, in this process on one core, what each document costs a worker (`per_document`): the model, reading
the file, kg's rules, the graph lines and summary, the cache entry. The work a worker does beside the model
is set beside the model's own time in one process; it is not a floor under the build's ratio, because spaCy
alone with several processes also pays for sending every parsed document back to its parent (kg's workers
send a summary and lines), which the one-process figure leaves out.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402


def _tree_pss_kb(pid: int) -> int:
    """Proportional set size of a process and all its descendants, in KiB (Linux /proc).

    PSS, not RSS: forked workers share the parent's pages until they write them, and a sum of RSS would
    count those pages once per process.
    """
    total, stack, seen = 0, [pid], set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
            with open(f"/proc/{p}/task/{p}/children") as handle:
                stack.extend(int(c) for c in handle.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, int, subprocess.CompletedProcess]:
    """Wall time (s) and peak memory (PSS, sampled every 0.1 s) of the whole process tree (MiB) of a command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_pss_kb(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    done.set()
    sampler.join()
    return time.perf_counter() - start, peak // 1024, subprocess.CompletedProcess(cmd, proc.returncode, out, err)


_SPACY_ALONE = """
import sys, time, spacy
from kg.ingest import read_documents
from kg.extract import load_nlp
from kg.settings import Settings
paths, workers = sys.argv[1], int(sys.argv[2])
texts = [d.text for d in read_documents([paths]) if hasattr(d, "text")]
nlp = load_nlp(Settings.from_env().model)
start = time.perf_counter()
n = sum(len(doc.ents) >= 0 for doc in nlp.pipe(texts, batch_size=32, n_process=workers))
print(time.perf_counter() - start, sum(len(t.split()) for t in texts), n)
"""


def run(n_docs: int = 1000, workers: int | None = None) -> list[dict]:
    workers = workers or os.cpu_count() or 1
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus, out = Path(tmp) / "corpus", Path(tmp) / "out"
        generate(n_docs, corpus)
        spacy_run = subprocess.run([sys.executable, "-c", _SPACY_ALONE, str(corpus), str(workers)],
                                   capture_output=True, text=True, env=env, check=True)
        spacy_s, words, _ = spacy_run.stdout.split()
        spacy_s, words = float(spacy_s), int(words)
        # Validation and views are capped by graph size in `kg build`; they are left out here so the
        # figure is the build itself (read, extract, graph, Turtle, JSON-LD, analytics, report).
        build = [sys.executable, "-m", "kg.cli", "build", str(corpus), "--out", str(out), "--quiet",
                 "--no-validate", "--no-views", "--timings", "--workers", str(workers)]
        build_s, peak_mb, proc = timed(build, env)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr)
        spacy_after = float(subprocess.run([sys.executable, "-c", _SPACY_ALONE, str(corpus), str(workers)],
                                           capture_output=True, text=True, env=env, check=True).stdout.split()[0])
        spacy_runs, spacy_s = (spacy_s, spacy_after), (spacy_s + spacy_after) / 2
        rows.append({"measure": f"spaCy NER alone, {n_docs} docs, {workers} proc", "value": f"{spacy_s:.1f} s",
                     "rate": f"{n_docs / spacy_s:.1f} docs/s, {words / spacy_s:,.0f} words/s (mean of "
                             f"{spacy_runs[0]:.1f} s before the build and {spacy_runs[1]:.1f} s after)"})
        rows.append({"measure": f"kg build (no views, no validation), {n_docs} docs, {workers} proc", "value": f"{build_s:.1f} s",
                     "rate": f"{n_docs / build_s:.1f} docs/s, {words / build_s:,.0f} words/s"})
        rows.append({"measure": "build time / spaCy NER time", "value": f"{build_s / spacy_s:.2f}x",
                     "rate": "target <= 1.33x (includes process start and model load)"})
        rows.append({"measure": "peak memory of the build (all processes, PSS)", "value": f"{peak_mb:,} MiB",
                     "rate": "target < 2,048 MiB at 10,000 docs"})
        rows.append({"measure": "build stages (kg build --timings)", "value": "", "rate": stages(proc.stderr)})
        changed = sorted(corpus.glob("*.txt"))[n_docs // 2]
        changed.write_text(changed.read_text(encoding="utf-8").replace("launched", "presented"), encoding="utf-8")
        rows += _rebuild(build, env, "rebuild after 1 document changed (one word)", "rebuild stages (kg build --timings)",
                         "target < 10 s at 10,000 docs (measures kept if the actor network is unchanged)")
        # Removing a document changes the actor network (its evidence counts), so the analytics run again.
        sorted(corpus.glob("*.txt"))[n_docs // 3].unlink()
        rows += _rebuild(build, env, "rebuild after 1 document removed", "its stages (kg build --timings)",
                         "the actor network changes, so the analytics run again")
        rows += per_document(corpus, Path(tmp) / "cache")
    return rows


PER_DOCUMENT_SAMPLE = 500  # documents timed in `per_document`


def per_document(corpus: Path, scratch: Path, sample: int = PER_DOCUMENT_SAMPLE) -> list[dict]:
    """Rows of CPU milliseconds per document, in this process, for each step a build worker takes
    (kg.pipeline._extract_batch) on the first `sample` documents of `corpus` (after one warm-up document), then their sum beside the model."""
    from dataclasses import replace

    from kg.build import document_lines
    from kg.cache import ExtractionCache
    from kg.extract import Extractor, extract_with
    from kg.ingest import read_document
    from kg.settings import Settings

    settings = Settings.from_env()
    extractor = Extractor(settings)
    paths = sorted(corpus.glob("*.txt"))[:sample]
    cache = ExtractionCache(scratch, settings)
    spent: dict[str, float] = {}
    warm = replace(read_document(str(paths[0])), source="warm-up")  # first calls compile patterns, load tables
    document_lines(extract_with(warm, [(e.start_char, e.end_char, e.label_) for e in extractor.nlp(warm.text).ents],
                                extractor), settings)

    def step(name: str, work):
        start = time.process_time()
        result = work()
        spent[name] = (time.process_time() - start) * 1000 / len(paths)
        return result

    docs = step("reading the file", lambda: [replace(read_document(str(p)), source=p.name) for p in paths])
    texts = [d.text for d in docs]
    ents = step("spaCy NER", lambda: [[(e.start_char, e.end_char, e.label_) for e in doc.ents]
                                      for doc in extractor.nlp.pipe(texts, batch_size=32)])
    found = step("kg's rules (entities, relations, figures)",
                 lambda: [extract_with(d, e, extractor) for d, e in zip(docs, ents)])
    made = step("graph lines and summary", lambda: [(document_lines(x, settings), x.summary()) for x in found])
    step("cache entry", lambda: [cache.put(x, lines, summary) for x, (lines, summary) in zip(found, made)])
    model = spent.pop("spaCy NER")
    rows = [{"measure": f"per document, one process: spaCy NER ({len(paths)} docs)", "value": f"{model:.2f} ms",
             "rate": "CPU time; the model's share of a worker's work"}]
    rows += [{"measure": f"per document, one process: {name}", "value": f"{ms:.2f} ms",
              "rate": f"{100 * ms / model:.0f}% of spaCy NER"} for name, ms in spent.items()]
    rest = sum(spent.values())
    rows.append({"measure": "per document: a worker's work beside the model", "value": f"{rest:.2f} ms",
                 "rate": f"{100 * rest / model:.0f}% of spaCy NER in one process (spaCy alone in several processes "
                         "also sends each parsed document back to its parent, which this leaves out)"})
    return rows


def _rebuild(build: list[str], env: dict, measure: str, stages_measure: str, note: str) -> list[dict]:
    """Two rows for a timed rebuild: its seconds, and its stages."""
    seconds, _, proc = timed(build, env)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    return [{"measure": measure, "value": f"{seconds:.1f} s", "rate": note},
            {"measure": stages_measure, "value": "", "rate": stages(proc.stderr)}]


def stages(stderr: str) -> str:
    """The per-stage seconds `kg build --timings` printed, on one line: "extract 21.1 s, graph 2.0 s, …"."""
    found = re.findall(r"^\s*([a-z][\w. ]*?)\s+([\d.]+) s$", stderr, re.M)
    return ", ".join(f"{name} {float(seconds):.1f} s" for name, seconds in found if name != "total")


def table(rows: list[dict]) -> str:
    widths = [max(len(str(r[k])) for r in rows + [{"measure": "measure", "value": "value", "rate": "notes"}])
              for k in ("measure", "value", "rate")]
    head = f"| {'measure':<{widths[0]}} | {'value':>{widths[1]}} | {'notes':<{widths[2]}} |"
    lines = [head, f"| {'-' * widths[0]} | {'-' * widths[1]}: | {'-' * widths[2]} |"]
    lines += [f"| {r['measure']:<{widths[0]}} | {r['value']:>{widths[1]}} | {r['rate']:<{widths[2]}} |" for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)))
