"""Recipe ``operando``: an in-situ XRD or NMR series aligned with the electrochemistry (Fig. 4a–b, ESI Figs 13–17).

Decisions (recorded in ``result.options``):

* one absolute time axis: the series' times (files, log, manifest) and the electrochemistry's start time + time_s,
  each clock shifted by its manifest offset; t = 0 at the earlier start;
* XRD: phases identified on the first pattern (or given), one Pawley fit of the first pattern sets the zero shift
  and the profile; then every pattern's isolated reflections of the main phase (Li2NH when present) are fitted in
  one batch and give a(t) with the zero held; each other phase is followed by the area of its strongest isolated
  reflection;
* NMR: the ``nmr.series`` recipe's processing (phasing, baseline, regions);
* statements: "lattice parameter changed by < x over the run" (x = span + 2·median error), "<region> signal
  grew/fell by y % from t1 to t2".
"""
from __future__ import annotations

import numpy as np

from .base import FigureOut, Flag, RecipeError, RecipeResult, RecipeTable, Value, register


def analyse_xrd_series(s, *, wavelength_m=None, phases="auto", threshold_sigma: float = 5.0, half_width_fwhm: float = 4.0):
    """Track lattice parameter and phase reflection areas through a pattern series."""
    import pandas as pd

    from ..io.base import Measurement
    from ..materials.structures import structure
    from ..structure.crystal import powder_lines
    from ..structure.operando import lattice_series, lattice_statement, track_series
    from . import xrd as rx

    lam = wavelength_m or s.wavelength_m
    if not lam:
        raise RecipeError("the patterns state no wavelength: give one (--wavelength 0.824042A)")
    first = Measurement(pd.DataFrame({"two_theta_deg": s.x, "intensity": s.y[0],
                                      **({"intensity_err": s.err[0]} if s.err is not None else {})}),
                        format="series", technique="XRD", extra={"wavelength_m": lam})
    first_res = rx.run([first], wavelength_m=lam, phases=phases, threshold_sigma=threshold_sigma)
    fit = first_res.details.get("pawley")
    if fit is None:
        raise RecipeError("no knowledge-base phase in the first pattern: give --phases")
    keys = [ph.key for ph in fit.phases]
    main = "Li2NH-Fd-3m" if "Li2NH-Fd-3m" in keys else keys[0]
    fw = float(np.sqrt(max(fit.fwhm_params[2], 1e-8)))
    all_lines = {ph.key: np.asarray(ph.two_theta_deg) for ph in fit.phases}
    xmin, xmax = float(s.x.min()) + 3 * fw, float(s.x.max()) - 3 * fw

    def isolated(key, rel_min=2.0):
        ph = fit.phase(key)
        others = np.concatenate([v for k, v in all_lines.items() if k != key] + [np.zeros(0)])
        I = np.asarray(ph.intensity)
        keep = []
        for j, t in enumerate(ph.two_theta_deg):
            if not xmin <= t <= xmax or I[j] <= 0 or I[j] < rel_min / 100 * I.max():
                continue
            own = np.delete(np.asarray(ph.two_theta_deg), j)
            if (len(others) and np.min(np.abs(others - t)) < 3 * fw) or (len(own) and np.min(np.abs(own - t)) < 3 * fw):
                continue
            keep.append(j)
        return keep

    sel = isolated(main)
    if len(sel) < 2:
        raise RecipeError(f"fewer than 2 isolated reflections of {main} in the range: cannot track its cell")
    ph = fit.phase(main)
    sig = s.err if s.err is not None else np.sqrt(np.maximum(s.y, 1.0))
    fits = track_series(s.x, s.y, np.asarray(ph.two_theta_deg)[sel], half_width_fwhm * fw, sigma=sig, fwhm0=fw)
    hkl = [ph.hkl[j] for j in sel]
    ls = lattice_series(fits, hkl, lam, zero_deg=fit.zero_deg)
    a, ae = ls.a_angstrom, ls.a_err_angstrom
    st_super = first_res.details.get("superstructure")
    label = main
    if main == "Li2NH-Fd-3m" and st_super is not None and st_super.present is False:
        a, ae, label = a / 2, ae / 2, "Li2NH-Fm-3m"
    statement = lattice_statement(s.time_s, a, ae, phase=label.split("-")[0])
    areas = {}
    for k in keys:
        if k == main:
            j = int(np.argmax(ph.intensity))
            jj = [j] if j in sel else sel[:1]
        else:
            iso = isolated(k, rel_min=5.0)
            if not iso:
                continue
            I = np.asarray(fit.phase(k).intensity)
            jj = [max(iso, key=lambda q: I[q])]
        t0 = float(fit.phase(k).two_theta_deg[jj[0]])
        f = track_series(s.x, s.y, [t0], half_width_fwhm * fw, sigma=sig, fwhm0=fw)[0]
        areas[k] = {"two_theta_deg": t0, "hkl": fit.phase(k).hkl[jj[0]], "area": f.area, "area_err": f.area_err,
                    "center": f.center, "fwhm": f.fwhm}
    return {"first": first_res, "main": label, "a": a, "a_err": ae, "hkl": hkl, "statement": statement, "areas": areas,
            "fits": fits, "wavelength_m": lam, "zero_deg": fit.zero_deg}


def plot(result: RecipeResult) -> list[FigureOut]:
    """Fig. 4a/b-style contour with the cell's potential and current beside it; a(t) or integrals vs time; peak
    areas vs time and vs cumulative charge."""
    import matplotlib.pyplot as plt

    from ..plotting import style
    from .nmr import _contour

    f = result.figures
    out = []
    t = np.asarray(f["time_s"]) / 3600.0
    with style():
        fig = plt.figure(figsize=(6.5, 4.0))
        gs = fig.add_gridspec(1, 3, width_ratios=[3.2, 1.0, 1.0], wspace=0.08)
        ax = fig.add_subplot(gs[0])
        x = np.asarray(f["x"])
        _contour(ax, x, t, np.asarray(f["Y"]), log=f["kind"] == "XRD")
        if f["kind"] == "NMR":
            regs = list((f.get("regions") or {}).values())
            if regs:
                lo = min(r[0] for r in regs) - 40
                hi = max(r[1] for r in regs) + 40
                ax.set_xlim(hi, lo)
            else:
                ax.invert_xaxis()
            ax.set_xlabel("δ(⁷Li) (ppm)")
        else:
            ax.set_xlabel("2θ (°)")
        ax.set_ylabel("time (h)")
        ax2 = fig.add_subplot(gs[1], sharey=ax)
        ax3 = fig.add_subplot(gs[2], sharey=ax)
        te = np.asarray(f.get("ec_time_s", [])) / 3600.0
        if len(te):
            ax2.plot(np.asarray(f["ec_potential_V"]) * 1e3, te, lw=0.5, color="C3")
            ax3.plot(np.asarray(f["ec_current_A"]) * 1e6, te, lw=0.5, color="C0")
        ax2.set_xlabel("E (mV)")
        ax3.set_xlabel("I (µA)")
        plt.setp(ax2.get_yticklabels(), visible=False)
        plt.setp(ax3.get_yticklabels(), visible=False)
        pad = 0.05 * max(np.ptp(t), 1e-3)
        ax.set_ylim(t.min() - pad, t.max() + pad)
    out.append(FigureOut(f"operando_{f['kind'].lower()}_contour", f"In situ {f['kind']} with the electrochemistry", fig,
                         "Series vs time with the cell potential and current on the same time axis.",
                         "Fig. 4a" if f["kind"] == "XRD" else "Fig. 4b"))
    with style():
        if f["kind"] == "XRD":
            fig, axes = plt.subplots(2, 1, figsize=(3.5, 4.2), sharex=True)
            axes[0].errorbar(t, f["a_angstrom"], yerr=f["a_err_angstrom"], fmt="o", ms=2, lw=0.6)
            axes[0].set_ylabel(f"a ({f['main']}) (Å)")
            for k, (name, d) in enumerate(f["areas"].items()):
                v = np.asarray(d["area"])
                axes[1].plot(t, v / v[0] if v[0] else v, "o-", ms=2, lw=0.6, label=f"{name} {tuple(d['hkl'])}")
            axes[1].set_ylabel("peak area (rel.)")
            axes[1].set_xlabel("time (h)")
            axes[1].legend(fontsize=6)
            out.append(FigureOut("operando_xrd_tracking", "Lattice parameter and peak areas vs time", fig,
                                 "Cell edge from the tracked reflections; reflection areas relative to the first pattern."))
            q = np.asarray(f.get("throughput_C", []), float)
            if len(q) and np.isfinite(q).any():
                fig, ax = plt.subplots(figsize=(3.5, 2.6))
                for name, d in f["areas"].items():
                    v = np.asarray(d["area"])
                    ax.plot(q * 1e3 / 3.6, v / v[0] if v[0] else v, "o-", ms=2, lw=0.6, label=name)
                ax.set_xlabel("charge passed (mAh)")
                ax.set_ylabel("peak area (rel.)")
                ax.legend(fontsize=6)
                out.append(FigureOut("operando_xrd_vs_charge", "Peak areas vs charge passed", fig,
                                     "Reflection areas vs cumulative |charge|."))
        else:
            names = list(f["integrals"])
            fig, axes = plt.subplots(len(names), 1, figsize=(3.5, 1.4 + 1.2 * len(names)), sharex=True, squeeze=False)
            for k, n in enumerate(names):
                v = np.asarray(f["integrals"][n])
                e = np.asarray(f["integral_errors"][n])
                axes[k, 0].errorbar(t, v / v[0] if v[0] else v, yerr=e / abs(v[0]) if v[0] else e, fmt="o-", ms=2, lw=0.6)
                axes[k, 0].set_ylabel(f"{n}\n(rel. to t₀)")
            axes[-1, 0].set_xlabel("time (h)")
            out.append(FigureOut("operando_nmr_integrals", "Region integrals vs time", fig,
                                 "Integrals relative to the first spectrum (Li metal, electrolyte).", "ESI Fig. 17"))
    return out


@register("operando", techniques=("XRD-series", "NMR-series"), plot=plot, title="In situ XRD / NMR with the electrochemistry",
          summary="In situ XRD/NMR series aligned with electrochemistry: contour, tracking, statements")
def run(measurements, cell=None, *, series=None, ec_offset_s: float = 0.0, ec_start=None, wavelength_m=None,
        phases="auto", regions=None, autophase: bool = True) -> RecipeResult:
    """``measurements``: the electrochemistry record (or none); ``series``: the XRD/NMR Series (required)."""
    from ..structure.operando import align, ec_trace

    if series is None:
        raise RecipeError("operando needs a pattern/spectrum series")
    ms = [m for m in (list(measurements) if isinstance(measurements, (list, tuple)) else [measurements]) if m is not None]
    ec = ec_trace(ms[0], offset_s=ec_offset_s, start=ec_start) if ms else None
    flags: list[Flag] = []
    if ec is None:
        flags.append(Flag("no_electrochemistry", "no electrochemistry record: series analysed on its own clock", "info"))
    al = align(series, ec)
    if ec is not None and al.outside:
        flags.append(Flag("outside_ec", f"{al.outside} of {len(series)} members lie outside the electrochemistry "
                                        f"record — check the clocks/offsets", "warning"))
    values: list[Value] = [Value("n_members", len(series), "", None, f"{series.kind} members"),
                           Value("duration_h", float(np.ptp(series.time_s)) / 3600.0, "h", None, "series duration")]
    tables: list[RecipeTable] = []
    figures: dict = {"kind": series.kind, "time_s": al.member_time_s, "ec_time_s": al.ec_time_s,
                     "ec_potential_V": al.ec_potential_V, "ec_current_A": al.ec_current_A,
                     "throughput_C": al.throughput_C}
    details: dict = {"aligned": al}
    options = {"ec_offset_s": ec_offset_s, "time_source": series.time_source, "t0": al.t0.isoformat(),
               "phases": phases if isinstance(phases, str) else str(phases), "wavelength_m": wavelength_m}
    statements = []
    if series.kind == "XRD":
        r = analyse_xrd_series(series, wavelength_m=wavelength_m, phases=phases)
        details["xrd"] = r
        st = r["statement"]
        statements.append(st)
        values += [Value("lattice_a_first_angstrom", float(r["a"][0]), "Å", float(r["a_err"][0]), f"a ({r['main']}), first"),
                   Value("lattice_a_last_angstrom", float(r["a"][-1]), "Å", float(r["a_err"][-1]), f"a ({r['main']}), last"),
                   Value("lattice_change_bound_angstrom", st.evidence["bound_angstrom"], "Å", None,
                         "lattice parameter change over the run (upper bound)", bound="<=", note=st.text),
                   Value("lattice_drift_angstrom_per_h", st.evidence["drift_angstrom_per_h"], "Å/h",
                         st.evidence["drift_err_angstrom_per_h"], "lattice drift")]
        for name, d in r["areas"].items():
            v, e = np.asarray(d["area"]), np.asarray(d["area_err"])
            if v[0] > 0 and len(v) > 1:
                from ..structure.operando import growth_statement

                g = growth_statement(al.member_time_s, v, e, what=f"{name} {tuple(d['hkl'])} reflection")
                statements.append(g)
                values.append(Value(f"area_change_{name}_percent", g.evidence["change_percent"], "%",
                                    g.evidence["change_err_percent"], f"{name} reflection area change", note=g.text))
        rows = []
        for k in range(len(series)):
            rows.append((float(al.member_time_s[k]) / 3600.0, float(al.potential_V[k]), float(al.current_A[k]),
                         float(r["a"][k]), float(r["a_err"][k]),
                         *[float(d["area"][k]) for d in r["areas"].values()]))
        tables.append(RecipeTable("per_pattern", ("time_h", "potential_V", "current_A", "a_angstrom", "a_err_angstrom",
                                                  *[f"area_{n}" for n in r["areas"]]), tuple(rows),
                                  "Per pattern: cell state, lattice parameter and reflection areas"))
        step = max(1, len(series.x) // 2500)
        figures.update({"x": series.x[::step], "Y": series.y[:, ::step], "a_angstrom": r["a"], "a_err_angstrom": r["a_err"],
                        "main": r["main"], "areas": {k: {"area": d["area"], "hkl": list(d["hkl"])} for k, d in r["areas"].items()}})
        options["wavelength_m"] = r["wavelength_m"]
        for fl in r["first"].flags:
            flags.append(fl)
        sup = r["first"].details.get("superstructure")
        if sup is not None:
            values.append(Value("superstructure_first", sup.present if sup.present is not None else "not tested", "", None,
                                "Li2NH (111) superstructure (first pattern)", note=sup.reason))
    else:
        from . import nmr as rn

        vals, fl, tabs, figs, opts, det = rn.analyse(series, regions=regions, autophase=autophase)
        values += vals
        flags += fl
        details["nmr"] = det
        statements += det["statements"]
        figures.update({"x": figs["ppm"], "Y": figs["Y"], "integrals": figs["integrals"],
                        "integral_errors": figs["integral_errors"], "regions": figs["regions"]})
        options.update(opts)
        t = tabs[0]
        tables.append(RecipeTable("per_spectrum", ("potential_V", "current_A", *t.columns),
                                  tuple((float(al.potential_V[k]), float(al.current_A[k]), *t.rows[k])
                                        for k in range(len(t.rows))), t.title))
    figures["statements"] = [s.text for s in statements]
    for s in statements:
        flags.append(Flag(s.code, s.text, "info"))
    for w in series.warnings[:5]:
        flags.append(Flag("series_warning", w[:200], "info"))
    return RecipeResult("operando", f"{series.kind} series ({len(series)} members)", tuple(dict.fromkeys(series.sources)),
                        options, tuple(values), tuple(flags), tuple(tables), figures, details)
