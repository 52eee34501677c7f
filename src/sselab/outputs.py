"""Where sselab writes: output folders it may create, fill and replace — and nothing else.

Rules (docs/DEVELOPERS.md, "Data safety"):

* sselab writes only into a folder that does not exist yet, an empty folder, or a folder it wrote itself (it holds
  the marker file :data:`MARKER`, a small JSON document with the sselab version and the kind of output).
* An output folder may not contain an input, nor lie inside an input folder.
* Inside a marked folder, sselab overwrites only files it wrote there (their names are listed in the marker); a file
  the user put beside them is never replaced.
* A whole folder (a report, the demo's data set) is built beside its destination and swapped in with two renames, so
  an interrupted run leaves the previous result intact; the swapped-out old folder is removed only because it carries
  the marker.  Hidden leftovers of interrupted runs (``.NAME.sselab-tmp-*``, ``.NAME.sselab-old-*``) are removed on the
  next run — again only when they carry the marker.
* Two runs writing the same folder at once: the second stops with one line (a lock file ``.NAME.sselab-lock`` beside
  the folder, held with ``flock`` while writing).

Every refusal is an :class:`OutputError` (one line; the CLI prints ``error: …`` and exits 2) raised *before* any work
is done and before anything is touched.
"""
from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from .errors import SselabError

__all__ = ["MARKER", "OutputError", "OutputDir", "check_output_dir", "prepare_output_dir", "write_tree",
           "output_lock", "is_sselab_output", "atomic_write_bytes"]

#: the marker file every folder sselab writes carries
MARKER = ".sselab-output.json"
_TMP = "sselab-tmp-"
_OLD = "sselab-old-"


class OutputError(SselabError):
    """An output location sselab refuses to write (it would touch something sselab did not create)."""


def _version() -> str:
    from . import __version__

    return __version__


def _read_marker(folder: Path) -> dict | None:
    """The marker's content, or None when ``folder`` carries no (valid) marker."""
    p = folder / MARKER
    try:
        if not p.is_file() or p.is_symlink():
            return None
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("tool") == "sselab" else None


def is_sselab_output(folder) -> bool:
    """True when ``folder`` is a folder sselab wrote (it carries a valid marker)."""
    folder = Path(folder)
    return folder.is_dir() and not folder.is_symlink() and _read_marker(folder) is not None


def _write_marker(folder: Path, kind: str, files: Iterable[str] = ()) -> None:
    doc = {"tool": "sselab", "version": _version(), "kind": kind, "files": sorted(set(files))}
    atomic_write_bytes(folder / MARKER, (json.dumps(doc, indent=1) + "\n").encode("utf-8"))


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically (a hidden temporary file beside it, fsync, rename)."""
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _inside(p: Path, parent: Path) -> bool:
    return p == parent or parent in p.parents


def _first_existing(p: Path) -> Path:
    q = p
    while not os.path.lexists(q):
        if q.parent == q:
            break
        q = q.parent
    return q


def check_output_dir(out, inputs: Iterable = (), *, kind: str = "output", replace: bool = False) -> Path:
    """Check that sselab may write into the folder ``out`` (see the module docstring); return its absolute path.

    ``inputs``: files or folders the run reads (an output may not contain them or lie inside them).
    ``replace``: the run will replace the whole folder (a report), so ``out`` must be new or an sselab folder; an
    empty folder the user made is accepted as well (it holds nothing to lose).
    Raises :class:`OutputError` (one line) and touches nothing when the answer is no.
    """
    raw = Path(out).expanduser()
    if str(out) == "":
        raise OutputError("--out is empty: give a folder name")
    target = Path(os.path.abspath(raw))
    # where it would be created: every existing ancestor must be a writable folder
    anc = _first_existing(target)
    if anc != target or not os.path.lexists(target):
        if not anc.is_dir():
            raise OutputError(f"{raw}: cannot create it, {anc} is a file, not a folder")
        if not os.access(anc, os.W_OK | os.X_OK):
            raise OutputError(f"{raw}: cannot create it, no permission to write in {anc}")
    else:
        st = os.lstat(target)
        if stat.S_ISLNK(st.st_mode):
            raise OutputError(f"{raw} is a symbolic link; sselab writes only into real folders it created — "
                              f"choose another --out")
        if not stat.S_ISDIR(st.st_mode):
            raise OutputError(f"{raw} is an existing file, not a folder; sselab will not replace it — choose "
                              f"another --out")
        if _read_marker(target) is None:
            try:
                empty = not any(os.scandir(target))
            except OSError as exc:
                raise OutputError(f"{raw}: cannot read the folder ({exc.strerror})") from None
            if not empty:
                raise OutputError(f"{raw} already exists and was not written by sselab (no {MARKER} in it); "
                                  f"refusing to write into it — choose a new folder")
        if not os.access(target, os.W_OK | os.X_OK) or (replace and not os.access(target.parent, os.W_OK)):
            raise OutputError(f"{raw}: no permission to write there")
    real = Path(os.path.realpath(target))
    for item in inputs:
        if item is None:
            continue
        inp = Path(os.path.realpath(Path(item).expanduser()))
        if _inside(inp, real):
            what = "is" if inp == real else "contains"
            raise OutputError(f"--out {raw} {what} the input {item}; write the output outside your data")
        if Path(item).is_dir() and _inside(real, inp):
            raise OutputError(f"--out {raw} lies inside the input folder {item}; write the output outside "
                              f"your data")
    return target


@contextmanager
def _os_errors(where) -> Iterator[None]:
    """An operating-system refusal (permissions, read-only file system, a file in the way) as one line."""
    try:
        yield
    except OSError as exc:
        raise OutputError(f"{where}: cannot write there ({exc.strerror or exc})") from None


@contextmanager
def output_lock(target: Path) -> Iterator[None]:
    """Hold an exclusive lock for writing ``target`` (a lock file beside it); a second writer gets one line."""
    import fcntl

    target = Path(target)
    lock = target.parent / f".{target.name}.sselab-lock"
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise OutputError(f"{target}: cannot create the lock file {lock.name} ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise OutputError(f"{target}: another sselab run is writing this folder right now; wait for it "
                                  f"to finish or choose another --out") from None
            raise
        # the file may have been unlinked by the previous holder between our open and our lock: then retry
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield
    finally:
        try:
            os.unlink(lock)
        except FileNotFoundError:
            pass
        os.close(fd)


def _clean_leftovers(target: Path) -> None:
    """Remove hidden temp/old folders of earlier interrupted runs for ``target`` (only those carrying the marker)."""
    parent = target.parent
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for e in entries:
        name = e.name
        if not (name.startswith(f".{target.name}.{_TMP}") or name.startswith(f".{target.name}.{_OLD}")):
            continue
        p = Path(e.path)
        if e.is_dir(follow_symlinks=False) and _read_marker(p) is not None:
            shutil.rmtree(p, ignore_errors=True)


@contextmanager
def write_tree(out, inputs: Iterable = (), *, kind: str) -> Iterator[Path]:
    """Build a whole output folder and swap it in atomically::

        with write_tree(out, inputs=[data_dir], kind="report") as tmp:
            (tmp / "report.html").write_text(...)

    The body writes into a fresh hidden folder beside ``out``; when it finishes, the folder replaces ``out`` (the
    previous one, an sselab folder, is removed); when it raises, ``out`` is untouched and the temp folder removed.
    """
    target = check_output_dir(out, inputs, kind=kind, replace=True)
    with _os_errors(out):
        target.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(target):
        _clean_leftovers(target)
        tmp = target.parent / f".{target.name}.{_TMP}{os.getpid()}-{secrets.token_hex(3)}"
        with _os_errors(out):
            tmp.mkdir(mode=0o755)
            _write_marker(tmp, kind)
        try:
            yield tmp
            # recheck right before the swap: the folder may have been replaced by something else meanwhile
            check_output_dir(out, inputs, kind=kind, replace=True)
            files = [str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file() and p.name != MARKER]
            _write_marker(tmp, kind, files)
            if os.path.lexists(target):
                if _read_marker(target) is None and any(os.scandir(target)):
                    raise OutputError(f"{out} was filled by something else while sselab worked; left untouched")
                old = target.parent / f".{target.name}.{_OLD}{os.getpid()}-{secrets.token_hex(3)}"
                os.replace(target, old)
                try:
                    os.replace(tmp, target)
                except OSError:
                    os.replace(old, target)
                    raise
                if _read_marker(old) is not None:
                    shutil.rmtree(old, ignore_errors=True)
                else:            # an empty folder the user made
                    old.rmdir()
            else:
                os.replace(tmp, target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)


class OutputDir:
    """A folder that commands write individual files into (figures, CSV, JSON) — created and marked by sselab.

    ``OutputDir.prepare(out, inputs, kind=...)`` checks the location (raising :class:`OutputError` before any work);
    ``claim(name)`` gives the path to write ``name`` to, refusing a file of that name that sselab did not write.
    Writes themselves should be atomic (``save_figure`` and :meth:`write_text` are).
    """

    def __init__(self, path: Path, kind: str):
        self.path = Path(path)
        self.kind = kind
        self._created = False

    @classmethod
    def prepare(cls, out, inputs: Iterable = (), *, kind: str = "figures") -> "OutputDir":
        return cls(check_output_dir(out, inputs, kind=kind), kind)

    def create(self) -> dict:
        """Create and mark the folder (idempotent); return the marker's content."""
        if not self._created:
            with _os_errors(self.path):
                self.path.mkdir(parents=True, exist_ok=True)
            with output_lock(self.path):
                if _read_marker(self.path) is None:
                    if any(p.name != MARKER for p in self.path.iterdir()):
                        raise OutputError(f"{self.path} was filled by something else; left untouched")
                    _write_marker(self.path, self.kind)
            self._created = True
        return _read_marker(self.path) or {}

    def claim(self, name: str) -> Path:
        """The path for the output file ``name`` (relative); registers it in the marker."""
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts or rel.name == MARKER:
            raise OutputError(f"{name}: not a file name sselab writes")
        doc = self.create()
        target = self.path / rel
        known = set(doc.get("files", ()))
        if str(rel) not in known:
            if os.path.lexists(target):
                raise OutputError(f"{target} exists and was not written by sselab; refusing to replace it")
            with output_lock(self.path):
                doc = _read_marker(self.path) or {}
                _write_marker(self.path, self.kind, [*doc.get("files", ()), str(rel)])
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_text(self, name: str, text: str) -> Path:
        target = self.claim(name)
        atomic_write_bytes(target, text.encode("utf-8"))
        return target

    def __fspath__(self) -> str:
        return str(self.path)

    def __truediv__(self, name: str) -> Path:
        return self.claim(name)


def prepare_output_dir(out, inputs: Iterable = (), *, kind: str = "figures") -> OutputDir | None:
    """:meth:`OutputDir.prepare`, or None when ``out`` is None (the command writes nothing)."""
    return None if out is None else OutputDir.prepare(out, inputs, kind=kind)
