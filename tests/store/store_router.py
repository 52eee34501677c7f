"""A small router with two test analyses (plain functions, not registered: the recipes' routing must not see
them), for testing the store and batch machinery independently of the real
recipes: one unit per impedance file (blocking-cell fit with ``sselab.eis.fit_batch``) and one Arrhenius unit over
all of them (``sselab.transport.arrhenius.fit_arrhenius``), fed by the file units' results (``after``).

Importable by worker processes (the test process puts this folder on ``sys.path``; spawned pool and Dask workers
inherit it).  ``SSELAB_TEST_UNIT_SLEEP`` (seconds) slows every file unit down, for the kill-and-resume test.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from sselab.cell import CellSpec
from sselab.recipes import RecipeResult, RecipeTable, Value
from sselab.store.work import Job

ROUTER_VERSION = "test-1"
CIRCUIT = "R0-p(R1,CPE1)-CPE2"
THICKNESS_M = 1.0e-3
DIAMETER_M = 10e-3
#: simulated σ(T) law of the test pellet: σ(30 °C) = 1 µS/cm, Ea = 0.45 eV
SIGMA30_S_PER_M = 1e-4
EA_EV = 0.45


def eis_blocking(measurements, cell=None, *, circuit: str = CIRCUIT) -> RecipeResult:
    """Test recipe: one-arc blocking fit of every spectrum; σ = L/(A·R1)."""
    from sselab.eis import fit_batch

    spectra, temps, files = [], [], []
    for m in measurements:
        for f, z in m.spectra():
            spectra.append((f, z))
            temps.append(m.temperature_K)
            files.append(m.name)
    fits = fit_batch(spectra, circuit, labels=files)
    k = cell.geometric_factor_m
    fit_rows, pts = [], []
    for s, (fr, T, name) in enumerate(zip(fits, temps, files)):
        for p in fr.param_names:
            fit_rows.append((s, name, T, fr.circuit, p, float(fr.params[p]), float(fr.stderr[p]),
                             "ohm" if p.startswith("R") else "", False, float(fr.chi2_reduced), bool(fr.success),
                             None))
        R, Re = fr.resistance("R1")
        pts.append((s, name, T, R, Re, k / R, k / R * Re / R))
    sig0 = pts[0]
    return RecipeResult(
        "test.store.eis_blocking", cell.name, tuple(files), {"circuit": circuit},
        (Value("R1_ohm", sig0[3], "ohm", sig0[4], "R1"),
         Value("sigma_S_per_m", sig0[5], "S/m", sig0[6], "σ", "mS/cm"),
         Value("T_K", sig0[2], "K", label="T", display_unit="degC")),
        (),
        (RecipeTable("fits", ("spectrum", "file", "T_K", "circuit", "param", "value", "stderr", "unit", "fixed",
                              "chi2_reduced", "success", "warnings"), tuple(fit_rows)),
         RecipeTable("eis_spectra", ("spectrum", "file", "T_K", "R_ohm", "R_stderr_ohm", "sigma_S_per_m",
                                     "sigma_stderr_S_per_m"), tuple(pts))),
        {"freq_Hz": [list(map(float, f)) for f, _ in spectra]})


def arrhenius(points, cell=None) -> RecipeResult:
    """Test recipe: σT Arrhenius fit to ``[(T_K, σ, σ_err, file), ...]``."""
    from sselab.transport.arrhenius import fit_arrhenius

    pts = sorted(points)
    T = np.array([p[0] for p in pts])
    s = np.array([p[1] for p in pts])
    e = np.array([p[2] for p in pts])
    fit = fit_arrhenius(T, s, e, convention="sigmaT")
    return RecipeResult(
        "test.store.arrhenius", "test pellet", tuple(p[3] for p in pts), {"convention": "sigmaT"},
        (Value("Ea_eV", fit.Ea_eV, "eV", fit.Ea_err_eV, "Ea"),
         Value("sigma_30C_S_per_m", fit.sigma_30C_S_per_m, "S/m", None, "σ(30 °C)", "mS/cm")),
        (), (RecipeTable("arrhenius_points", ("T_K", "sigma_S_per_m", "sigma_stderr_S_per_m", "file"),
                         tuple(pts)),))


def cell() -> CellSpec:
    return CellSpec("test pellet", thickness_m=THICKNESS_M, diameter_m=DIAMETER_M)


def units_of_work(folder, manifest) -> list[Job]:
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*.mpt"))
    jobs = [Job(f"file:{p.relative_to(folder).as_posix()}", "file", (str(p.resolve()),), {"circuit": CIRCUIT})
            for p in files]
    jobs.append(Job("arrhenius:test pellet", "arrhenius", (), {"convention": "sigmaT"},
                    after=tuple(j.id for j in jobs)))
    return jobs


def run(job: Job, measurements: dict, upstream: dict) -> list:
    if job.kind == "arrhenius":
        pts = []
        for uid in job.after:
            for res in upstream.get(uid, ()):
                t = res.table("eis_spectra")
                c = {n: i for i, n in enumerate(t.columns)}
                pts += [(r[c["T_K"]], r[c["sigma_S_per_m"]], r[c["sigma_stderr_S_per_m"]], r[c["file"]])
                        for r in t.rows]
        return [arrhenius(pts)] if len({p[0] for p in pts}) >= 2 else []
    delay = float(os.environ.get("SSELAB_TEST_UNIT_SLEEP", "0") or 0)
    if delay:
        time.sleep(delay)
    ms = [measurements[p] for p in job.inputs if p in measurements]
    if not ms:
        return []
    return [eis_blocking(ms, cell(), circuit=job.params["circuit"])]


def file_info(job: Job, path: str) -> dict:
    return {"cell": "test pellet"}


def write_series(folder, temps_C=(30, 40, 50, 60, 70, 80, 90, 100), seed: int = 7) -> list[Path]:
    """Blocking-cell spectra of the test pellet (one .mpt per temperature), σ(T) = the law above."""
    from sselab.simulate import ArrheniusLaw, default_frequencies, eis_blocking

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    law = ArrheniusLaw(SIGMA30_S_PER_M, EA_EV)
    rng = np.random.default_rng(seed)
    out = []
    for tc in temps_C:
        sim = eis_blocking(tc + 273.15, thickness_m=THICKNESS_M, diameter_m=DIAMETER_M, bulk=law, gb=None, R0=0.5,
                           f=default_frequencies(1e7, 1.0, 5), noise=0.002, rng=rng)
        out.append(sim.write(folder / f"pellet_{tc}C.mpt"))
    return out
