"""Recipe ``xrd.pattern``: one powder pattern → phases, lattice parameter(s), the Li2NH superstructure test,
weight fractions (Fig. 1d / Fig. 2e of the imide paper); and the series helper used by ``operando``.

Decisions made here (recorded in ``result.options``):

* wavelength: the option, else the file (``extra['wavelength_m']``, Kα2 when the file states it), else an
  error — an anode name alone is used only with the flag ``wavelength_from_anode``;
* phases ``"auto"``: peaks are matched against every knowledge-base structure (:func:`identify_phases`); Li2NH
  is always fitted in the doubled Fd-3m cell (its reflections include every Fm-3m one), so the superstructure test
  runs on the same fit; when (111) is absent the phase is reported as Fm-3m with a = a(Fd-3m)/2;
* when no knowledge-base phase explains the peaks: automatic cubic indexing and a cubic fit of the peak positions;
* the lattice parameter comes from a Pawley fit (cells, zero shift, Caglioti profile, free intensities, Chebyshev
  background); its error is the fit's standard error;
* superstructure present when I(111)/σ ≥ 5 (``threshold_sigma``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import AnalysisError
from .base import FigureOut, Flag, RecipeError, RecipeResult, RecipeTable, Value, register

LI2NH_KEYS = ("Li2NH-Fd-3m", "Li2NH-Fm-3m")


def _wavelength(m, wavelength_m, wavelength2_m, ka2_ratio, flags):
    extra = m.extra
    if wavelength_m:
        return float(wavelength_m), wavelength2_m, float(ka2_ratio or 0.0), "option"
    if extra.get("wavelength_m"):
        src = extra.get("wavelength_source", "file")
        if "anode" in str(src):
            flags.append(Flag("wavelength_from_anode", f"no wavelength in the file: {src} used — give --wavelength "
                                                       f"if the beam was different", "warning"))
        return float(extra["wavelength_m"]), extra.get("wavelength2_m"), float(extra.get("ka2_ratio") or 0.0), src
    if extra.get("anode"):
        from ..io.xrd import ANODES

        if extra["anode"] in ANODES:
            flags.append(Flag("wavelength_from_anode", f"no wavelength in the file: {extra['anode']} Kα1 assumed — "
                                                       f"give --wavelength to be sure", "warning"))
            return ANODES[extra["anode"]][0], None, 0.0, f"anode {extra['anode']}"
    raise RecipeError(f"{m.name}: the file states no wavelength; give one (--wavelength 0.824042A, or an anode: Mo, CuKa)")


def _phase_list(phases):
    from ..materials.structures import structure

    if phases in (None, "auto"):
        return None
    if isinstance(phases, str):
        phases = [p for p in phases.split(",") if p.strip()]
    out = []
    for p in phases:
        c = structure(p) if isinstance(p, str) else p
        if c.key in LI2NH_KEYS:
            c = structure("Li2NH-Fd-3m") if c.key == "Li2NH-Fm-3m" else c
        if c.key not in [o.key for o in out]:
            out.append(c)
    return out


def _pattern(m, row):
    d = m.data
    if "two_theta_deg" not in d.columns:
        raise RecipeError(f"{m.name}: no 2θ axis (a Q axis without a wavelength?)")
    if "row" in d.columns:
        sel = d["row"].to_numpy() == row
        if not sel.any():
            raise RecipeError(f"{m.name}: no row {row}")
        d = d[sel]
    x = d["two_theta_deg"].to_numpy(float)
    y = d["intensity"].to_numpy(float)
    e = d["intensity_err"].to_numpy(float) if "intensity_err" in d.columns else None
    o = np.argsort(x)
    return x[o], y[o], None if e is None else e[o]


def plot(result: RecipeResult) -> list[FigureOut]:
    """Fig. 1d-style: observed (points), Pawley fit, difference, reflection ticks; inset around the (111) line."""
    from ..plotting import new_figure

    f = result.figures
    x, y = np.asarray(f["x"]), np.asarray(f["y"])
    fig, ax = new_figure(6.5, 3.6)
    ax.plot(x, y, ".", ms=1.5, color="0.25", label="observed")
    if "calc" in f:
        calc = np.asarray(f["calc"])
        ax.plot(x, calc, "-", lw=0.8, color="C3", label="Pawley fit")
        diff = y - calc
        off = -0.08 * np.nanmax(y)
        ax.plot(x, diff + off, "-", lw=0.5, color="C0", label="difference")
        ticks = f.get("ticks", {})
        for k, (name, tt) in enumerate(ticks.items()):
            yy = off - 0.05 * np.nanmax(y) * (k + 1.5)
            ax.plot(tt, np.full(len(tt), yy), "|", ms=6, color=f"C{k + 4}", label=name)
    ax.set_xlabel("2θ (°)")
    ax.set_ylabel("Intensity (counts)")
    lam = f.get("wavelength_m")
    if lam:
        ax.set_title(f"{result.subject} — λ = {lam * 1e10:.6g} Å", fontsize=8)
    ax.legend(loc="upper right", fontsize=6, markerscale=3)
    st = f.get("superstructure_two_theta_deg")
    if st is not None and "calc" in f:
        ins = ax.inset_axes([0.55, 0.45, 0.25, 0.35])
        w = 0.6
        sel = (x > st - w) & (x < st + w)
        ins.plot(x[sel], y[sel], ".", ms=2, color="0.25")
        ins.plot(x[sel], np.asarray(f["calc"])[sel], "-", lw=0.8, color="C3")
        ins.set_title("(111) superstructure", fontsize=6)
        ins.tick_params(labelsize=5)
    return [FigureOut(f"xrd_{_stem(Path(result.subject).stem)}", f"Powder pattern {result.subject}", fig,
                      "Observed pattern, Pawley fit, difference and reflection positions; inset: the (111) line of the "
                      "doubled Fd-3m Li2NH cell.", "Fig. 1d")]


def _stem(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("_") or "pattern"


@register("xrd.pattern", techniques=("XRD",), plot=plot, summary="Powder pattern: phases, lattice parameters, Li2NH superstructure")
def run(measurements, cell=None, *, wavelength_m: float | None = None, wavelength2_m: float | None = None,
        ka2_ratio: float = 0.0, phases="auto", row: int = 0, two_theta_range=None, threshold_sigma: float = 5.0,
        refine_zero: bool = True, n_background: int = 8, min_snr: float = 6.0) -> RecipeResult:
    """One powder pattern: identify phases, Pawley-fit their cells, test the Li2NH (111) superstructure line."""
    from ..materials.structures import all_structures, structure
    from ..structure.peaks import find_peaks, snip_background
    from ..structure.xrd import (d_to_two_theta, fit_cubic, identify_phases, index_cubic, pawley_fit,
                                 superstructure_test, weight_fractions)
    from ..structure.peaks import fit_peaks

    ms = list(measurements) if isinstance(measurements, (list, tuple)) else [measurements]
    if len(ms) != 1:
        raise RecipeError("xrd.pattern analyses one pattern at a time")
    m = ms[0]
    if m.technique != "XRD":
        raise RecipeError(f"{m.name}: a {m.technique} file, not a powder pattern")
    flags: list[Flag] = []
    if "row" in m.data.columns and m.data["row"].nunique() > 1:
        flags.append(Flag("multi_row", f"the file holds {m.data['row'].nunique()} patterns; row {row} analysed", "info"))
    lam, lam2, ratio, lam_src = _wavelength(m, wavelength_m, wavelength2_m, ka2_ratio, flags)
    x, y, e = _pattern(m, row)
    if two_theta_range is not None:
        lo, hi = two_theta_range
        keep = (x >= lo) & (x <= hi)
        x, y, e = x[keep], y[keep], (None if e is None else e[keep])
    if len(x) < 50:
        raise RecipeError(f"{m.name}: only {len(x)} points in the 2θ range")
    step = float(np.median(np.diff(x)))
    bg = snip_background(y, half_width=max(10, int(0.8 / max(step, 1e-6))))[0]
    pk = find_peaks(x, y, background=bg, sigma=e if e is not None else np.sqrt(np.maximum(bg, 1.0)), min_snr=min_snr)
    options = {"wavelength_m": lam, "wavelength_source": lam_src, "wavelength2_m": lam2, "ka2_ratio": ratio,
               "phases": phases if isinstance(phases, str) or phases is None else ",".join(getattr(p, "key", str(p)) for p in phases),
               "row": row, "two_theta_range": two_theta_range, "threshold_sigma": threshold_sigma,
               "refine_zero": refine_zero, "n_background": n_background, "min_snr": min_snr}
    values: list[Value] = []
    tables: list[RecipeTable] = []
    figures: dict = {"x": x, "y": y, "background": bg, "peaks_two_theta_deg": x[pk], "wavelength_m": lam}
    details: dict = {}
    chosen = _phase_list(phases)
    matches = []
    if chosen is None:
        cands = [c for c in all_structures() if c.key != "Li2NH-Fm-3m"]
        if len(pk) == 0:
            raise RecipeError(f"{m.name}: no peak above {min_snr:g}σ — nothing to identify")
        matches = identify_phases(x[pk], lam, cands, x_range=(x.min(), x.max()),
                                  tolerance_deg=max(0.05, 3 * step), peak_heights=(y - bg)[pk])
        # greedy: a phase counts only when it explains ≥ 2 observed peaks that no better-matching phase explains
        # (a minor phase whose strong lines all coincide with the main phase's cannot be told from it)
        from ..structure.crystal import powder_lines

        tol = max(0.05, 3 * step)
        explained: set = set()
        chosen = []
        for mt in matches:
            if not mt.found:
                continue
            new = set(mt.explained_peaks) - explained
            if not chosen or len(new) >= 2:
                c = structure(mt.key)
                chosen.append(c)
                # every line of an accepted phase (not only its strong ones) explains the peaks it falls on
                pl = powder_lines(c.with_a(c.a_angstrom * mt.lattice_scale), lam, float(x.max()) + 1)
                ok = pl.relative >= 0.2
                dist = np.abs(x[pk][:, None] - pl.two_theta_deg[ok][None, :])
                explained |= set(np.where(dist.min(axis=1) < tol)[0].tolist()) if ok.any() else set()
                explained |= set(mt.explained_peaks)
        # scale the starting cells to the matched scale
        scale = {mt.key: mt.lattice_scale for mt in matches}
        chosen = [c.with_a(c.a_angstrom * scale[c.key]) for c in chosen]
        tables.append(RecipeTable("phase_search", ("phase", "strong_lines_matched", "strong_lines_expected", "score",
                                                   "cell_scale", "found"),
                                  tuple((mt.key, mt.matched, mt.expected, round(mt.score, 3), round(mt.lattice_scale, 5),
                                         mt.found) for mt in matches), "Phase search against the knowledge base"))
    superstructure = None
    if chosen:
        sig = e if e is not None else np.sqrt(np.maximum(y, 1.0))
        fit = pawley_fit(x, y, chosen, lam, sigma=sig, wavelength2_m=lam2, ka2_ratio=ratio, n_background=n_background,
                         refine_zero=refine_zero)
        details["pawley"] = fit
        for w in fit.warnings:
            flags.append(Flag("fit_not_converged", w, "warning"))
        wf = weight_fractions(fit, chosen)
        main_a = None
        for ph in fit.phases:
            key = ph.key
            a, ae = ph.cell[0], ph.cell_err[0]
            shown_key = key
            if key == "Li2NH-Fd-3m":
                st = superstructure_test(fit, key, threshold_sigma=threshold_sigma)
                superstructure = st
                details["superstructure"] = st
                if st.present is False:
                    shown_key = "Li2NH-Fm-3m"
                    a, ae = a / 2.0, ae / 2.0
                main_a = (a, ae, shown_key)
            values.append(Value(f"a_{shown_key}_angstrom", float(a), "Å", float(ae), f"a ({shown_key})"))
            from ..structure.xrd import crystal_system

            if crystal_system(ph.space_group) != "cubic":
                for nm, i in (("b", 1), ("c", 2)):
                    if ph.cell_err[i] > 0 and abs(ph.cell[i] - ph.cell[0]) > 1e-9:
                        values.append(Value(f"{nm}_{key}_angstrom", float(ph.cell[i]), "Å", float(ph.cell_err[i]),
                                            f"{nm} ({key})"))
            f, fe = wf.get(key, (float("nan"), float("nan")))
            if len(fit.phases) > 1 and np.isfinite(f):
                values.append(Value(f"weight_fraction_{shown_key}", float(f), "", float(fe) if np.isfinite(fe) else None,
                                    f"weight fraction ({shown_key})", note="Hill–Howard estimate, no absorption correction"))
            tables.append(RecipeTable(f"reflections_{key}", ("h", "k", "l", "two_theta_deg", "intensity", "intensity_err",
                                                             "calc_relative"),
                                      tuple((*h, round(float(t), 5), float(i), float(ie),
                                             float(c / ph.calc_intensity.max() * 100) if ph.calc_intensity.max() > 0 else 0.0)
                                            for h, t, i, ie, c in zip(ph.hkl, ph.two_theta_deg, ph.intensity,
                                                                       ph.intensity_err, ph.calc_intensity)),
                                      f"Pawley intensities, {ph.name}"))
        if main_a is None:
            main_a = (fit.phases[0].cell[0], fit.phases[0].cell_err[0], fit.phases[0].key)
        values.insert(0, Value("lattice_a_angstrom", float(main_a[0]), "Å", float(main_a[1]),
                               f"lattice parameter a ({main_a[2]})", where=main_a[2]))
        values.append(Value("zero_shift_deg", fit.zero_deg, "deg", fit.zero_err_deg, "2θ zero shift"))
        values.append(Value("rwp", fit.rwp, "", None, "Rwp (Pawley)"))
        values.append(Value("chi2_red", fit.chi2_red, "", None, "reduced χ² (Pawley)"))
        if fit.chi2_red > 10:
            flags.append(Flag("poor_fit", f"reduced χ² = {fit.chi2_red:.3g}: the phases do not describe the pattern "
                                          f"well (missing phase, asymmetric peaks?) — errors are scaled by it", "warning"))
        figures.update({"calc": fit.calc, "fit_background": fit.background,
                        "ticks": {ph.key: list(map(float, ph.two_theta_deg)) for ph in fit.phases}})
        # unexplained peaks
        allt = np.concatenate([ph.two_theta_deg for ph in fit.phases]) if fit.phases else np.zeros(0)
        fw = np.sqrt(max(fit.fwhm_params[2], 1e-6))
        unexpl = [float(t) for t, h in zip(x[pk], (y - bg)[pk]) if len(allt) == 0 or np.min(np.abs(allt - t)) > 3 * fw]
        if unexpl:
            flags.append(Flag("unexplained_peaks", f"{len(unexpl)} peak(s) not explained by the fitted phases "
                                                   f"(2θ = {', '.join(f'{t:.3f}' for t in unexpl[:6])}{' …' if len(unexpl) > 6 else ''}°)",
                              "warning"))
    else:
        # no knowledge-base phase: automatic cubic indexing of the peaks
        flags.append(Flag("no_known_phase", "no knowledge-base structure explains the peaks: automatic cubic indexing",
                          "warning"))
        if len(pk) < 3:
            raise RecipeError(f"{m.name}: {len(pk)} peak(s) found — too few to index")
        try:
            idx = index_cubic(x[pk], lam, tolerance_deg=max(0.05, 3 * step))
        except AnalysisError as exc:
            idx = None
            flags.append(Flag("not_indexed", f"no cubic cell indexes the peaks ({exc})", "error"))
        if idx is not None and idx.figure_of_merit < 0.8:
            flags.append(Flag("not_indexed", f"the best cubic cell ({idx.lattice}, a = {idx.a_angstrom:.4f} Å) indexes "
                                             f"only {idx.figure_of_merit:.0%} of the {len(pk)} peaks: not a single cubic "
                                             f"phase — give --phases", "error"))
            values.append(Value("indexed_fraction", idx.figure_of_merit, "", None, "peaks indexed (best cubic cell)"))
            idx = None
        if idx is not None:
            details["indexing"] = idx
            hw = max(8 * step, 0.1)
            fits = fit_peaks(x, y, x[pk][idx.indexed], hw, sigma=e if e is not None else np.sqrt(np.maximum(y, 1)))
            hk = [h for h, ok in zip(idx.hkl, idx.indexed) if ok]
            cf = fit_cubic(hk, fits.center, lam, fits.center_err, refine_zero=len(hk) >= 4 and refine_zero)
            details["cubic_fit"] = cf
            values.insert(0, Value("lattice_a_angstrom", cf.a_angstrom, "Å", cf.a_err_angstrom,
                                   f"lattice parameter a (cubic {idx.lattice}, indexed)"))
            values.append(Value("lattice_type", idx.lattice, "", None, "cubic lattice (P, I, F, D = diamond)"))
            values.append(Value("indexed_fraction", idx.figure_of_merit, "", None, "peaks indexed"))
            tables.append(RecipeTable("indexed_peaks", ("h", "k", "l", "two_theta_deg", "two_theta_err_deg", "residual_deg"),
                                      tuple((*h, float(t), float(te), float(r)) for h, t, te, r in
                                            zip(hk, fits.center, fits.center_err, cf.residuals_deg)),
                                      "Indexed reflections"))
    if superstructure is not None:
        st = superstructure
        values.insert(1, Value("superstructure", st.present if st.present is not None else "not tested", "", None,
                               "Li2NH (111) superstructure line (2a×2a×2a Fd-3m)", note=st.reason))
        if st.present is not None:
            values.insert(2, Value("superstructure_significance_sigma", st.significance_sigma, "", None,
                                   "I(111)/σ"))
            values.insert(3, Value("superstructure_ratio", st.ratio, "", st.ratio_err if np.isfinite(st.ratio_err) else None,
                                   "I(111)/I(strongest)", note=f"ordered model {st.expected_ratio:.4f}"))
            figures["superstructure_two_theta_deg"] = st.two_theta_deg
        else:
            flags.append(Flag("superstructure_untested", st.reason, "warning"))
    found = [t.key for t in (chosen or [])]
    if superstructure is not None and superstructure.present is False:
        found = ["Li2NH-Fm-3m" if k == "Li2NH-Fd-3m" else k for k in found]
    values.append(Value("phases", ",".join(found) if found else "none", "", None, "phases found"))
    figures["phases"] = found
    return RecipeResult("xrd.pattern", m.name, (str(m.source),), options, tuple(values), tuple(flags), tuple(tables),
                        figures, details)
