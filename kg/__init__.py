"""kg: documents about migration and development work in, a linked-data knowledge graph out."""

from kg.errors import KGError
from kg.model import Document, Entity, Extraction, Mention, Provenance, Statement
from kg.settings import Settings

__version__ = "0.1.0"

__all__ = [
    "Document",
    "Entity",
    "Extraction",
    "KGError",
    "Mention",
    "Provenance",
    "Settings",
    "Statement",
    "__version__",
]
