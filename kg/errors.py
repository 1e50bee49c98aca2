"""The library's own errors. The CLI turns them into `Error: ...` and exit code 1."""


class KGError(Exception):
    """Base class of every error kg raises on purpose."""


class InputError(KGError):
    """A document could not be read or holds no usable text."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ModelError(KGError):
    """The spaCy model named in the settings is not installed."""


class ValidationError(KGError):
    """A graph violates the ontology's shapes."""


class GraphFileError(KGError):
    """A graph file is missing or cannot be parsed."""


class QueryError(KGError):
    """A query file, parameter or query text is wrong, or the query is refused."""


class AnalysisError(KGError):
    """The network cannot be analysed as asked (unknown role or measure, a missing backend)."""


class VizError(KGError):
    """A view cannot be rendered or shown."""
