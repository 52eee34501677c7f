"""Grade a material against the targets the two source papers set, each target with its source.

Targets (``TARGETS``):

* lithium-imide paper (Lowen et al., EES Batteries 2025), Introduction — requirements for an SSE:
  σ ≥ 0.1 mS/cm at room temperature; electronically insulating; window up to ~4.2 V and down to ~0 V vs Li+/Li;
  low-resistance interfaces; cheap, commercially viable synthesis.
* nitride review (Li et al., EES 2025), Conclusions and perspectives (a) — σ 1e-3 S/cm (and up to 1e-2 S/cm) for
  fast charging; critical current density > 12 mA/cm²; critical stripping/plating capacity > 3 mAh/cm²; areal
  capacity > 3 mAh/cm²; fast charging > 4C; ≥ 80 % of σ retained after dry-room/air storage; cathode
  compatibility above 4.0 V.

Where a paper gives no number (electronic insulation, "low resistance", "cheap") sselab uses a stated proxy
(see each target's ``threshold``) — these are marked ``criterion="sselab proxy"``.

Status is ``"pass"``, ``"fail"`` or ``"unknown"`` (no data — never guessed).  Conductivity targets are judged at
the scorecard temperature (default 25 °C) using the σT Arrhenius form when the value was measured elsewhere.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import units
from ..errors import SselabError
from ..results import Result
from .kb import Material, T_ROOM_K, material_from_fields

__all__ = ["Target", "Grade", "Scorecard", "TARGETS", "scorecard", "sample_from_measurements"]

IMIDE_INTRO = "Lowen et al., EES Batteries 2025 (lithium imide), Introduction"
REVIEW_CONCL = "Li et al., Energy Environ. Sci. 2025 (nitride review), Conclusions and perspectives (a)"
REVIEW_T6 = "Li et al., Energy Environ. Sci. 2025, Table 6 (synthesis methods)"


@dataclass(frozen=True)
class Target(Result):
    key: str
    description: str
    threshold: str
    source: str
    criterion: str = "paper"


@dataclass(frozen=True)
class Grade(Result):
    key: str
    description: str
    threshold: str
    source: str
    criterion: str
    status: str
    value: str
    detail: str


TARGETS: tuple[Target, ...] = (
    Target("sigma_rt_min", "Ionic conductivity at room temperature", "≥ 0.1 mS/cm", IMIDE_INTRO),
    Target("electronic_insulator", "Electronically insulating",
           "σ_e ≤ 1e-8 S/cm (or t_ion ≥ 0.99)", IMIDE_INTRO, "sselab proxy"),
    Target("window_oxidation", "Stability window up to ~4.2 V vs Li+/Li", "upper limit ≥ 4.2 V", IMIDE_INTRO),
    Target("window_reduction", "Reduction limit close to 0 V vs Li+/Li", "lower limit ≤ 0.1 V", IMIDE_INTRO,
           "sselab tolerance"),
    Target("low_interface_resistance", "Low-resistance interface with Li metal",
           "ASR ≤ 100 Ω cm²", "Lowen et al., EES Batteries 2025, Introduction", "sselab proxy"),
    Target("cheap_synthesis", "Cheap, commercially viable synthesis",
           "bulk route (solid-state / milling), max T ≤ 600 °C; not vapour deposition or Czochralski",
           f"{IMIDE_INTRO}; {REVIEW_T6}", "sselab proxy"),
    Target("sigma_fast_charge", "Ionic conductivity for fast charging", "≥ 1e-3 S/cm at RT", REVIEW_CONCL),
    Target("sigma_fast_charge_stretch", "Ionic conductivity, upper target", "≥ 1e-2 S/cm at RT", REVIEW_CONCL),
    Target("ccd", "Critical current density (Li symmetric cell)", "> 12 mA/cm²", REVIEW_CONCL),
    Target("critical_capacity", "Critical stripping/plating capacity", "> 3 mAh/cm²", REVIEW_CONCL),
    Target("areal_capacity", "Areal capacity (cell level)", "> 3 mAh/cm²", REVIEW_CONCL),
    Target("fast_charging_rate", "Fast charging rate (< 15 min)", "> 4C", REVIEW_CONCL),
    Target("air_stability", "σ retained after dry-room / air storage", "≥ 80 %", REVIEW_CONCL),
    Target("cathode_compatibility", "Compatible with cathodes", "window extends above 4.0 V", REVIEW_CONCL),
)


@dataclass(frozen=True)
class Scorecard(Result):
    name: str
    T_K: float
    grades: tuple[Grade, ...]

    @property
    def counts(self) -> dict[str, int]:
        out = {"pass": 0, "fail": 0, "unknown": 0}
        for g in self.grades:
            out[g.status] += 1
        return out

    def status(self, key: str) -> str:
        for g in self.grades:
            if g.key == key:
                return g.status
        raise KeyError(key)

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["counts"] = self.counts
        return d


def _g(t: Target, status: str, value: str = "—", detail: str = "") -> Grade:
    return Grade(t.key, t.description, t.threshold, t.source, t.criterion, status, value, detail)


def _fmt_sigma(s_S_per_m: float) -> str:
    return f"{s_S_per_m / 100:.3g} S/cm"


def _best_window(m: Material):
    for kind, w in (("experimental", m.window_exp_V), ("extended (calculated)", m.window_extended_V),
                    ("calculated", m.window_calc_V)):
        if w is not None:
            return kind, w
    return None, None


def _sigma_rt(m: Material, T_K: float):
    """(σ at T_K or None, explanation)."""
    if m.sigma_S_per_m is None or m.sigma_T_K is None:
        return None, "no ionic conductivity"
    if abs(m.sigma_T_K - T_K) < 1e-6:
        return m.sigma_S_per_m, f"as reported at {m.sigma_T_K - 273.15:.4g} °C"
    if m.Ea_eV is None:
        if abs(m.sigma_T_K - T_K) <= 5.0:
            return m.sigma_S_per_m, f"reported at {m.sigma_T_K - 273.15:.4g} °C, no Ea to correct"
        return None, f"σ reported at {m.sigma_T_K - 273.15:.4g} °C without Ea"
    s = float(m.sigma_at(T_K))
    return s, (f"σT-Arrhenius from {_fmt_sigma(m.sigma_S_per_m)} at {m.sigma_T_K - 273.15:.4g} °C "
               f"(Ea {m.Ea_eV:g} eV)")


def _cheap(m: Material):
    syn = (m.synthesis or "").lower() + " " + (m.synthesis_detail or "").lower()
    if not syn.strip() and m.synthesis_max_T_K is None:
        return "unknown", "—", "no synthesis route recorded"
    if "vapor deposition" in syn or "vapour deposition" in syn or "sputter" in syn:
        return "fail", m.synthesis or "", "vapour deposition: expensive, less scalable (review Table 6)"
    if "czochralski" in syn:
        return "fail", m.synthesis or "", "Czochralski: time-intensive, low scalability (review Table 6)"
    if m.synthesis_max_T_K is not None:
        T_C = m.synthesis_max_T_K - 273.15
        ok = T_C <= 600
        return ("pass" if ok else "fail"), f"{T_C:g} °C", f"max synthesis temperature {T_C:g} °C"
    if "mechanical milling" in syn and "sinter" not in syn:
        return "pass", m.synthesis or "", "room-temperature ball milling (compatible with large-scale production, " \
                                          "review Table 6)"
    return "unknown", m.synthesis or "", "bulk route but synthesis temperature not recorded"


def scorecard(material, T_K: float = T_ROOM_K, kb=None) -> Scorecard:
    """Grade a knowledge-base entry (name, id or :class:`Material`) or a measured sample (dict, see
    :func:`sample_from_measurements`) against :data:`TARGETS` at ``T_K`` (default 25 °C)."""
    if isinstance(material, dict):
        m = sample_from_measurements(material)
    elif isinstance(material, Material):
        m = material
    else:
        from .kb import builtin_kb
        m = (kb or builtin_kb()).get(str(material))
    T = units.parse(T_K, "temperature", default_unit="K") if isinstance(T_K, str) else float(T_K)
    grades = []
    tgt = {t.key: t for t in TARGETS}
    s_rt, why = _sigma_rt(m, T)
    for key, thr in (("sigma_rt_min", 0.1e-3 * 100), ("sigma_fast_charge", 1e-3 * 100),
                     ("sigma_fast_charge_stretch", 1e-2 * 100)):
        t = tgt[key]
        if s_rt is None:
            grades.append(_g(t, "unknown", "—", why))
        else:
            grades.append(_g(t, "pass" if s_rt >= thr * (1 - 1e-12) else "fail",
                             f"{s_rt / 100:.3g} S/cm at {T - 273.15:.4g} °C", why))
    # electronic insulation
    t = tgt["electronic_insulator"]
    if m.electronic_sigma_S_per_m is not None:
        se = m.electronic_sigma_S_per_m
        ok = se <= 1e-8 * 100
        bound = "< " if m.electronic_upper_bound else ""
        extra = f", t_ion {m.transference_ion:g}" if m.transference_ion is not None else ""
        grades.append(_g(t, "pass" if ok else "fail", f"σ_e {bound}{se / 100:.3g} S/cm{extra}",
                         "electronic conductivity from DC polarisation" if not m.electronic_upper_bound
                         else "upper bound reported"))
    elif m.transference_ion is not None:
        grades.append(_g(t, "pass" if m.transference_ion >= 0.99 else "fail", f"t_ion {m.transference_ion:g}",
                         "ionic transference number"))
    else:
        grades.append(_g(t, "unknown", "—", "no electronic conductivity or transference number"))
    # windows
    kind, w = _best_window(m)
    suffix = " (lower bound: 'at least')" if kind == "experimental" and m.window_exp_min else ""
    for key, test in (("window_oxidation", lambda w: w[1] >= 4.2), ("window_reduction", lambda w: w[0] <= 0.1),
                      ("cathode_compatibility", lambda w: w[1] > 4.0)):
        t = tgt[key]
        if w is None:
            grades.append(_g(t, "unknown", "—", "no stability window"))
        else:
            grades.append(_g(t, "pass" if test(w) else "fail", f"{w[0]:g}–{w[1]:g} V", f"{kind} window{suffix}"))
    # interface
    t = tgt["low_interface_resistance"]
    if m.interface_asr_ohm_m2 is None:
        grades.append(_g(t, "unknown", "—", "no Li|SSE interfacial ASR"))
    else:
        asr = m.interface_asr_ohm_m2 / 1e-4
        grades.append(_g(t, "pass" if asr <= 100 else "fail", f"{asr:.3g} Ω cm²", "Li|SSE interface"))
    t = tgt["cheap_synthesis"]
    st, val, det = _cheap(m)
    grades.append(_g(t, st, val, det))
    # cell-level numbers
    for key, attr, scale, unit, thr in (("ccd", "ccd_A_per_m2", 10.0, "mA/cm²", 12.0),
                                        ("critical_capacity", "critical_capacity_C_per_m2", 36000.0, "mAh/cm²", 3.0),
                                        ("areal_capacity", "areal_capacity_C_per_m2", 36000.0, "mAh/cm²", 3.0),
                                        ("fast_charging_rate", "max_c_rate_per_h", 1.0, "C", 4.0)):
        t = tgt[key]
        v = getattr(m, attr)
        if v is None:
            grades.append(_g(t, "unknown", "—", "not reported"))
        else:
            x = v / scale
            grades.append(_g(t, "pass" if x > thr else "fail", f"{x:.3g} {unit}", m.cell_source or ""))
    t = tgt["air_stability"]
    if m.air_retention is not None:
        grades.append(_g(t, "pass" if m.air_retention >= 0.8 else "fail", f"{100 * m.air_retention:.3g} %",
                         m.cell_source or ""))
    elif m.air_storage_sigma_min_S_per_m is not None and m.sigma_S_per_m:
        lb = m.air_storage_sigma_min_S_per_m / m.sigma_S_per_m
        if lb >= 0.8:
            grades.append(_g(t, "pass", f"≥ {100 * lb:.3g} %", "lower bound from σ after storage"))
        else:
            grades.append(_g(t, "unknown", f"≥ {100 * lb:.3g} %",
                             f"only σ > {_fmt_sigma(m.air_storage_sigma_min_S_per_m)} after storage is reported"))
    else:
        grades.append(_g(t, "unknown", "—", "no storage test"))
    order = {t.key: i for i, t in enumerate(TARGETS)}
    grades.sort(key=lambda g: order[g.key])
    return Scorecard(m.name, T, tuple(grades))


_SAMPLE_CELL_KEYS = {"ccd_mA_per_cm2", "critical_capacity_mAh_per_cm2", "areal_capacity_mAh_per_cm2", "max_rate_C",
                     "air_retention", "air_storage_sigma_S_per_cm_min"}


def sample_from_measurements(measured: dict, name: str | None = None) -> Material:
    """A :class:`Material` from measured properties, keyed like the data file (field units in the names).

    Accepted keys: ``name``, ``formula``, ``sigma_S_per_cm`` + ``sigma_T`` (or ``sigma`` as "1 mS/cm" text and
    ``T`` as "30 C"), ``Ea_eV``, ``electronic_sigma_S_per_cm``, ``transference_ion``, ``window_exp_V`` (or
    ``window_V``), ``interface_asr_ohm_cm2``, ``synthesis``, ``synthesis_max_T_C``, and the cell numbers
    ``ccd_mA_per_cm2``, ``critical_capacity_mAh_per_cm2``, ``areal_capacity_mAh_per_cm2``, ``max_rate_C``,
    ``air_retention`` (fraction) — at top level or under ``cell``.
    """
    d = dict(measured)
    d.setdefault("name", name or d.get("name") or "sample")
    d.setdefault("id", d["name"])
    d.setdefault("family", "user")
    if "sigma" in d:
        raw = d.pop("sigma")
        d["sigma_S_per_cm"] = units.parse(raw, "conductivity") / 100 if isinstance(raw, str) else float(raw)
    if "T" in d:
        d["sigma_T"] = d.pop("T")
    if "window_V" in d:
        d["window_exp_V"] = d.pop("window_V")
    if d.get("sigma_S_per_cm") is not None and d.get("sigma_T") is None:
        raise SselabError("measured sample: give the temperature of sigma (sigma_T, e.g. '30 C')")
    cell = dict(d.pop("cell", {}) or {})
    for k in list(d):
        if k in _SAMPLE_CELL_KEYS:
            cell[k] = d.pop(k)
    if cell:
        cell.setdefault("source", "measured")
        d["cell"] = cell
    return material_from_fields(d, where="measured sample", origin="measured")
