"""Per-document extraction results cached by content hash, invalidated when the pipeline changes.

The fingerprint covers kg's version, the source of the modules that read and extract, the data
files they use, and the settings that change their output; any change starts a fresh cache folder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from kg import __version__
from kg.model import Extraction
from kg.serialize import write_atomic
from kg.settings import DATA_DIR, PACKAGE_DIR, Settings

# Modules whose code decides what an extraction, and the graph lines of its document, hold.
_EXTRACTION_MODULES = ("ingest", "textclean", "metadata", "sentences", "gazetteer", "rules", "extract",
                       "relations", "figures", "model", "build")


@lru_cache(maxsize=8)
def fingerprint(settings: Settings) -> str:
    """Hash of everything an extraction depends on besides the document itself."""
    h = hashlib.sha256(__version__.encode())
    for name in _EXTRACTION_MODULES:
        h.update((PACKAGE_DIR / f"{name}.py").read_bytes())
    for path in sorted(DATA_DIR.glob("*.csv")):
        h.update(path.name.encode() + path.read_bytes())
    h.update(json.dumps({"model": settings.model, "max_chars": settings.max_chars, "base_iri": settings.base_iri,
                         "min_confidence": settings.min_confidence}, sort_keys=True).encode())
    return h.hexdigest()[:16]


class ExtractionCache:
    """`DIR/.cache/<fingerprint>/<hash[:2]>/<hash>.json` (the extraction) and `.lines` (its document's graph
    lines, see kg.build.document_lines); older fingerprints are removed on open."""

    def __init__(self, out_dir: Path, settings: Settings):
        self.root = Path(out_dir) / ".cache"
        self.dir = self.root / fingerprint(settings)
        if self.root.is_dir():
            for old in self.root.iterdir():
                if old.is_dir() and old != self.dir:
                    shutil.rmtree(old, ignore_errors=True)

    def _path(self, content_hash: str) -> Path:
        return self.dir / content_hash[:2] / f"{content_hash}.json"

    def get(self, content_hash: str, source: str) -> tuple[Extraction, list[str] | None] | None:
        """(extraction, its document's graph lines) for content seen before; the lines are None when the
        content was read under another name (the lines name the source) or were not kept."""
        path = self._path(content_hash)
        try:
            extraction = Extraction.from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        lines = None
        if extraction.document.source == source:
            try:
                lines = path.with_suffix(".lines").read_text(encoding="utf-8").split("\n")  # not splitlines(): U+2028 may be in a literal
            except (OSError, ValueError):
                lines = None
        # The same content may now live under another name.
        return replace(extraction, document=replace(extraction.document, source=source)), lines

    def put(self, extraction: Extraction, lines: list[str]) -> None:
        """Write one entry (from any process). Renamed into place, not fsynced: after a power cut a lost
        entry is only extracted again. The lines go first: an entry without its extraction is not used."""
        path = self._path(extraction.document.content_hash)
        write_atomic(path.with_suffix(".lines"), ["\n".join(lines)], fsync=False)
        write_atomic(path, extraction.to_json().encode("utf-8"), fsync=False)
