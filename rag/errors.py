"""Errors the user can act on. The CLI prints ``str(err)`` on one line and exits non-zero;
no traceback reaches the user for these."""


class RagError(Exception):
    """Base class: a clear, one-line, actionable message."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(RagError):
    exit_code = 2


class IndexMissingError(RagError):
    """No index where one was expected."""


class IndexCorruptError(RagError):
    """The index is damaged or inconsistent; rebuilding fixes it."""


class IndexMismatchError(RagError):
    """The index was built with another embedder or format version."""


class IndexLockedError(RagError):
    """Another process is writing the index."""


class StoreUnavailableError(RagError):
    """The store's server (or its embedded database file) cannot be reached or opened."""


class ModelError(RagError):
    """A bundled or configured model is missing or damaged."""


class DocumentError(RagError):
    """A document could not be read (used for single-file operations)."""
