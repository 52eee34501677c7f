"""Keeping what the user chose in the app: per-file recipe options in the settings file sselab owns.

Decision (docs/DEVELOPERS.md, data safety): the app never edits the user's manifest.  It writes a separate file
beside it, ``cells.sselab.yaml`` for ``cells.yaml`` (:func:`sselab.cell.settings_path`; a folder without a
manifest gets ``cells.sselab.yaml`` in it), which :func:`sselab.cell.load_manifest` and
:func:`sselab.recipes.routing.load` merge — so ``sselab report`` (and ``sselab batch``) run every file with the
options chosen here.  The user's YAML keeps its comments, order and formatting; deleting the settings file returns
every file to the automatic analysis.

Safety: the file is written atomically (a temporary file in the same folder, fsync, rename) under an exclusive
``flock`` on a lock file beside it (two app windows saving at once do not lose each other's changes); a file of
that name which sselab did not write (no ``sselab_settings:`` key) is never overwritten — one-line
:class:`~sselab.outputs.OutputError` instead.
"""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from ..cell import SETTINGS_KEY, settings_path
from ..errors import SselabError
from ..outputs import OutputError, atomic_write_bytes
from ..results import jsonable

__all__ = ["SettingsFile", "HEADER"]

HEADER = ("# Written by sselab (sselab app): per-file analysis options, merged into the manifest beside it by\n"
          "# sselab's manifest loader (sselab report, sselab batch).  Paths are relative to this file.  Delete a\n"
          "# file's entry (or this file) to return to the automatic analysis.  Your manifest is never modified.\n")


class SettingsFile:
    """The settings file of a manifest (or of a folder without one)."""

    def __init__(self, manifest_or_dir):
        self.path = settings_path(manifest_or_dir)
        self.base = self.path.parent

    def rel(self, file) -> str:
        p = Path(file).resolve()
        try:
            return p.relative_to(self.base.resolve()).as_posix()
        except ValueError:
            return str(p)

    # -- reading ----------------------------------------------------------------------------------------------
    def _read_doc(self) -> dict:
        import yaml

        if not self.path.exists():
            return {SETTINGS_KEY: 1, "files": {}}
        if self.path.is_symlink() or not self.path.is_file():
            raise OutputError(f"{self.path}: not a regular file; sselab will not write its settings there")
        try:
            doc = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise OutputError(f"{self.path}: exists but is not readable sselab settings ({type(exc).__name__}); "
                              "sselab will not overwrite it — move it away") from None
        if doc is None:
            doc = {}
        if not isinstance(doc, dict) or SETTINGS_KEY not in doc:
            raise OutputError(f"{self.path}: exists and was not written by sselab (no '{SETTINGS_KEY}:' key); "
                              "sselab will not overwrite it — move it away to keep settings")
        if not isinstance(doc.get("files") or {}, dict):
            raise OutputError(f"{self.path}: 'files' is not a mapping; sselab will not overwrite it")
        doc["files"] = dict(doc.get("files") or {})
        return doc

    def get(self, file) -> dict | None:
        return self._read_doc()["files"].get(self.rel(file))

    # -- writing ----------------------------------------------------------------------------------------------
    @contextmanager
    def _locked(self):
        lock = self.base / f".{self.path.name}.sselab-lock"
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"{self.base}: cannot write settings there ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def update(self, changes: dict) -> Path:
        """Set (options mapping) or remove (None) the entries of the files in ``changes`` (path → options), in one
        atomic write.  Returns the settings file's path."""
        import yaml

        with self._locked():
            doc = self._read_doc()
            files = doc["files"]
            for file, opts in changes.items():
                key = self.rel(file)
                if opts is None:
                    files.pop(key, None)
                else:
                    files[key] = _plain(opts)
            body = yaml.safe_dump({SETTINGS_KEY: 1, "files": dict(sorted(files.items()))}, sort_keys=False,
                                  allow_unicode=True, width=120)
            _atomic_write(self.path, (HEADER + body).encode("utf-8"))
        return self.path

    def set(self, file, options: dict | None) -> Path:
        return self.update({file: options})


def _plain(opts: dict) -> dict:
    """Options as plain YAML types (tuples → lists, numpy numbers → floats), Nones left out."""
    out = jsonable({k: v for k, v in opts.items() if v is not None})
    if not isinstance(out, dict):
        raise SselabError("settings: options must be a mapping")
    return out


def _atomic_write(target: Path, data: bytes) -> None:
    try:
        atomic_write_bytes(target, data)
    except OSError as exc:
        raise OutputError(f"{target}: settings not written ({exc.strerror or exc})") from None
