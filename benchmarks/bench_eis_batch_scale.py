"""Benchmark: sselab.eis.fit_batch on thousands of in-situ Li|SSE|Li spectra (issue 3).

A simulated in-situ series of ``L0-R0-p(R1,CPE1)-p(R2,CPE2)`` spectra (seeded): bulk R0 ≈ 20 Ω, grain boundary
R1 ≈ 200 Ω / Q1 5e-9 / α1 0.9 (apex ≈ 0.7 MHz), interface R2 drifting smoothly 300 → 1500 Ω over the series
(growing interphase plus a slow oscillation), Q2 1e-5 / α2 0.85 (apex ≈ 150 → 20 Hz); every other parameter jitters
by ±2 % (±0.005 in α) per spectrum.  7 MHz–0.1 Hz, 10 points per decade; Gaussian noise of 1 % of |Z| on each of
Z′ and Z″.  Fitted with ``fit_batch(..., warm_start=True)`` and ``warm_start=False``, no initial guess.

Reports spectra/s (wall and CPU), peak traced memory (tracemalloc, Python + numpy allocations) and the share of
spectra with R2 within 5 % of the truth.

tracemalloc itself slows the run by ~1.5x: take throughput from a ``--no-trace`` run, memory from a traced one.

Run:  .venv/bin/python benchmarks/bench_eis_batch_scale.py [--n 500 2000 5000] [--seed 1] [--modes warm cold]
      [--no-trace]
"""
from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np

CIRCUIT = "L0-R0-p(R1,CPE1)-p(R2,CPE2)"


def simulate(n: int, seed: int):
    from sselab.eis import Circuit

    rng = np.random.default_rng(seed)
    f = np.logspace(np.log10(7e6), -1, int(round(10 * np.log10(7e6 / 0.1))) + 1)
    c = Circuit(CIRCUIT)
    t = np.linspace(0.0, 1.0, n)
    R2 = 300.0 + 1200.0 * t ** 1.5 + 80.0 * np.sin(2 * np.pi * 3 * t)     # smooth drift
    jit = lambda v: v * (1 + 0.02 * rng.uniform(-1, 1, n))                  # noqa: E731
    P = np.column_stack([
        jit(np.full(n, 2e-7)),                 # L0 / H
        jit(np.full(n, 20.0)),                 # R0 / Ω
        jit(np.full(n, 200.0)),                # R1
        jit(np.full(n, 5e-9)),                 # Q1
        0.90 + 0.005 * rng.uniform(-1, 1, n),  # alpha1
        R2,                                    # R2
        jit(np.full(n, 1e-5)),                 # Q2
        0.85 + 0.005 * rng.uniform(-1, 1, n),  # alpha2
    ])
    assert c.param_names == ["L0", "R0", "R1", "CPE1_Q", "CPE1_alpha", "R2", "CPE2_Q", "CPE2_alpha"], c.param_names
    Z = c.impedance(f, P)
    Z = Z + 0.01 * np.abs(Z) * (rng.normal(size=Z.shape) + 1j * rng.normal(size=Z.shape))
    return f, Z, P


def run(f, Z, P, warm_start: bool, trace: bool = True):
    from sselab.eis import fit_batch

    spectra = [(f, z) for z in Z]
    if trace:
        tracemalloc.start()
    t, c = time.perf_counter(), time.process_time()
    res = fit_batch(spectra, CIRCUIT, warm_start=warm_start)
    dt, dc = time.perf_counter() - t, time.process_time() - c
    peak = tracemalloc.get_traced_memory()[1] if trace else float("nan")
    if trace:
        tracemalloc.stop()
    R2 = np.array([r.params["R2"] for r in res])
    ok = np.isfinite(R2) & (np.abs(R2 / P[:, 5] - 1) < 0.05)
    succ = np.mean([r.success for r in res])
    return dt, dc, peak, ok.mean(), succ, np.nanmedian(np.abs(R2 / P[:, 5] - 1))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[500, 2000, 5000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--modes", nargs="+", default=["warm", "cold"], choices=["warm", "cold"])
    ap.add_argument("--no-trace", action="store_true",
                    help="time without tracemalloc (it slows numpy-heavy code by ~1.5x); no memory column")
    a = ap.parse_args(argv)

    f, Z, P = simulate(4, a.seed)
    run(f, Z, P, True)  # warm up imports (not timed)
    print(f"{CIRCUIT}, {f.size} points per spectrum (7 MHz–0.1 Hz), 1 % noise, seed {a.seed}")
    print(f"uptime: {os.popen('uptime').read().strip()}")
    print("| N spectra | warm_start | wall time | CPU time | spectra/s (wall) | spectra/s (CPU) | peak traced memory "
          "| per spectrum | R2 within 5 % | median abs R2 error | success |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in a.n:
        f, Z, P = simulate(n, a.seed)
        for mode in a.modes:
            dt, dc, peak, ok, succ, med = run(f, Z, P, mode == "warm", trace=not a.no_trace)
            mem = "— | —" if a.no_trace else f"{peak / 2**20:.0f} MiB | {peak / n / 1024:.0f} KiB"
            print(f"| {n} | {mode == 'warm'} | {dt:.1f} s | {dc:.1f} s | {n / dt:.0f} | {n / dc:.0f} | {mem} "
                  f"| {ok * 100:.1f} % | {med * 100:.2f} % | {succ * 100:.1f} % |", flush=True)
    print(f"uptime: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()
