"""Long, seeded, resumable fuzz run of every sselab reader over the real files in ../shared/data/instruments.

    .venv/bin/python benchmarks/fuzz_readers.py                      # 10 000 cases, seed 12, resumes if interrupted
    .venv/bin/python benchmarks/fuzz_readers.py --cases 200 --no-write   # a quick look
    .venv/bin/python benchmarks/fuzz_readers.py --fresh              # start over (forget the saved progress)

Each case takes one real file (formats drawn evenly), mutates it (truncation, line deletion / insertion /
duplication, byte flips, re-encoding, a duplicated header — see ``tests/io/fuzzlib.py``), reads it with
``sselab.io.read`` in a worker process with a per-case timeout, and judges the outcome against the read of the
intact file: ``crash`` (anything but a one-line SselabError naming the file), ``hang`` (over --timeout s),
``contract`` (±inf, non-finite key columns), ``silent`` (values changed beyond what the mutation explains, with no
warning).  Case ``i`` depends only on (seed, i), so an interrupted run resumes where it stopped (progress in
``--state``, one JSON line per case).  Unsupported files (Neware binaries, Excel, Access) take part too: for them only
crashes and hangs count.  Results go to ``benchmarks/results/fuzz.md`` unless ``--no-write``.
"""
from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import os
import platform
import random
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "tests" / "io"))
DATA = REPO.parent / "shared" / "data" / "instruments"

import fuzzlib  # noqa: E402


def corpus(max_bytes: int) -> list[Path]:
    return sorted(p for p in DATA.rglob("*") if p.is_file() and 0 < p.stat().st_size <= max_bytes)


def _case(seed: int, i: int, groups: dict[str, list[str]]) -> tuple[str, str, random.Random]:
    rng = random.Random(f"{seed}:{i}")
    fmt = sorted(groups)[i % len(groups)] if rng.random() < 0.5 else rng.choice(sorted(groups))
    path = rng.choice(groups[fmt])
    kind = rng.choice(fuzzlib.KINDS)
    return path, kind, rng


def _worker(conn, seed: int, groups: dict[str, list[str]], tmpdir: str):
    """Loop: receive a case number, run it, send back the verdict."""
    warnings.simplefilter("ignore")
    from sselab.errors import SselabError
    from sselab.io import read

    refs: dict[str, object] = {}
    while True:
        i = conn.recv()
        if i is None:
            return
        path, kind, rng = _case(seed, i, groups)
        raw = Path(path).read_bytes()
        if path not in refs:
            try:
                refs[path] = fuzzlib.Reference.of(read(path), raw)
            except SselabError:
                refs[path] = None
        ref = refs[path]
        mut = fuzzlib.mutate(raw, kind, rng, ref)
        target = Path(tmpdir) / f"case{i}{Path(path).suffix}"
        target.write_bytes(mut.data)
        t0 = time.perf_counter()
        try:
            meas = read(target)
        except Exception as exc:  # noqa: BLE001 - judging it is the point
            v = fuzzlib.judge_exception(exc, target)
        else:
            v = fuzzlib.judge(meas, ref, mut) if ref is not None else fuzzlib.Verdict("ok", rows=len(meas))
        dt = time.perf_counter() - t0
        target.unlink(missing_ok=True)
        conn.send({"i": i, "file": str(Path(path).relative_to(DATA)), "kind": kind, "note": mut.note,
                   "status": v.status, "detail": v.detail, "s": round(dt, 4)})


class Pool1:
    """One worker process, killed and restarted when a case exceeds the timeout."""

    def __init__(self, seed, groups, tmpdir):
        self.args = (seed, groups, tmpdir)
        self.proc = None
        self.start()

    def start(self):
        ctx = mp.get_context("fork" if hasattr(os, "fork") else "spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, *self.args), daemon=True)
        self.proc.start()

    def run(self, i: int, timeout: float):
        self.conn.send(i)
        if self.conn.poll(timeout):
            try:
                return self.conn.recv()
            except EOFError:
                pass
            self.restart()
            return None  # the worker died (e.g. killed by the OS): reported as a crash by the caller
        self.restart()
        return "hang"

    def restart(self):
        if self.proc is not None and self.proc.is_alive():
            self.proc.kill()
        if self.proc is not None:
            self.proc.join(5)
        self.start()

    def close(self):
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per case before it counts as a hang")
    ap.add_argument("--max-file-mb", type=float, default=3.0, help="largest real file used (default 3 MB)")
    ap.add_argument("--state", type=Path, default=None, help="progress file (default: in the temp folder)")
    ap.add_argument("--fresh", action="store_true", help="forget saved progress")
    ap.add_argument("--no-write", action="store_true", help="do not write benchmarks/results/fuzz.md")
    args = ap.parse_args(argv)
    if not DATA.exists():
        print(f"{DATA} not found: nothing to fuzz")
        return 1
    from sselab.errors import SselabError
    from sselab.io import read

    files = corpus(int(args.max_file_mb * 1e6))
    groups: dict[str, list[str]] = collections.defaultdict(list)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for p in files:
            try:
                fmt = read(p).format
            except SselabError:
                fmt = "unsupported"
            groups[fmt].append(str(p))
    groups = dict(groups)
    state = args.state or Path(tempfile.gettempdir()) / f"sselab-fuzz-seed{args.seed}.jsonl"
    done: dict[int, dict] = {}
    if state.exists() and not args.fresh:
        for ln in state.read_text().splitlines():
            try:
                r = json.loads(ln)
                done[r["i"]] = r
            except (json.JSONDecodeError, KeyError):
                continue
    elif args.fresh and state.exists():
        state.unlink()
    todo = [i for i in range(args.cases) if i not in done]
    print(f"{len(files)} files, formats: " + ", ".join(f"{k} {len(v)}" for k, v in sorted(groups.items())))
    print(f"{len(done)} case(s) already done ({state}); running {len(todo)}")
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, open(state, "a") as log:
        pool = Pool1(args.seed, groups, tmp)
        try:
            for n, i in enumerate(todo, 1):
                r = pool.run(i, args.timeout)
                if r == "hang" or r is None:
                    path, kind, _rng = _case(args.seed, i, groups)
                    r = {"i": i, "file": str(Path(path).relative_to(DATA)), "kind": kind, "note": "",
                         "status": "hang" if r == "hang" else "crash",
                         "detail": f"over {args.timeout:g} s" if r == "hang" else "worker process died", "s": None}
                done[i] = r
                log.write(json.dumps(r) + "\n")
                log.flush()
                if r["status"] in ("crash", "hang", "silent", "contract"):
                    print(f"[{r['status']}] case {i} {r['file']} {r['kind']} {r['note']}: {r['detail']}")
                if n % 500 == 0:
                    el = time.perf_counter() - t_start
                    print(f"  {n}/{len(todo)} cases, {el:.0f} s")
        finally:
            pool.close()
    elapsed = time.perf_counter() - t_start
    results = [done[i] for i in range(args.cases) if i in done]
    by_fmt: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    fmt_of = {str(Path(p).relative_to(DATA)): f for f, ps in groups.items() for p in ps}
    for r in results:
        by_fmt[fmt_of.get(r["file"], "?")][r["status"]] += 1
    statuses = ("ok", "error", "crash", "hang", "contract", "silent")
    lines = ["| format | files | cases | " + " | ".join(statuses) + " |",
             "|---|---:|---:|" + "---:|" * len(statuses)]
    total = collections.Counter()
    for fmt in sorted(by_fmt):
        c = by_fmt[fmt]
        total.update(c)
        lines.append(f"| {fmt} | {len(groups.get(fmt, []))} | {sum(c.values())} | "
                     + " | ".join(str(c[s]) for s in statuses) + " |")
    lines.append(f"| **all** | {len(files)} | {sum(total.values())} | " + " | ".join(str(total[s]) for s in statuses)
                 + " |")
    table = "\n".join(lines)
    kinds = collections.Counter(r["kind"] for r in results)
    slow = sorted((r for r in results if r.get("s")), key=lambda r: -r["s"])[:3]
    findings = [r for r in results if r["status"] in ("crash", "hang", "contract", "silent")]
    print(table)
    print("mutations: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print("slowest cases: " + "; ".join(f"{r['s']:.2f} s ({r['file']}, {r['kind']})" for r in slow))
    print(f"{len(findings)} finding(s); this run {elapsed:.0f} s")
    if not args.no_write:
        load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
        import numpy
        import pandas

        text = ["# Reader fuzz run", "",
                f"Command: `.venv/bin/python benchmarks/fuzz_readers.py --cases {args.cases} --seed {args.seed} "
                f"--timeout {args.timeout:g} --max-file-mb {args.max_file_mb:g}` (finished "
                f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average {load[0]:.2f} at the end).", "",
                f"Machine: {platform.machine()}, Python {platform.python_version()}, pandas {pandas.__version__}, "
                f"numpy {numpy.__version__}.  Corpus: every file up to {args.max_file_mb:g} MB under "
                "`../shared/data/instruments`, grouped by the format sselab detects in the intact file "
                "(`unsupported` = files sselab refuses: only crashes and hangs count there).  What each verdict "
                "means and what each mutation may change: `tests/io/fuzzlib.py`.", "",
                table, "",
                "Mutations: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + ".",
                "Slowest cases: " + "; ".join(f"{r['s']:.2f} s ({r['file']}, {r['kind']})" for r in slow) + ".", "",
                f"**{len(findings)} finding(s)** (crash / hang over {args.timeout:g} s / contract / silent value "
                "change).", ""]
        text += [f"- case {r['i']}: `{r['file']}` {r['kind']} ({r['note']}): {r['status']} — {r['detail']}"
                 for r in findings[:50]]
        out = REPO / "benchmarks" / "results" / "fuzz.md"
        out.write_text("\n".join(text) + "\n", encoding="utf-8")
        print(f"wrote {out.relative_to(REPO)}")
    return 0 if not findings else 3


if __name__ == "__main__":
    raise SystemExit(main())
