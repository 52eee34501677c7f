"""DRT: sselab.eis.drt against pyDRTtools on the same synthetic spectra, in the same run.

    python benchmarks/bench_drt.py          # everything (~15–25 min on 2 loaded cores, most of it pyDRTtools)
    python benchmarks/bench_drt.py --reps 3 --series 200 --quick

pyDRTtools (MIT, Ciucci lab) is the comparison tool only — not a sselab dependency: ``pip install pyDRTtools
cvxopt scikit-learn``.  Its package ``__init__`` imports its Qt GUI (``GUI.py``: ``from PyQt5 import ...`` and
``matplotlib.use("Qt5Agg")``), so it cannot be imported headless as shipped; this script registers empty stand-ins
for ``pyDRTtools.GUI``, ``pyDRTtools.cli`` and ``pyDRTtools.layout`` before the import and then calls its
computational core unchanged: ``runs.EIS_object`` + ``runs.simple_run`` (Tikhonov/ridge regression with
non-negativity via cvxopt's QP, Gaussian RBF, FWHM coefficient 0.5, first-derivative penalty, R∞ and L, λ by its
GCV — its defaults).

Synthetic spectra (81 points, 1 MHz – 10 mHz, 10 per decade; R∞ = 10 Ω): single ZARC; two ZARCs one decade and half
a decade apart (R 1000 and 500 Ω, φ = 0.9); RC + ZARC; ZARC + blocking tail (CPE Q = 1 µF s^(α−1), α = 0.9); ZARC +
5 µH.  Noise: σ = p·|Z| on each of Z′ and Z″ (p = 0.1, 1, 3 %), ``--reps`` draws each.

Metrics: relative L2 error of γ(τ) against the analytic DRT (Cole–Cole distribution of each ZARC) on the measured
window 1/(2π f_max) … 1/(2π f_min) (not defined for the RC's delta); peak τ and R error (median |rel. error| over
the true peaks matched within half a decade); false peaks (found peaks matching no true one) and missed peaks.
Peaks: "sselab" = its reported (refined) peaks; "sselab γ" and "pyDRTtools" = the same area-based peak finder
(``sselab.eis.drt.peaks.find_peaks``, prominence 3 %, area ≥ 1 %) applied to each tool's γ — a like-for-like
comparison of the two regularised DRTs.  Solver failures: exceptions, non-finite output or a fallback solver
(sselab) / a cvxopt status other than ``optimal`` (pyDRTtools, λ given) for λ = 1e-6 … 1.  Times with
single-threaded BLAS for both (``OPENBLAS_NUM_THREADS=1``).
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

from sselab.eis.drt import cole_cole, drt, drt_many  # noqa: E402
from sselab.eis.drt.peaks import find_peaks  # noqa: E402

F = np.logspace(6, -2, 81)
W = 2 * np.pi * F
NOISES = (0.001, 0.01, 0.03)


def zarc(R, tau, phi, f=F):
    return R / (1 + (2j * np.pi * f * tau) ** phi)


# name -> (Z, [(kind, R, tau, phi)] true processes)
CASES = {
    "single ZARC": ([("zarc", 1000, 1e-3, 0.85)], None),
    "2 ZARC, 1 decade": ([("zarc", 1000, 1e-4, 0.9), ("zarc", 500, 1e-3, 0.9)], None),
    "2 ZARC, ½ decade": ([("zarc", 1000, 1e-4, 0.9), ("zarc", 500, 10 ** -3.5, 0.9)], None),
    "RC + ZARC": ([("rc", 800, 1e-5, 1.0), ("zarc", 1200, 1e-2, 0.8)], None),
    "ZARC + blocking tail": ([("zarc", 1000, 1e-4, 0.85)], "tail"),
    "ZARC + inductance": ([("zarc", 1000, 1e-4, 0.85)], "L"),
}


def spectrum(case):
    procs, extra = CASES[case]
    Z = 10 + sum(zarc(R, t, p) for _, R, t, p in procs)
    if extra == "tail":
        Z = Z + 1 / (1e-6 * (1j * W) ** 0.9)
    if extra == "L":
        Z = Z + 1j * W * 5e-6
    return Z


def true_gamma(case, tau):
    procs, _ = CASES[case]
    if any(k == "rc" for k, *_ in procs):
        return None
    y = np.log(tau)
    return sum(cole_cole(y, R, math.log(t), p) for _, R, t, p in procs)


def noisy(Z, p, rng):
    return Z + p * np.abs(Z) * (rng.standard_normal(Z.size) + 1j * rng.standard_normal(Z.size))


# ---------------------------------------------------------------------------------------------------------------
# pyDRTtools, headless
def import_pydrttools():
    for name in ("pyDRTtools.GUI", "pyDRTtools.cli", "pyDRTtools.layout"):
        sys.modules.setdefault(name, types.ModuleType(name))
    with contextlib.redirect_stdout(io.StringIO()):
        import pyDRTtools.runs as runs
        from cvxopt import solvers
    solvers.options["show_progress"] = False
    import importlib.metadata as md

    return runs, md.version("pyDRTtools")


def pydrt(runs, f, Z, lam=None):
    e = runs.EIS_object(np.asarray(f, float), Z.real.copy(), Z.imag.copy())
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if lam is None:
            runs.simple_run(e, cv_type="GCV")
        else:
            runs.simple_run(e, cv_type="custom", reg_param=lam)
    return e


def pydrt_status(runs, f, Z, lam):
    """cvxopt's status for pyDRTtools' QP at a given λ (its simple_run does not keep it): same problem, same call."""
    from cvxopt import matrix, solvers

    import pyDRTtools.basics as basics

    e = runs.EIS_object(np.asarray(f, float), Z.real.copy(), Z.imag.copy())
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runs.simple_run(e, cv_type="custom", reg_param=lam)
        H, c = basics.quad_format_combined(e.A_re, e.A_im, e.b_re, e.b_im, e.M, lam)
        n = H.shape[0]
        sol = solvers.qp(matrix(H), matrix(c), matrix(-np.identity(n)), matrix(np.zeros(n)))
    return sol["status"], np.all(np.isfinite(np.ravel(e.gamma)))


# ---------------------------------------------------------------------------------------------------------------
# metrics
def window_grid():
    return np.logspace(math.log10(1 / (2 * math.pi * F.max())), math.log10(1 / (2 * math.pi * F.min())), 400)


def gamma_error(case, tau, gamma):
    grid = window_grid()
    truth = true_gamma(case, grid)
    if truth is None:
        return None
    g = np.interp(np.log(grid), np.log(tau), gamma)
    return float(np.linalg.norm(g - truth) / np.linalg.norm(truth))


def match(case, found):
    """found: list of (tau, R).  Returns (tau errors, R errors, false, missed)."""
    procs, _ = CASES[case]
    used = set()
    te, re_, missed = [], [], 0
    for _, R, t, _ in procs:
        best, bd = None, 0.5
        for j, (tf, Rf) in enumerate(found):
            d = abs(math.log10(tf / t))
            if j not in used and d < bd:
                best, bd = j, d
        if best is None:
            missed += 1
            continue
        used.add(best)
        te.append(abs(found[best][0] / t - 1))
        re_.append(abs(found[best][1] / R - 1))
    return te, re_, len(found) - len(used), missed


def area_peaks(tau, gamma):
    y = np.log(tau)
    Rpol = float(np.trapezoid(gamma, y))
    raw = find_peaks(tau, gamma, Rpol, prominence=0.03, min_fraction=0.01)
    return list(zip(np.exp(raw["ln_tau"]), raw["R_area"]))


def summarise(rows):
    """rows: list of dicts with err, te, re, false, missed."""
    errs = [r["err"] for r in rows if r["err"] is not None]
    te = [x for r in rows for x in r["te"]]
    re_ = [x for r in rows for x in r["re"]]
    return (float(np.median(errs)) if errs else None, float(np.median(te)) if te else None,
            float(np.median(re_)) if re_ else None, sum(r["false"] for r in rows), sum(r["missed"] for r in rows))


def fmt(x, pct=True):
    if x is None:
        return "—"
    return f"{100 * x:.1f} %" if pct else f"{x:.3g}"


# ---------------------------------------------------------------------------------------------------------------
def accuracy(runs, reps):
    print(f"\n## Accuracy ({reps} noise draws per cell; medians; false/missed peaks summed over the draws)\n")
    print("| case | noise | γ L2 error: sselab / pyDRTtools | τ error: sselab / sselab γ / pyDRTtools "
          "| R error: sselab / sselab γ / pyDRTtools | false peaks: sselab / sselab γ / pyDRTtools "
          "| missed: sselab / sselab γ / pyDRTtools |")
    print("|---|---|---|---|---|---|---|")
    total = {"s": [], "sg": [], "p": []}
    for case in CASES:
        Z0 = spectrum(case)
        for p in NOISES:
            rows = {"s": [], "sg": [], "p": []}
            for rep in range(reps):
                rng = np.random.default_rng(1000 * rep + int(p * 1e4))
                Z = noisy(Z0, p, rng)
                r = drt(F, Z, band=False)
                err = gamma_error(case, r.tau_s, r.gamma_ohm)
                te, re_, fa, mi = match(case, [(q.tau_s, q.R_ohm) for q in r.peaks])
                rows["s"].append(dict(err=err, te=te, re=re_, false=fa, missed=mi))
                te, re_, fa, mi = match(case, area_peaks(r.tau_s, r.gamma_ohm))
                rows["sg"].append(dict(err=err, te=te, re=re_, false=fa, missed=mi))
                e = pydrt(runs, F, Z)
                tau_p, g_p = np.asarray(e.out_tau_vec, float), np.ravel(e.gamma).astype(float)
                te, re_, fa, mi = match(case, area_peaks(tau_p, g_p))
                rows["p"].append(dict(err=gamma_error(case, tau_p, g_p), te=te, re=re_, false=fa, missed=mi))
            s, sg, pp = (summarise(rows[k]) for k in ("s", "sg", "p"))
            for k in rows:
                total[k] += rows[k]
            print(f"| {case} | {100 * p:g} % | {fmt(s[0])} / {fmt(pp[0])} | {fmt(s[1])} / {fmt(sg[1])} / {fmt(pp[1])} "
                  f"| {fmt(s[2])} / {fmt(sg[2])} / {fmt(pp[2])} | {s[3]} / {sg[3]} / {pp[3]} "
                  f"| {s[4]} / {sg[4]} / {pp[4]} |")
    s, sg, pp = (summarise(total[k]) for k in ("s", "sg", "p"))
    print(f"| **all** | | {fmt(s[0])} / {fmt(pp[0])} | {fmt(s[1])} / {fmt(sg[1])} / {fmt(pp[1])} "
          f"| {fmt(s[2])} / {fmt(sg[2])} / {fmt(pp[2])} | {s[3]} / {sg[3]} / {pp[3]} | {s[4]} / {sg[4]} / {pp[4]} |")


def lambda_sweep(runs):
    lams = np.logspace(-6, 0, 13)
    n = fail_s = fail_p = 0
    bad_p = []
    for case in CASES:
        Z0 = spectrum(case)
        for p in NOISES:
            Z = noisy(Z0, p, np.random.default_rng(7))
            for lam in lams:
                n += 1
                try:
                    r = drt(F, Z, lam=float(lam), band=False, refine=False)
                    ok = r.solver == "nnls" and np.all(np.isfinite(r.gamma_ohm)) and np.all(np.isfinite(r.Z_fit))
                except Exception:  # noqa: BLE001 - counting failures is the point here
                    ok = False
                fail_s += not ok
                try:
                    status, finite = pydrt_status(runs, F, Z, float(lam))
                    okp = status == "optimal" and finite
                except Exception as e:  # noqa: BLE001
                    okp, status = False, type(e).__name__
                if not okp:
                    fail_p += 1
                    bad_p.append((case, p, f"{lam:.0e}", status))
    print(f"\n## Solver failures for λ = 1e-6 … 1 (13 values × 6 cases × 3 noise levels = {n} solves)\n")
    print(f"| tool | failures |\n|---|---|\n| sselab (NNLS on the augmented system) | {fail_s} / {n} |"
          f"\n| pyDRTtools (cvxopt QP on the normal equations) | {fail_p} / {n} |")
    if bad_p:
        from collections import Counter

        by_lam = sorted(Counter(b[2] for b in bad_p).items())
        print("\npyDRTtools failures by λ: " + ", ".join(f"{k}: {v}" for k, v in by_lam))
        print("statuses: " + ", ".join(sorted({b[3] for b in bad_p})))


def timing(runs, n_series, n_py_series, quick):
    print("\n## Time\n")
    Z = noisy(spectrum("2 ZARC, 1 decade"), 0.01, np.random.default_rng(1))
    drt(F, Z)  # warm caches (kernel tables)
    k = 5 if quick else 20

    def per(fn):
        t = time.perf_counter()
        for _ in range(k):
            fn()
        return (time.perf_counter() - t) / k

    t_s = per(lambda: drt(F, Z, band=False))
    t_sb = per(lambda: drt(F, Z))
    t_p = per(lambda: pydrt(runs, F, Z))
    print("| per spectrum (2 ZARCs, 81 points) | time | vs pyDRTtools |\n|---|---|---|")
    print(f"| pyDRTtools simple_run (GCV) | {1e3 * t_p:.0f} ms | 1× |")
    print(f"| sselab drt, no band | {1e3 * t_s:.0f} ms | {t_p / t_s:.1f}× |")
    print(f"| sselab drt, 100-replicate band | {1e3 * t_sb:.0f} ms | {t_p / t_sb:.1f}× |")

    # a 1000-spectrum temperature series of a blocking pellet (bulk + grain boundary + electrode tail)
    from sselab.simulate import ArrheniusLaw, eis_blocking

    T = np.linspace(253.15, 373.15, n_series)
    rng = np.random.default_rng(0)
    spectra = [eis_blocking(t, bulk=ArrheniusLaw(0.01, 0.45), gb=ArrheniusLaw(0.003, 0.6), noise=0.005,
                            rng=rng).impedance() for t in T]
    t0 = time.perf_counter()
    res = drt_many(spectra, band=False)
    t_ser = time.perf_counter() - t0
    idx = np.linspace(0, n_series - 1, min(n_py_series, n_series)).astype(int)
    t0 = time.perf_counter()
    for i in idx:
        pydrt(runs, *spectra[i])
    t_py = (time.perf_counter() - t0) / idx.size * n_series
    extra = "" if idx.size == n_series else f" (timed on {idx.size} evenly spaced spectra, scaled to {n_series})"
    print(f"\n| {n_series}-spectrum series (blocking pellet −20…100 °C, 66 points each, 0.5 % noise) | time | "
          f"spectra/s |\n|---|---|---|")
    print(f"| pyDRTtools simple_run, one by one{extra} | {t_py:.1f} s | {n_series / t_py:.1f} |")
    print(f"| sselab drt_many (no band) | {t_ser:.1f} s | {n_series / t_ser:.1f} — **{t_py / t_ser:.1f}×** |")
    return res


def real_files(runs):
    """The same real files through both tools: sselab's reported peaks and the area peaks of pyDRTtools' γ."""
    from sselab.io import read

    root = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "instruments")
    files = [("ciuccislab+pyDRTtools", "EIS data", "text files", n) for n in
             ("zarc_data.txt", "negami_data.txt", "LIB_data.txt", "LIB_data_2.txt")]
    files += [("ciuccislab+pyDRTtools", "EIS data", "csv files", "data_1.csv")]
    files += [("Sheyigold+EISFitpython", "EIS_Data", "Example-2", n) for n in
              ("Example2a.txt", "Example2b.txt", "Example2c.txt")]
    print("\n## Real and example files, both tools (τ in s, R in Ω; sselab: reported peaks ± standard error; "
          "pyDRTtools: area peaks of its γ)\n")
    print("| file | sselab R∞ | sselab peaks | sselab flags | pyDRTtools R∞ | pyDRTtools γ peaks |")
    print("|---|---|---|---|---|---|")
    for parts in files:
        p = os.path.join(root, *parts)
        if not os.path.exists(p):
            continue
        f, z = read(p).spectra()[0]
        keep = f > 0
        f, z = f[keep], z[keep]
        r = drt(f, z, band=False)
        sp = "; ".join(f"{q.tau_s:.3g} / {q.R_ohm:.4g} ± {q.R_err_ohm:.2g}" if q.R_err_ohm is not None
                       else f"{q.tau_s:.3g} / {q.R_ohm:.4g}" for q in r.peaks)
        try:
            e = pydrt(runs, f, z)
            pk = area_peaks(np.asarray(e.out_tau_vec, float), np.ravel(e.gamma).astype(float))
            pp = "; ".join(f"{t:.3g} / {R:.4g}" for t, R in pk)
            rinf = f"{float(np.ravel(e.R)[0]):.4g}"
        except Exception as ex:  # noqa: BLE001 - report the other tool's failure, do not hide it
            pp, rinf = f"failed: {type(ex).__name__}", "—"
        print(f"| {parts[-1]} | {r.R_inf_ohm:.4g} | {sp} | {', '.join(r.flags) or '—'} | {rinf} | {pp} |")


def real_data():
    from sselab import recipes
    from sselab.cell import CellSpec
    from sselab.io import read
    from sselab.simulate import ArrheniusLaw, eis_blocking

    print("\n## Real and simulated series\n")
    root = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "instruments")
    spec = recipes.get("eis.drt")
    p = os.path.join(root, "Sheyigold+EISFitpython", "EIS_Data", "Example-2", "Example2b.txt")
    if os.path.exists(p):
        r = spec.run([read(p)], band=False).details.results[0]
        print("EISFitpython Example2b (LAGP pellet; published fit R1 = 4.471e4 Ω, n1 = 0.850; R2 = 4.712e4 Ω, "
              "n2 = 0.819):")
        for q in r.peaks:
            print(f"  τ = {q.tau_s:.3g} s, R = {q.R_ohm:.4g} ± {q.R_err_ohm:.2g} Ω, α = {q.alpha:.3f}, "
                  f"C = {q.C_F:.3g} F, {q.assignment}")
        print(f"  flags: {', '.join(r.flags)}")
    # simulated VT series with known Ea per process
    T = np.arange(253.15, 333.15, 10.0)
    rng = np.random.default_rng(11)
    from sselab.eis.drt import drt_series

    sims = [eis_blocking(t, bulk=ArrheniusLaw(0.01, 0.45), gb=ArrheniusLaw(0.003, 0.6), noise=0.005, rng=rng)
            for t in T]
    ser = drt_series([s.impedance() for s in sims], T_K=T, cell=CellSpec.from_strings(thickness="1mm",
                                                                                      diameter="10mm"), band=False)
    print("\nSimulated Au|SSE|Au series −20…60 °C (Ea bulk 0.45 eV, grain boundary 0.60 eV):")
    for t in ser.tracks:
        print(f"  {t.name}: {len(t.index)} spectra, Ea = {t.Ea_eV:.4f} ± {t.Ea_err_eV:.4f} eV, "
              f"median C = {t.C_median_F:.3g} F {('— ' + t.note) if t.note else ''}")
    p = os.path.join(root, "datalab-org+datalab-app-plugin-insitu", "example_data", "Example-TEGDME",
                     "LiLiTEGDMEinsitu_02", "eChem",
                     "jr862_11_08_23_insitu-impedance-LiLi_1MLiTFSI_TEGDME-1mA_02_GEIS_C05.mpr")
    if os.path.exists(p):
        res = spec.run([read(p)], band=False)
        ser = res.details
        print(f"\nLi|Li in-situ GEIS series ({len(ser.results)} spectra, 9 points each, 500 Hz – 0.8 Hz; time axis):")
        for t in ser.tracks:
            print(f"  {t.name}: {len(t.index)} spectra, median τ = {np.median(t.tau_s):.3g} s, median R = "
                  f"{np.median(t.R_ohm):.3g} Ω, median C = {t.C_median_F:.3g} F")
        print("  flags: " + "; ".join(f"{f.code} ({f.where})" for f in res.flags))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--series", type=int, default=1000)
    ap.add_argument("--py-series", type=int, default=None, help="time pyDRTtools on this many of the series "
                                                                 "(default: all)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip", default="", help="comma list of sections to skip: accuracy,lambda,time,real")
    a = ap.parse_args()
    runs, ver = import_pydrttools()
    import scipy

    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"# DRT benchmark\n\nsselab.eis.drt vs pyDRTtools {ver} (simple_run, defaults, GCV); Python "
          f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}; "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}; load at start: `{load}`")
    skip = set(a.skip.split(","))
    if "accuracy" not in skip:
        accuracy(runs, a.reps)
    if "lambda" not in skip:
        lambda_sweep(runs)
    if "time" not in skip:
        timing(runs, a.series, a.py_series or a.series, a.quick)
    if "real" not in skip:
        real_files(runs)
        real_data()
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"\nload at end: `{load}`")


if __name__ == "__main__":
    main()
