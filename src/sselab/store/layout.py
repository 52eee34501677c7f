"""The store on disk: a marked sselab folder of Parquet files and one atomic manifest.

::

    STORE/
      .sselab-output.json              marker: an sselab output of kind "store" (sselab.outputs)
      store.json                       the committed state (replaced atomically; the only thing readers trust)
      plan.json                        the last run's units of work and what decided them (a cache, replaced
                                       atomically; ignored when it does not match)
      data/<table>/<segment>.parquet   compacted segments: many units' rows of one table
      parts/<unit-hash>-<key>/         one finished unit of work: <table>.parquet … + unit.json (written last)

A finished unit is written as a part folder built under a temporary name and renamed into place (atomic), so a
part folder either holds everything of its unit or does not exist.  ``store.json`` lists the *segments* (a part
folder, or a compacted file group) and, for every unit, its key and the segment holding its rows.  Readers build
their DuckDB views from ``store.json`` only, so a run killed at any moment leaves the last committed state
readable; parts finished but not yet committed are adopted by the next run (not recomputed), and files no committed
manifest refers to (temporary folders, replaced segments) are removed by the next writer — only inside this marked
folder and only with the names sselab gives them.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from ..errors import MissingDependencyError, SselabError

__all__ = ["StoreError", "StoreState", "StoreWriter", "Part", "require_pyarrow", "require_duckdb", "MANIFEST",
           "read_state", "unit_dir_name"]

MANIFEST = "store.json"
PLAN = "plan.json"
DATA = "data"
PARTS = "parts"
KIND = "store"
_SEG_RE = re.compile(r"^g\d{6}-[0-9a-f]{8}$")
_PART_RE = re.compile(r"^[0-9a-f]{16}-[0-9a-f]{16}$")
_TMP_PREFIX = ".tmp-"
#: compacted segments tolerated before a run merges them all into one
MAX_SEGMENTS = 8
#: rows (or bytes) buffered before a row group is written during compaction
ROW_GROUP = 65536
ROW_GROUP_BYTES = 32 * 2 ** 20


class StoreError(SselabError):
    """A results store cannot be read or written (not a store, a bad query, a foreign folder …)."""


def require_pyarrow():
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise MissingDependencyError("the results store needs pyarrow and duckdb: "
                                     "pip install 'sselab[store]'") from None
    import pyarrow as pa

    return pa


def require_duckdb():
    try:
        import duckdb
    except ImportError:
        raise MissingDependencyError("the results store needs duckdb and pyarrow: "
                                     "pip install 'sselab[store]'") from None
    return duckdb


def unit_dir_name(unit_id: str, key: str) -> str:
    return hashlib.sha256(unit_id.encode("utf-8")).hexdigest()[:16] + "-" + key[:16]


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _atomic_json(path: Path, doc: dict) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        with open(tmp, "x", encoding="utf-8") as fh:
            json.dump(doc, fh, separators=(",", ":"), allow_nan=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        if tmp.exists():
            tmp.unlink()


# ---------------------------------------------------------------------------------------------------------------
# the committed state
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class StoreState:
    """The content of ``store.json``."""

    source: str | None = None
    manifest: str | None = None
    generation: int = 0
    segments: dict = field(default_factory=dict)   # id -> {"tables": {table: relpath}, "units": [unit ids]}
    units: dict = field(default_factory=dict)      # unit id -> {"key", "segment", "status", "kind"}
    hashes: dict = field(default_factory=dict)     # relpath -> [size, mtime_ns, sha256]
    sselab_version: str = ""
    updated: str = ""

    def table_files(self, table: str) -> list[str]:
        return [s["tables"][table] for _, s in sorted(self.segments.items()) if table in s["tables"]]

    def tables(self) -> list[str]:
        return sorted({t for s in self.segments.values() for t in s["tables"]})

    def to_doc(self) -> dict:
        from . import schema

        return {"tool": "sselab-store", "format": schema.STORE_FORMAT, "sselab_version": self.sselab_version,
                "updated": self.updated, "source": self.source, "manifest": self.manifest,
                "generation": self.generation, "segments": self.segments, "units": self.units,
                "hashes": self.hashes}

    @classmethod
    def from_doc(cls, doc: dict, where) -> "StoreState":
        from . import schema

        if not isinstance(doc, dict) or doc.get("tool") != "sselab-store":
            raise StoreError(f"{where}: not an sselab store manifest")
        if doc.get("format") != schema.STORE_FORMAT:
            raise StoreError(f"{where}: store format {doc.get('format')} is not the format this sselab writes "
                             f"({schema.STORE_FORMAT}); write a new store with `sselab batch … --store NEW`")
        return cls(source=doc.get("source"), manifest=doc.get("manifest"), generation=int(doc.get("generation", 0)),
                   segments=dict(doc.get("segments") or {}), units=dict(doc.get("units") or {}),
                   hashes=dict(doc.get("hashes") or {}), sselab_version=doc.get("sselab_version", ""),
                   updated=doc.get("updated", ""))


def read_state(store) -> StoreState:
    """The committed state of the store folder ``store`` (one-line :class:`StoreError` when it is not one)."""
    path = Path(store)
    if not path.exists():
        raise StoreError(f"{store}: no such store (create one with `sselab batch DIR --store {store}`)")
    if not path.is_dir():
        raise StoreError(f"{store}: not a folder, not an sselab store")
    m = path / MANIFEST
    if not m.is_file():
        raise StoreError(f"{store}: not an sselab results store (no {MANIFEST}); create one with "
                         f"`sselab batch DIR --store {store}`")
    try:
        doc = json.loads(m.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{m}: unreadable store manifest ({exc})") from None
    return StoreState.from_doc(doc, m)


# ---------------------------------------------------------------------------------------------------------------
# the writer
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class Part:
    """A finished unit's part folder (written, maybe not yet committed)."""

    unit_id: str
    key: str
    dirname: str
    tables: dict          # table -> file name inside the part folder
    info: dict            # unit.json


class StoreWriter:
    """Writes one store folder; use as a context manager (checks, creates, marks and locks the folder).

    ``inputs``: the folders/files the run reads (the store may not contain them or lie inside them).
    """

    def __init__(self, path, inputs: Iterable = ()):
        self.path = Path(path)
        self.inputs = [p for p in inputs if p is not None]
        self.state = StoreState()
        self._lock = None
        self.pending: list[Part] = []      # written parts not yet committed
        self.remove: set[str] = set()      # unit ids to drop at the next commit

    # -- opening ------------------------------------------------------------------------------------------------
    def __enter__(self) -> "StoreWriter":
        from ..outputs import MARKER, OutputError, _os_errors, _write_marker, check_output_dir, output_lock

        require_pyarrow()
        target = check_output_dir(self.path, self.inputs, kind=KIND)
        if target.exists():
            marker = target / MARKER
            if marker.is_file():
                try:
                    kind = json.loads(marker.read_text(encoding="utf-8")).get("kind")
                except (OSError, ValueError):
                    kind = None
                if kind != KIND:
                    raise OutputError(f"{self.path} is an sselab {kind or 'output'} folder, not a results store; "
                                      f"choose another --store")
                if not (target / MANIFEST).exists() and any(p.name not in (MARKER, DATA, PARTS, PLAN)
                                                            for p in target.iterdir()):
                    raise OutputError(f"{self.path}: a store folder without {MANIFEST} but with other files; "
                                      f"left untouched — choose another --store")
        with _os_errors(self.path):
            target.mkdir(parents=True, exist_ok=True)
        self.path = target
        self._lock = output_lock(target)
        self._lock.__enter__()
        try:
            if not (target / MARKER).is_file():
                _write_marker(target, KIND, [MANIFEST, PLAN])
            with _os_errors(self.path):
                (target / DATA).mkdir(exist_ok=True)
                (target / PARTS).mkdir(exist_ok=True)
            if (target / MANIFEST).exists():
                self.state = read_state(target)
        except BaseException:
            self._lock.__exit__(None, None, None)
            self._lock = None
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self._lock is not None:
            self._lock.__exit__(*exc)
            self._lock = None

    # -- recovery -----------------------------------------------------------------------------------------------
    def recover(self) -> dict[str, Part]:
        """Clean what an interrupted run left (temporary folders, segments no manifest refers to) and return the
        finished-but-uncommitted parts by unit id (parts already committed are not returned)."""
        for f in self.path.glob(f".{MANIFEST}.*.part"):        # a manifest write that never completed
            if f.is_file() and not f.is_symlink():
                f.unlink()
        committed_parts = {s.split(":", 1)[1] for s in self.state.segments if s.startswith("p:")}
        referenced = {rel for s in self.state.segments.values() for rel in s["tables"].values()}
        # data/<table>/<segment>.parquet not referenced: a commit that never happened, or a replaced segment
        data = self.path / DATA
        for tdir in sorted(data.iterdir()) if data.is_dir() else ():
            if not tdir.is_dir() or tdir.is_symlink():
                continue
            for f in tdir.iterdir():
                rel = f"{DATA}/{tdir.name}/{f.name}"
                if rel in referenced:
                    continue
                stem = f.name[:-len(".parquet")] if f.name.endswith(".parquet") else None
                if (stem and _SEG_RE.match(stem)) or f.name.startswith(_TMP_PREFIX):
                    f.unlink()
            if not any(tdir.iterdir()):
                tdir.rmdir()
        found: dict[str, Part] = {}
        parts = self.path / PARTS
        for d in sorted(parts.iterdir()) if parts.is_dir() else ():
            if d.name.startswith(_TMP_PREFIX) and d.is_dir() and not d.is_symlink():
                shutil.rmtree(d)
                continue
            if not _PART_RE.match(d.name) or not d.is_dir() or d.is_symlink() or d.name in committed_parts:
                continue
            part = self._load_part(d)
            if part is None or part.dirname != unit_dir_name(part.unit_id, part.key):
                shutil.rmtree(d)
                continue
            found[part.unit_id] = part
        return found

    def _load_part(self, d: Path) -> Part | None:
        import pyarrow.parquet as pq

        try:
            info = json.loads((d / "unit.json").read_text(encoding="utf-8"))
            tables = dict(info["tables"])
            for fname in tables.values():
                pq.read_metadata(d / fname)
            return Part(info["unit_id"], info["key"], d.name, tables, info)
        except Exception:  # a part that cannot be read completely is not a finished part: redo the unit
            return None

    def discard(self, parts: Iterable[Part]) -> None:
        """Delete uncommitted parts that will not be used (their unit changed or vanished)."""
        for p in parts:
            d = self.path / PARTS / p.dirname
            if d.is_dir() and _PART_RE.match(d.name):
                shutil.rmtree(d)

    # -- writing a unit -----------------------------------------------------------------------------------------
    def write_part(self, unit_id: str, key: str, tables: dict, info: dict) -> Part:
        """Write one finished unit (``tables``: store table → pyarrow Table) as a part folder, atomically."""
        import pyarrow.parquet as pq

        name = unit_dir_name(unit_id, key)
        final = self.path / PARTS / name
        tmp = self.path / PARTS / f"{_TMP_PREFIX}{name}-{secrets.token_hex(4)}"
        tmp.mkdir()
        try:
            files = {}
            for table, tbl in sorted(tables.items()):
                if tbl is None or tbl.num_rows == 0:
                    continue
                fname = f"{table}.parquet"
                pq.write_table(tbl, tmp / fname, compression="zstd")
                files[table] = fname
            info = {**info, "unit_id": unit_id, "key": key, "tables": files}
            (tmp / "unit.json").write_text(json.dumps(info, allow_nan=False), encoding="utf-8")
            if final.exists():        # the same unit with the same key finished before (an adopted part)
                shutil.rmtree(final)
            os.rename(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        part = Part(unit_id, key, name, files, info)
        self.pending.append(part)
        return part

    def adopt(self, part: Part) -> None:
        """Commit ``part`` (left by an interrupted run) with the next commit."""
        self.pending.append(part)

    # -- committing ---------------------------------------------------------------------------------------------
    def commit(self, *, source=None, manifest=None, hashes: dict | None = None) -> None:
        """Make every pending part and removal visible: rewrite the segments that hold replaced or removed units,
        then replace ``store.json`` atomically, then delete what it no longer refers to."""
        from .. import __version__

        st = self.state
        new_units = {p.unit_id for p in self.pending}
        drop = (set(self.remove) | new_units) & set(st.units)
        segments = dict(st.segments)
        garbage: list[Path] = []
        units = dict(st.units)
        gen = st.generation + 1
        for seg_id in sorted({st.units[u]["segment"] for u in drop}):
            seg = segments.pop(seg_id, None)
            if seg is None:
                continue
            garbage += self._segment_paths(seg_id, seg)
            keep = [u for u in seg["units"] if u not in drop]
            if keep and not seg_id.startswith("p:"):
                new_id, new_seg = self._rewrite(seg, keep, gen)
                segments[new_id] = new_seg
                for u in keep:
                    units[u] = {**units[u], "segment": new_id}
        for u in drop:
            units.pop(u, None)
        for p in self.pending:
            seg_id = "p:" + p.dirname
            segments[seg_id] = {"tables": {t: f"{PARTS}/{p.dirname}/{f}" for t, f in p.tables.items()},
                                "units": [p.unit_id]}
            units[p.unit_id] = {"key": p.key, "segment": seg_id, "status": p.info.get("status", "ok"),
                                "kind": p.info.get("kind", "")}
            # a committed part replacing an earlier part of the same folder name is not garbage
            garbage = [g for g in garbage if g.name != p.dirname]
        new = StoreState(source=str(source) if source is not None else st.source,
                         manifest=str(manifest) if manifest is not None else st.manifest, generation=gen,
                         segments=segments, units=units, hashes=hashes if hashes is not None else st.hashes,
                         sselab_version=__version__, updated=_now())
        _atomic_json(self.path / MANIFEST, new.to_doc())
        self.state = new
        self.pending = []
        self.remove = set()
        self._delete(garbage)

    def _segment_paths(self, seg_id: str, seg: dict) -> list[Path]:
        if seg_id.startswith("p:"):
            return [self.path / PARTS / seg_id[2:]]
        return [self.path / rel for rel in seg["tables"].values()]

    def _delete(self, paths: Iterable[Path]) -> None:
        referenced = {rel for s in self.state.segments.values() for rel in s["tables"].values()}
        for p in paths:
            rel = p.relative_to(self.path).as_posix()
            if any(r == rel or r.startswith(rel + "/") for r in referenced):
                continue
            if p.is_dir() and not p.is_symlink() and p.parent == self.path / PARTS and _PART_RE.match(p.name):
                shutil.rmtree(p)
            elif p.is_file() and p.parent.parent == self.path / DATA and _SEG_RE.match(p.stem):
                p.unlink()

    def _new_segment_id(self, gen: int) -> str:
        return f"g{gen:06d}-{secrets.token_hex(4)}"

    def _rewrite(self, seg: dict, keep: list[str], gen: int) -> tuple[str, dict]:
        """A copy of a compacted segment without the rows of units not in ``keep``."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        seg_id = self._new_segment_id(gen)
        keep_arr = pa.array(sorted(keep), pa.string())
        tables = {}
        for table, rel in sorted(seg["tables"].items()):
            src = pq.ParquetFile(self.path / rel)
            target = self.path / DATA / table / f"{seg_id}.parquet"
            n = self._stream(target, src.schema_arrow,
                             (b.filter(pc.is_in(b.column("unit_id"), value_set=keep_arr))
                              for b in src.iter_batches(batch_size=1024)))
            if n:
                tables[table] = f"{DATA}/{table}/{seg_id}.parquet"
            else:
                target.unlink()
        return seg_id, {"tables": tables, "units": sorted(keep)}

    def _stream(self, target: Path, schema, batches) -> int:
        """Write record batches (conformed to ``schema``) to ``target`` atomically in row groups; rows written."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from .schema import conform

        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{_TMP_PREFIX}{target.name}")
        n = 0
        buf, nbuf, nbytes = [], 0, 0
        try:
            with pq.ParquetWriter(tmp, schema, compression="zstd") as w:
                for b in batches:
                    t = b if isinstance(b, pa.Table) else pa.Table.from_batches([b])
                    if t.num_rows == 0:
                        continue
                    buf.append(conform(t, schema))
                    nbuf += t.num_rows
                    nbytes += t.nbytes
                    if nbuf >= ROW_GROUP or nbytes >= ROW_GROUP_BYTES:     # bounded memory, large JSON cells too
                        w.write_table(pa.concat_tables(buf), row_group_size=ROW_GROUP)
                        n += nbuf
                        buf, nbuf, nbytes = [], 0, 0
                if buf:
                    w.write_table(pa.concat_tables(buf), row_group_size=ROW_GROUP)
                    n += nbuf
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                tmp.unlink()
        return n

    # -- compaction ---------------------------------------------------------------------------------------------
    def compact(self, *, full: bool = False) -> bool:
        """Merge every committed part folder (and, when there are more than :data:`MAX_SEGMENTS` compacted
        segments or ``full``, every segment) into one new compacted segment, ordered by unit id; commit it.
        Memory stays bounded: files are streamed batch by batch.  Returns whether anything was merged."""
        import pyarrow.parquet as pq

        from .schema import unify_schemas

        st = self.state
        assert not self.pending and not self.remove, "commit before compacting"
        parts = sorted((s for s in st.segments if s.startswith("p:")),
                       key=lambda s: st.segments[s]["units"][0])
        gens = sorted(s for s in st.segments if not s.startswith("p:"))
        merge_gens = full or len(gens) >= MAX_SEGMENTS
        chosen = parts + (gens if merge_gens else [])
        if not parts and not (merge_gens and len(gens) > 1):
            return False
        chosen_sorted = [s for s in chosen if not s.startswith("p:")] + [s for s in chosen if s.startswith("p:")]
        gen = st.generation + 1
        seg_id = self._new_segment_id(gen)
        tables: dict[str, str] = {}
        all_tables = sorted({t for s in chosen_sorted for t in st.segments[s]["tables"]})
        for table in all_tables:
            files = [self.path / st.segments[s]["tables"][table] for s in chosen_sorted
                     if table in st.segments[s]["tables"]]
            schema = unify_schemas([pq.read_schema(f) for f in files])
            target = self.path / DATA / table / f"{seg_id}.parquet"

            def batches(files=files):
                for f in files:
                    yield from pq.ParquetFile(f).iter_batches(batch_size=1024)

            if self._stream(target, schema, batches()):
                tables[table] = f"{DATA}/{table}/{seg_id}.parquet"
            elif target.exists():
                target.unlink()
        units_in = sorted(u for s in chosen for u in st.segments[s]["units"])
        segments = {k: v for k, v in st.segments.items() if k not in chosen}
        segments[seg_id] = {"tables": tables, "units": units_in}
        units = dict(st.units)
        for u in units_in:
            units[u] = {**units[u], "segment": seg_id}
        garbage = [p for s in chosen for p in self._segment_paths(s, st.segments[s])]
        new = StoreState(source=st.source, manifest=st.manifest, generation=gen, segments=segments, units=units,
                         hashes=st.hashes, sselab_version=st.sselab_version, updated=_now())
        _atomic_json(self.path / MANIFEST, new.to_doc())
        self.state = new
        self._delete(garbage)
        return True

    # -- the plan cache -----------------------------------------------------------------------------------------
    def read_plan(self) -> dict | None:
        """The cached plan (``{"key": …, "units": [...]}``), or None (none, or unreadable: then it is made again)."""
        try:
            doc = json.loads((self.path / PLAN).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) and "key" in doc and isinstance(doc.get("units"), list) else None

    def write_plan(self, doc: dict) -> None:
        _atomic_json(self.path / PLAN, doc)

    # -- reading back (for dependent units) ---------------------------------------------------------------------
    def unit_rows(self, table: str, unit_ids: Iterable[str]):
        """Rows of ``table`` for the given units, from committed segments and pending parts (a pyarrow Table)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        want = set(unit_ids)
        files: dict[str, set] = {}
        for p in self.pending:
            if p.unit_id in want and table in p.tables:
                files.setdefault(f"{PARTS}/{p.dirname}/{p.tables[table]}", set()).add(p.unit_id)
        pend = {p.unit_id for p in self.pending}
        for u in want - pend:
            meta = self.state.units.get(u)
            if meta is None:
                continue
            seg = self.state.segments.get(meta["segment"])
            if seg and table in seg["tables"]:
                files.setdefault(seg["tables"][table], set()).add(u)
        out = []
        for rel, us in sorted(files.items()):
            t = pq.read_table(self.path / rel, filters=[("unit_id", "in", sorted(us))])
            out.append(t)
        if not out:
            return None
        from .schema import unify_schemas, conform

        schema = unify_schemas([t.schema for t in out])
        return pa.concat_tables([conform(t, schema) for t in out]) if len(out) > 1 else out[0]
