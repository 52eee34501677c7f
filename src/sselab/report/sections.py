"""Report sections: each is a small function that calls one analysis module's public API.

A section whose module cannot be imported yet is returned with ``status="skipped"`` and a note; a section whose
analysis fails is returned with ``status="error"`` and the one-line error — the report always completes.
"""
from __future__ import annotations

import math
import re
import traceback
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..errors import SselabError
from ..fmt import fmt_num as _fmt  # noqa: F401  (re-exported: fmt_pm is part of this module's API)
from ..fmt import fmt_pm, fmt_range, fmt_sig, round_text
from .model import FileRecord, Number, Section, Table, slug
from .plots import FigureStore, plot_eis_overview

# circuits used for routine fits (documented in the report)
BLOCKING_CIRCUIT = "R0-p(R1,CPE1)-CPE3"       # electrolyte arc (bulk + grain boundary) + blocking-electrode spike
BLOCKING_TOTAL = "R0+R1"                       # low-frequency intercept of the arc, as in the paper
SYMMETRIC_CIRCUIT = "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)"  # bulk, grain boundary, Li|SSE interface
SYMMETRIC_TOTAL = "R0+R1+R2"
SYMMETRIC_INTERFACE = "R3"
# capacitance ranges (Irvine, Sinclair & West 1990): electrolyte arcs ≤ 1e-7 F, electrode processes ≥ 1e-8 F; they
# keep the electrolyte arc from mimicking the electrode spike when it lies outside the measured band
BLOCKING_BOUNDS = {"CPE1_Q": (1e-14, 1e-7), "CPE3_Q": (1e-8, 1e-1)}
# two resolved electrolyte arcs (bulk, grain boundary): used for a spectrum when it fits clearly better
BLOCKING2_CIRCUIT = "R0-p(R1,CPE1)-p(R2,CPE2)-CPE3"
BLOCKING2_TOTAL = "R0+R1+R2"
BLOCKING2_BOUNDS = {"CPE1_Q": (1e-14, 1e-7), "CPE2_Q": (1e-14, 1e-7), "CPE3_Q": (1e-8, 1e-1)}
TWO_ARC_CHI2_RATIO = 0.5
SYMMETRIC_BOUNDS = {"CPE1_Q": (1e-14, 1e-7), "CPE2_Q": (1e-14, 1e-7), "CPE3_Q": (1e-8, 1e-1)}

GALVANOSTATIC = {"GCPL", "CP", "CYCLING", "MB"}


@dataclass
class Context:
    records: list[FileRecord]
    figures: FigureStore
    manifest: object | None = None
    results: dict = field(default_factory=dict)   # shared between sections (e.g. σ(T) points per material)
    log: list[str] = field(default_factory=list)


def one_line(exc: BaseException) -> str:
    """The single line a user sees for a failure."""
    if isinstance(exc, SselabError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    msg = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def _import(modname: str):
    """Import an analysis module; return (module, None) or (None, note)."""
    import importlib

    try:
        return importlib.import_module(modname), None
    except Exception as exc:  # not landed yet, or broken: the section is skipped with a note
        return None, f"{modname} is not available yet ({one_line(exc)}); section skipped"


def _where(rec: FileRecord, exc: BaseException) -> str:
    msg = one_line(exc)
    return msg if rec.path.name in msg else f"{rec.rel}: {msg}"


def _add(sec: Section, fig) -> None:
    if fig is not None:
        sec.figures.append(fig)


def _conclude(ctx: Context, sec: Section, warnings=(), figures=None) -> None:
    """The analysis' warnings as notes, then its figures ``(matplotlib figure, name, title)``."""
    for w in warnings:
        sec.note(w)
    for fig, name, title in figures or ():
        _add(sec, ctx.figures.add(fig, name, title))


def _spectrum_temperatures(rec: FileRecord):
    """Per-spectrum temperatures from a ``temperature_K`` column (one per ``cycle``) when the file has one and the
    manifest does not fix the temperature; else None."""
    d = rec.measurement.data
    if "temperature_K" not in d.columns or (rec.cell is not None and rec.temperature_K is not None
                                             and rec.cell.temperature_K is not None):
        return None
    t = d["temperature_K"].to_numpy(dtype=float)
    if not np.isfinite(t).any() or np.nanmax(t) - np.nanmin(t) < 0.5:
        return None
    if "cycle" in d.columns and d["cycle"].nunique() > 1:
        import pandas as pd

        c = d["cycle"].to_numpy()
        return [float(np.nanmedian(t[c == k])) for k in pd.unique(c)]
    return None


def _cell_order(ctx: Context, name: str):
    """Manifest order of a cell (cells not in the manifest last, by name)."""
    names = [c.name for c in getattr(ctx.manifest, "cells", ()) or ()]
    return (names.index(name), "") if name in names else (len(names), name)


def _asr(derive, R, R_err, cell):
    """Area-specific resistance per interface of a symmetric cell (Ω m²) and its error."""
    if derive is not None:
        a, ae = derive.asr(R, R_err, cell, symmetric=True)
    else:
        a, ae = R * cell.area_m2 / 2, R_err * cell.area_m2 / 2
    return a, (ae if ae is not None and math.isfinite(ae) else None)


def _cell_name(rec: FileRecord) -> str:
    return rec.cell.name if rec.cell is not None else f"(no cell) {rec.rel}"


def _fill(ctx: Context, items, mod, note: str | None, analyse, failed) -> list[Section]:
    """Fill in each ``(section, payload)``: ``analyse(ctx, sec, payload, mod)``; the section is skipped with
    ``note`` when its module is not importable (``mod`` None), and marked ``error`` with the line
    ``failed(payload, exc)`` when the analysis raises (the traceback goes to debug.log)."""
    out = []
    for sec, payload in items:
        out.append(sec)
        if mod is None:
            sec.status = "skipped"
            sec.note(note)
            continue
        try:
            analyse(ctx, sec, payload, mod)
        except Exception as exc:
            sec.status = "error"
            sec.note(failed(payload, exc))
            ctx.log.append(traceback.format_exc())
    return out


def _per_file_sections(ctx: Context, techniques, modname: str, prefix: str, kind: str, title, analyse
                       ) -> list[Section]:
    """One section per file of ``techniques`` (see :func:`_fill`)."""
    recs = [r for r in ctx.records if r.ok and r.technique in techniques]
    if not recs:
        return []
    mod, note = _import(modname)
    items = [(Section(f"{prefix}-{slug(_cell_name(r))}-{slug(r.path.stem)}", f"{title(r)} — {_cell_name(r)}", kind,
                      subject=_cell_name(r), files=[r.rel]), r) for r in recs]
    return _fill(ctx, items, mod, note, analyse, _where)


def _current(i_A, se_A=None) -> str:
    """A current with its error in the SI prefix that suits it (``4.283 ± 0.006 nA``)."""
    if i_A is None or not math.isfinite(i_A):
        return "—"
    a = abs(i_A)
    scale, unit = next(((k, u) for k, u in ((1.0, "A"), (1e-3, "mA"), (1e-6, "µA"), (1e-9, "nA")) if a >= k),
                       (1e-12, "pA"))
    return f"{fmt_pm(i_A / scale, se_A / scale if se_A else None)} {unit}"


def _T_C(T):
    return None if T is None else T - 273.15


# ---------------------------------------------------------------------------------------------------------------
# impedance
# ---------------------------------------------------------------------------------------------------------------

def eis_sections(ctx: Context) -> list[Section]:
    recs = [r for r in ctx.records if r.ok and r.technique in ("EIS", "PEIS", "GEIS")]
    if not recs:
        return []
    groups: dict[str, list[FileRecord]] = defaultdict(list)
    for r in recs:
        groups[_cell_name(r)].append(r)
    eis, note = _import("sselab.eis")
    items = [(Section(f"eis-{slug(name)}", f"Impedance — {name}", "eis", subject=name, files=[r.rel for r in rs]),
              rs) for name, rs in sorted(groups.items(), key=lambda kv: _cell_order(ctx, kv[0]))]
    return _fill(ctx, items, eis, note, _eis_cell,
                 lambda rs, exc: f"impedance analysis failed: {one_line(exc)}")


def _eis_cell(ctx: Context, sec: Section, rs: list[FileRecord], eis) -> None:
    cell = rs[0].cell
    kind = getattr(cell, "kind", "blocking") if cell is not None else "blocking"
    if kind == "symmetric":
        circuit, total, bounds = SYMMETRIC_CIRCUIT, SYMMETRIC_TOTAL, SYMMETRIC_BOUNDS
    else:
        circuit, total, bounds = BLOCKING_CIRCUIT, BLOCKING_TOTAL, BLOCKING_BOUNDS
    spectra, temps, srcs = [], [], []
    for r in rs:
        temps_in_file = _spectrum_temperatures(r)
        for k, (f, z) in enumerate(r.measurement.spectra()):
            ok = np.isfinite(f) & np.isfinite(z.real) & np.isfinite(z.imag) & (f > 0)
            if ok.sum() < 8:
                sec.note(f"{r.rel}: spectrum {k + 1} has fewer than 8 usable points; left out")
                continue
            spectra.append((f[ok], z[ok]))
            temps.append(temps_in_file[k] if temps_in_file and k < len(temps_in_file) else r.temperature_K)
            srcs.append(r)
    if not spectra:
        raise SselabError("no usable impedance spectrum")
    order = sorted(range(len(spectra)), key=lambda i: (temps[i] is None, temps[i] or 0))
    spectra = [spectra[i] for i in order]
    temps = [temps[i] for i in order]
    srcs = [srcs[i] for i in order]
    labels = [s.rel for s in srcs]
    fits = eis.fit_batch(spectra, circuit, bounds=bounds, labels=labels)
    totals = [total] * len(fits)
    if kind != "symmetric":
        # a second electrolyte arc (bulk and grain boundary resolved) replaces the one-arc fit where it halves χ²
        # and still determines the total resistance
        try:
            fits2 = eis.fit_batch(spectra, BLOCKING2_CIRCUIT, bounds=BLOCKING2_BOUNDS, labels=labels)
        except Exception as exc:
            fits2 = [None] * len(fits)
            sec.note(f"two-arc fits failed ({one_line(exc)}); one arc used throughout")
        for i, (f1, f2) in enumerate(zip(fits, fits2)):
            if f2 is None or not f2.success:
                continue
            R2, e2 = f2.resistance(BLOCKING2_TOTAL)
            if (f2.chi2_reduced < TWO_ARC_CHI2_RATIO * f1.chi2_reduced and math.isfinite(e2)
                    and 0 < e2 < 0.05 * R2):
                fits[i] = f2
                totals[i] = BLOCKING2_TOTAL
    derive, _ = _import("sselab.eis.derive")
    try:
        k_geo = cell.geometric_factor_m if cell is not None else None
    except SselabError as exc:
        k_geo = None
        sec.note(str(exc))
    if cell is None:
        sec.note("no cell in the manifest for this file: resistances only (give thickness and diameter in a "
                 "cells.yaml to get conductivities and an Arrhenius analysis)")
    rows, pts = [], []
    grouped: dict[str, list[str]] = defaultdict(list)
    for (f, z), fr, T, r, tot in zip(spectra, fits, temps, srcs, totals):
        r.used_in.append(sec.id)
        R, Re = fr.resistance(tot)
        sig = sig_e = None
        if k_geo is not None and R > 0:
            if derive is not None:
                sig, sig_e = derive.conductivity(R, Re, cell)
            else:
                sig, sig_e = k_geo / R, k_geo / R * Re / R
            sig_e = sig_e if (sig_e is not None and math.isfinite(sig_e)) else None
            if T is not None:
                pts.append((T, sig, sig_e, r.rel))
        extra = ""
        if kind == "symmetric" and SYMMETRIC_INTERFACE in fr.params and cell is not None and cell.area_m2:
            a, ae = _asr(derive, *fr.resistance(SYMMETRIC_INTERFACE), cell)
            extra = fmt_pm(a * 1e4, ae * 1e4 if ae is not None else None)
        rows.append([_fmt(_T_C(T), 4), fmt_pm(R, Re), fmt_pm(sig * 10 if sig else None, sig_e * 10 if sig_e else None),
                     *([extra] if kind == "symmetric" else []), "2" if tot == BLOCKING2_TOTAL else
                     ("1" if kind != "symmetric" else "2 + interface"), _fmt(fr.chi2_reduced, 3),
                     "yes" if fr.success else "no (see notes)", r.rel])
        where = f"{T - 273.15:.0f} °C" if T is not None else r.rel
        for w in fr.warnings:
            grouped[re.sub(r"\s*\([^)]*\)", "", str(w)).strip()].append(where)
    for w, where in grouped.items():
        uniq = list(dict.fromkeys(where))
        shown = ", ".join(uniq[:8]) + (f" and {len(uniq) - 8} more" if len(uniq) > 8 else "")
        times = f" ({len(where)} spectra)" if len(where) > len(uniq) else ""
        sec.note(f"{w} — {shown}{times}")
    cols = ["T (°C)", "R electrolyte (Ω)", "σ (mS/cm)"]
    if kind == "symmetric":
        cols.append("ASR per interface (Ω cm²)")
    cols += ["arcs", "χ²red", "converged", "file"]
    if kind == "symmetric":
        note = (f"circuit {circuit}; R electrolyte = {total} (bulk + grain boundary); ASR = R3·A/2 (two Li "
                f"interfaces, as in the paper)")
        intro_c = f"<code>{circuit}</code>"
    else:
        note = (f"one arc: {circuit}, R = {total}; two arcs: {BLOCKING2_CIRCUIT}, R = {BLOCKING2_TOTAL} — the "
                f"low-frequency intercept of the electrolyte response (bulk + grain boundary, as in the paper); "
                f"σ = L/(A·R)")
        intro_c = (f"<code>{circuit}</code>, or <code>{BLOCKING2_CIRCUIT}</code> where bulk and grain boundary "
                   f"are resolved (χ² at least halved)")
    sec.tables.append(Table("Equivalent-circuit fits", cols, rows, note=note))
    sec.intro = (f"{len(spectra)} spectra fitted with {intro_c} (sselab.eis.fit_batch, all spectra at once, "
                 f"modulus weighting; electrolyte-arc Q ≤ 1e-7, electrode Q ≥ 1e-8).")
    fig = plot_eis_overview(spectra, fits, temps, labels=[s.rel for s in srcs], title=sec.subject)
    _add(sec, ctx.figures.add(fig, f"eis-{sec.subject}", f"Impedance of {sec.subject}",
                                       "Left: Nyquist plot of the coldest spectrum with the fit; right: |Z| "
                                       "against frequency for every temperature (lines: fits)."))
    if pts:
        T0, s0, e0, _ = pts[0]
        sec.numbers.append(Number("eis", sec.subject, f"sigma_{T0 - 273.15:.0f}C_mS_per_cm",
                                  f"σ({T0 - 273.15:.0f} °C)", s0 * 10, e0 * 10 if e0 else None, "mS/cm"))
    if kind == "symmetric" and cell is not None and cell.area_m2:
        a, ae = _asr(derive, *fits[0].resistance(SYMMETRIC_INTERFACE), cell)
        T0 = temps[0]
        where = f" at {T0 - 273.15:.0f} °C" if T0 is not None else ""
        sec.numbers.append(Number("eis", sec.subject, "asr_interface_ohm_cm2", f"ASR per Li interface{where}",
                                  a * 1e4, ae * 1e4 if ae is not None else None, "Ω cm²"))
        if math.isfinite(a) and a > 0:   # for the material's scorecard
            ctx.results.setdefault("interface_asr", {})[sec.subject] = {"asr_ohm_m2": a, "T_K": T0}
    if derive is not None and hasattr(derive, "arcs"):
        try:
            arcs = derive.arcs(fits[0], cell)
            T0 = temps[0]
            sec.tables.append(Table(
                f"Arcs of the coldest spectrum ({T0 - 273.15:.0f} °C)" if T0 is not None else "Arcs",
                ["element", "R (Ω)", "C_eff (F)", "apex (Hz)", "assignment", "in window"],
                [[f"{a.resistor}‖{a.capacitor}", fmt_pm(a.R_ohm, a.R_err_ohm), _fmt(a.C_eff_F, 3),
                  _fmt(a.apex_Hz, 3), a.assignment, "yes" if a.in_window else "no"] for a in arcs],
                note="effective (Brug) capacitances classified after Irvine, Sinclair & West (1990)"))
        except Exception as exc:
            sec.note(f"arc assignment not available: {one_line(exc)}")
    material = getattr(cell, "material", None) or sec.subject
    if kind not in ("blocking", None) and cell is not None:
        pts = []  # only blocking-electrode cells feed the Arrhenius analysis of a material
    ctx.results.setdefault("sigma_points", defaultdict(list))[material].extend(pts)
    if pts:
        ctx.results.setdefault("material_cells", defaultdict(list))[material].append(sec.subject)
    ctx.results.setdefault("eis_cells", {})[sec.subject] = {"fits": fits, "temps": temps, "circuit": circuit}
    sec.result = {"spectra": [{"file": r.rel, "T_K": T, "circuit": fr.circuit, "resistance": tot, "fit": fr.to_dict()}
                              for r, T, fr, tot in zip(srcs, temps, fits, totals)]}


def arrhenius_sections(ctx: Context) -> list[Section]:
    points = ctx.results.get("sigma_points") or {}
    mats = {m: p for m, p in points.items() if len({round(t, 2) for t, *_ in p}) >= 2}
    if not mats:
        return []
    arr, note = _import("sselab.transport.arrhenius")
    out, fits = [], {}
    for mat, pts in mats.items():
        sec = Section(f"arrhenius-{slug(mat)}", f"Arrhenius — {mat}", "arrhenius", subject=mat,
                      files=sorted({p[3] for p in pts}))
        out.append(sec)
        pts = sorted(pts)
        T = np.array([p[0] for p in pts])
        s = np.array([p[1] for p in pts])
        e = np.array([p[2] if p[2] else np.nan for p in pts])
        if arr is None:
            sec.status = "skipped"
            sec.note(note)
            from .plots import plot_arrhenius_fallback

            _add(sec, ctx.figures.add(plot_arrhenius_fallback(T, s, mat), f"arrhenius-{mat}",
                                               f"Conductivity of {mat}"))
            continue
        try:
            err = e if np.all(np.isfinite(e)) and np.all(e > 0) else None
            fit = arr.fit_arrhenius(T, s, err, convention="sigmaT")
            fits[mat] = fit
            sec.intro = (f"σT = σ0·exp(−Ea/kT) fitted to {fit.n_points} temperatures "
                         f"({T.min() - 273.15:.0f}–{T.max() - 273.15:.0f} °C), weighted by the fit errors of σ.")
            ci = fit.Ea_ci95_eV
            s30 = fit.sigma_30C_S_per_m
            ci30 = fit.sigma_30C_ci95_S_per_m
            s30_se = ((ci30[1] - ci30[0]) / 2 / (fit.t_quantile or 1.96)) if ci30 else None
            ci25 = fit.sigma_25C_ci95_S_per_m
            s25_se = ((ci25[1] - ci25[0]) / 2 / (fit.t_quantile or 1.96)) if ci25 else None
            sec.numbers += [
                Number("arrhenius", mat, "Ea_eV", "Ea", fit.Ea_eV, fit.Ea_err_eV, "eV"),
                Number("arrhenius", mat, "sigma_30C_mS_per_cm", "σ(30 °C)", s30 * 10,
                       s30_se * 10 if s30_se else None, "mS/cm"),
                Number("arrhenius", mat, "sigma_25C_mS_per_cm", "σ(25 °C)", fit.sigma_25C_S_per_m * 10,
                       s25_se * 10 if s25_se else None, "mS/cm"),
            ]
            rows = [["Ea (eV)", fmt_pm(fit.Ea_eV, fit.Ea_err_eV), fmt_range(*ci, fit.Ea_err_eV) if ci else "—"],
                    ["σ(30 °C) (mS/cm)", fmt_pm(s30 * 10, s30_se * 10 if s30_se else None),
                     fmt_range(ci30[0] * 10, ci30[1] * 10, s30_se * 10 if s30_se else None) if ci30 else "—"],
                    ["σ(25 °C) (mS/cm)", fmt_pm(fit.sigma_25C_S_per_m * 10, s25_se * 10 if s25_se else None),
                     fmt_range(ci25[0] * 10, ci25[1] * 10, s25_se * 10 if s25_se else None) if ci25 else "—"],
                    [f"σ0 ({fit.prefactor_unit})", _fmt(fit.prefactor), "—"],
                    ["R²", f"{fit.r_squared:.6f}", "—"]]
            sec.tables.append(Table("Arrhenius fit", ["quantity", "value ± s.e.", "95 % interval"], rows))
            for w in fit.warnings:
                sec.note(w)
            _add(sec, ctx.figures.add(arr.plot_arrhenius(fit, labels=[mat]), f"arrhenius-{mat}",
                                               f"Arrhenius plot of {mat}",
                                               "log σ against 1000/T with the fit and its 95 % band."))
            sec.result = fit
        except Exception as exc:
            sec.status = "error"
            sec.note(f"Arrhenius fit failed: {one_line(exc)}")
    ctx.results["arrhenius_fits"] = fits
    if arr is not None and len(fits) >= 2:
        sec = Section("arrhenius-all", "Arrhenius — all materials", "arrhenius", subject="all")
        try:
            fig = arr.plot_arrhenius(list(fits.values()), labels=list(fits))
            _add(sec, ctx.figures.add(fig, "arrhenius-all", "All preparations (cf. paper Fig. 1f)"))
            out.insert(0, sec)
        except Exception as exc:
            sec.status = "error"
            sec.note(f"combined plot failed: {one_line(exc)}")
            out.insert(0, sec)
    return out


# ---------------------------------------------------------------------------------------------------------------
# DC polarisation
# ---------------------------------------------------------------------------------------------------------------

def dcpol_sections(ctx: Context) -> list[Section]:
    return _per_file_sections(ctx, ("CA",), "sselab.transport.polarization", "dcpol", "dcpol",
                              lambda r: "DC polarisation", _dcpol)


def _dcpol(ctx: Context, sec: Section, r: FileRecord, pol) -> None:
    name = sec.subject
    cell = r.cell
    kind = getattr(cell, "kind", "blocking") if cell is not None else "blocking"
    t = r.measurement.column("time_s")
    span = float(np.nanmax(t) - np.nanmin(t)) if t.size else 0.0
    window = getattr(pol, "DEFAULT_WINDOW_S", 1800.0)
    if span < 4 * window:  # the paper averages the last 30 min of 5 h; keep that share for short records
        window = max(span * 0.1, 1e-9)
        sec.note(f"record is {span:.4g} s long: I_f averaged over its last {window:.3g} s (10 %) instead "
                 f"of the last 30 min")
    res = pol.analyze_polarization(
        r.measurement, window_s=window, thickness_m=getattr(cell, "thickness_m", None),
        area_m2=getattr(cell, "area_m2", None) if cell is not None else None,
        electrodes={"symmetric": "li", "li-blocking": "li-blocking"}.get(kind, "blocking"))
    r.used_in.append(sec.id)
    sec.result = res
    se = res.sigma_e_S_per_m
    se_err = None
    if se is not None:
        se_err = getattr(res, "sigma_e_se_S_per_m", None)
        if se_err is None and res.i_final_A:
            se_err = se * res.i_final_se_A / res.i_final_A
    rows = [["applied voltage (V)", _fmt(res.voltage_V)],
            ["I₀, initial current", _current(res.i_initial_A)],
            ["I_f, final current (last {:.0f} min)".format(res.window_s / 60),
             _current(res.i_final_A, res.i_final_se_A)],
            ["σe (nS/cm)", fmt_pm(se * 1e7, se_err * 1e7 if se_err else None) if se is not None
             else "— (needs thickness and area)"],
            ["t_i = 1 − I_f/I₀", _fmt(res.t_i, 5)], ["t_e", _fmt(res.t_e, 3)]]
    if se is not None:
        sec.numbers.append(Number("dcpol", name, "sigma_e_nS_per_cm", "σe", se * 1e7,
                                  se_err * 1e7 if se_err else None, "nS/cm"))
    sec.numbers.append(Number("dcpol", name, "t_ion", "t_i", res.t_i, None, ""))
    if res.fit is not None:
        taus = list(zip(res.fit.tau_s, res.fit.tau_se_s, res.fit.amplitudes_A))
        for k, (tau, tse, amp) in enumerate(taus):
            rows.append([f"τ{k + 1} (s), amplitude {_current(amp)}", fmt_pm(tau, tse)])
        # the relaxation carrying most charge (amplitude × τ) is the one compared with a single-τ value
        k_main = int(np.argmax([abs(a) * t for t, _, a in taus]))
        sec.numbers.append(Number("dcpol", name, "tau_s", "τ (main)", taus[k_main][0], taus[k_main][1], "s"))
    sec.tables.append(Table("DC polarisation (eqs 3–5 of the paper)", ["quantity", "value"], rows))
    _conclude(ctx, sec, res.warnings, [(pol.plot_polarization(res), f"dcpol-{name}", f"DC polarisation of {name}")])
    ctx.results.setdefault("dcpol", {})[name] = res


# ---------------------------------------------------------------------------------------------------------------
# voltammetry
# ---------------------------------------------------------------------------------------------------------------

def cv_sections(ctx: Context) -> list[Section]:
    return _per_file_sections(ctx, ("CV", "LSV"), "sselab.voltammetry", "cv", "cv",
                              lambda r: "Cyclic voltammetry", _cv)


def _cv(ctx: Context, sec: Section, r: FileRecord, vol) -> None:
    name = sec.subject
    cell = r.cell
    # the stripping/plating window must include the negative vertex: with the default −0.5 V edge and a
    # scan to −0.5 V, potential noise would drop vertex samples (the largest plating currents) from it
    e_min = float(np.nanmin(r.measurement.column("potential_V")))
    lo, hi = getattr(vol, "DEFAULT_WINDOW_V", (-0.5, 0.5))
    window = (min(lo, e_min - 0.01), hi)
    res = vol.analyze_cv(r.measurement, window_V=window,
                         area_m2=getattr(cell, "area_m2", None) if cell else None,
                         pellet_mass_kg=getattr(cell, "pellet_mass_kg", None),
                         formula=getattr(cell, "formula", None))
    r.used_in.append(sec.id)
    sec.result = res
    win = res.stability_window_V
    rows = [["cycles", str(res.n_cycles)],
            ["stripping/plating window (V)", f"{window[0]:.3g} – {window[1]:.3g}"],
            ["scan rate (mV/s)", _fmt(res.scan_rate_V_per_s * 1e3 if res.scan_rate_V_per_s else None)],
            ["scan range (V)", f"{res.scan_range_V[0]:.3g} – {res.scan_range_V[1]:.3g}"],
            ["Σ plated / Σ stripped (C)", f"{res.total_plate_C:.4g} / {res.total_strip_C:.4g}"],
            ["Li plated − stripped (% of pellet Li)", _fmt(res.imbalance_pct_of_pellet_Li)],
            ["oxidative onset (V)", _fmt(res.ox_onset_V) if res.ox_onset_V is not None
             else f"none up to {win[1]:.3g} V"],
            ["reductive onset (V)", _fmt(res.red_onset_V) if res.red_onset_V is not None else "none"],
            ["stability window (V)", f"{win[0]:.3g} – {win[1]:.3g}"]]
    n = res.n_cycles
    sec.numbers.append(Number("cv", name, "n_cycles", "cycles", n, None, ""))
    if res.imbalance_pct_of_pellet_Li is not None:
        sec.numbers.append(Number("cv", name, "imbalance_pct_of_pellet_Li", "Li imbalance",
                                  res.imbalance_pct_of_pellet_Li, None, "% of pellet Li"))
    if res.ox_onset_V is not None:
        sec.numbers.append(Number("cv", name, "ox_onset_V", "oxidative onset", res.ox_onset_V, None, "V"))
    sec.numbers.append(Number("cv", name, "window_upper_V", "window upper limit", win[1], None, "V"))
    if len(res.q_plate_C):
        sec.numbers.append(Number("cv", name, "q_plate_first_C", "Q plate, cycle 1",
                                  float(res.q_plate_C[0]), None, "C"))
        sec.numbers.append(Number("cv", name, "q_plate_last_C", f"Q plate, cycle {n}",
                                  float(res.q_plate_C[-1]), None, "C"))
        ratio = np.asarray(res.strip_plate_ratio, float)
        if np.isfinite(ratio).any():
            sec.numbers.append(Number("cv", name, "strip_plate_ratio", "strip/plate (median)",
                                      float(np.nanmedian(ratio)), None, ""))
    reg = res.plate_regimes
    if reg is not None:
        rows.append(["plating charge regimes",
                     f"break at cycle {reg.x_break:.3g}; slopes {fmt_pm(reg.slope_1, reg.slope_1_se, 3)} → "
                     f"{fmt_pm(reg.slope_2, reg.slope_2_se, 3)} C/cycle"
                     + ("" if reg.two_regimes else " (one line suffices, BIC)")])
        if reg.two_regimes:
            sec.numbers.append(Number("cv", name, "break_cycle", "regime break (plating)", reg.x_break,
                                      None, "cycle"))
    sec.tables.append(Table("Voltammetry", ["quantity", "value"], rows))
    qrows = [[str(int(c)), _fmt(qp), _fmt(qs), _fmt(rt, 3)]
             for c, qp, qs, rt in zip(res.cycles, res.q_plate_C, res.q_strip_C, res.strip_plate_ratio)]
    sec.tables.append(Table("Stripping / plating charge per cycle",
                            ["cycle", "Q plate (C)", "Q strip (C)", "strip/plate"], qrows))
    _conclude(ctx, sec, res.warnings, [
        (vol.plot_cv(res), f"cv-{name}", f"Cyclic voltammograms of {name}"),
        (vol.plot_charge_vs_cycle(res), f"cv-charge-{name}",
         "Stripping / plating charge against cycle (cf. paper Fig. 2b)")])
    ctx.results.setdefault("cv", {})[name] = res


# ---------------------------------------------------------------------------------------------------------------
# galvanostatic cycling
# ---------------------------------------------------------------------------------------------------------------

def cycling_sections(ctx: Context) -> list[Section]:
    return _per_file_sections(ctx, GALVANOSTATIC, "sselab.cycling", "cyc", "cycling", _cycling_title, _cycling)


def _cycling_title(r: FileRecord) -> str:
    kind = getattr(r.cell, "kind", None) if r.cell is not None else None
    return {"symmetric": "Stripping / plating", "full": "Full cell"}.get(kind, "Galvanostatic cycling")


def _cycling(ctx: Context, sec: Section, r: FileRecord, cyc) -> None:
    cell = r.cell
    kind = getattr(cell, "kind", None) if cell is not None else None
    if kind not in ("symmetric", "full"):
        sec.status = "skipped"
        sec.note(f"{r.rel}: galvanostatic record of a cell with electrodes "
                 f"{'|'.join(cell.electrodes) if cell else 'unknown'} — give the cell in the manifest as Li|Li "
                 f"(symmetric) or Li|cathode with active_mass (full cell) to analyse it")
        return
    plots, _ = _import("sselab.cycling.plots")
    if kind == "symmetric":
        _symmetric(ctx, sec, r, cyc, plots)
    else:
        _full(ctx, sec, r, cyc, plots)
    r.used_in.append(sec.id)


def _symmetric(ctx, sec, r, cyc, plots):
    cell, name = r.cell, sec.subject
    res = cyc.analyze_symmetric(r.measurement, area_m2=cell.require_area())
    sec.result = res
    rows = [["cycles / half cycles", f"{res.n_cycles} / {res.n_half_cycles}"],
            ["total time (h)", _fmt(res.total_hours)],
            ["charge passed (mAh/cm²)", _fmt(res.cumulative_charge_C_per_m2 / 36000)],
            ["Li thickness equivalent (µm)", _fmt(res.li_thickness_equivalent_m * 1e6)],
            ["critical current density (µA/cm²)",
             (("≥ " if res.ccd_is_lower_bound else "") + _fmt(res.ccd_A_per_m2 * 100)) if res.ccd_A_per_m2 else "—"]]
    hs = res.hard_short
    for s in res.shorts:
        rows.append([f"{s.kind} short", f"cycle {s.cycle} at {s.current_density_A_per_m2 * 100:.3g} µA/cm² "
                                        f"(|η|/reference = {s.ratio:.2g}); {'; '.join(s.reasons)}"])
    if not res.shorts:
        rows.append(["shorts", "none detected"])
    sec.tables.append(Table("Stripping / plating", ["quantity", "value"], rows))
    srows = [[str(st.index + 1), _fmt(st.current_density_A_per_m2 * 100, 3), f"{st.first_cycle}–{st.last_cycle}",
              _fmt(st.resistance_median_ohm_m2 * 1e4), fmt_pm(st.r_slope_ohm_m2_per_cycle * 1e4,
                                                              st.r_slope_err_ohm_m2_per_cycle * 1e4, 3),
              "yes" if st.sustained else "no"] for st in res.steps]
    sec.tables.append(Table("Ladder steps", ["step", "j (µA/cm²)", "cycles", "R median (Ω cm²)",
                                             "dR/dcycle (Ω cm²)", "sustained"], srows))
    sec.numbers.append(Number("cycling", name, "n_cycles", "cycles", res.n_cycles, None, ""))
    sec.numbers.append(Number("cycling", name, "short_cycle", "first hard short (cycle)",
                              hs.cycle if hs else "none", None, ""))
    sec.numbers.append(Number("cycling", name, "short_kind", "short kind",
                              res.shorts[0].kind if res.shorts else "none", None, ""))
    if hs:
        sec.numbers.append(Number("cycling", name, "short_current_density_uA_per_cm2", "j at short",
                                  hs.current_density_A_per_m2 * 100, None, "µA/cm²"))
    if res.ccd_A_per_m2:
        sec.numbers.append(Number("cycling", name, "ccd_uA_per_cm2", "CCD" + (" (lower bound)" if
                                  res.ccd_is_lower_bound else ""), res.ccd_A_per_m2 * 100, None, "µA/cm²"))
    _conclude(ctx, sec, res.warnings, plots and [
        (plots.plot_ladder(res), f"ladder-{name}", f"Stripping / plating of {name} (cf. paper Fig. 3a)"),
        (plots.plot_resistance(res), f"resistance-{name}", "Overpotential and resistance per half cycle")])
    ctx.results.setdefault("symmetric", {})[name] = res


def _full(ctx, sec, r, cyc, plots):
    cell, name = r.cell, sec.subject
    if not cell.active_mass_kg:
        raise SselabError(f"cell {name!r}: active_mass is needed in the manifest for specific capacities")
    res = cyc.analyze_full_cell(r.measurement, active_mass_kg=cell.active_mass_kg, area_m2=cell.area_m2)
    sec.result = res
    mahg = 3600.0
    qd = np.asarray(res.discharge_capacity_C_per_kg) / mahg
    qc = np.asarray(res.charge_capacity_C_per_kg) / mahg
    ce = np.asarray(res.coulombic_efficiency, float)
    rows = [["cycles", str(res.n_cycles)], ["first cycle direction", res.first_direction],
            ["specific current (mA/g)", _fmt(res.specific_current_A_per_kg)],
            ["first discharge (mAh/g)", _fmt(res.first_discharge_C_per_kg / mahg)],
            ["last discharge (mAh/g)", _fmt(qd[-1])],
            ["retention, last cycle (%)", _fmt(res.retention[-1] * 100)],
            ["coulombic efficiency, cycle 1 / median (%)",
             f"{_fmt(ce[0] * 100)} / {_fmt(np.nanmedian(ce) * 100)}"],
            [f"end of life (< {res.threshold:.0%})", str(res.end_of_life_cycle) if res.end_of_life_cycle else
             "not reached"]]
    sec.tables.append(Table("Full cell", ["quantity", "value"], rows))
    crow = [[str(int(c)), _fmt(a), _fmt(b), _fmt(x * 100)] for c, a, b, x in zip(res.cycle, qc, qd, ce)]
    sec.tables.append(Table("Capacity per cycle", ["cycle", "charge (mAh/g)", "discharge (mAh/g)", "CE (%)"], crow))
    sec.numbers += [
        Number("cycling", name, "n_cycles", "cycles", res.n_cycles, None, ""),
        Number("cycling", name, "first_discharge_mAh_per_g", "first discharge", res.first_discharge_C_per_kg / mahg,
               None, "mAh/g"),
        Number("cycling", name, "last_discharge_mAh_per_g", "last discharge", float(qd[-1]), None, "mAh/g"),
        Number("cycling", name, "first_ce", "CE cycle 1", float(ce[0]), None, ""),
        Number("cycling", name, "ce", "CE median", float(np.nanmedian(ce)), None, ""),
    ]
    _conclude(ctx, sec, res.warnings, plots and [
        (plots.plot_full_cell(res), f"fullcell-{name}",
         f"Capacity and coulombic efficiency of {name} (cf. paper Fig. 5b)"),
        (plots.plot_profiles(res), f"profiles-{name}", "Charge–discharge profiles (cf. paper Fig. 5a)")])


# ---------------------------------------------------------------------------------------------------------------
# materials: knowledge-base comparison and scorecard
# ---------------------------------------------------------------------------------------------------------------

def materials_sections(ctx: Context) -> list[Section]:
    fits = ctx.results.get("arrhenius_fits") or {}
    if not fits:
        return []
    mat_mod, note = _import("sselab.materials")
    out = []
    for mat, fit in fits.items():
        sec = Section(f"materials-{slug(mat)}", f"Knowledge base — {mat}", "materials", subject=mat)
        out.append(sec)
        if mat_mod is None or not hasattr(mat_mod, "compare"):
            sec.status = "skipped"
            sec.note(note or "sselab.materials.compare is not available yet; section skipped")
            continue
        try:
            comp = mat_mod.compare(fit=fit, name=mat)
            nb = comp.neighbours(3)
            rows = [[str(d.get("rank")), ("<b>" + str(d.get("name")) + "</b>") if d.get("is_user") else
                     str(d.get("name")), str(d.get("family", "")),
                     _fmt(d["sigma_S_per_m"] * 10 if d.get("sigma_S_per_m") is not None else None),
                     _fmt(d.get("Ea_eV"), 3)] for d in nb]
            sec.tables.append(Table(f"Rank {comp.user_rank} of {comp.n_ranked} at {comp.T_K - 273.15:.0f} °C "
                                    f"(percentile {comp.percentile:.0f})",
                                    ["rank", "material", "family", "σ (mS/cm)", "Ea (eV)"], rows))
            sec.numbers.append(Number("materials", mat, "kb_rank", "rank in knowledge base",
                                      f"{comp.user_rank}/{comp.n_ranked}", None, ""))
            _add(sec, ctx.figures.add(mat_mod.plot_comparison(comp), f"kb-{mat}",
                                               f"{mat} among the knowledge base"))
        except Exception as exc:
            sec.status = "error"
            sec.note(f"comparison failed: {one_line(exc)}")
        if hasattr(mat_mod, "scorecard"):
            try:
                measured, sources = _measured_for(ctx, mat, fit)
                card = _with_sources(mat_mod.scorecard(measured), sources)
                rows = [[g.description, g.threshold, f'<span class="st-{g.status}">{g.status}</span>', g.value,
                         g.detail] for g in card.grades]
                c = card.counts
                sec.tables.append(Table(f"Scorecard: {c['pass']} pass, {c['fail']} fail, {c['unknown']} unknown",
                                        ["target", "threshold", "status", "value", "detail"], rows,
                                        note="measured values of this material's cells; the detail names the cell "
                                             "each value came from"))
                sec.result = {"scorecard": card, "measured": measured,
                              "sources": {k: v["cell"] for k, v in sources.items()}}
            except Exception as exc:
                sec.note(f"scorecard failed: {one_line(exc)}")
                ctx.log.append(traceback.format_exc())
    return out


# scorecard targets fed by each measured property
_SIGMA_KEYS = ("sigma_rt_min", "sigma_fast_charge", "sigma_fast_charge_stretch")
_WINDOW_KEYS = ("window_oxidation", "window_reduction", "cathode_compatibility")


def _with_sources(card, sources: dict):
    """The scorecard with its numbers rounded to 3 significant figures and, for measured targets, the detail
    naming the cell the value came from (``sources[key] = {"cell", "detail", "lower_bound"}``)."""
    from dataclasses import replace

    grades = []
    for g in card.grades:
        g = replace(g, value=round_text(g.value), detail=round_text(g.detail))
        src = sources.get(g.key)
        if src is not None:
            g = replace(g, detail=src["detail"])
            if src.get("lower_bound"):
                g = replace(g, value="≥ " + g.value)
                if g.status == "fail":      # a lower bound under the target decides nothing
                    g = replace(g, status="unknown", detail=g.detail + "; lower bound below the target")
        grades.append(g)
    return replace(card, grades=tuple(grades))


def _norm_formula(formula):
    """A formula's composition, comparable whatever the element order (``Li2NH`` = ``HNLi2``)."""
    if not formula:
        return None
    try:
        from ..materials.formula import parse_formula

        return tuple(sorted((el, round(float(n), 6)) for el, n in parse_formula(str(formula)).items()))
    except Exception:
        return str(formula).replace(" ", "")


def _measured_for(ctx: Context, material: str, fit) -> tuple[dict, dict]:
    """Measured properties of ``material`` gathered from every section (keys of
    :func:`sselab.materials.sample_from_measurements`) and, per scorecard target, where each came from.

    A cell belongs to the material when its manifest ``material`` (else its name) is the material's; a cell whose
    material is none of the fitted materials (e.g. a Li|Li cell named after the compound only) is matched by
    ``formula`` to the formula of the material's blocking-electrode cells, which the detail says.  Several cells
    for one property: intrinsic properties take the most conservative (largest σe, narrowest window), cell-made
    ones the best demonstrated (lowest interface ASR, highest CCD), and the others are named."""
    cells = {c.name: c for c in getattr(ctx.manifest, "cells", ()) or ()} if ctx.manifest is not None else {}
    fits = ctx.results.get("arrhenius_fits") or {}
    fit_cells = list((ctx.results.get("material_cells") or {}).get(material, ()))
    own = {c.name for c in cells.values() if (c.material or c.name) == material}
    formulas = {_norm_formula(cells[n].formula) for n in set(fit_cells) | own if n in cells} - {None}

    def match(name):
        """None, "" (same material) or " (…matched by formula…)"."""
        c = cells.get(name)
        if c is None:
            return None
        cm = c.material or c.name
        if cm == material:
            return ""
        f = _norm_formula(c.formula)
        if cm not in fits and f is not None and f in formulas:
            return f" (material {cm!r}, matched by formula {c.formula})"
        return None

    def at(T_K):
        return f" at {T_K - 273.15:.0f} °C" if T_K is not None else ""

    def others(chosen, items, fmt):
        rest = [f"{n}: {fmt(v)}" for n, v in items if n != chosen]
        return f"; also {', '.join(rest)}" if rest else ""

    d = {"name": material, "Ea_eV": float(fit.Ea_eV), "sigma_S_per_cm": float(fit.sigma_25C_S_per_m) / 100,
         "sigma_T": "25 C"}
    src: dict[str, dict] = {}
    where = ", ".join(fit_cells) or material
    det = (f"σ(25 °C) of the σT-Arrhenius fit to {where} ({fit.n_points} temperatures, "
           f"Ea {round_text(f'{fit.Ea_eV:.6g}')} eV)")
    for k in _SIGMA_KEYS:
        src[k] = {"cell": where, "detail": det}
    for n in fit_cells:
        if n in cells and cells[n].formula:
            d["formula"] = cells[n].formula
            break

    pol = [(n, r, match(n)) for n, r in (ctx.results.get("dcpol") or {}).items()]
    pol = [(n, r, m) for n, r, m in pol if m is not None and (r.sigma_e_S_per_m is not None or r.t_i is not None)]
    if pol:
        n, r, m = max(pol, key=lambda x: (x[1].sigma_e_S_per_m is not None, x[1].sigma_e_S_per_m or 0.0))
        if r.sigma_e_S_per_m is not None:
            d["electronic_sigma_S_per_cm"] = r.sigma_e_S_per_m / 100
        if r.t_i is not None:
            d["transference_ion"] = float(r.t_i)
        if cells[n].formula:
            d.setdefault("formula", cells[n].formula)
        src["electronic_insulator"] = {"cell": n, "detail": (
            f"DC polarisation of {n}{at(cells[n].temperature_K)}{m}"
            + others(n, [(x, y) for x, y, _ in pol],
                     lambda y: f"σe {fmt_sig(y.sigma_e_S_per_m / 100)} S/cm" if y.sigma_e_S_per_m is not None
                     else f"t_ion {fmt_sig(y.t_i)}"))}

    cvs = [(n, r, match(n)) for n, r in (ctx.results.get("cv") or {}).items()]
    cvs = [x for x in cvs if x[2] is not None]
    if cvs:
        n, r, m = min(cvs, key=lambda x: float(x[1].stability_window_V[1]))
        w = [float(r.stability_window_V[0]), float(r.stability_window_V[1])]
        d["window_exp_V"] = w
        det = (f"CV of {n}{at(cells[n].temperature_K)}{m}"
               + others(n, [(x, y) for x, y, _ in cvs],
                        lambda y: f"{fmt_sig(y.stability_window_V[0])}–{fmt_sig(y.stability_window_V[1])} V"))
        for k in _WINDOW_KEYS:
            src[k] = {"cell": n, "detail": det}

    asr = [(n, v, match(n)) for n, v in (ctx.results.get("interface_asr") or {}).items()]
    asr = [x for x in asr if x[2] is not None]
    if asr:
        n, v, m = min(asr, key=lambda x: x[1]["asr_ohm_m2"])
        d["interface_asr_ohm_cm2"] = v["asr_ohm_m2"] * 1e4
        src["low_interface_resistance"] = {"cell": n, "detail": (
            f"Li|Li impedance of {n}{at(v['T_K'])}, per interface{m}"
            + (f"; lowest of {len(asr)} Li|Li cells" if len(asr) > 1 else "")
            + others(n, [(x, y) for x, y, _ in asr], lambda y: f"{fmt_sig(y['asr_ohm_m2'] * 1e4)} Ω cm²"))}

    sym = [(n, r, match(n)) for n, r in (ctx.results.get("symmetric") or {}).items()]
    sym = [x for x in sym if x[2] is not None and x[1].ccd_A_per_m2]
    if sym:
        n, r, m = max(sym, key=lambda x: x[1].ccd_A_per_m2)
        d["ccd_mA_per_cm2"] = r.ccd_A_per_m2 / 10
        lb = bool(getattr(r, "ccd_is_lower_bound", False))
        src["ccd"] = {"cell": n, "lower_bound": lb, "detail": (
            f"Li|Li cycling of {n}{at(cells[n].temperature_K)}{m}" + (" (no short: lower bound)" if lb else "")
            + (f"; highest of {len(sym)} cells" if len(sym) > 1 else "")
            + others(n, [(x, y) for x, y, _ in sym], lambda y: f"{fmt_sig(y.ccd_A_per_m2 / 10)} mA/cm²"))}
    return d, src


from .cell_projection import cell_projection_sections  # noqa: E402  (imports the helpers above lazily)

SECTION_BUILDERS = (eis_sections, arrhenius_sections, dcpol_sections, cv_sections, cycling_sections,
                    materials_sections, cell_projection_sections)
