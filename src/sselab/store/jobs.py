"""What ``sselab batch`` analyses: the routing from a folder (+ manifest) to units of work, and running one.

THIS IS THE ONE MODULE COUPLING THE STORE TO THE ANALYSIS.  The store and the executors (:mod:`sselab.batch`)
only call the router interface below; they know nothing about electrochemistry.

* :func:`units_of_work` ``(folder, manifest) -> list[Job]`` — which files form a unit and what runs on them;
* :func:`run` ``(job, measurements, upstream) -> list[RecipeResult]`` — analyse one unit;
* :func:`file_info` ``(job, path) -> dict`` — the cell and temperature of an input (for the ``files`` table);
* :data:`ROUTER_VERSION` — part of every unit's key (bump it when the routing changes its answers).

INTERIM (until the recipes land, branch ``recipes``): the analysis below reproduces the HTML report's own choices
(:mod:`sselab.report.sections`: circuits, bounds, the one-/two-arc choice, windows) with the analysis primitives and
wraps the answers in RecipeResults, so the store gives the report's numbers.  At merge time replace
:func:`units_of_work` and :func:`run` by calls to the recipes-level routing (folder + manifest → which recipe runs on
which files; ``recipes.get(name).run(measurements, cell, **options)``), keep the signatures, and bump
:data:`ROUTER_VERSION`.  Units: one per manifest cell (all its files), one per file outside the manifest, and one
per material for the Arrhenius fit over the material's blocking-electrode cells (``after`` = those cells).
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from .work import Job

__all__ = ["ROUTER_VERSION", "units_of_work", "run", "file_info"]

ROUTER_VERSION = "interim-report-1"

EIS_TECHNIQUES = ("EIS", "PEIS", "GEIS")


# ---------------------------------------------------------------------------------------------------------------
# routing
# ---------------------------------------------------------------------------------------------------------------

def _cell_doc(cell) -> dict:
    return {"name": cell.name, "thickness_m": cell.thickness_m, "diameter_m": cell.diameter_m,
            "area_m2_given": cell.area_m2_given, "pellet_mass_kg": cell.pellet_mass_kg, "formula": cell.formula,
            "material": cell.material, "electrodes": list(cell.electrodes), "temperature_K": cell.temperature_K,
            "active_mass_kg": cell.active_mass_kg}


def _cell(doc):
    from ..cell import CellSpec

    if not doc:
        return None
    d = dict(doc)
    d["electrodes"] = tuple(d.get("electrodes") or ("Au", "Au"))
    return CellSpec(**d)


def units_of_work(folder, manifest) -> list[Job]:
    """One unit per manifest cell, one per file outside the manifest, one Arrhenius unit per material."""
    from ..report.build import collect_files

    folder = Path(folder)
    base = (folder if folder.is_dir() else folder.parent).resolve()

    def rel(p: Path) -> str:
        try:
            return p.relative_to(base).as_posix()
        except ValueError:
            return str(p)

    paths = collect_files(folder, manifest)
    jobs: list[Job] = []
    assigned: set[Path] = set()
    by_material: dict[str, list[str]] = defaultdict(list)
    for cell in (manifest.cells if manifest is not None else ()):
        files = list(dict.fromkeys(Path(fe.path).resolve() for fe in cell.files))
        if not files:
            continue
        assigned.update(files)
        temps = {rel(Path(fe.path).resolve()): fe.temperature_K for fe in cell.files if fe.temperature_K}
        jid = f"cell:{cell.name}"
        # params name files relative to the folder: a moved folder keeps its keys
        jobs.append(Job(jid, "cell", tuple(str(p) for p in files),
                        {"cell": _cell_doc(cell), "files": [rel(p) for p in files], "temperatures_K": temps}))
        if cell.kind == "blocking":
            by_material[cell.material or cell.name].append(jid)
    for mat, cells in by_material.items():
        jobs.append(Job(f"arrhenius:{mat}", "arrhenius", (), {"material": mat, "convention": "sigmaT"},
                        after=tuple(cells)))
    for p in paths:
        if p in assigned:
            continue
        jobs.append(Job(f"file:{rel(p)}", "file", (str(p),), {"files": [rel(p)]}))
    return jobs


def _rels(job: Job) -> dict[str, str]:
    """Input path → its path relative to the analysed folder."""
    return dict(zip(job.inputs, job.params.get("files") or [Path(p).name for p in job.inputs]))


def file_info(job: Job, path: str) -> dict:
    cell = job.params.get("cell")
    t = (job.params.get("temperatures_K") or {}).get(_rels(job).get(path))
    if t is None and cell:
        t = cell.get("temperature_K")
    return {"cell": cell["name"] if cell else None, "temperature_K": t}


# ---------------------------------------------------------------------------------------------------------------
# running one unit
# ---------------------------------------------------------------------------------------------------------------

def run(job: Job, measurements: dict, upstream: dict) -> list:
    """Analyse one unit (see the module docstring); a result per analysis, in a stable order."""
    if job.kind == "arrhenius":
        res = _arrhenius(job, upstream)
        return [res] if res is not None else []
    cell = _cell(job.params.get("cell"))
    temps = job.params.get("temperatures_K") or {}
    rel = _rels(job)
    recs = []
    for p in job.inputs:
        m = measurements.get(p)
        if m is None:
            continue
        tech = m.technique or "unknown"
        if tech == "unknown" and m.is_eis:
            tech = "EIS"
        T = temps.get(rel[p])
        if T is None and cell is not None:
            T = cell.temperature_K
        if T is None:
            T = m.temperature_K
        recs.append((p, rel[p], m, tech, T))
    out = []
    eis = [r for r in recs if r[3] in EIS_TECHNIQUES]
    if eis:
        out.append(_eis(cell, eis, job))
    for p, r, m, tech, _T in recs:
        if tech == "CA":
            out.append(_dcpol(cell, p, r, m, job))
        elif tech in ("CV", "LSV"):
            out.append(_cv(cell, p, r, m, job))
        elif tech in ("GCPL", "CP", "CYCLING", "MB"):
            res = _cycling(cell, p, r, m, job)
            if res is not None:
                out.append(res)
    return out


def _subject(cell, rel) -> str:
    return cell.name if cell is not None else f"(no cell) {rel}"


def _flag_code(text: str) -> str:
    t = re.sub(r"\s*\([^)]*\)", "", str(text)).strip().lower()
    t = re.sub(r"[^a-z0-9]+", "-", t).strip("-")
    return t[:48].rstrip("-") or "warning"


def _flags(warnings, prefix: str, where=None) -> list:
    from ..recipes import Flag

    out = []
    for w in warnings:
        msg = " ".join(str(w).split())
        if msg:
            out.append(Flag(f"{prefix}.{_flag_code(msg)}", msg, "warning", where))
    return out


def _fin(x):
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


# -- impedance --------------------------------------------------------------------------------------------------

def _spectrum_temperatures(m, cell, T_file):
    """Per-spectrum temperatures from a ``temperature_K`` column (one per cycle), unless the manifest fixes it."""
    d = m.data
    if "temperature_K" not in d.columns or (cell is not None and T_file is not None
                                             and cell.temperature_K is not None):
        return None
    t = d["temperature_K"].to_numpy(dtype=float)
    if not np.isfinite(t).any() or np.nanmax(t) - np.nanmin(t) < 0.5:
        return None
    if "cycle" in d.columns and d["cycle"].nunique() > 1:
        import pandas as pd

        c = d["cycle"].to_numpy()
        return [float(np.nanmedian(t[c == k])) for k in pd.unique(c)]
    return None


def _eis(cell, recs, job):
    from ..eis import derive, fit_batch
    from ..errors import AnalysisError, SselabError
    from ..recipes import Flag, RecipeResult, RecipeTable, Value
    from ..report import sections as S

    kind = cell.kind if cell is not None else "blocking"
    if kind == "symmetric":
        circuit, total, bounds = S.SYMMETRIC_CIRCUIT, S.SYMMETRIC_TOTAL, S.SYMMETRIC_BOUNDS
    else:
        circuit, total, bounds = S.BLOCKING_CIRCUIT, S.BLOCKING_TOTAL, S.BLOCKING_BOUNDS
    subject = _subject(cell, recs[0][1])
    flags = []
    spectra, temps, srcs = [], [], []
    for _p, rel, m, _tech, T in recs:
        tin = _spectrum_temperatures(m, cell, T)
        for k, (f, z) in enumerate(m.spectra()):
            ok = np.isfinite(f) & np.isfinite(z.real) & np.isfinite(z.imag) & (f > 0)
            if ok.sum() < 8:
                flags.append(Flag("eis.too-few-points", f"{rel}: spectrum {k + 1} has fewer than 8 usable points; "
                                                        f"left out", "warning", rel))
                continue
            spectra.append((f[ok], z[ok], k + 1))
            temps.append(tin[k] if tin and k < len(tin) else T)
            srcs.append(rel)
    if not spectra:
        raise AnalysisError(f"{subject}: no usable impedance spectrum")
    order = sorted(range(len(spectra)), key=lambda i: (temps[i] is None, temps[i] or 0))
    spectra = [spectra[i] for i in order]
    temps = [temps[i] for i in order]
    srcs = [srcs[i] for i in order]
    pairs = [(f, z) for f, z, _ in spectra]
    fits = fit_batch(pairs, circuit, bounds=bounds, labels=srcs)
    totals = [total] * len(fits)
    if kind != "symmetric":
        try:
            fits2 = fit_batch(pairs, S.BLOCKING2_CIRCUIT, bounds=S.BLOCKING2_BOUNDS, labels=srcs)
        except SselabError as exc:
            fits2 = [None] * len(fits)
            flags.append(Flag("eis.two-arc-failed", f"two-arc fits failed ({exc}); one arc used throughout"))
        for i, (f1, f2) in enumerate(zip(fits, fits2)):
            if f2 is None or not f2.success:
                continue
            R2, e2 = f2.resistance(S.BLOCKING2_TOTAL)
            if (f2.chi2_reduced < S.TWO_ARC_CHI2_RATIO * f1.chi2_reduced and math.isfinite(e2)
                    and 0 < e2 < 0.05 * R2):
                fits[i] = f2
                totals[i] = S.BLOCKING2_TOTAL
    k_geo = None
    if cell is not None:
        try:
            k_geo = cell.geometric_factor_m
        except SselabError as exc:
            flags.append(Flag("eis.no-geometry", str(exc), "info"))
    else:
        flags.append(Flag("eis.no-cell", "no cell in the manifest for this file: resistances only (give thickness "
                                         "and diameter in a cells.yaml to get conductivities)", "info"))
    fit_rows, spec_rows = [], []
    sig0 = None
    grouped: dict[str, list[str]] = defaultdict(list)
    for s, ((_f, _z, k), fr, T, rel, tot) in enumerate(zip(spectra, fits, temps, srcs, totals)):
        R, Re = fr.resistance(tot)
        sig = sig_e = None
        if k_geo is not None and R > 0:
            sig, sig_e = derive.conductivity(R, Re, cell)
            sig_e = _fin(sig_e)
        asr = asr_e = None
        if kind == "symmetric" and S.SYMMETRIC_INTERFACE in fr.params and cell is not None and cell.area_m2:
            asr, asr_e = derive.asr(*fr.resistance(S.SYMMETRIC_INTERFACE), cell, symmetric=True)
        if s == 0:
            sig0 = (sig, sig_e, T, asr, asr_e)
        warn = "; ".join(str(w) for w in fr.warnings)
        for name in fr.param_names:
            unit = _param_unit(name)
            fit_rows.append((s, rel, _fin(T), fr.circuit, name, _fin(fr.params[name]), _fin(fr.stderr.get(name)),
                             unit, name in fr.fixed, _fin(fr.chi2_reduced), bool(fr.success), warn or None))
        spec_rows.append((s, rel, k, _fin(T), fr.circuit, tot, _fin(R), _fin(Re), _fin(sig), sig_e, _fin(asr),
                          _fin(asr_e), 2 if tot == S.BLOCKING2_TOTAL else 1, _fin(fr.chi2_reduced), bool(fr.success)))
        where = f"{T - 273.15:.0f} °C" if T is not None else rel
        for w in fr.warnings:
            grouped[re.sub(r"\s*\([^)]*\)", "", str(w)).strip()].append(where)
    for w, where in grouped.items():
        uniq = list(dict.fromkeys(where))
        flags.append(Flag(f"eis.{_flag_code(w)}", f"{w} — {', '.join(uniq[:8])}"
                          + (f" and {len(uniq) - 8} more" if len(uniq) > 8 else ""), "warning"))
    values = [Value("n_spectra", len(fits), "", label="spectra fitted")]
    sig, sig_e, T0, asr, asr_e = sig0
    if sig is not None and T0 is not None:
        values.append(Value(f"sigma_{T0 - 273.15:.0f}C_S_per_m", sig, "S/m", sig_e, f"σ({T0 - 273.15:.0f} °C)",
                            "mS/cm", where=srcs[0]))
    if asr is not None:
        values.append(Value("asr_interface_ohm_m2", asr, "ohm m2", _fin(asr_e),
                            "ASR per Li interface" + (f" at {T0 - 273.15:.0f} °C" if T0 is not None else ""),
                            "ohm cm2", where=srcs[0]))
    tables = (
        RecipeTable("fits", ("spectrum", "file", "T_K", "circuit", "param", "value", "stderr", "unit", "fixed",
                             "chi2_reduced", "success", "warnings"), tuple(fit_rows), "Equivalent-circuit fits"),
        RecipeTable("eis_spectra", ("spectrum", "file", "sweep", "T_K", "circuit", "resistance", "R_ohm",
                                    "R_stderr_ohm", "sigma_S_per_m", "sigma_stderr_S_per_m", "asr_interface_ohm_m2",
                                    "asr_stderr_ohm_m2", "arcs", "chi2_reduced", "success"), tuple(spec_rows),
                    "One row per spectrum"),
    )
    opts = {"circuit": circuit, "resistance": total, "bounds": bounds, "two_arc_circuit": S.BLOCKING2_CIRCUIT
            if kind != "symmetric" else None, "two_arc_chi2_ratio": S.TWO_ARC_CHI2_RATIO, "weighting": "modulus",
            "cell_kind": kind}
    return RecipeResult("eis.symmetric" if kind == "symmetric" else "eis.blocking", subject,
                        tuple(sorted(set(r[1] for r in recs))), opts, tuple(values), tuple(flags), tables,
                        {"T_K": [_fin(t) for t in temps],
                         "R_ohm": [r[6] for r in spec_rows], "sigma_S_per_m": [r[8] for r in spec_rows]},
                        details=fits)


def _param_unit(name: str) -> str:
    if name.endswith("_alpha") or name.endswith("_n"):
        return ""
    if name.endswith("_Q"):
        return "F s^(alpha-1)"
    head = re.match(r"[A-Za-z]+", name)
    return {"R": "ohm", "C": "F", "L": "H", "W": "ohm s^-0.5"}.get(head.group(0) if head else "", "")


# -- Arrhenius --------------------------------------------------------------------------------------------------

def _arrhenius(job, upstream):
    from ..recipes import RecipeResult, RecipeTable, Value
    from ..transport.arrhenius import fit_arrhenius

    pts = []
    for uid in job.after:
        for res in upstream.get(uid, ()):
            if not res.recipe.startswith("eis.") or res.options.get("cell_kind") not in ("blocking", None):
                continue
            try:
                t = res.table("eis_spectra")
            except KeyError:
                continue
            c = {name: i for i, name in enumerate(t.columns)}
            for row in t.rows:
                T, s, e = row[c["T_K"]], row[c["sigma_S_per_m"]], row[c["sigma_stderr_S_per_m"]]
                if T is not None and s is not None:
                    pts.append((float(T), float(s), e, row[c["file"]], res.subject))
    if len({round(p[0], 2) for p in pts}) < 2:
        return None
    pts.sort(key=lambda p: (p[0], p[1]))
    T = np.array([p[0] for p in pts])
    s = np.array([p[1] for p in pts])
    e = np.array([p[2] if p[2] else np.nan for p in pts], float)
    err = e if np.all(np.isfinite(e)) and np.all(e > 0) else None
    conv = job.params.get("convention", "sigmaT")
    fit = fit_arrhenius(T, s, err, convention=conv)
    q = fit.t_quantile or 1.96
    ci30, ci25 = fit.sigma_30C_ci95_S_per_m, fit.sigma_25C_ci95_S_per_m
    vals = (
        Value("Ea_eV", fit.Ea_eV, "eV", _fin(fit.Ea_err_eV), "Ea",
              ci95=tuple(fit.Ea_ci95_eV) if fit.Ea_ci95_eV else None),
        Value("sigma_30C_S_per_m", fit.sigma_30C_S_per_m, "S/m", (ci30[1] - ci30[0]) / 2 / q if ci30 else None,
              "σ(30 °C)", "mS/cm", ci95=tuple(ci30) if ci30 else None),
        Value("sigma_25C_S_per_m", fit.sigma_25C_S_per_m, "S/m", (ci25[1] - ci25[0]) / 2 / q if ci25 else None,
              "σ(25 °C)", "mS/cm", ci95=tuple(ci25) if ci25 else None,
              note="extrapolated below the measured range" if fit.sigma_25C_extrapolated else None),
        Value("prefactor", fit.prefactor, fit.prefactor_unit.replace("·", " "), label="σ0"),
        Value("n_points", fit.n_points, "", label="temperatures"),
        Value("T_min_K", fit.T_min_K, "K", label="lowest T", display_unit="degC"),
        Value("T_max_K", fit.T_max_K, "K", label="highest T", display_unit="degC"),
        Value("r_squared", fit.r_squared, "", label="R²"),
    )
    table = RecipeTable("arrhenius_points", ("T_K", "sigma_S_per_m", "sigma_stderr_S_per_m", "file", "cell"),
                        tuple((p[0], p[1], _fin(p[2]), p[3], p[4]) for p in pts), "Conductivity points")
    return RecipeResult("transport.arrhenius", job.params.get("material", job.id), tuple(sorted({p[3] for p in pts})),
                        {"convention": conv, "weighted": err is not None, "cells": list(job.after)}, vals,
                        tuple(_flags(fit.warnings, "arrhenius")), (table,),
                        {"T_line_K": fit.T_line_K, "sigma_line_S_per_m": fit.sigma_line_S_per_m,
                         "sigma_line_lo_S_per_m": fit.sigma_line_lo_S_per_m,
                         "sigma_line_hi_S_per_m": fit.sigma_line_hi_S_per_m}, details=fit)


# -- DC polarisation, CV, cycling ---------------------------------------------------------------------------------

def _dcpol(cell, path, rel, m, job):
    from ..recipes import RecipeResult, Value
    from ..transport import polarization as pol

    kind = cell.kind if cell is not None else "blocking"
    t = m.column("time_s")
    span = float(np.nanmax(t) - np.nanmin(t)) if t.size else 0.0
    window = pol.DEFAULT_WINDOW_S
    flags = []
    if span < 4 * window:
        window = max(span * 0.1, 1e-9)
        flags += _flags([f"record is {span:.4g} s long: I_f averaged over its last {window:.3g} s (10 %) instead "
                         f"of the last 30 min"], "dcpol", rel)
    res = pol.analyze_polarization(m, window_s=window, thickness_m=getattr(cell, "thickness_m", None),
                                   area_m2=cell.area_m2 if cell is not None else None,
                                   electrodes={"symmetric": "li", "li-blocking": "li-blocking"}.get(kind, "blocking"))
    se = res.sigma_e_S_per_m
    se_err = getattr(res, "sigma_e_se_S_per_m", None)
    if se is not None and se_err is None and res.i_final_A:
        se_err = se * res.i_final_se_A / res.i_final_A
    vals = [Value("voltage_V", res.voltage_V, "V", label="applied voltage"),
            Value("i_initial_A", res.i_initial_A, "A", _fin(res.i_initial_se_A), "I₀"),
            Value("i_final_A", res.i_final_A, "A", _fin(res.i_final_se_A), "I_f"),
            Value("window_s", res.window_s, "s", label="averaging window")]
    if se is not None:
        vals.append(Value("sigma_e_S_per_m", se, "S/m", _fin(se_err), "σe", "nS/cm"))
    vals += [Value("t_ion", res.t_i, "", label="t_i"), Value("t_e", res.t_e, "", _fin(res.t_e_se), "t_e")]
    if res.fit is not None and len(res.fit.tau_s):
        taus = list(zip(res.fit.tau_s, res.fit.tau_se_s, res.fit.amplitudes_A))
        k = int(np.argmax([abs(a) * tt for tt, _, a in taus]))
        vals.append(Value("tau_s", taus[k][0], "s", _fin(taus[k][1]), "τ (main)"))
    return RecipeResult("transport.dcpol", _subject(cell, rel), (rel,),
                        {"window_s": window, "electrodes": kind}, tuple(vals),
                        tuple(flags + _flags(res.warnings, "dcpol", rel)))


def _cv(cell, path, rel, m, job):
    from .. import voltammetry as vol
    from ..recipes import RecipeResult, RecipeTable, Value

    e_min = float(np.nanmin(m.column("potential_V")))
    lo, hi = getattr(vol, "DEFAULT_WINDOW_V", (-0.5, 0.5))
    window = (min(lo, e_min - 0.01), hi)
    res = vol.analyze_cv(m, window_V=window, area_m2=cell.area_m2 if cell else None,
                         pellet_mass_kg=getattr(cell, "pellet_mass_kg", None), formula=getattr(cell, "formula", None))
    win = res.stability_window_V
    vals = [Value("n_cycles", int(res.n_cycles), "", label="cycles"),
            Value("q_plate_total_C", res.total_plate_C, "C", label="Σ plated"),
            Value("q_strip_total_C", res.total_strip_C, "C", label="Σ stripped")]
    if res.imbalance_pct_of_pellet_Li is not None:
        vals.append(Value("imbalance_pct_of_pellet_Li", res.imbalance_pct_of_pellet_Li, "%",
                          label="Li plated − stripped (% of pellet Li)"))
    if res.ox_onset_V is not None:
        vals.append(Value("ox_onset_V", res.ox_onset_V, "V", label="oxidative onset"))
    if res.red_onset_V is not None:
        vals.append(Value("red_onset_V", res.red_onset_V, "V", label="reductive onset"))
    vals += [Value("window_lower_V", float(win[0]), "V", label="stability window, lower",
                   bound=None if res.red_limit_found else "<="),
             Value("window_upper_V", float(win[1]), "V", label="stability window, upper",
                   bound=None if res.ox_limit_found else ">=")]
    if len(res.q_plate_C):
        vals += [Value("q_plate_first_C", float(res.q_plate_C[0]), "C", label="Q plate, cycle 1"),
                 Value("q_plate_last_C", float(res.q_plate_C[-1]), "C", label=f"Q plate, cycle {res.n_cycles}")]
        ratio = np.asarray(res.strip_plate_ratio, float)
        if np.isfinite(ratio).any():
            vals.append(Value("strip_plate_ratio", float(np.nanmedian(ratio)), "", label="strip/plate (median)"))
    reg = res.plate_regimes
    if reg is not None and reg.two_regimes:
        vals.append(Value("break_cycle", float(reg.x_break), "", label="regime break (plating)"))
    rows = tuple((int(c), _fin(qp), _fin(qs), _fin(rt)) for c, qp, qs, rt in
                 zip(res.cycles, res.q_plate_C, res.q_strip_C, res.strip_plate_ratio))
    return RecipeResult("voltammetry.cv", _subject(cell, rel), (rel,), {"window_V": list(window)}, tuple(vals),
                        tuple(_flags(res.warnings, "cv", rel)),
                        (RecipeTable("cv_cycles", ("cycle", "q_plate_C", "q_strip_C", "strip_plate_ratio"), rows),))


def _cycling(cell, path, rel, m, job):
    from .. import cycling as cyc
    from ..recipes import Flag, RecipeResult, RecipeTable, Value

    kind = cell.kind if cell is not None else None
    subject = _subject(cell, rel)
    if kind == "symmetric":
        res = cyc.analyze_symmetric(m, area_m2=cell.require_area())
        hs = res.hard_short
        vals = [Value("n_cycles", int(res.n_cycles), "", label="cycles"),
                Value("n_half_cycles", int(res.n_half_cycles), "", label="half cycles"),
                Value("total_time_s", res.total_time_s, "s", label="total time", display_unit="h"),
                Value("cumulative_charge_C_per_m2", res.cumulative_charge_C_per_m2, "C/m2", label="charge passed"),
                Value("li_thickness_equivalent_m", res.li_thickness_equivalent_m, "m", label="Li thickness",
                      display_unit="um"),
                Value("short_cycle", int(hs.cycle) if hs else "none", "", label="first hard short (cycle)"),
                Value("short_kind", res.shorts[0].kind if res.shorts else "none", "", label="short kind")]
        if hs:
            vals.append(Value("short_current_density_A_per_m2", hs.current_density_A_per_m2, "A/m2",
                              label="j at short", display_unit="uA/cm2"))
        if res.ccd_A_per_m2:
            vals.append(Value("ccd_A_per_m2", res.ccd_A_per_m2, "A/m2", label="CCD", display_unit="uA/cm2",
                              bound=">=" if res.ccd_is_lower_bound else None))
        rows = tuple((st.index + 1, _fin(st.current_density_A_per_m2), st.first_cycle, st.last_cycle,
                      _fin(st.resistance_median_ohm_m2), _fin(st.r_slope_ohm_m2_per_cycle),
                      _fin(st.r_slope_err_ohm_m2_per_cycle), bool(st.sustained)) for st in res.steps)
        tables = (RecipeTable("ladder_steps", ("step", "current_density_A_per_m2", "first_cycle", "last_cycle",
                                               "resistance_median_ohm_m2", "r_slope_ohm_m2_per_cycle",
                                               "r_slope_stderr_ohm_m2_per_cycle", "sustained"), rows),)
        return RecipeResult("cycling.ladder", subject, (rel,), {"area_m2": cell.require_area()}, tuple(vals),
                            tuple(_flags(res.warnings, "cycling", rel)), tables)
    if kind == "full":
        from ..errors import SselabError

        if not cell.active_mass_kg:
            raise SselabError(f"cell {cell.name!r}: active_mass is needed in the manifest for specific capacities")
        res = cyc.analyze_full_cell(m, active_mass_kg=cell.active_mass_kg, area_m2=cell.area_m2)
        qd = np.asarray(res.discharge_capacity_C_per_kg, float)
        ce = np.asarray(res.coulombic_efficiency, float)
        vals = (Value("n_cycles", int(res.n_cycles), "", label="cycles"),
                Value("specific_current_A_per_kg", res.specific_current_A_per_kg, "A/kg", label="specific current",
                      display_unit="mA/g"),
                Value("first_discharge_C_per_kg", res.first_discharge_C_per_kg, "C/kg", label="first discharge",
                      display_unit="mAh/g"),
                Value("last_discharge_C_per_kg", float(qd[-1]), "C/kg", label="last discharge", display_unit="mAh/g"),
                Value("first_ce", float(ce[0]), "", label="CE cycle 1"),
                Value("ce", float(np.nanmedian(ce)), "", label="CE median"),
                Value("retention_last", float(res.retention[-1]), "", label="retention, last cycle"),
                Value("end_of_life_cycle", int(res.end_of_life_cycle) if res.end_of_life_cycle else "not reached",
                      "", label=f"end of life (< {res.threshold:.0%})"))
        rows = tuple((int(c), _fin(a), _fin(b), _fin(x), _fin(r)) for c, a, b, x, r in
                     zip(res.cycle, res.charge_capacity_C_per_kg, res.discharge_capacity_C_per_kg, ce, res.retention))
        return RecipeResult("cycling.fullcell", subject, (rel,), {"active_mass_kg": cell.active_mass_kg}, vals,
                            tuple(_flags(res.warnings, "cycling", rel)),
                            (RecipeTable("capacity", ("cycle", "charge_C_per_kg", "discharge_C_per_kg",
                                                      "coulombic_efficiency", "retention"), rows),))
    return RecipeResult("cycling.unassigned", subject, (rel,), {}, (),
                        (Flag("cycling.no-cell-kind", f"{rel}: galvanostatic record of a cell with electrodes "
                              f"{'|'.join(cell.electrodes) if cell else 'unknown'} — give the cell in the manifest "
                              f"as Li|Li (symmetric) or Li|cathode with active_mass (full cell) to analyse it",
                              "info", rel),))
