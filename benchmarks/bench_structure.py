"""Benchmark: peak tracking through a large in-situ XRD series (issue 16: 1000 patterns × 5000 points "well under a
minute"), sselab's batched Levenberg–Marquardt vs scipy.optimize.curve_fit (one fit per peak per pattern, the way
scripts and lmfit-based tools do it), on the same simulated Li2NH + Li3N + Li series with a known lattice drift.

    python benchmarks/bench_structure.py                # 1000 patterns × 5000 points, curve_fit on 100 of them
    python benchmarks/bench_structure.py --n 200 --ref 50

Prints one table: wall time, patterns/s, the lattice parameter error against the simulated truth, and the ratio.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000, help="patterns in the series")
    ap.add_argument("--points", type=int, default=5000, help="points per pattern")
    ap.add_argument("--ref", type=int, default=100, help="patterns fitted with curve_fit (timed, extrapolated)")
    args = ap.parse_args()

    from scipy.optimize import curve_fit

    from sselab.materials.structures import structure
    from sselab.simulate.structure import I11_WAVELENGTH_M, xrd_series
    from sselab.structure.crystal import powder_lines
    from sselab.structure.operando import lattice_series, track_series
    from sselab.structure.peaks import pseudo_voigt

    lam = I11_WAVELENGTH_M
    lo, hi = 5.0, 40.0
    step = (hi - lo) / args.points
    t0 = time.perf_counter()
    s = xrd_series(args.n, wavelength_m=lam, two_theta_range=(lo, hi - step / 2), step_deg=step, drift_angstrom=0.004,
                   rng=7)
    t_sim = time.perf_counter() - t0
    pl = powder_lines(structure("Li2NH-Fd-3m").with_a(s.a_li2nh_angstrom[0]), lam, 40)
    others = np.concatenate([powder_lines(structure(k), lam, 40).two_theta_deg for k in ("Li3N", "Li")])
    sel = [i for i, (t, r) in enumerate(zip(pl.two_theta_deg, pl.relative))
           if r > 3 and lo + 1 < t < hi - 1 and np.min(np.abs(others - t)) > 0.3
           and np.min(np.abs(np.delete(pl.two_theta_deg, i) - t)) > 0.3]
    centers = pl.two_theta_deg[sel]
    hkl = [pl.hkl[i] for i in sel]
    sig = np.sqrt(np.maximum(s.y, 1.0))

    t0 = time.perf_counter()
    fits = track_series(s.x, s.y, centers, 0.15, sigma=sig)
    ls = lattice_series(fits, hkl, lam)
    t_ss = time.perf_counter() - t0
    err_ss = np.max(np.abs(ls.a_angstrom - s.a_li2nh_angstrom))

    # reference: curve_fit, one pseudo-Voigt + line per peak per pattern, then the same cubic fit
    def model(x, A, c, w, eta, b0, b1):
        return A * pseudo_voigt(x, c, abs(w), np.clip(eta, 0, 1)) + b0 + b1 * (x - x.mean())

    nref = min(args.ref, args.n)
    t0 = time.perf_counter()
    cen = np.zeros((nref, len(centers)))
    cerr = np.zeros_like(cen)
    for k in range(nref):
        for j, c in enumerate(centers):
            m = (s.x > c - 0.15) & (s.x < c + 0.15)
            xx, yy = s.x[m], s.y[k, m]
            p0 = [max(yy.max() - yy.min(), 1) * 0.03, c, 0.03, 0.5, yy.min(), 0.0]
            p, cov = curve_fit(model, xx, yy, p0=p0, sigma=np.sqrt(np.maximum(yy, 1)), maxfev=2000)
            cen[k, j], cerr[k, j] = p[1], np.sqrt(cov[1, 1])
    t_cf = time.perf_counter() - t0

    class F:  # the shape lattice_series expects
        def __init__(self, c, e):
            self.center, self.center_err = c, e

    ls_cf = lattice_series([F(cen[:, j], cerr[:, j]) for j in range(len(centers))], hkl, lam)
    err_cf = np.max(np.abs(ls_cf.a_angstrom - s.a_li2nh_angstrom[:nref]))
    t_cf_full = t_cf * args.n / nref
    load = os.getloadavg()[0]
    print(f"# in-situ series: {args.n} patterns × {args.points} points, {len(centers)} Li2NH reflections tracked, "
          f"λ = {lam * 1e10:.6f} Å (simulated in {t_sim:.1f} s); load average {load:.2f} on {os.cpu_count()} cores")
    print("| method | wall time | patterns/s | max |a − truth| (Å) |")
    print("|---|---|---|---|")
    print(f"| sselab track_series + lattice_series (batched LM) | {t_ss:.2f} s | {args.n / t_ss:.0f} | {err_ss:.1e} |")
    print(f"| scipy curve_fit per peak ({nref} patterns timed, extrapolated to {args.n}) | {t_cf_full:.1f} s | "
          f"{nref / t_cf:.1f} | {err_cf:.1e} |")
    print(f"| ratio | **{t_cf_full / t_ss:.0f}×** faster | | |")


if __name__ == "__main__":
    main()
