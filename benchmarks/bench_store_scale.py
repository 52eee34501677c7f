"""Scale test of the results store: a simulated EIS archive and a cycling archive through `sselab batch` (the
recipes' routing — the HTML report's analysis), on the local process pool and on a 2-worker Dask LocalCluster
(loopback only), timed beside `sselab report --no-figures` over the same folder (the same analysis, no store).

Data (sselab.simulate forward models, written as canonical CSV, many spectra per file):

* EIS: ``--spectra`` blocking-cell spectra (Au|SSE|Au, bulk + grain-boundary arcs + electrode spike, 13 MHz–5 Hz,
  7 points/decade, 0.4 % noise), ``--spectra-per-file`` per file (one pellet per file, on a 30–120 °C temperature
  ramp), ten pellets per material, each material with its own Ea and σ(30 °C), a ``cells.yaml`` naming pellets and
  materials → routing: one ``eis.arrhenius`` job per material (every spectrum fitted, model chosen per spectrum)
  and one ``eis.drt`` job per file (the DRT of every spectrum);
* cycling: ``--rows`` rows of Li|SSE|Li stripping/plating ladders, ``--rows-per-file`` per record (5 current steps,
  per-file seeds, a hard short in every third record) → one ``cycling.symmetric`` job per record.

Each store is built by `sselab batch` in a subprocess under ``/usr/bin/time -v`` (driver peak memory, wall and CPU
time); every unit records its worker's CPU seconds and peak memory in the ``units`` table.  Throughput per core =
items / Σ CPU seconds of the units (independent of other jobs sharing the machine); wall-clock throughput is shown
beside it with ``uptime``.  The two backends' tables are compared by an order-independent fingerprint (row count and
Σ hash(row) of every table, timing columns left out), and the stored results with the report's ``results.json``
(every result's values, flags, tables and options, exactly).

    .venv/bin/python benchmarks/bench_store_scale.py          # 10⁴ spectra, 10⁷ cycling rows (≈ 20 min on 2 cores)
    .venv/bin/python benchmarks/bench_store_scale.py --spectra 2000 --rows 2e6            # a quick one (≈ 3 min)
    .venv/bin/python benchmarks/bench_store_scale.py --spectra 100000 --rows 100000000   # the full scale test
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PELLETS_PER_MATERIAL = 10
MiB = 2 ** 20


def material(m: int) -> tuple[str, float, float]:
    """Name, σ(30 °C) in mS/cm and Ea in eV of simulated material ``m`` (log-uniform 0.02–2 mS/cm, 0.38–0.55 eV)."""
    r = np.random.default_rng(90_000 + m)
    return f"SSE-{m:04d}", float(10 ** r.uniform(np.log10(0.02), np.log10(2.0))), float(r.uniform(0.38, 0.55))


# ---------------------------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------------------------

def _eis_file(args):
    """One pellet on a temperature ramp: ``per_file`` spectra from 30 to 120 °C, canonical CSV with ``cycle`` and
    ``temperature_K``; the pellets of a material are offset by a tenth of a ramp step (distinct temperatures, as
    the Arrhenius fit of a material pools its pellets)."""
    import pandas as pd

    from sselab.simulate import ArrheniusLaw, default_frequencies, eis_blocking, write_csv

    path, k, per_file, thickness_m = args
    _, s30, ea = material(k // PELLETS_PER_MATERIAL)
    law = ArrheniusLaw(s30 * 0.1, ea)
    rng = np.random.default_rng(1000 + k)
    f = default_frequencies(13e6, 5.0, 7)
    step = 90.0 / per_file
    frames = []
    for n in range(per_file):
        T = 303.15 + n * step + (k % PELLETS_PER_MATERIAL) * step / PELLETS_PER_MATERIAL
        sim = eis_blocking(T, thickness_m=thickness_m, bulk=law.scaled(1.5), gb=law.scaled(3.0), R0=0.02, f=f,
                           rng=rng)
        d = sim.data
        d["cycle"] = n + 1
        d["temperature_K"] = T
        frames.append(d)
    write_csv(path, pd.concat(frames, ignore_index=True))
    return per_file


def make_eis(folder: Path, n_spectra: int, per_file: int, workers: int) -> dict:
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    n_files = max(1, n_spectra // per_file)
    rng = np.random.default_rng(7)
    thick = rng.uniform(0.8e-3, 1.2e-3, n_files)
    items = [(folder / "eis" / f"pellet_{k:05d}.csv", k, per_file, float(thick[k])) for k in range(n_files)]
    (folder / "eis").mkdir(exist_ok=True)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers) as ex:
        total = sum(ex.map(_eis_file, items, chunksize=4))
    cells = [{"name": f"P{k:05d}", "material": material(k // PELLETS_PER_MATERIAL)[0],
              "thickness": f"{thick[k] * 1e3:.4f} mm",
              "diameter": "10 mm", "electrodes": "Au|Au", "files": [f"eis/pellet_{k:05d}.csv"]} for k in range(n_files)]
    (folder / "cells.yaml").write_text(yaml.safe_dump({"version": 1, "cells": cells}, sort_keys=False))
    return {"files": n_files, "items": total, "seconds": time.perf_counter() - t0, "bytes": _du(folder)}


def _cyc_file(args):
    """One Li|SSE|Li ladder record of about ``rows`` rows as canonical CSV (pyarrow writer)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    from sselab.simulate import stripping_plating

    path, k, rows = args
    steps = (0.05, 0.1, 0.2, 0.4, 0.8)
    cycles_per_step = 40
    halves = len(steps) * cycles_per_step * 2
    pph = max(10, int(rows / halves) - 3)
    short = (len(steps) * cycles_per_step - 10) if k % 3 == 0 else None
    sim = stripping_plating(current_densities_A_per_m2=steps, cycles_per_step=cycles_per_step, points_per_half=pph,
                            short_cycle=short, long_rest_after_step=None, R_initial_ohm=1200 + 10 * (k % 50),
                            rng=5000 + k)
    d = sim.data[["time_s", "potential_V", "current_A", "cycle", "step"]]
    tbl = pa.Table.from_pandas(d, preserve_index=False)
    with open(path, "wb") as fh:
        fh.write((",".join(tbl.column_names) + "\n").encode())
        pcsv.write_csv(tbl, fh, pcsv.WriteOptions(include_header=False))
    return len(d)


def make_cycling(folder: Path, n_rows: int, per_file: int, workers: int) -> dict:
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cycling").mkdir(exist_ok=True)
    n_files = max(1, int(round(n_rows / per_file)))
    items = [(folder / "cycling" / f"ladder_{k:05d}.csv", k, per_file) for k in range(n_files)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers) as ex:
        total = sum(ex.map(_cyc_file, items))
    cells = [{"name": f"L{k:05d}", "material": "SSE-cycling", "thickness": "1.0 mm", "diameter": "10 mm",
              "electrodes": "Li|Li", "temperature": "40 C", "files": [f"cycling/ladder_{k:05d}.csv"]}
             for k in range(n_files)]
    (folder / "cells.yaml").write_text(yaml.safe_dump({"version": 1, "cells": cells}, sort_keys=False))
    return {"files": n_files, "items": total, "seconds": time.perf_counter() - t0, "bytes": _du(folder)}


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------------------------------------------
# runs
# ---------------------------------------------------------------------------------------------------------------

def _time_v(stderr: str) -> dict:
    def grab(label, cast=float):
        m = re.search(rf"{re.escape(label)}:\s*(.+)", stderr)
        return cast(m.group(1).strip()) if m else None

    wall = grab("Elapsed (wall clock) time (h:mm:ss or m:ss)", str)
    secs = None
    if wall:
        parts = [float(x) for x in wall.split(":")]
        secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    return {"max_rss_kb": grab("Maximum resident set size (kbytes)", int), "wall_s": secs,
            "user_s": grab("User time (seconds)"), "sys_s": grab("System time (seconds)")}


def _timed(cmd: list[str]) -> tuple[subprocess.CompletedProcess, dict, float]:
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    return p, _time_v(p.stderr), time.perf_counter() - t0


def batch_run(data: Path, store: Path, backend: str, jobs: int, scheduler: str | None) -> dict:
    if store.exists():
        shutil.rmtree(store)     # a store this benchmark made earlier
    cmd = [sys.executable, "-m", "sselab.cli", "batch", str(data), "--store", str(store), "--json"]
    cmd += ["--scheduler", scheduler] if scheduler else ["--jobs", str(jobs)]
    p, tv, wall = _timed(cmd)
    if p.returncode != 0:
        raise SystemExit(f"sselab batch failed ({backend}):\n{p.stderr[-3000:]}")
    out = json.loads(p.stdout)
    # the incremental re-run: every unit skipped (the folder is planned again: every file read once)
    t1 = time.perf_counter()
    p2 = subprocess.run([sys.executable, "-m", "sselab.cli", "batch", str(data), "--store", str(store), "--json",
                         "--jobs", "1"], capture_output=True, text=True)
    rerun = json.loads(p2.stdout)
    return {"backend": backend, "summary": out, "time_v": tv, "wall_s": wall, "rerun_s": time.perf_counter() - t1,
            "rerun_analysed": rerun["analysed"], "store_bytes": _du(store)}


def report_run(data: Path, out: Path) -> dict:
    """The same analysis without a store: `sselab report --no-figures` (routing.run_all on its 2 forked workers)."""
    if out.exists():
        shutil.rmtree(out)      # a report this benchmark made earlier
    p, tv, wall = _timed([sys.executable, "-m", "sselab.cli", "report", str(data), "--out", str(out), "--no-figures",
                          "--json"])
    if p.returncode != 0:
        raise SystemExit(f"sselab report failed:\n{p.stderr[-3000:]}")
    return {"time_v": tv, "wall_s": wall, "results": str(out / "results.json")}


def same_as_report(store: Path, results_json: str) -> tuple[int, int]:
    """(results equal to the report's, results in the report): values, flags, tables and options compared exactly."""
    from sselab import store as S

    rep = json.loads(Path(results_json).read_text())
    want = {}
    for sec in rep["sections"]:
        for r in sec["results"]:
            want[(r["recipe"], r["subject"], tuple(r["inputs"]))] = r
    same = 0
    with S.open(store) as st:
        _, rows = st.rows("SELECT json FROM results")
    for (doc,) in rows:
        r = json.loads(doc)
        w = want.get((r["recipe"], r["subject"], tuple(r["inputs"])))
        if w is not None and all(w[k] == r[k] for k in ("values", "flags", "tables", "options")):
            same += 1
    return same, len(want)


def store_stats(store: Path, kind: str) -> dict:
    from sselab import store as S

    with S.open(store) as st:
        _, ((n, cpu, wall, peak, failed, rows_read),) = st.rows(
            "SELECT count(*), sum(cpu_seconds), sum(seconds), max(peak_rss_bytes), "
            "count(*) FILTER (status = 'error'), sum(n_rows_read) FROM units")
        fp = {}
        for name in st.tables():
            ex = " EXCLUDE (seconds, cpu_seconds, peak_rss_bytes, worker)" if name == "units" else ""
            _, ((c, h),) = st.rows(f'SELECT count(*), sum(hash(t)) FROM (SELECT *{ex} FROM "{name}") t')
            fp[name] = (int(c), int(h or 0))
        q = {}
        t0 = time.perf_counter()
        if kind == "eis":
            _, ((n_spectra,),) = st.rows("SELECT count(*) FROM arrhenius_points")
            q["count(*) FROM arrhenius_points"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            _, arr = st.rows("SELECT subject, Ea_eV, sigma_30C_S_per_m, n_points FROM arrhenius ORDER BY subject")
            q["arrhenius table"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            _, ((npeaks,),) = st.rows("SELECT count(*) FROM drt_peaks")
            st.rows("SELECT track, count(*), median(tau_s) FROM drt_peaks GROUP BY track")
            q["median τ per DRT track over drt_peaks"] = time.perf_counter() - t0
            truth = {name: material(int(name.split("-")[1]))[1:] for name, *_ in arr}     # (mS/cm, eV)
            dea = max(abs(ea - truth[s][1]) for s, ea, _, _ in arr)
            ds = max(abs(s30 * 10 / truth[s][0] - 1) for s, _, s30, _ in arr)
            extra = {"drt_peaks": npeaks, "spectra": n_spectra, "max_dEa_eV": dea, "max_rel_dsigma30": ds,
                     "materials": len(arr)}
        else:
            _, ((ncyc, nshort),) = st.rows("SELECT count(*), count(*) FILTER (short_kind = 'hard') FROM cycling")
            q["cycling summary"] = time.perf_counter() - t0
            extra = {"records": ncyc, "hard_shorts": nshort}
    return {"units": n, "cpu_s": cpu, "unit_wall_s": wall, "worker_peak_rss": peak, "failed": failed,
            "rows_read": rows_read, "fingerprint": fp, "queries_s": q, **extra}


def run_part(kind: str, data: Path, work: Path, jobs: int, backends: list[str], items: int) -> dict:
    out = []
    for backend in backends:
        store = work / f"{kind}-{backend}.store"
        if backend == "pool":
            r = batch_run(data, store, backend, jobs, None)
            worker_rss = None
        else:
            from distributed import Client, LocalCluster

            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                              dashboard_address=None) as cl, Client(cl) as client:
                r = batch_run(data, store, backend, jobs, cl.scheduler_address)

                def rss():
                    import resource

                    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

                worker_rss = max(client.run(rss).values())
        r["stats"] = store_stats(store, kind)
        r["worker_rss_cluster"] = worker_rss
        r["items"] = items
        out.append(r)
        print(f"  {kind:8s} {backend:5s}: {r['wall_s']:.1f} s wall, {r['stats']['cpu_s']:.1f} CPU-s in units, "
              f"driver peak {r['time_v']['max_rss_kb'] / 1024:.0f} MiB, worker peak "
              f"{(r['stats']['worker_peak_rss'] or 0) / MiB:.0f} MiB", flush=True)
    rep = report_run(data, work / f"{kind}-report")
    rep["same"] = [same_as_report(work / f"{kind}-{r['backend']}.store", rep["results"]) for r in out]
    print(f"  {kind:8s} report: {rep['wall_s']:.1f} s wall, peak {rep['time_v']['max_rss_kb'] / 1024:.0f} MiB; "
          f"stored results equal to the report's: {rep['same']}", flush=True)
    return {"batch": out, "report": rep}


# ---------------------------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------------------------

def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def render(args, gens, results, up0, up1, argv=None) -> str:
    import duckdb
    import pyarrow

    import sselab

    argv = sys.argv[1:] if argv is None else argv
    lines = ["## `" + " ".join(["benchmarks/bench_store_scale.py"] + argv) + "`", "",
             f"Command: `{' '.join(['.venv/bin/python', 'benchmarks/bench_store_scale.py'] + argv)}`", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared with other jobs), Python "
             f"{platform.python_version()}, sselab {sselab.__version__}, duckdb {duckdb.__version__}, pyarrow "
             f"{pyarrow.__version__}.  `uptime` before: `{up0}`; after: `{up1}`.", "",
             "Analysis: the recipes' routing, as `sselab report` runs it (EIS: per material `eis.arrhenius` — every "
             "spectrum fitted with its model chosen by BIC — and per file `eis.drt`, the DRT of every spectrum; "
             "cycling: per record `cycling.symmetric`).  Units: one per routing job + one per file.  Baseline "
             "in the same run: `sselab report DIR --no-figures` on the same folder (the same analysis on its 2 "
             "forked workers, no store).", "",
             "| archive | data (generated) | run | units | wall | Σ CPU in units | per core | wall throughput | "
             "driver CPU | driver peak RSS | worker peak RSS | store | re-run (all skipped) | identical |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for kind, part in results.items():
        g = gens[kind]
        unit = "spectra" if kind == "eis" else "rows"
        rs, rep = part["batch"], part["report"]
        fps = [r["stats"]["fingerprint"] for r in rs]
        same = all(f == fps[0] for f in fps)
        data = (f"{g['items']:,} {unit} in {g['files']:,} files, {g['bytes'] / 1e9:.2f} GB "
                f"({g['seconds']:.0f} s)")
        for r, (eq, n_rep) in zip(rs, rep["same"]):
            st = r["stats"]
            items = st["spectra"] if kind == "eis" else st["rows_read"]
            per_core = items / st["cpu_s"] if st["cpu_s"] else float("nan")
            wpk = max(x for x in (st["worker_peak_rss"], r["worker_rss_cluster"]) if x is not None)
            lines.append(
                f"| {kind} | {data} | `sselab batch` {r['backend']} ({r['summary']['workers']} workers) | "
                f"{st['units']:,} ({st['failed']} failed) | {r['wall_s']:.0f} s | {st['cpu_s']:.0f} s | "
                f"{per_core:,.0f} {unit}/CPU-s | {items / r['wall_s']:,.0f} {unit}/s | "
                f"{r['time_v']['user_s'] + r['time_v']['sys_s']:.1f} s | "
                f"{r['time_v']['max_rss_kb'] / 1024:.0f} MiB | {wpk / MiB:.0f} MiB | "
                f"{r['store_bytes'] / 1e6:.0f} MB | {r['rerun_s']:.1f} s ({r['rerun_analysed']} analysed) | "
                f"{'yes' if same else 'NO'} (pool = dask); {eq}/{n_rep} results = report |")
        items = rs[0]["stats"]["spectra"] if kind == "eis" else rs[0]["stats"]["rows_read"]
        tv = rep["time_v"]
        lines.append(
            f"| {kind} | same folder | `sselab report --no-figures` (2 workers) | — | {rep['wall_s']:.0f} s | — | — | "
            f"{items / rep['wall_s']:,.0f} {unit}/s | {tv['user_s'] + tv['sys_s']:.1f} s (all processes) | "
            f"{tv['max_rss_kb'] / 1024:.0f} MiB | — | — | — | — |")
    lines.append("")
    for kind, part in results.items():
        rs, rep = part["batch"], part["report"]
        st = rs[0]["stats"]
        ratio = ", ".join(f"{r['backend']} {r['wall_s'] / rep['wall_s']:.2f}×" for r in rs)
        if kind == "eis":
            lines.append(f"EIS: {st['spectra']:,} spectra in the Arrhenius fits, {st['drt_peaks']:,} DRT peaks; "
                         f"{st['materials']} Arrhenius fits recover the simulated Ea within {st['max_dEa_eV']:.4f} eV "
                         f"and σ(30 °C) within {st['max_rel_dsigma30'] * 100:.2f} %.")
        else:
            lines.append(f"Cycling: {st['rows_read']:,} rows in {st['records']:,} records, {st['hard_shorts']} hard "
                         f"shorts found (one simulated in every third record).")
        lines.append(f"Wall time of `sselab batch` / `sselab report --no-figures` on the same folder: {ratio} (a "
                     f"first run reads every file twice: once in the driver to plan — routing needs the "
                     f"measurements —, once in the worker that analyses it; the report reads once).")
        qs = ", ".join(f"`{k}` {v * 1e3:.0f} ms" for k, v in st["queries_s"].items())
        lines.append(f"Queries on the {kind} store (DuckDB over the Parquet files, first run): {qs}.")
        lines.append("")
    lines.append("*Per core* = items / Σ CPU seconds the workers spent in the units (reading, analysis, building the "
                 "rows; a Dask worker's CPU also counts its own threads: communication, heartbeats, profiling).  "
                 "*Driver CPU* = `sselab batch` itself (`/usr/bin/time -v` user + system: start-up, planning — every "
                 "file read once, as the report does —, hashing, writing the parts, commits, compaction); for the "
                 "report, all its processes.  *Re-run*: a second `sselab batch --jobs 1` on the unchanged folder "
                 "(the plan kept in the store is reused — no file is read again — and every unit is skipped).  "
                 "*Identical*: the pool's and the cluster's tables equal "
                 "(fingerprint), and each store's results equal to the report's `results.json` (values, errors, "
                 "flags, tables, options; exact).")
    lines.append("")
    lines.append("Peak memory: *driver* = `sselab batch` itself (`/usr/bin/time -v`, Maximum resident set size): the "
                 "planning holds the folder's measurements (as the report's reading does), then drops them; units "
                 "are streamed through the workers and written as part files, and compaction streams them in row "
                 "groups.  *Worker* = the largest peak any worker process reached (recorded per unit in `units."
                 "peak_rss_bytes`; for the LocalCluster also asked of the workers): that of the largest job (one "
                 "material's spectra, one record).")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--render", type=Path, nargs="+", help="only re-render the tables of earlier runs' results.json")
    ap.add_argument("--spectra", type=int, default=10_000)
    ap.add_argument("--spectra-per-file", type=int, default=100)
    ap.add_argument("--rows", type=float, default=1e7)
    ap.add_argument("--rows-per-file", type=float, default=5e5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--backends", default="pool,dask")
    ap.add_argument("--parts", default="eis,cycling")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/sselab-store-bench"))
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "store.md")
    args = ap.parse_args()
    if args.render:
        text = "\n".join(render(args, d["gens"], d["results"], d.get("uptime", ["?", "?"])[0],
                                 d.get("uptime", ["?", "?"])[1], d.get("argv"))
                         for d in (json.loads(p.read_text()) for p in args.render))
        print(text)
        args.out.write_text(text)
        return
    backends = args.backends.split(",")
    parts = args.parts.split(",")
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    up0 = _uptime()
    gens, results = {}, {}
    if "eis" in parts:
        data = work / f"eis-{args.spectra}"
        if not (data / "cells.yaml").exists():
            print(f"generating {args.spectra:,} spectra …", flush=True)
            gens["eis"] = make_eis(data, args.spectra, args.spectra_per_file, args.jobs)
            (data / "gen.json").write_text(json.dumps(gens["eis"]))
        gens["eis"] = json.loads((data / "gen.json").read_text())
        results["eis"] = run_part("eis", data, work, args.jobs, backends, gens["eis"]["items"])
    if "cycling" in parts:
        data = work / f"cycling-{int(args.rows)}"
        if not (data / "cells.yaml").exists():
            print(f"generating {int(args.rows):,} cycling rows …", flush=True)
            gens["cycling"] = make_cycling(data, int(args.rows), int(args.rows_per_file), args.jobs)
            (data / "gen.json").write_text(json.dumps(gens["cycling"]))
        gens["cycling"] = json.loads((data / "gen.json").read_text())
        results["cycling"] = run_part("cycling", data, work, args.jobs, backends, gens["cycling"]["items"])
    up1 = _uptime()
    text = render(args, gens, results, up0, up1)
    print(text)
    (work / "results.json").write_text(json.dumps({"gens": gens, "results": results, "uptime": [up0, up1],
                                                   "argv": sys.argv[1:]}, default=str, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
