"""Place a user's material among the knowledge base: rank table and an Arrhenius plot in the style of the
review's Figs. 3E / 5E (log σ against 1000/T, one line per entry over a temperature range, families coloured,
the user's material highlighted).

>>> comp = compare(Ea_eV=0.44, sigma_25C="0.77 mS/cm", name="my imide")
>>> comp.user_rank <= 8
True
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import units
from ..errors import AnalysisError
from ..results import Result
from .kb import FAMILIES, T_ROOM_K, KnowledgeBase, arrhenius_sigma, builtin_kb

__all__ = ["Comparison", "compare", "plot_comparison", "FAMILY_COLORS"]

#: fixed colours per family (colour-blind-friendly Okabe–Ito + greys)
FAMILY_COLORS = {
    "li3n": "#0072B2", "lipon": "#009E73", "nitride_halide": "#D55E00", "nitride_chalcogenide": "#CC79A7",
    "nitridophosphate": "#E69F00", "group14_nitride": "#56B4E9", "group13_nitride": "#999999",
    "imide": "#8B4513", "external": "#BBBBBB", "user": "#000000",
}


@dataclass(frozen=True)
class Comparison(Result):
    """The user's material ranked among knowledge-base entries at ``T_K``.

    ``rows``: dicts ``rank, name, id, family, sigma_S_per_m, Ea_eV, is_user`` sorted by σ(T_K) (highest first).
    ``curves``: per entry, ``T_K`` and ``sigma_S_per_m`` arrays over ``T_range_K`` (figure-ready).
    """

    name: str
    T_K: float
    Ea_eV: float
    Ea_err_eV: float | None
    sigma_25C_S_per_m: float
    sigma_at_T_S_per_m: float
    user_rank: int
    n_ranked: int
    percentile: float
    rows: tuple[dict, ...]
    curves: tuple[dict, ...]
    T_range_K: tuple[float, float]
    user_T_K: np.ndarray | None = None
    user_sigma_S_per_m: np.ndarray | None = None
    left_out: tuple[str, ...] = field(default_factory=tuple)

    def neighbours(self, n: int = 2) -> list[dict]:
        """The user's row with ``n`` entries above and below."""
        i = self.user_rank - 1
        return list(self.rows[max(0, i - n): i + n + 1])


def _sigma_si(x) -> float:
    if isinstance(x, str):
        return units.parse(x, "conductivity")
    v = float(x)
    if not v > 0:
        raise AnalysisError(f"conductivity must be positive, got {x!r}")
    return v


def _as_points(user_points):
    try:
        T, s = (np.asarray(a, dtype=float).ravel() for a in user_points)
    except (TypeError, ValueError):
        raise AnalysisError("user_points must be (T_K array, sigma_S_per_m array)") from None
    if T.shape != s.shape or T.size < 2:
        raise AnalysisError(f"user_points: need matching T and σ arrays with ≥ 2 points, got {T.size} and {s.size}")
    if np.any(~np.isfinite(T)) or np.any(T <= 0) or np.any(~np.isfinite(s)) or np.any(s <= 0):
        raise AnalysisError("user_points: temperatures (K) and conductivities must be positive and finite")
    if np.ptp(T) < 0.1:
        raise AnalysisError("user_points: need at least two distinct temperatures")
    return T, s


def _fit_sigmaT(T, s):
    """Ordinary least squares of ln(σT) on 1/T: (Ea_eV, its standard error or None, σ at 25 °C in S/m).

    (For weighted fits, confidence intervals and two-regime data use :mod:`sselab.transport.arrhenius` and pass
    the result as ``fit=``.)"""
    x = 1.0 / T
    y = np.log(s * T)
    X = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    Ea = -coef[1] * units.K_B_EV
    err = None
    dof = T.size - 2
    if dof > 0:
        resid = y - X @ coef
        var = float(resid @ resid) / dof
        cov = var * np.linalg.inv(X.T @ X)
        err = float(np.sqrt(cov[1, 1]) * units.K_B_EV)
    s25 = float(np.exp(coef[0] + coef[1] / T_ROOM_K) / T_ROOM_K)
    if not Ea > 0:
        raise AnalysisError(f"user_points: fitted Ea = {Ea:.3g} eV is not positive (σ falls with T?)")
    return float(Ea), err, s25


def compare(user_points=None, Ea_eV: float | None = None, sigma_25C=None, name: str = "this work",
            kb: KnowledgeBase | None = None, T_K: float = T_ROOM_K, T_range_K=(250.0, 450.0), families=None,
            fit=None) -> Comparison:
    """Rank a user's material among the knowledge base at ``T_K`` (default 25 °C).

    Give either ``user_points`` = ``(T_K array, sigma_S_per_m array)`` (ordinary least squares of ln σT on 1/T),
    or an ``ArrheniusFit`` from :func:`sselab.transport.arrhenius.fit_arrhenius` as ``fit`` (a ``"sigma"``-convention
    fit is refitted in the σT form), or
    ``Ea_eV`` together with ``sigma_25C`` (S/m, or text such as "0.77 mS/cm").  Entries without Ea are ranked
    only when their σ was reported at ``T_K``; others are listed in ``left_out``.
    """
    kb = kb or builtin_kb()
    Ea_err = None
    uT = us = None
    if fit is not None:
        uT, us = np.asarray(fit.T_K, dtype=float), np.asarray(fit.sigma_S_per_m, dtype=float)
        if getattr(fit, "convention", "sigmaT") == "sigmaT":
            Ea_eV, Ea_err = float(fit.Ea_eV), fit.Ea_err_eV
            s25 = float(fit.sigma_25C_S_per_m)
        else:  # a ln σ fit: refit its points in the σT form the knowledge base uses
            Ea_eV, Ea_err, s25 = _fit_sigmaT(*_as_points((uT, us)))
    elif user_points is not None:
        uT, us = _as_points(user_points)
        Ea_eV, Ea_err, s25 = _fit_sigmaT(uT, us)
    else:
        if Ea_eV is None or sigma_25C is None:
            raise AnalysisError("compare: give user_points, a fit, or both Ea_eV and sigma_25C")
        Ea_eV = float(Ea_eV)
        if not Ea_eV > 0:
            raise AnalysisError(f"Ea must be positive, got {Ea_eV!r} eV")
        s25 = _sigma_si(sigma_25C)
    T_K = units.parse(T_K, "temperature", default_unit="K") if isinstance(T_K, str) else float(T_K)
    s_user = float(arrhenius_sigma(s25, T_ROOM_K, Ea_eV, T_K))
    fams = None if not families else {kb._family_slug(f) for f in
                                      ([families] if isinstance(families, str) else families)}
    pool = [m for m in kb if fams is None or m.family in fams]
    ranked = kb.rank(T_K, pool)
    left_out = tuple(m.name for m in pool if m.sigma_S_per_m is not None and m not in {r[0] for r in ranked})
    rows = [{"name": m.name, "id": m.id, "family": m.family, "sigma_S_per_m": s, "Ea_eV": m.Ea_eV,
             "is_user": False, "flags": list(m.flags)} for m, s in ranked]
    rows.append({"name": name, "id": "__user__", "family": "user", "sigma_S_per_m": s_user, "Ea_eV": Ea_eV,
                 "is_user": True, "flags": []})
    rows.sort(key=lambda r: -r["sigma_S_per_m"])
    for i, r in enumerate(rows):
        r["rank"] = i + 1
    user_rank = next(r["rank"] for r in rows if r["is_user"])
    n = len(rows)
    lo, hi = (float(x) for x in T_range_K)
    if not 0 < lo < hi:
        raise AnalysisError(f"T_range_K must be increasing positive temperatures, got {T_range_K!r}")
    grid = np.linspace(lo, hi, 60)
    curves = []
    for m, _ in ranked:
        if m.Ea_eV is None:
            continue
        curves.append({"name": m.name, "family": m.family, "T_K": grid, "sigma_S_per_m": m.sigma_at(grid),
                       "calculated": m.sigma_calculated, "ref_T_K": m.sigma_T_K, "ref_sigma_S_per_m": m.sigma_S_per_m})
    curves.append({"name": name, "family": "user", "T_K": grid,
                   "sigma_S_per_m": arrhenius_sigma(s25, T_ROOM_K, Ea_eV, grid), "calculated": False,
                   "ref_T_K": T_ROOM_K, "ref_sigma_S_per_m": s25})
    return Comparison(name=name, T_K=T_K, Ea_eV=Ea_eV, Ea_err_eV=Ea_err, sigma_25C_S_per_m=s25,
                      sigma_at_T_S_per_m=s_user, user_rank=user_rank, n_ranked=n,
                      percentile=100.0 * (n - user_rank) / max(n - 1, 1), rows=tuple(rows), curves=tuple(curves),
                      T_range_K=(lo, hi), user_T_K=uT, user_sigma_S_per_m=us, left_out=left_out)


def plot_comparison(comp: Comparison, label_top: int = 0):
    """log10 σ (S/cm) against 1000/T: entries as thin family-coloured lines, reference points as dots,
    the user's material as a thick black line (and its measured points).  Returns the Figure."""
    from ..plotting import new_figure, style

    fig, ax = new_figure(4.6, 3.6)
    with style():
        seen = set()
        for c in comp.curves:
            x = 1000.0 / np.asarray(c["T_K"])
            y = np.log10(np.asarray(c["sigma_S_per_m"]) / 100.0)
            if c["family"] == "user":
                continue
            fam = c["family"]
            lab = FAMILIES.get(fam, fam) if fam not in seen else None
            seen.add(fam)
            ax.plot(x, y, color=FAMILY_COLORS.get(fam, "#777777"), lw=0.9, alpha=0.85,
                    ls="--" if c["calculated"] else "-", label=lab)
            ax.plot(1000.0 / c["ref_T_K"], np.log10(c["ref_sigma_S_per_m"] / 100.0), "o", ms=2.5,
                    color=FAMILY_COLORS.get(fam, "#777777"))
        user = next(c for c in comp.curves if c["family"] == "user")
        ax.plot(1000.0 / user["T_K"], np.log10(user["sigma_S_per_m"] / 100.0), color="black", lw=2.4,
                label=f"{comp.name} (#{comp.user_rank}/{comp.n_ranked})", zorder=5)
        if comp.user_T_K is not None:
            ax.plot(1000.0 / comp.user_T_K, np.log10(comp.user_sigma_S_per_m / 100.0), "s", ms=4, mfc="white",
                    mec="black", zorder=6)
        ax.axvline(1000.0 / comp.T_K, color="0.6", lw=0.6, ls=":")
        if label_top:
            for r in [r for r in comp.rows if not r["is_user"]][:label_top]:
                ax.annotate(r["name"], (1000.0 / comp.T_K, np.log10(r["sigma_S_per_m"] / 100.0)), fontsize=5,
                            xytext=(2, 0), textcoords="offset points")
        ax.set_xlabel("1000/T (K$^{-1}$)")
        ax.set_ylabel("log$_{10}$ σ (S cm$^{-1}$)")
        top = ax.secondary_xaxis("top", functions=(lambda x: 1000.0 / np.maximum(x, 1e-9) - 273.15,
                                                   lambda c: 1000.0 / (np.asarray(c) + 273.15)))
        top.set_xlabel("T (°C)")
        # under the x label: inside the frame the families' legend sat on the low-σ lines
        from matplotlib.transforms import offset_copy

        lo_C, hi_C = sorted(1000.0 / np.asarray(ax.get_xlim()) - 273.15)
        top.set_ticks([c for c in (300, 250, 200, 150, 100, 50, 25, 0, -25, -50) if lo_C <= c <= hi_C])
        handles, labels = ax.get_legend_handles_labels()
        if any(c["calculated"] for c in comp.curves):
            from matplotlib.lines import Line2D

            handles.append(Line2D([], [], color="0.4", lw=0.9, ls="--"))
            labels.append("dashed: calculated σ")
        below = offset_copy(ax.transAxes, fig=fig, y=-28, units="points")
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=below,
                  fontsize=7, ncol=2, borderaxespad=0.0, columnspacing=1.2, handlelength=1.8)
    return fig
