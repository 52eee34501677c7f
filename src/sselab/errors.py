"""One exception family for everything a user can get wrong.

Every message is a single line that names the file (when there is one) and the problem.
The CLI prints ``str(exc)`` and exits with status 2; no traceback for user errors.
"""
from __future__ import annotations


class SselabError(Exception):
    """Base class of every error sselab raises on bad input."""


class UnitError(SselabError, ValueError):
    """A quantity could not be parsed or has the wrong dimension / sign."""


class ManifestError(SselabError, ValueError):
    """A cell manifest (YAML) is malformed."""


class ReaderError(SselabError):
    """An instrument file could not be read (``"FILE: problem"``, or ``"FILE:LINE: problem"`` when ``line`` is given)."""

    def __init__(self, path, problem: str, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.problem = problem
        self.line = int(line) if line is not None else None
        where = self.path if self.line is None or self.path is None else f"{self.path}:{self.line}"
        super().__init__(f"{where}: {problem}" if where else problem)


class UnknownFormatError(ReaderError):
    """The file's format was not recognised."""


class EmptyFileError(ReaderError):
    """The file holds no data rows."""


class MissingColumnsError(ReaderError):
    """The file lacks columns the analysis needs."""


class MissingDependencyError(SselabError):
    """An optional extra is needed (e.g. ``pip install 'sselab[biologic]'``)."""


class AnalysisError(SselabError, ValueError):
    """The data do not allow the requested analysis (too few points, non-positive values...)."""


class FitError(AnalysisError):
    """A fit could not be performed."""


def check_keys(mapping, allowed, where: str, error: type[SselabError] = SselabError, what: str = "key(s)") -> None:
    """Refuse a mapping with a key outside ``allowed``: ``error("WHERE: unknown key(s) a, b (allowed: …)")``."""
    unknown = set(map(str, mapping)) - set(allowed)
    if unknown:
        raise error(f"{where}: unknown {what} {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(allowed))})")
