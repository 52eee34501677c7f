"""``sselab batch``: analyse every unit of work of a folder into a results store, incrementally and in parallel.

Execution: in this process (``jobs=1``), a local process pool (``jobs=N``, the default: one worker per core, nothing
to start) or a Dask distributed cluster (``scheduler="tcp://HOST:8786"``, a ``distributed.Client`` or a cluster
object; optional extra ``sselab[dask]``).  Every backend runs the same :func:`sselab.store.work.execute_unit`, and
the store (:mod:`sselab.store`) is written by this process only, so the tables are the same whichever ran them.

Incremental: a unit's key is the SHA-256 of the store format, sselab version, router, its parameters (cell,
options), its inputs' content hashes and the keys of the units it consumes.  A unit whose key is in the store is
skipped; a finished unit left uncommitted by a killed run is adopted.  Content hashes are cached by (size, mtime)
like ``git``/``make`` do; ``rehash=True`` reads every file again.
"""
from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import os
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .errors import MissingDependencyError, SselabError
from .recipes.routing import MANIFEST_NAMES
from .store.layout import StoreError, StoreWriter
from .store.work import Job, UnitOutput, execute_unit, one_line, resolve_router, router_ref

__all__ = ["batch", "BatchRun", "unit_keys", "hash_file", "hash_folder"]

#: imported once by the pool's fork server, so that every worker starts with them loaded
_PRELOAD = ("numpy", "scipy.optimize", "pandas", "pyarrow", "sselab.store.work", "sselab.store.schema",
            "sselab.store.jobs", "sselab.io", "sselab.eis", "sselab.recipes", "sselab.recipes.routing")
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


@dataclass
class BatchRun:
    """What a batch run did."""

    store: Path
    source: Path
    units: int = 0
    analysed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    workers: int = 0
    backend: str = "none (nothing to analyse)"
    seconds: float = 0.0
    rows_read: int = 0
    tables: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"store": str(self.store), "source": str(self.source), "units": self.units,
                "analysed": len(self.analysed), "skipped": len(self.skipped), "adopted": len(self.adopted),
                "removed": len(self.removed), "failed": [{"unit": u, "error": e} for u, e in self.failed],
                "empty": len(self.empty), "warnings": self.warnings, "workers": self.workers,
                "backend": self.backend, "seconds": round(self.seconds, 3), "rows_read": self.rows_read,
                "tables": self.tables}


# ---------------------------------------------------------------------------------------------------------------
# hashing and keys
# ---------------------------------------------------------------------------------------------------------------

def hash_file(path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            b = fh.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def hash_folder(path) -> str:
    """The content hash of a folder (an instrument's experiment folder): SHA-256 over every file's relative path and
    content hash, in sorted order (hidden files too: they belong to the experiment)."""
    root = Path(path)
    h = hashlib.sha256(b"sselab-folder-1\n")
    for p in sorted(q for q in root.rglob("*") if q.is_file()):
        h.update(p.relative_to(root).as_posix().encode("utf-8") + b"\0" + hash_file(p).encode("ascii") + b"\n")
    return h.hexdigest()


def _stamp(p: str):
    """``(size, mtime_ns)`` of a file, or of a folder's files (total size, latest mtime): the cache check."""
    st = os.stat(p)
    if not os.path.isdir(p):
        return st.st_size, st.st_mtime_ns
    size, mt, n = 0, st.st_mtime_ns, 0
    for q in Path(p).rglob("*"):
        qs = q.stat()
        n += 1
        mt = max(mt, qs.st_mtime_ns)
        if q.is_file():
            size += qs.st_size
    return size + n, mt


def _rel(path: str, base: Path) -> str:
    try:
        return Path(path).relative_to(base).as_posix()
    except ValueError:
        return str(path)


def _hash_inputs(paths: Iterable[str], base: Path, cache: dict, rehash: bool, threads: int = 4):
    """``{path: (size, mtime_ns, sha256)}`` (``(None, None, None)`` for a missing/unreadable file) and the cache to
    store (relative path → ``[size, mtime_ns, sha256]``)."""
    paths = sorted(set(paths))
    out: dict[str, tuple] = {}
    todo = []
    for p in paths:
        try:
            if not (os.path.isfile(p) or os.path.isdir(p)):
                raise FileNotFoundError(p)
            size, mtime = _stamp(p)
        except OSError:
            out[p] = (None, None, None)
            continue
        c = cache.get(_rel(p, base))
        if not rehash and c and c[0] == size and c[1] == mtime:
            out[p] = (size, mtime, c[2])
        else:
            todo.append((p, size, mtime))

    def one(item):
        p, size, mt = item
        try:
            return p, (size, mt, hash_folder(p) if os.path.isdir(p) else hash_file(p))
        except OSError:
            return p, (None, None, None)

    if todo:
        with cf.ThreadPoolExecutor(max_workers=max(1, min(threads, len(todo)))) as ex:
            for p, h in ex.map(one, todo):
                out[p] = h
    new_cache = {_rel(p, base): list(h) for p, h in out.items() if h[2] is not None}
    return out, new_cache


def _order(jobs: list[Job]) -> list[Job]:
    """Jobs in dependency order (one-line error for duplicates, unknown ``after`` ids and cycles)."""
    by_id: dict[str, Job] = {}
    for j in jobs:
        if j.id in by_id:
            raise SselabError(f"batch: two units with the id {j.id!r}")
        by_id[j.id] = j
    for j in jobs:
        for u in j.after:
            if u not in by_id:
                raise SselabError(f"batch: unit {j.id!r} consumes the unknown unit {u!r}")
    done: set[str] = set()
    out: list[Job] = []
    visiting: set[str] = set()

    def visit(j: Job):
        if j.id in done:
            return
        if j.id in visiting:
            raise SselabError(f"batch: units depend on each other in a cycle (at {j.id!r})")
        visiting.add(j.id)
        for u in j.after:
            visit(by_id[u])
        visiting.discard(j.id)
        done.add(j.id)
        out.append(j)

    for j in jobs:
        visit(j)
    return out


def unit_keys(jobs: list[Job], hashes: dict, base: Path, *, router: str, router_version: str = "",
              figures: bool = True) -> dict[str, str]:
    """The key of every job (``jobs`` in dependency order)."""
    from . import __version__
    from .results import jsonable
    from .store.schema import STORE_FORMAT

    keys: dict[str, str] = {}
    for j in jobs:
        doc = {"store_format": STORE_FORMAT, "sselab": __version__, "router": router,
               "router_version": router_version, "figures": bool(figures), "id": j.id, "kind": j.kind,
               "params": jsonable(dict(j.params)),
               "inputs": [[_rel(p, base), (hashes.get(p) or (None, None, None))[2]] for p in j.inputs],
               "after": [[u, keys[u]] for u in j.after]}
        keys[j.id] = hashlib.sha256(json.dumps(doc, sort_keys=True, allow_nan=False).encode("utf-8")).hexdigest()
    return keys


# ---------------------------------------------------------------------------------------------------------------
# backends
# ---------------------------------------------------------------------------------------------------------------

class _InProcess:
    name = "in-process"
    workers = 1

    def submit(self, fn, *args):
        f: cf.Future = cf.Future()
        try:
            f.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            if isinstance(exc, KeyboardInterrupt):
                raise
            f.set_exception(exc)
        return f

    def wait(self, futures):
        return list(futures)

    def release(self, f):
        pass

    def close(self):
        pass


class _Pool:
    name = "process pool"

    def __init__(self, workers: int):
        import multiprocessing as mp

        self.workers = workers
        self._env = {k: os.environ.get(k) for k in _THREAD_VARS}
        for k in _THREAD_VARS:          # one BLAS/OpenMP thread per worker: the workers share the cores
            os.environ[k] = "1"
        # forkserver: workers start clean (no threads or locks of this process inherited, unlike fork) and fast
        # (forked from a server that imported the analysis stack once, unlike spawn)
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(list(_PRELOAD))
        self.ex = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)

    def submit(self, fn, *args):
        return self.ex.submit(fn, *args)

    def wait(self, futures):
        done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def release(self, f):
        pass

    def close(self):
        self.ex.shutdown(wait=True, cancel_futures=True)
        for k, v in self._env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class _Dask:
    name = "dask"

    def __init__(self, scheduler):
        try:
            import distributed
        except ImportError:
            raise MissingDependencyError("--scheduler needs Dask distributed: pip install 'sselab[dask]'") from None
        self.distributed = distributed
        self._own = True
        if isinstance(scheduler, distributed.Client):
            self.client, self._own = scheduler, False
        else:
            addr = getattr(scheduler, "scheduler_address", None) or str(scheduler)
            _probe(addr)
            try:
                self.client = distributed.Client(addr, timeout="15s", set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise StoreError(f"--scheduler {addr}: cannot connect to a Dask scheduler there "
                                 f"({one_line(exc)})") from None
        info = self.client.scheduler_info()
        ws = info.get("workers", {})
        if not ws:
            try:
                self.client.wait_for_workers(1, timeout=30)
            except (TimeoutError, OSError):
                raise StoreError(f"--scheduler {self.client.scheduler.address}: no Dask workers connected "
                                 f"(start some with `dask worker {self.client.scheduler.address}`)") from None
            ws = self.client.scheduler_info().get("workers", {})
        self.workers = max(1, sum(int(w.get("nthreads", 1)) for w in ws.values()))
        self.address = self.client.scheduler.address
        self._check_versions()

    def _check_versions(self) -> None:
        """Every worker must run this sselab version: the store's keys and answers depend on it."""
        from . import __version__

        try:
            found = self.client.run(_sselab_version)
        except Exception as exc:  # a worker without sselab at all cannot even run the probe
            raise StoreError(f"--scheduler {self.address}: cannot run sselab on the workers ({one_line(exc)}); "
                             f"install sselab {__version__} on every worker") from None
        bad = {w: v for w, v in found.items() if v != __version__}
        if bad:
            w, v = next(iter(bad.items()))
            raise StoreError(f"--scheduler {self.address}: worker {w} runs sselab {v}, this is sselab {__version__}; "
                             f"install the same version on every worker")

    def submit(self, fn, *args):
        key = f"sselab-unit-{hashlib.sha256(args[0].id.encode()).hexdigest()[:12]}-{secrets.token_hex(4)}"
        return self.client.submit(fn, *args, key=key, pure=False)

    def wait(self, futures):
        with self.client.as_current():
            res = self.distributed.wait(list(futures), return_when="FIRST_COMPLETED")
        return list(res.done)

    def release(self, f):
        f.release()

    def close(self):
        if self._own:
            self.client.close()


def _sselab_version() -> str:
    from . import __version__

    return __version__


def _probe(addr: str) -> None:
    """Fail fast (one line) when nothing listens at a ``tcp://host:port`` scheduler address."""
    import socket
    from urllib.parse import urlsplit

    u = urlsplit(addr if "://" in addr else "tcp://" + addr)
    if u.scheme not in ("tcp", "") or not u.hostname:
        return
    try:
        port = u.port or 8786
    except ValueError:
        raise StoreError(f"--scheduler {addr}: not an address like tcp://HOST:8786") from None
    try:
        with socket.create_connection((u.hostname, port), timeout=5):
            pass
    except OSError as exc:
        raise StoreError(f"--scheduler {addr}: no Dask scheduler answers there ({exc.strerror or exc}); start one "
                         f"with `dask scheduler` and workers with `dask worker {addr}`") from None


def _backend(jobs: int | None, scheduler, n_units: int):
    if scheduler is not None:
        return scheduler if isinstance(scheduler, _Dask) else _Dask(scheduler)
    n = jobs if jobs is not None else (os.cpu_count() or 1)
    if n < 1:
        raise SselabError(f"--jobs {n}: give at least 1")
    n = min(n, max(n_units, 1))
    return _InProcess() if n == 1 else _Pool(n)


# ---------------------------------------------------------------------------------------------------------------
# progress
# ---------------------------------------------------------------------------------------------------------------

class _Progress:
    """One bar for the whole run on stderr: units finished by any worker (aggregated here, where results land)."""

    def __init__(self, enabled: bool, total: int, description: str):
        self.p = None
        if enabled and total:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            from .commands._common import err_console

            self.p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                              TextColumn("units"), TimeElapsedColumn(), TimeRemainingColumn(),
                              console=err_console, transient=True)
            self.p.start()
            self.task = self.p.add_task(description, total=total)

    def advance(self, text: str | None = None):
        if self.p is not None:
            self.p.update(self.task, advance=1, **({"description": text} if text else {}))

    def close(self):
        if self.p is not None:
            self.p.stop()


# ---------------------------------------------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------------------------------------------

def _find_manifest(folder: Path, manifest):
    if manifest is not None:
        p = Path(manifest)
        if not p.is_file():
            raise SselabError(f"{manifest}: no such manifest")
        return p
    base = folder if folder.is_dir() else folder.parent
    return next((base / n for n in MANIFEST_NAMES if (base / n).is_file()), None)


def batch(folder, store, *, manifest=None, jobs: int | None = None, scheduler=None, router=None,
          progress: bool | None = None, retry_failed: bool = False, figures: bool = True, rehash: bool = False,
          commit_every_s: float = 10.0, on_unit: Callable[[UnitOutput], None] | None = None) -> BatchRun:
    """Analyse every unit of work under ``folder`` into the results store ``store`` (see the module docstring).

    ``manifest``: a cells YAML (default: ``cells.yaml``/``manifest.yaml`` in ``folder``).  ``jobs``: local worker
    processes (default: the number of cores; 1 runs in this process).  ``scheduler``: a Dask scheduler address,
    ``distributed.Client`` or cluster (then ``jobs`` is not used).  ``router``: module (or ``"module:attr"``)
    providing ``units_of_work``/``run`` (default :mod:`sselab.store.jobs`).  ``retry_failed``: run units that
    failed before again even when unchanged.  ``figures``: store the results' figure data (for reports).
    ``progress``: a bar on stderr (default: when stderr is a terminal).  ``on_unit(output)`` is called for every
    unit analysed.  Commits every ``commit_every_s`` seconds and at the end; a killed run resumes.
    """
    from .cell import load_manifest

    t0 = time.perf_counter()
    folder = Path(folder)
    if not folder.exists():
        raise SselabError(f"{folder}: no such folder")
    source = folder.resolve() if folder.is_dir() else folder.resolve().parent
    mpath = _find_manifest(folder, manifest)
    ref = router_ref(router)
    run = BatchRun(store=Path(store), source=source)
    from .outputs import check_output_dir

    check_output_dir(store, [folder, mpath], kind="store")      # before anything is created or connected
    if scheduler is not None:
        scheduler = _Dask(scheduler)
    # the store is checked, created, marked and locked before any analysis
    with StoreWriter(store, inputs=[folder, mpath]) as w:
        st = w.state
        if st.source and Path(st.source) != source:
            raise StoreError(f"{store} holds the results of {st.source}; analyse that folder into it, or choose "
                             f"another --store for {source}")
        man = load_manifest(mpath, check_files=False) if mpath is not None else None
        R = resolve_router(ref)
        ordered, plan_key = _cached_plan(w, R, ref, folder, man, source, st.hashes, rehash)
        if ordered is None:
            ordered = _order(list(R.units_of_work(folder, man)))
        run.units = len(ordered)
        if not ordered:
            run.warnings.append(f"{folder}: no measurement files found, nothing to analyse")
        hashes, cache = _hash_inputs((p for j in ordered for p in j.inputs), source, st.hashes, rehash)
        keys = unit_keys(ordered, hashes, source, router=ref, router_version=str(getattr(R, "ROUTER_VERSION", "")),
                         figures=figures)
        found = w.recover()
        to_run: list[Job] = []
        for j in ordered:
            com = st.units.get(j.id)
            part = found.get(j.id)
            if com and com["key"] == keys[j.id] and not (retry_failed and com.get("status") == "error"):
                run.skipped.append(j.id)
            elif part is not None and part.key == keys[j.id] and not (retry_failed
                                                                     and part.info.get("status") == "error"):
                w.adopt(part)
                found.pop(j.id)
                run.adopted.append(j.id)
            else:
                to_run.append(j)
        w.discard(found.values())
        ids = {j.id for j in ordered}
        w.remove = set(st.units) - ids
        run.removed = sorted(w.remove)
        if run.adopted or run.removed or cache != st.hashes or not (w.path / "store.json").exists():
            w.commit(source=source, manifest=mpath.resolve() if mpath else None, hashes=cache)
        if plan_key is not None and (w.read_plan() or {}).get("key") != plan_key:
            try:
                w.write_plan({"key": plan_key, "units": [j.to_doc() for j in ordered]})
            except (TypeError, ValueError) as exc:      # options that are not JSON: planned again next time
                run.warnings.append(f"the plan is not kept for the next run ({one_line(exc)}): it will read every "
                                    f"file again")
        try:
            if to_run:
                _execute(w, to_run, keys, hashes, source, ref, jobs, scheduler, progress, figures, commit_every_s,
                         mpath, cache, run, on_unit)
        finally:
            if isinstance(scheduler, _Dask):
                scheduler.close()
        w.compact()
    from .store.reader import Store

    with Store(w.path) as s:
        run.tables = s.tables()
    run.seconds = time.perf_counter() - t0
    return run


def _with_figures(doc: str, figures: str) -> str:
    """A result's JSON with its figure data (stored apart, in the ``figures`` table) put back."""
    d = json.loads(doc)
    d["figures"] = json.loads(figures)
    return json.dumps(d, allow_nan=False)


def _cached_plan(w: StoreWriter, R, ref: str, folder: Path, man, source: Path, cache: dict, rehash: bool):
    """``(units, key)``: the units of the store's last plan when nothing that decided it changed (the files routing
    reads — by size and modification time, as the hash cache —, the manifest, the settings, the recipes, sselab),
    else ``(None, key)``; ``(None, None)`` for a router that keeps no plan (no ``plan_inputs``)."""
    from . import __version__
    from .store.schema import STORE_FORMAT

    inputs = getattr(R, "plan_inputs", None)
    if inputs is None:
        return None, None
    spec = inputs(folder, man)
    stamps = []
    for p in spec["paths"]:
        try:
            stamps.append([_rel(p, source), *_stamp(p)])
        except OSError:
            stamps.append([_rel(p, source), None, None])
    doc = {"store_format": STORE_FORMAT, "sselab": __version__, "router": ref, "version": spec.get("version"),
           "stamps": stamps}
    key = hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    old = w.read_plan()
    if rehash or old is None or old.get("key") != key:
        return None, key
    try:
        return _order([Job.from_doc(d) for d in old["units"]]), key
    except (KeyError, TypeError, ValueError, SselabError):   # an unreadable cache is made again
        return None, key


def _execute(w: StoreWriter, to_run: list[Job], keys, hashes, source: Path, ref: str, jobs, scheduler, progress,
             figures, commit_every_s, mpath, cache, run: BatchRun, on_unit) -> None:
    from . import __version__
    from .store import schema

    running = {j.id for j in to_run}
    waiting_on = {j.id: {u for u in j.after if u in running} for j in to_run}
    dependents: dict[str, list[Job]] = defaultdict(list)
    for j in to_run:
        for u in j.after:
            dependents[u].append(j)
    ready = deque(j for j in to_run if not waiting_on[j.id])
    backend = _backend(jobs, scheduler, len(to_run))
    run.workers, run.backend = backend.workers, backend.name
    if progress is None:
        from .commands._common import err_console

        progress = err_console.is_terminal
    where = f" on {backend.address}" if getattr(backend, "address", None) else ""
    bar = _Progress(progress, len(to_run), f"analysing ({backend.workers} worker{'s' * (backend.workers > 1)}"
                                           f"{where})")
    inflight: dict = {}
    max_inflight = max(2, 2 * backend.workers)
    last_commit = time.monotonic()

    def upstream_of(j: Job) -> dict[str, list[str]]:
        """The results of the units ``j`` consumes, read back from the store (their parts are written before ``j``
        is submitted): memory stays bounded however many units wait for a consumer."""
        out = {}
        for u in j.after:
            t = w.unit_rows("results", [u])
            if t is None:
                out[u] = []
                continue
            rows = sorted(zip(t.column("result").to_pylist(), t.column("json").to_pylist()))
            f = w.unit_rows("figures", [u]) if figures else None
            figs = dict(zip(f.column("result").to_pylist(), f.column("json").to_pylist())) if f is not None else {}
            out[u] = [doc if k not in figs else _with_figures(doc, figs[k]) for k, doc in rows]
        return out

    def finish(j: Job, out: UnitOutput) -> None:
        unit_row = {"unit_id": j.id, "kind": j.kind, "key": keys[j.id], "inputs": [_rel(p, source) for p in j.inputs],
                    "after": list(j.after), "status": out.status, "error": out.error, "n_results": out.n_results,
                    "n_rows_read": out.n_items, "warnings": out.warnings, "traceback": out.traceback,
                    "seconds": out.seconds, "cpu_seconds": out.cpu_seconds, "peak_rss_bytes": out.peak_rss_bytes,
                    "worker": out.worker,
                    "sselab_version": __version__}
        tables = dict(out.tables)
        tables["units"] = schema.to_arrow("units", [unit_row])
        w.write_part(j.id, keys[j.id], tables, {"status": out.status, "kind": j.kind, "error": out.error,
                                                 "seconds": out.seconds})
        run.analysed.append(j.id)
        run.rows_read += out.n_items
        if out.status == "error":
            run.failed.append((j.id, out.error or "failed"))
        elif out.status == "empty":
            run.empty.append(j.id)
        run.warnings += [f"{j.id}: {x}" for x in out.warnings]
        for d in dependents.get(j.id, ()):
            waiting_on[d.id].discard(j.id)
            if not waiting_on[d.id]:
                ready.appendleft(d)          # consumers first: their inputs are fresh, the run's tail short
        if on_unit is not None:
            on_unit(out)

    try:
        while ready or inflight:
            while ready and len(inflight) < max_inflight:
                j = ready.popleft()
                hs = {p: hashes.get(p) for p in j.inputs}
                fut = backend.submit(execute_unit, j, ref, str(source), hs, upstream_of(j), figures)
                inflight[fut] = j
            for fut in backend.wait(list(inflight)):
                j = inflight.pop(fut)
                try:
                    out = fut.result()
                except cf.process.BrokenProcessPool:
                    raise StoreError(f"a worker process died while analysing {j.id!r} (out of memory?); the units "
                                     f"finished so far are kept — run again to resume") from None
                except Exception as exc:  # a worker lost (Dask KilledWorker …): the unit fails, the run goes on
                    out = UnitOutput(j.id, "error", f"worker failed: {one_line(exc)}", None, 0.0, "", {})
                backend.release(fut)
                finish(j, out)
                bar.advance()
            if time.monotonic() - last_commit > commit_every_s:
                w.commit(source=source, manifest=mpath.resolve() if mpath else None, hashes=cache)
                last_commit = time.monotonic()
    finally:
        bar.close()
        if backend is not scheduler:
            backend.close()
        # whatever finished is made visible, also when interrupted (Ctrl-C) or when a worker died
        if w.pending:
            w.commit(source=source, manifest=mpath.resolve() if mpath else None, hashes=cache)
