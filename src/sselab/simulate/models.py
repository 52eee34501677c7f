"""Forward models of the measurements in a solid-electrolyte paper, with realistic seeded noise.

Every model returns a :class:`Simulation`: a canonical SI DataFrame (the columns ``sselab.io.read`` produces), the
technique, and ``truth`` — the inputs an analysis should recover.  ``Simulation.write(path)`` writes it as an EC-Lab
``.mpt`` (default), a ZView ``.z`` (EIS) or a canonical ``.csv``, chosen by the path's suffix.

Models (all parameters SI; defaults follow Lowen et al., EES Batteries 2025, 1, 527 — lithium imide):

* :func:`eis_blocking` — Au|SSE|Au, ``R0-p(R1,CPE1)-p(R2,CPE2)-CPE3``; R1 (bulk) and R2 (grain boundary) from
  :class:`ArrheniusLaw` conductivities and the pellet geometry (R = L/(σA)).
* :func:`eis_symmetric` — Li|SSE|Li, ``R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)`` with R3 = 2·ASR/A (two interfaces).
* :func:`dc_polarization` — potentiostatic hold: I(t) = I_e + I_ion·exp(−t/τ), I_e = σ_e·A·V/L.
* :func:`cyclic_voltammetry` — Li|SSE|steel, plating/stripping near 0 V whose charge grows with cycle number in two
  linear regimes, a plated-vs-stripped loss, a capacitive background and an exponential decomposition onset.
* :func:`stripping_plating` — galvanostatic Li|SSE|Li ladder; the cell resistance falls with charge passed and
  recovers at rest; optional hard or soft short from a given cycle.
* :func:`full_cell` — Li|SSE|TiS2 galvanostatic charge–discharge with capacity fade (126 mAh/g first discharge at
  5 mA/g between 1.5 and 3.2 V).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SselabError
from ..results import Result, jsonable
from ..units import FARADAY, K_B_EV
from . import circuits as _imp

__all__ = [
    "ArrheniusLaw", "Simulation", "eis_blocking", "eis_symmetric", "dc_polarization", "cyclic_voltammetry",
    "stripping_plating", "full_cell", "pellet_area", "EPS0",
]

EPS0 = 8.8541878128e-12  # F/m


def _rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def pellet_area(diameter_m: float) -> float:
    return math.pi * (diameter_m / 2) ** 2


@dataclass(frozen=True)
class ArrheniusLaw(Result):
    """σ(T) = σ0/T · exp(−Ea/(k_B·T)), pinned by its value ``sigma_ref_S_per_m`` at ``T_ref_K``."""

    sigma_ref_S_per_m: float
    Ea_eV: float
    T_ref_K: float = 303.15

    @property
    def sigma0_S_K_per_m(self) -> float:
        return self.sigma_ref_S_per_m * self.T_ref_K * math.exp(self.Ea_eV / (K_B_EV * self.T_ref_K))

    def sigma(self, T_K):
        T = np.asarray(T_K, dtype=float)
        return self.sigma0_S_K_per_m / T * np.exp(-self.Ea_eV / (K_B_EV * T))

    def scaled(self, factor: float) -> "ArrheniusLaw":
        return ArrheniusLaw(self.sigma_ref_S_per_m * factor, self.Ea_eV, self.T_ref_K)


@dataclass(frozen=True)
class Simulation:
    """A simulated measurement: canonical SI ``data``, its ``technique`` and the ``truth`` that produced it."""

    data: pd.DataFrame
    technique: str
    truth: dict = field(default_factory=dict)
    temperature_K: float | None = None
    meta: dict = field(default_factory=dict)

    def impedance(self):
        d = self.data
        return d["freq_Hz"].to_numpy(float), d["z_real_ohm"].to_numpy(float) + 1j * d["z_imag_ohm"].to_numpy(float)

    def write(self, path, **kwargs) -> Path:
        """Write as ``.mpt`` (EC-Lab), ``.z`` (ZView, EIS only) or ``.csv`` (canonical) according to the suffix."""
        from .writers import write_csv, write_mpt, write_zview

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".mpt":
            kw = {"temperature_K": self.temperature_K, **self.meta, **kwargs}
            return write_mpt(path, self.data, self.technique, **kw)
        if suffix == ".z":
            if self.technique not in ("EIS", "PEIS", "GEIS"):
                raise SselabError(f"{path}: a ZView .z file holds impedance only, not {self.technique}")
            f, z = self.impedance()
            return write_zview(path, f, z, time_s=self.data["time_s"].to_numpy(float),
                               temperature_K=self.temperature_K, **kwargs)
        if suffix == ".csv":
            return write_csv(path, self.data, **kwargs)
        raise SselabError(f"{path}: unknown output format {suffix!r} (use .mpt, .z or .csv)")

    def truth_json(self) -> dict:
        return jsonable(self.truth)


# ---------------------------------------------------------------------------------------------------------------
# impedance
# ---------------------------------------------------------------------------------------------------------------

def default_frequencies(f_max: float = 13e6, f_min: float = 5.0, per_decade: int = 10) -> np.ndarray:
    """Logarithmic sweep from high to low frequency (as analysers sweep), ``per_decade`` points per decade."""
    n = int(round(math.log10(f_max / f_min) * per_decade)) + 1
    return np.logspace(math.log10(f_max), math.log10(f_min), n)


def _eis_frame(f: np.ndarray, z: np.ndarray, T_K: float, t0: float = 0.0) -> pd.DataFrame:
    # each point takes a few periods plus settling: the time column grows as the sweep slows down
    dt = np.maximum(3.0 / f, 0.05) + 0.3
    return pd.DataFrame({
        "time_s": t0 + np.cumsum(dt),
        "freq_Hz": f,
        "z_real_ohm": z.real,
        "z_imag_ohm": z.imag,
        "cycle": np.ones(len(f)),
        "temperature_K": np.full(len(f), T_K),
    })


def _noisy(z: np.ndarray, rel: float, rng: np.random.Generator) -> np.ndarray:
    """Proportional complex Gaussian noise (an analyser's typical ±rel of |Z|)."""
    if rel <= 0:
        return z
    return z + np.abs(z) * rel * (rng.standard_normal(z.shape) + 1j * rng.standard_normal(z.shape))


def eis_blocking(T_K: float, *, thickness_m: float = 1.0e-3, diameter_m: float = 10e-3,
                 bulk: ArrheniusLaw, gb: ArrheniusLaw | None = None, f=None, R0: float = 0.2,
                 eps_r: float = 30.0, alpha_bulk: float = 0.95, Q_gb: float = 2e-9, alpha_gb: float = 0.85,
                 Q_el: float = 1.5e-6, alpha_el: float = 0.82, noise: float = 0.004, rng=None) -> Simulation:
    """Impedance of an Au|SSE|Au pellet at ``T_K``.

    R1 = L/(σ_bulk·A) with CPE1 the geometric capacitance ε0·εr·A/L (α≈0.95); R2 = L/(σ_gb·A) with CPE2 ``Q_gb``
    (α≈0.85); CPE3 is the blocking gold interface (``Q_el``, α≈0.82) giving the low-frequency spike.
    ``noise`` is the relative standard deviation of the complex noise on Z.  ``truth`` holds every circuit
    parameter plus σ_total = L/((R1+R2)·A) in S/m.
    """
    rng = _rng(rng)
    A = pellet_area(diameter_m)
    k = thickness_m / A
    f = default_frequencies() if f is None else np.asarray(f, float)
    s_b = float(bulk.sigma(T_K))
    R1 = k / s_b
    if gb is not None:
        R2 = k / float(gb.sigma(T_K))
    else:
        R2 = 0.0
    params = {"R0": R0, "R1": R1, "CPE1_Q": EPS0 * eps_r * A / thickness_m, "CPE1_alpha": alpha_bulk,
              "R2": R2 if R2 > 0 else 1e-9, "CPE2_Q": Q_gb, "CPE2_alpha": alpha_gb, "CPE3_Q": Q_el,
              "CPE3_alpha": alpha_el}
    z = _noisy(_imp.impedance(_imp.BLOCKING, f, params), noise, rng)
    sigma_total = k / (R1 + R2)
    truth = {"circuit": _imp.BLOCKING, "params": params, "T_K": T_K, "R_total_ohm": R1 + R2,
             "sigma_total_S_per_m": sigma_total, "sigma_bulk_S_per_m": s_b,
             "thickness_m": thickness_m, "diameter_m": diameter_m, "noise_rel": noise}
    return Simulation(_eis_frame(f, z, T_K), "EIS", truth, temperature_K=T_K, meta={"area_m2": A})


def eis_symmetric(T_K: float, *, thickness_m: float = 1.0e-3, diameter_m: float = 10e-3,
                  bulk: ArrheniusLaw, gb: ArrheniusLaw | None = None, asr_interface_ohm_m2: float = 47e-4,
                  f=None, R0: float = 0.5, eps_r: float = 30.0, Q_gb: float = 2e-9, alpha_gb: float = 0.85,
                  Q_int: float = 5e-6, alpha_int: float = 0.8, noise: float = 0.004, rng=None) -> Simulation:
    """Impedance of a Li|SSE|Li cell: bulk and grain-boundary arcs plus a Li|SSE interface arc that closes on the
    real axis (non-blocking).  ``asr_interface_ohm_m2`` is per interface (the paper's 47 Ω cm² after heat
    treatment, 3308 Ω cm² before): R3 = 2·ASR/A.  Default sweep 1 mHz–10 MHz (Solartron 1260 in the paper)."""
    rng = _rng(rng)
    A = pellet_area(diameter_m)
    k = thickness_m / A
    f = default_frequencies(10e6, 1e-2, 8) if f is None else np.asarray(f, float)
    R1 = k / float(bulk.sigma(T_K))
    R2 = k / float(gb.sigma(T_K)) if gb is not None else 1e-9
    R3 = 2 * asr_interface_ohm_m2 / A
    params = {"R0": R0, "R1": R1, "CPE1_Q": EPS0 * eps_r * A / thickness_m, "CPE1_alpha": 0.95,
              "R2": R2, "CPE2_Q": Q_gb, "CPE2_alpha": alpha_gb, "R3": R3, "CPE3_Q": Q_int, "CPE3_alpha": alpha_int}
    z = _noisy(_imp.impedance(_imp.SYMMETRIC, f, params), noise, rng)
    truth = {"circuit": _imp.SYMMETRIC, "params": params, "T_K": T_K, "R_total_ohm": R1 + R2,
             "sigma_total_S_per_m": k / (R1 + R2), "asr_interface_ohm_m2": asr_interface_ohm_m2,
             "thickness_m": thickness_m, "diameter_m": diameter_m, "noise_rel": noise}
    return Simulation(_eis_frame(f, z, T_K), "EIS", truth, temperature_K=T_K, meta={"area_m2": A})


# ---------------------------------------------------------------------------------------------------------------
# DC polarisation
# ---------------------------------------------------------------------------------------------------------------

def dc_polarization(*, voltage_V: float = 0.5, sigma_e_S_per_m: float = 1.2e-7, tau_s: float = 4.5,
                    t_ion: float = 0.998, thickness_m: float = 1.0e-3, diameter_m: float = 10e-3,
                    duration_s: float = 5 * 3600.0, T_K: float = 313.15, dt_fast_s: float = 0.1,
                    fast_s: float = 60.0, dt_slow_s: float = 30.0, noise_rel: float = 0.01,
                    noise_abs_A: float = 2e-11, rng=None) -> Simulation:
    """Potentiostatic DC polarisation of a blocking cell (Hebb–Wagner): I(t) = I_e + I_ion·exp(−t/τ).

    I_e = σ_e·A·V/L is the steady electronic current; the initial current is I_e/(1 − t_ion), so the transference
    number computed as 1 − I_f/I_0 returns ``t_ion``.  Sampling is dense (``dt_fast_s``) for ``fast_s`` seconds
    to resolve the spike, then every ``dt_slow_s`` (EC-Lab records on dt and dI).  Noise: relative plus absolute
    Gaussian current noise; potential noise 50 µV.
    """
    rng = _rng(rng)
    A = pellet_area(diameter_m)
    I_e = sigma_e_S_per_m * A * voltage_V / thickness_m
    I_0 = I_e / (1.0 - t_ion)
    I_ion = I_0 - I_e
    t = np.concatenate([np.arange(0.0, fast_s, dt_fast_s), np.arange(fast_s, duration_s + 1e-9, dt_slow_s)])
    i_true = I_e + I_ion * np.exp(-t / tau_s)
    i = i_true * (1 + noise_rel * rng.standard_normal(t.size)) + noise_abs_A * rng.standard_normal(t.size)
    e = voltage_V + 5e-5 * rng.standard_normal(t.size)
    df = pd.DataFrame({"time_s": t, "potential_V": e, "current_A": i, "control_V": np.full(t.size, voltage_V),
                       "step": np.zeros(t.size), "cycle": np.zeros(t.size)})
    last = t >= duration_s - 1800
    truth = {"voltage_V": voltage_V, "sigma_e_S_per_m": sigma_e_S_per_m, "tau_s": tau_s, "t_ion": t_ion,
             "I_e_A": I_e, "I_0_A": I_0, "I_ion_A": I_ion, "I_f_last_half_hour_A": float(np.mean(i_true[last])),
             "thickness_m": thickness_m, "diameter_m": diameter_m, "T_K": T_K}
    return Simulation(df, "CA", truth, temperature_K=T_K, meta={"area_m2": A})


# ---------------------------------------------------------------------------------------------------------------
# cyclic voltammetry
# ---------------------------------------------------------------------------------------------------------------

def cv_plating_charges(n_cycles: int, q_first_C: float, slope1_C: float, slope2_C: float, break_cycle: int):
    """Plated charge per cycle: linear growth ``slope1_C`` per cycle up to ``break_cycle``, ``slope2_C`` after."""
    n = np.arange(1, n_cycles + 1)
    return np.where(n <= break_cycle, q_first_C + slope1_C * (n - 1),
                    q_first_C + slope1_C * (break_cycle - 1) + slope2_C * (n - break_cycle))


def cyclic_voltammetry(*, n_cycles: int = 16, scan_rate_V_per_s: float = 1e-3, E_start_V: float = 2.0,
                       E_low_V: float = -0.5, E_high_V: float = 5.0, dE_V: float = 5e-3,
                       q_plate_first_C: float = 0.5, slope1_C: float = 0.08, slope2_C: float = 0.8,
                       break_cycle: int = 7, strip_efficiency: float = 0.95, strip_peak_V: float = 0.15,
                       decomposition_onset_V: float | None = 4.7, decomposition_i0_A: float = 1e-6,
                       decomposition_slope_V: float = 0.08, capacitance_F: float = 2e-5,
                       leak_S: float = 2e-8, T_K: float = 313.15, noise_A: float = 5e-8,
                       rng=None) -> Simulation:
    """Li|SSE|steel CV (paper: −0.5…5 V at 1 mV/s, 16 cycles, 40 °C).

    Cycle 1 sweeps E_start → E_low → E_high; later cycles E_high → E_low → E_high (ends on the upper vertex).  Below 0 V, Li plates on steel with an ohmic-shaped
    cathodic current whose charge per cycle follows :func:`cv_plating_charges` (two linear regimes meeting at
    ``break_cycle``).  Above 0 V on the anodic sweep the plated Li strips in a peak at ``strip_peak_V`` carrying
    ``strip_efficiency`` of the plated charge.  A capacitive background C·dE/dt, an electronic leak G·E and an
    exponential decomposition current i0·exp((E − E_onset)/b) above ``decomposition_onset_V`` complete the
    current.  ``truth`` lists plated/stripped charges per cycle (C), the regime break and the onset.
    """
    rng = _rng(rng)
    v = scan_rate_V_per_s
    dt = dE_V / v

    def sweep(legs):
        es, ds = [], []
        for a, b in legs:
            n = max(int(round(abs(b - a) / dE_V)), 2)
            es.append(np.linspace(a, b, n, endpoint=False))
            ds.append(np.full(n, np.sign(b - a)))
        return np.concatenate(es), np.concatenate(ds)

    q_plate = cv_plating_charges(n_cycles, q_plate_first_C, slope1_C, slope2_C, break_cycle)
    q_strip = q_plate * strip_efficiency
    es, cur_parts, cycs = [], [], []
    for k in range(n_cycles):
        # cycle 1 starts at the rest potential; later cycles run from the upper vertex down and back
        first = E_start_V if k == 0 else E_high_V
        e1, d1 = sweep([(first, E_low_V), (E_low_V, E_high_V)])
        if k == n_cycles - 1:
            e1, d1 = np.append(e1, E_high_V), np.append(d1, 1.0)
        plate = np.where(e1 < 0, e1, 0.0)  # cathodic current ∝ overpotential (ohmic plating)
        plate = plate / abs(plate.sum() * dt)
        # stripping peak at strip_peak_V on the anodic sweep: rises ohmically, ends sharply when the Li runs out
        w = np.where(e1 < strip_peak_V, 0.6 * strip_peak_V, 0.35 * strip_peak_V)
        strip = np.where((e1 > 0) & (d1 > 0), (e1 / strip_peak_V) * np.exp(-((e1 - strip_peak_V) / w) ** 2), 0.0)
        strip = strip / (strip.sum() * dt)
        back = capacitance_F * v * d1 + leak_S * e1
        if decomposition_onset_V is not None:
            back = back + decomposition_i0_A * np.where(
                e1 > decomposition_onset_V - 0.3,
                np.exp(np.minimum((e1 - decomposition_onset_V) / decomposition_slope_V, 50)), 0.0)
        es.append(e1)
        cur_parts.append(q_plate[k] * plate + q_strip[k] * strip + back)
        cycs.append(np.full(e1.size, k + 1.0))
    e = np.concatenate(es)
    cur = np.concatenate(cur_parts)
    cur = cur + noise_A * rng.standard_normal(cur.size)
    t = np.arange(cur.size) * dt
    cyc = np.concatenate(cycs)
    df = pd.DataFrame({"time_s": t, "potential_V": e + 2e-4 * rng.standard_normal(e.size), "current_A": cur,
                       "control_V": e, "cycle": cyc})
    truth = {"n_cycles": n_cycles, "scan_rate_V_per_s": v, "E_low_V": E_low_V, "E_high_V": E_high_V,
             "plated_charge_C": q_plate.tolist(), "stripped_charge_C": q_strip.tolist(),
             "strip_efficiency": strip_efficiency, "break_cycle": break_cycle, "slope1_C_per_cycle": slope1_C,
             "slope2_C_per_cycle": slope2_C, "decomposition_onset_V": decomposition_onset_V,
             "excess_plated_C": float(np.sum(q_plate - q_strip)), "T_K": T_K}
    return Simulation(df, "CV", truth, temperature_K=T_K)


# ---------------------------------------------------------------------------------------------------------------
# galvanostatic Li|SSE|Li stripping / plating
# ---------------------------------------------------------------------------------------------------------------

def stripping_plating(*, current_densities_A_per_m2=(0.05, 0.1, 0.2, 0.4, 0.6, 0.8), cycles_per_step: int = 15,
                      half_cycle_s: float = 900.0, rest_s: float = 10.0, diameter_m: float = 10e-3,
                      R_initial_ohm: float = 1500.0, R_min_ohm: float = 150.0, activation_C_per_m2: float = 3000.0,
                      recovery_tau_s: float = 6 * 3600.0, long_rest_after_step: int | None = 3,
                      long_rest_s: float = 12 * 3600.0, polarization_growth: float = 0.25,
                      polarization_tau_s: float = 120.0, short_cycle: int | None = None, short_kind: str = "hard",
                      R_short_ohm: float = 3.0, soft_short_ratio: float = 0.35, points_per_half: int = 20,
                      T_K: float = 313.15, noise_V: float = 2e-4, rng=None) -> Simulation:
    """Li|SSE|Li galvanostatic stripping/plating ladder (paper Fig. 3a: ±j for 15 min + 10 s rest per half cycle,
    5–80 µA/cm² at 40 °C).

    The cell resistance R = R_min + (R_initial − R_min)·x, where the "pristine fraction" x decays with areal charge
    passed (dx/dq = −x/``activation_C_per_m2``) and relaxes back towards 1 at rest (τ = ``recovery_tau_s``).  A
    ``long_rest_s`` open-circuit pause after step ``long_rest_after_step`` shows the recovery.  Within a half
    cycle the overpotential grows by ``polarization_growth`` (τ = ``polarization_tau_s``).  From ordinal cycle
    ``short_cycle`` (1-based) a ``"hard"`` short drops R to ``R_short_ohm`` (flat, near-zero voltage); a ``"soft"``
    short puts an electronic path of ``soft_short_ratio``·R in parallel with flickering contact.

    ``cycle`` in the data is EC-Lab's 0-based cycle number; ``truth`` uses 1-based ordinal cycles.
    """
    rng = _rng(rng)
    if short_kind not in ("hard", "soft"):
        raise SselabError(f"short_kind must be 'hard' or 'soft', got {short_kind!r}")
    A = pellet_area(diameter_m)
    T, E, I, CYC, NS = [], [], [], [], []
    t_now, x, ordinal = 0.0, 1.0, 0
    r_by_cycle = []
    th = np.linspace(0, half_cycle_s, points_per_half + 1)  # includes the step's first point (t = 0)
    rest_pts = np.array([min(0.5, rest_s / 4), rest_s])  # a rest step records right after its start and at its end

    def rest(duration, pts, step):
        nonlocal t_now, x
        for tt in pts:
            dt = tt - (pts[pts < tt].max() if np.any(pts < tt) else 0.0)
            x = 1 - (1 - x) * math.exp(-dt / recovery_tau_s)
            T.append(t_now + (tt if tt < duration else duration - 0.05))  # the next step starts at duration
            E.append(noise_V * rng.standard_normal())
            I.append(0.0)
            CYC.append(ordinal - 1 if ordinal else 0)
            NS.append(step)
        t_now += duration

    for s_idx, j in enumerate(current_densities_A_per_m2):
        i_set = j * A
        for _ in range(cycles_per_step):
            ordinal += 1
            shorted = short_cycle is not None and ordinal >= short_cycle
            r_cycle = []
            for sign, step in ((1.0, 0), (-1.0, 2)):
                prev = 0.0
                for tt in th:
                    dq = i_set * (tt - prev) / A
                    prev = tt
                    x = x * math.exp(-dq / activation_C_per_m2)
                    R = R_min_ohm + (R_initial_ohm - R_min_ohm) * x
                    shape = 1 + polarization_growth * (1 - math.exp(-tt / polarization_tau_s))
                    if shorted and short_kind == "hard":
                        v = sign * i_set * R_short_ohm
                    elif shorted:
                        r_e = soft_short_ratio * R * (1 + 0.6 * abs(rng.standard_normal()))
                        v = sign * i_set * (R * r_e / (R + r_e)) * (1 + 0.05 * (shape - 1))
                    else:
                        v = sign * i_set * R * shape
                    r_cycle.append(R)
                    T.append(t_now + tt)
                    E.append(v + noise_V * rng.standard_normal())
                    I.append(sign * i_set)
                    CYC.append(ordinal - 1)
                    NS.append(step)
                t_now += half_cycle_s
                rest(rest_s, rest_pts, step + 1)
            r_by_cycle.append(float(np.mean(r_cycle)))
        if long_rest_after_step is not None and s_idx + 1 == long_rest_after_step:
            rest(long_rest_s, np.linspace(0, long_rest_s, 25)[1:], 4)
    i = np.array(I)
    df = pd.DataFrame({"time_s": np.array(T), "potential_V": np.array(E),
                       "current_A": i * (1 + 1e-4 * rng.standard_normal(i.size)), "cycle": np.array(CYC, float),
                       "step": np.array(NS, float)})
    truth = {"current_densities_A_per_m2": list(current_densities_A_per_m2), "cycles_per_step": cycles_per_step,
             "n_cycles": ordinal, "half_cycle_s": half_cycle_s, "R_initial_ohm": R_initial_ohm,
             "R_min_ohm": R_min_ohm, "resistance_by_cycle_ohm": r_by_cycle, "short_cycle": short_cycle,
             "short_kind": short_kind if short_cycle is not None else None,
             "long_rest_after_step": long_rest_after_step, "long_rest_s": long_rest_s,
             "diameter_m": diameter_m, "T_K": T_K}
    return Simulation(df, "GCPL", truth, temperature_K=T_K, meta={"area_m2": A})


# ---------------------------------------------------------------------------------------------------------------
# full cell
# ---------------------------------------------------------------------------------------------------------------

def full_cell(*, active_mass_kg: float = 3.39e-6, specific_current_A_per_kg: float = 5.0,
              first_discharge_mAh_per_g: float = 126.0, n_cycles: int = 42, fade_per_cycle: float = 0.015,
              first_ce: float = 0.93, ce: float = 0.985, V_min: float = 1.5, V_max: float = 3.2,
              R_ohm: float = 2000.0, points_per_half: int = 60, rest_s: float = 600.0, T_K: float = 313.15,
              noise_V: float = 5e-4, rng=None) -> Simulation:
    """Li|SSE|TiS2 galvanostatic cycling (paper Fig. 5a: 5 mA/g, 1.5–3.2 V, 126 mAh/g first discharge, 42 cycles).

    Discharge capacity of cycle n: Q1·(1 − fade)^(n−1); the following charge returns ``ce`` of it (``first_ce`` on
    cycle 1).  The TiS2 profile is a sloping Li_xTiS2 curve with a logarithmic term, ohmic drop I·R, and a steep
    end so each half cycle ends on its cut-off.  Cycles start with a discharge (cells assembled charged); ``cycle``
    is EC-Lab's 0-based cycle number.  ``truth`` holds capacities in mAh/g and the coulombic efficiencies.
    """
    rng = _rng(rng)
    I = specific_current_A_per_kg * active_mass_kg
    n = np.arange(1, n_cycles + 1)
    q_dis = first_discharge_mAh_per_g * (1 - fade_per_cycle) ** (n - 1)
    ces = np.where(n == 1, first_ce, ce)
    q_chg = q_dis * ces
    T, E, Ic, CYC, NS = [], [], [], [], []
    t_now = 0.0
    s = np.linspace(0, 1, points_per_half + 1)  # includes the step's first point
    eps = 1e-3
    for k in range(n_cycles):
        for kind, q_mAh_g, step in (("dis", q_dis[k], 1), ("chg", q_chg[k], 2)):
            q_C = q_mAh_g * 3.6 * active_mass_kg * 1e3  # mAh/g → C:  1 mAh/g = 3.6 C/g
            dur = q_C / I
            u = np.clip(s, eps, 1 - eps)
            if kind == "dis":
                v = 2.45 - 0.45 * u - 0.05 * np.log(u / (1 - u)) - I * R_ohm - (2.2 - V_min) * u ** 40
                v = np.clip(np.minimum.accumulate(v), V_min, V_max)
                v[-1] = V_min
                sign = -1.0
            else:
                w = 1 - u
                v = 2.45 - 0.45 * w - 0.05 * np.log(w / (1 - w)) + I * R_ohm + (V_max - 2.6) * u ** 40
                v = np.clip(np.maximum.accumulate(v), V_min, V_max)
                v[-1] = V_max
                sign = 1.0
            T.extend(t_now + s * dur)
            E.extend(np.clip(v + noise_V * rng.standard_normal(v.size), V_min, V_max))
            Ic.extend(np.full(v.size, sign * I))
            CYC.extend(np.full(v.size, k))
            NS.extend(np.full(v.size, step))
            t_now += dur
            for frac in (min(1.0, rest_s / 4) / rest_s, 0.9):  # rest step: a point at its start and near its end
                T.append(t_now + frac * rest_s)
                E.append(v[-1] - sign * (I * R_ohm + 0.05 * frac / 0.9))
                Ic.append(0.0)
                CYC.append(k)
                NS.append(step + 2)
            t_now += rest_s
    df = pd.DataFrame({"time_s": np.array(T), "potential_V": np.array(E), "current_A": np.array(Ic),
                       "cycle": np.array(CYC, float), "step": np.array(NS, float)})
    truth = {"active_mass_kg": active_mass_kg, "specific_current_A_per_kg": specific_current_A_per_kg,
             "current_A": I, "discharge_capacity_mAh_per_g": q_dis.tolist(),
             "charge_capacity_mAh_per_g": q_chg.tolist(), "coulombic_efficiency": ces.tolist(),
             "first_discharge_mAh_per_g": first_discharge_mAh_per_g, "fade_per_cycle": fade_per_cycle,
             "n_cycles": n_cycles, "V_min": V_min, "V_max": V_max, "T_K": T_K,
             "theoretical_TiS2_mAh_per_g": FARADAY / 3.6 / 112.0}
    return Simulation(df, "GCPL", truth, temperature_K=T_K, meta={"active_mass_kg": active_mass_kg})
