"""Errors that ilner reports to users as one clear message, never as a library traceback."""

from __future__ import annotations


class IlnerError(Exception):
    """Base class of errors whose message is meant for the user as it stands."""


class DataError(IlnerError):
    """Input data that cannot be read or used; names the file and, where known, the line."""

    def __init__(self, source: str, message: str, line: int | None = None):
        self.source = source
        self.line = line
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class TagsetError(IlnerError):
    """An unknown tagset, a malformed tagset or mapping file, or a type a mapping does not cover."""


class DatasetUnavailableError(IlnerError):
    """A registered dataset that is neither in a mirror, nor cached, nor downloadable now."""
