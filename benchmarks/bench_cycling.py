"""Benchmark: a 750 h Li|SSE|Li stripping/plating ladder sampled every second (~2.7 M rows).

Simulated with the private test forward model (``tests/cycling/ladder_model.py``): the Li2NH paper's ladder
(5–80 µA/cm² × 200 cycles, then 25 cycles per step up to 70 mA/cm²), 15 min half cycles + 10 s rests, a 17 h rest
with resistance recovery, slow resistance drift, one sudden soft-short drop that recovers, and a hard short injected
near the end.

Two parts:

* **in-process** — segmentation, the full symmetric analysis and the decimated Fig. 3a plot on the float64 arrays:
  wall time (best of 3) and peak traced memory (``tracemalloc`` sees numpy's allocations);
* **peak RSS of ``sselab cycle``** (issue 17) — the same record written into a real EC-Lab CA ``.mpr`` (time
  float64, Ewe and I float32 as EC-Lab stores them; the template is ``ca.issue_134.mpr`` from ../shared/data, the
  writer ``bench_readers.write_ladder_mpr``, which needs galvani), each run in a fresh process under
  ``/usr/bin/time -v``.  "Above baseline" subtracts the maximum RSS of the same command on the record's first
  10 000 rows (the interpreter and every import ``sselab cycle`` makes, with a negligible record); the ratio divides
  by the three arrays the analysis uses as float64 (t, E, I: 62 MiB).  There is no other open tool doing this
  analysis; the comparison is with sselab's previous figures (``BEFORE``, measured with this script).

    .venv/bin/python benchmarks/bench_cycling.py              # writes benchmarks/results/cycling.md (~2 min)
    .venv/bin/python benchmarks/bench_cycling.py --no-rss     # in-process part only
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "cycling"))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("MPLBACKEND", "Agg")

from ladder_model import MA_CM2, UA_CM2, make_ladder  # noqa: E402

from sselab.cycling import analyze_symmetric, segment  # noqa: E402

STEPS = ([(j * UA_CM2, 200) for j in (5, 10, 20, 40, 60, 80)]
         + [(j * MA_CM2, 25) for j in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 70)])
HARD_AT = 1440          # in the 70 mA/cm² step
SOFT_AT = (700,)        # in the 40 µA/cm² step
TEMPLATE = (ROOT.parent / "shared" / "data" / "instruments" / "dgbowl+yadg" / "tests" / "test_x_eclab"
            / "ca.issue_134.mpr")
BASELINE_ROWS = 10_000

#: peak RSS above the baseline measured with this script before issue 17's memory work (commit 6c725ee, main):
#: run label -> MiB above baseline
BEFORE = {"cli": 408.0, "api-all": 409.0, "api-cols": 225.0, "read": 47.0}
BEFORE_COMMIT = "6c725ee"


def _timed(fn, repeat=3):
    best = np.inf
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def _peak_mb(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def _time_v(cmd: list[str]) -> tuple[float | None, float | None]:
    """(maximum RSS in MiB, wall seconds) of ``cmd`` from ``/usr/bin/time -v``; (None, None) if unavailable."""
    r = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, timeout=1800)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", r.stderr)
    if r.returncode != 0 or not m:
        tail = (r.stderr.strip().splitlines() or ["?"])[-1]
        print(f"note: {' '.join(cmd[:4])} … failed: {tail}")
        return None, None
    secs = None
    if w:
        parts = [float(p) for p in w.group(1).split(":")]
        secs = sum(p * 60 ** k for k, p in enumerate(reversed(parts)))
    return int(m.group(1)) / 1024, secs


def rss_table(lad) -> tuple[list[str], list[str], bool]:
    """Peak RSS of ``sselab cycle`` and of the API on the ladder as an EC-Lab ``.mpr``; (table lines, notes, ok)."""
    from bench_readers import write_ladder_mpr

    from sselab.recipes.cycling import COLUMNS

    py = sys.executable
    exe = str(Path(py).with_name("sselab"))
    n = len(lad.time_s)
    arrays = 3 * n * 8 / 2**20
    with tempfile.TemporaryDirectory() as td:
        big, small = Path(td) / "ladder.mpr", Path(td) / "ladder_head.mpr"
        write_ladder_mpr(TEMPLATE, big, lad.time_s, lad.potential_V, lad.current_A)
        k = BASELINE_ROWS
        write_ladder_mpr(TEMPLATE, small, lad.time_s[:k], lad.potential_V[:k], lad.current_A[:k])
        cli = [exe, "cycle", "{}", "--symmetric", "--diameter", "10mm", "--json"]
        api_all = ("import sys; from sselab.io import read; from sselab.cycling import analyze_symmetric; "
                   "m = read(sys.argv[1]); analyze_symmetric(m, area_m2=0.7854e-4)")
        api_cols = ("import sys; from sselab.io import read; from sselab.cycling import analyze_symmetric; "
                    "from sselab.recipes.cycling import COLUMNS; m = read(sys.argv[1], columns=list(COLUMNS)); "
                    "analyze_symmetric(m, area_m2=0.7854e-4)")
        read_cols = ("import sys; from sselab.io import read; from sselab.recipes.cycling import COLUMNS; "
                     "import sselab.cli, sselab.cycling; m = read(sys.argv[1], columns=list(COLUMNS))")
        runs = [
            ("cli", "`sselab cycle FILE --symmetric --diameter 10mm --json` (reads the recipe's columns)",
             [a.replace("{}", str(big)) for a in cli], [a.replace("{}", str(small)) for a in cli]),
            ("api-all", "`read(FILE)` (every column) + `analyze_symmetric(m)`",
             [py, "-c", api_all, str(big)], [py, "-c", api_all, str(small)]),
            ("api-cols", "`read(FILE, columns=recipes.cycling.COLUMNS)` + `analyze_symmetric(m)`",
             [py, "-c", api_cols, str(big)], [py, "-c", api_cols, str(small)]),
            ("read", "`read(FILE, columns=recipes.cycling.COLUMNS)` alone (no analysis)",
             [py, "-c", read_cols, str(big)], [py, "-c", read_cols, str(small)]),
        ]
        size_mb = big.stat().st_size / 1e6
        lines = ["| run | max RSS | baseline (10 000 rows) | above baseline | ÷ t,E,I float64 | "
                 f"before ({BEFORE_COMMIT}) | wall |", "|---|---:|---:|---:|---:|---:|---:|"]
        ok = True
        for key, label, cmd, base_cmd in runs:
            base, _ = _time_v(base_cmd)
            rss, wall = _time_v(cmd)
            if rss is None or base is None:
                lines.append(f"| {label} | — | — | — | — | {BEFORE.get(key, '—')} MiB | — |")
                ok = False
                continue
            above = rss - base
            if key == "cli":
                ok &= above <= 3 * arrays
            lines.append(f"| {label} | {rss:.0f} MiB | {base:.0f} MiB | **{above:.0f} MiB** | {above / arrays:.1f}× | "
                         f"{BEFORE[key]:.0f} MiB ({BEFORE[key] / arrays:.1f}×) | {wall:.1f} s |")
    notes = [f"record: {n:,} rows, {size_mb:.0f} MB .mpr; t, E, I as float64 arrays: {arrays:.0f} MiB "
             f"(3× = {3 * arrays:.0f} MiB, issue 17's bound for `sselab cycle`); the recipe reads "
             f"{', '.join(COLUMNS)} (absent columns are skipped)",
             "before: the CLI read every column; `analyze_symmetric` converted float32 to float64 and kept ~6 "
             "row-length float64 temporaries in segmentation (see git history of src/sselab/cycling/segment.py)"]
    return lines, notes, ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-rss", action="store_true", help="skip the `sselab cycle` peak-RSS runs (/usr/bin/time -v)")
    ap.add_argument("--no-write", action="store_true", help="do not write benchmarks/results/cycling.md")
    args = ap.parse_args(argv)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    lad = make_ladder(STEPS, dt=1.0, long_rest_after=1000, long_rest_s=17 * 3600.0, hard_at=HARD_AT,
                      soft_at=SOFT_AT, r_short_ohm_m2=1e-4, noise_V=1e-4, seed=2026)
    t_sim = time.perf_counter() - t0
    n = len(lad.time_s)
    data_mb = 3 * lad.time_s.nbytes / 2**20
    arrays = (lad.time_s, lad.potential_V, lad.current_A)

    seg, t_seg = _timed(lambda: segment(*arrays, split_steps=False))
    res, t_ana = _timed(lambda: analyze_symmetric(arrays, area_m2=lad.area_m2))
    peak_seg = _peak_mb(lambda: segment(*arrays, split_steps=False))
    peak_ana = _peak_mb(lambda: analyze_symmetric(arrays, area_m2=lad.area_m2))

    from sselab.cycling.plots import plot_ladder
    from sselab.plotting import save_figure

    def _plot():
        with tempfile.TemporaryDirectory() as tmp:
            save_figure(plot_ladder(res), tmp, "cycling_ladder", formats=("png",))

    _, t_plot = _timed(_plot, repeat=1)

    hs = res.hard_short
    soft = res.soft_shorts
    ok = (hs is not None and hs.cycle == HARD_AT and [s.cycle for s in soft] == list(SOFT_AT)
          and res.n_cycles == lad.n_cycles)
    rows = [
        ("rows (1 s sampling)", f"{n:,}"),
        ("record length", f"{res.total_hours:.1f} h, {res.n_cycles} cycles, {res.n_half_cycles} half cycles, "
                          f"{len(res.steps)} current-density steps"),
        ("input arrays (t, V, I float64)", f"{data_mb:.0f} MiB"),
        ("simulate (not part of the analysis)", f"{t_sim:.2f} s"),
        ("segment() — best of 3", f"{t_seg:.2f} s ({n / t_seg / 1e6:.1f} M rows/s)"),
        ("analyze_symmetric() incl. segmentation — best of 3", f"{t_ana:.2f} s"),
        ("peak traced memory, segment()", f"{peak_seg:.0f} MiB ({peak_seg / data_mb:.2f}× the input)"),
        ("peak traced memory, analyze_symmetric()", f"{peak_ana:.0f} MiB ({peak_ana / data_mb:.2f}× the input)"),
        ("Fig. 3a plot (decimated to ≤ 8000 points) + PNG", f"{t_plot:.2f} s ({len(res.trace_t_s)} points drawn)"),
        ("hard short injected / detected", f"cycle {HARD_AT} / cycle {hs.cycle if hs else '—'} "
                                           f"(t = {hs.time_s / 3600:.2f} h)" if hs else "—"),
        ("soft short injected / detected", f"cycles {list(SOFT_AT)} / {[s.cycle for s in soft]}"),
        ("CCD (any short) / hard only", f"{res.ccd_A_per_m2 * 100:.4g} µA/cm² / "
                                        f"{res.ccd_hard_A_per_m2 * 0.1:.4g} mA/cm²"),
        ("cumulative charge", f"{res.cumulative_charge_C_per_m2 / 36000:.1f} mAh/cm² ≈ "
                              f"{res.li_thickness_equivalent_m * 1e6:.0f} µm Li"),
        ("detections correct", "yes" if ok else "NO"),
    ]
    rss_lines, rss_notes, rss_ok = ([], [], True)
    if not args.no_rss:
        if not Path("/usr/bin/time").exists() or not TEMPLATE.exists():
            rss_notes = ["peak RSS not measured: needs /usr/bin/time and ../shared/data (the .mpr template)"]
        else:
            rss_lines, rss_notes, rss_ok = rss_table(lad)
    load1 = os.getloadavg()[0]
    cmd = "python benchmarks/bench_cycling.py" + (" --no-rss" if args.no_rss else "")
    text = ["# Benchmark: `sselab.cycling` on a 750 h stripping/plating ladder", "",
            f"Command: `{cmd}` (run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
            f"{load0:.1f} before / {load1:.1f} after on 2 cores shared with other jobs).  "
            f"{platform.platform()}, Python {platform.python_version()}, numpy {np.__version__}.", "",
            "Record: the Li2NH paper's ladder (5–80 µA/cm² × 200 cycles, then 25 cycles per step "
            "0.1–70 mA/cm²), 15 min half cycles + 10 s rests, 1 s sampling, 17 h rest with resistance recovery, "
            "resistance drift exp(−t/300 h), a sudden soft-short drop that recovers, and a hard short near the end.",
            "", "| quantity | value |", "|---|---|"]
    text += [f"| {a} | {b} |" for a, b in rows]
    if rss_lines:
        text += ["", "## `sselab cycle` peak memory (`/usr/bin/time -v`, fresh process per run)", ""] + rss_lines
    text += [""] + [f"- {x}" for x in rss_notes]
    text += ["", "All work is vectorised (numpy diff/cumsum/reduceat, scipy median filters); the only Python loops run "
                 "over ladder steps, candidate short events and blocks of rows, never over rows.  Segmentation "
                 "works through the record in blocks of 256 k rows (whole segments for the per-segment sums) with "
                 "float64 temporaries of that size; inputs stay in the dtype the reader gave (EC-Lab's float32 "
                 "potential and current are converted block by block).  The figure draws a min/max-per-bin "
                 "decimated trace.", ""]
    if not args.no_write:
        out_path = ROOT / "benchmarks" / "results" / "cycling.md"
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_path.with_suffix(".md.tmp")
        tmp.write_text("\n".join(text), encoding="utf-8")
        tmp.replace(out_path)
    print("\n".join(text))
    return 0 if ok and rss_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
