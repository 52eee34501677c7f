"""Forward models of the measurements in a solid-electrolyte paper, with realistic seeded noise.

Every model returns a :class:`Simulation`: a canonical SI DataFrame (the columns ``sselab.io.read`` produces), the
technique, and ``truth`` — the inputs an analysis should recover.  ``Simulation.write(path)`` writes it as an EC-Lab
``.mpt`` (default), a ZView ``.z`` (EIS) or a canonical ``.csv``, chosen by the path's suffix.

Models (all parameters SI; defaults follow Lowen et al., EES Batteries 2025, 1, 527 — lithium imide):

* :func:`eis_blocking` — Au|SSE|Au, ``R0-p(R1,CPE1)-p(R2,CPE2)-CPE3``; R1 (bulk) and R2 (grain boundary) from
  :class:`ArrheniusLaw` conductivities and the pellet geometry (R = L/(σA)).
* :func:`eis_symmetric` — Li|SSE|Li, ``R0[-L0]-p(R1,CPE1)[-p(R2,CPE2)][-p(R3,CPE3)][-p(R4,L4)]`` with
  R3 = 2·ASR/A (two interfaces), optional lead inductance and low-frequency inductive loop
  (:func:`symmetric_circuit`).
* :func:`dc_polarization` — potentiostatic hold: I(t) = I_e + I_ion·exp(−t/τ), I_e = σ_e·A·V/L.
* :func:`cyclic_voltammetry` — Li|SSE|steel: Li plating after nucleation and stripping of it near 0 V, through
  the pellet's ionic resistance (never beyond its ohmic limit :func:`ohmic_limit_current`), the plated charge
  growing with cycle number in two linear regimes, a strippable fraction < 1, capacitive and electronic
  background, optional decomposition.
* :func:`stripping_plating` — galvanostatic Li|SSE|Li ladder; the cell resistance falls with charge passed
  (optionally faster at higher current density) and recovers at rest; optional hard or soft short.
* :func:`full_cell` — Li|SSE|TiS2 or Li|SSE|LiFePO4 galvanostatic charge–discharge with capacity fade
  (TiS2: 126 mAh/g first discharge at 5 mA/g between 1.5 and 3.2 V).
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
    "ArrheniusLaw", "Simulation", "eis_blocking", "eis_symmetric", "symmetric_circuit", "dc_polarization",
    "cyclic_voltammetry", "cv_plating_charges", "pellet_resistance", "ohmic_limit_current",
    "stripping_plating", "full_cell", "CATHODES", "pellet_area", "EPS0",
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


def symmetric_circuit(*, gb: bool = True, interface: bool = True, lead_inductance: bool = False,
                      inductive_loop: bool = False) -> str:
    """Circuit string of a Li|SSE|Li cell with the optional parts switched on or off.

    ``R0[-L0]-p(R1,CPE1)[-p(R2,CPE2)][-p(R3,CPE3)][-p(R4,L4)]``: lead resistance, lead/cell inductance, bulk arc,
    grain-boundary arc, Li|SSE interface arc (non-blocking, both interfaces in series) and a low-frequency
    inductive loop (R4 parallel to L4: the impedance bends below the real axis at low frequency and returns to the
    DC resistance R0 + R1 + R2 + R3).  Grain boundary and interface on, no inductances: ``SYMMETRIC``.
    """
    parts = ["R0"] + (["L0"] if lead_inductance else []) + ["p(R1,CPE1)"]
    parts += ["p(R2,CPE2)"] if gb else []
    parts += ["p(R3,CPE3)"] if interface else []
    parts += ["p(R4,L4)"] if inductive_loop else []
    return "-".join(parts)


def eis_symmetric(T_K: float, *, thickness_m: float = 1.0e-3, diameter_m: float = 10e-3,
                  bulk: ArrheniusLaw | None = None, gb: ArrheniusLaw | None = None,
                  sigma_bulk_S_per_m: float | None = None, sigma_gb_S_per_m: float | None = None,
                  asr_interface_ohm_m2: float = 47e-4, f=None, R0: float = 0.5, eps_r: float = 30.0,
                  Q_gb: float = 2e-9, alpha_gb: float = 0.85, Q_int: float = 5e-6, alpha_int: float = 0.8,
                  L_lead_H: float = 0.0, loop_fraction: float = 0.0, loop_f_Hz: float = 0.01,
                  noise: float = 0.004, rng=None) -> Simulation:
    """Impedance of a Li|SSE|Li cell: bulk and grain-boundary arcs plus a Li|SSE interface arc that closes on the
    real axis (non-blocking).  ``asr_interface_ohm_m2`` is per interface (the paper's 47 Ω cm² after heat
    treatment, 3308 Ω cm² before): R3 = 2·ASR/A; 0 leaves the interface arc out.  Default sweep 10 MHz–10 mHz.

    The bulk / grain-boundary conductivities come from :class:`ArrheniusLaw` objects (``bulk``, ``gb``) at ``T_K``
    or are given directly (``sigma_bulk_S_per_m``, ``sigma_gb_S_per_m``; e.g. the apparent conductivity of a cell
    after cycling).  No grain-boundary law or value leaves that arc out.  Options seen in the lithium-imide
    paper's Li|Li spectra (Fig. 3b–f): ``L_lead_H`` — a series inductance (leads and cell, phase → +90° at high
    frequency); ``loop_fraction`` > 0 — a low-frequency inductive loop, p(R4, L4) with R4 = loop_fraction·R_DC
    and its characteristic frequency R4/(2π·L4) = ``loop_f_Hz``.  ``truth`` holds every circuit parameter,
    ``R_total_ohm`` = R1 + R2 (the electrolyte), σ_total = L/(R_total·A) and the DC resistance.
    """
    rng = _rng(rng)
    A = pellet_area(diameter_m)
    k = thickness_m / A
    f = default_frequencies(10e6, 1e-2, 8) if f is None else np.asarray(f, float)
    if sigma_bulk_S_per_m is None:
        if bulk is None:
            raise SselabError("eis_symmetric: give a bulk ArrheniusLaw or sigma_bulk_S_per_m")
        sigma_bulk_S_per_m = float(bulk.sigma(T_K))
    if sigma_gb_S_per_m is None and gb is not None:
        sigma_gb_S_per_m = float(gb.sigma(T_K))
    R1 = k / sigma_bulk_S_per_m
    R2 = k / sigma_gb_S_per_m if sigma_gb_S_per_m else 0.0
    R3 = 2 * asr_interface_ohm_m2 / A
    circuit = symmetric_circuit(gb=R2 > 0, interface=R3 > 0, lead_inductance=L_lead_H > 0,
                                inductive_loop=loop_fraction > 0)
    params = {"R0": R0, "R1": R1, "CPE1_Q": EPS0 * eps_r * A / thickness_m, "CPE1_alpha": 0.95}
    if R2 > 0:
        params.update({"R2": R2, "CPE2_Q": Q_gb, "CPE2_alpha": alpha_gb})
    if R3 > 0:
        params.update({"R3": R3, "CPE3_Q": Q_int, "CPE3_alpha": alpha_int})
    if L_lead_H > 0:
        params["L0"] = L_lead_H
    r_dc = R0 + R1 + R2 + R3
    if loop_fraction > 0:
        R4 = loop_fraction * r_dc
        params.update({"R4": R4, "L4": R4 / (2 * np.pi * loop_f_Hz)})
    z = _noisy(_imp.impedance(circuit, f, params), noise, rng)
    truth = {"circuit": circuit, "params": params, "T_K": T_K, "R_total_ohm": R1 + R2,
             "sigma_total_S_per_m": k / (R1 + R2), "sigma_bulk_S_per_m": sigma_bulk_S_per_m,
             "asr_interface_ohm_m2": asr_interface_ohm_m2, "R_interface_ohm": R3, "R_dc_ohm": r_dc,
             "R_cell_ohm": R1 + R2 + R3, "thickness_m": thickness_m, "diameter_m": diameter_m, "noise_rel": noise}
    return Simulation(_eis_frame(f, z, T_K), "EIS", truth, temperature_K=T_K, meta={"area_m2": A})


# ---------------------------------------------------------------------------------------------------------------
# DC polarisation
# ---------------------------------------------------------------------------------------------------------------

def dc_polarization(*, voltage_V: float = 0.5, sigma_e_S_per_m: float = 1.2e-7, tau_s: float = 4.5,
                    t_ion: float | None = 0.998, I_0_A: float | None = None, thickness_m: float = 1.0e-3,
                    diameter_m: float = 10e-3,
                    duration_s: float = 5 * 3600.0, T_K: float = 313.15, dt_fast_s: float = 0.1,
                    fast_s: float = 60.0, dt_slow_s: float = 30.0, noise_rel: float = 0.01,
                    noise_abs_A: float = 2e-11, rng=None) -> Simulation:
    """Potentiostatic DC polarisation of a blocking cell (Hebb–Wagner): I(t) = I_e + I_ion·exp(−t/τ).

    I_e = σ_e·A·V/L is the steady electronic current; the initial current is I_e/(1 − t_ion), so the transference
    number computed as 1 − I_f/I_0 returns ``t_ion``.  Alternatively give the initial current ``I_0_A`` (as the
    paper states it: 74 nA before, 1.06 mA after the CV) and ``t_ion = None``: t_ion = 1 − I_e/I_0 then follows.
    Sampling is dense (``dt_fast_s``) for ``fast_s`` seconds to resolve the spike, then every ``dt_slow_s`` (EC-Lab
    records on dt and dI).  Noise: relative plus absolute Gaussian current noise; potential noise 50 µV.
    """
    rng = _rng(rng)
    A = pellet_area(diameter_m)
    I_e = sigma_e_S_per_m * A * voltage_V / thickness_m
    if (t_ion is None) == (I_0_A is None):
        raise SselabError("dc_polarization: give either t_ion or I_0_A (the other follows from I_e = σe·A·V/L)")
    if I_0_A is not None:
        if not I_0_A > I_e:
            raise SselabError(f"dc_polarization: initial current {I_0_A:.3g} A must exceed the electronic current "
                              f"σe·A·V/L = {I_e:.3g} A")
        I_0 = float(I_0_A)
        t_ion = 1.0 - I_e / I_0
    else:
        I_0 = I_e / (1.0 - t_ion)
    I_ion = I_0 - I_e
    t = np.concatenate([np.arange(0.0, fast_s, dt_fast_s), np.arange(fast_s, duration_s + 1e-9, dt_slow_s)])
    i_true = I_e + I_ion * np.exp(-t / tau_s)
    i = i_true * (1 + noise_rel * rng.standard_normal(t.size)) + noise_abs_A * rng.standard_normal(t.size)
    e = voltage_V + 5e-5 * rng.standard_normal(t.size)
    df = pd.DataFrame({"time_s": t, "potential_V": e, "current_A": i, "control_V": np.full(t.size, voltage_V),
                       "step": np.zeros(t.size), "cycle": np.zeros(t.size)})
    last = t >= duration_s - 1800
    i_f = float(np.mean(i_true[last]))
    truth = {"voltage_V": voltage_V, "sigma_e_S_per_m": sigma_e_S_per_m, "tau_s": tau_s, "t_ion": t_ion,
             "I_e_A": I_e, "I_0_A": I_0, "I_ion_A": I_ion, "I_f_last_half_hour_A": i_f,
             # what eqns (3)–(5) of the paper give on the noiseless record (I_f = mean of the last half hour)
             "sigma_e_eqn3_S_per_m": i_f * thickness_m / (A * voltage_V), "t_ion_eqn5": 1.0 - i_f / I_0,
             "duration_s": float(t[-1]), "thickness_m": thickness_m, "diameter_m": diameter_m, "T_K": T_K}
    return Simulation(df, "CA", truth, temperature_K=T_K, meta={"area_m2": A})


# ---------------------------------------------------------------------------------------------------------------
# cyclic voltammetry
# ---------------------------------------------------------------------------------------------------------------

def cv_plating_charges(n_cycles: int, q_first_C: float, slope1_C: float, slope2_C: float, break_cycle: int):
    """Plated charge per cycle: linear growth ``slope1_C`` per cycle up to ``break_cycle``, ``slope2_C`` after."""
    n = np.arange(1, n_cycles + 1)
    return np.where(n <= break_cycle, q_first_C + slope1_C * (n - 1),
                    q_first_C + slope1_C * (break_cycle - 1) + slope2_C * (n - break_cycle))


def pellet_resistance(sigma_S_per_m: float, thickness_m: float, diameter_m: float) -> float:
    """Ionic resistance of a cylindrical pellet, R = L/(σ·A) (Ω)."""
    return thickness_m / (sigma_S_per_m * pellet_area(diameter_m))


def ohmic_limit_current(voltage_V: float, sigma_S_per_m: float, thickness_m: float, diameter_m: float) -> float:
    """The largest current a pellet can carry at ``voltage_V`` across it: |V|·σ·A/L (no interface, no kinetics)."""
    return abs(voltage_V) / pellet_resistance(sigma_S_per_m, thickness_m, diameter_m)


def _trapz(y: np.ndarray, dt: float) -> float:
    return float(dt * (y.sum() - 0.5 * (y[0] + y[-1]))) if y.size > 1 else 0.0


def cyclic_voltammetry(*, n_cycles: int = 16, scan_rate_V_per_s: float = 1e-3, E_start_V: float = 2.0,
                       E_low_V: float = -0.5, E_high_V: float = 5.0, dE_V: float = 5e-3,
                       thickness_m: float = 1.25e-3, diameter_m: float = 10e-3,
                       sigma_ion_S_per_m: float = 9.63e-3, q_plate_first_C: float = 3e-3, slope1_C: float = 5e-4,
                       slope2_C: float = 1.6e-3, break_cycle: int = 7, strip_ratio=0.95,
                       nucleation_V: float = -0.05, strip_resistance_factor: float = 1.0,
                       capacitance_F: float = 1.5e-6, sigma_e_S_per_m=4.5e-8,
                       decomposition_onset_V: float | None = None, decomposition_i0_A: float = 1e-6,
                       decomposition_slope_V: float = 0.08, T_K: float = 313.15, noise_A: float = 1e-9,
                       rng=None) -> Simulation:
    """Li|SSE|steel CV (paper Fig. 2a: −0.5…5 V vs Li at 1 mV/s, 16 cycles, 40 °C) with currents the pellet can
    carry.

    Sweeps: cycle 1 runs E_start → E_low → E_high, later cycles E_high → E_low → E_high (the last ends on the upper
    vertex); the potential steps by ``dE_V`` (one sample per step, EC-Lab's dE recording).

    Faradaic current, all of it through the pellet's ionic resistance R_pel = L/(σ·A) (``sigma_ion_S_per_m`` at T):

    * plating on steel starts on the cathodic sweep once E passes the nucleation overpotential ``nucleation_V``
      (the current jumps in, as Li nucleates), then flows as I = E/R_plate(k) until the anodic sweep brings E back
      to 0 V.  R_plate(k) ≥ R_pel is set so that the plated charge of cycle k is :func:`cv_plating_charges`
      (two linear regimes meeting at ``break_cycle``): the interface, not the pellet, limits plating, and an
      improving interface is what makes the charge grow.
    * stripping of the plated Li on the anodic sweep: I = (E/R_strip)·(1 − E²/E_end²)² for 0 < E < E_end, with
      R_strip = ``strip_resistance_factor``·R_pel — an ohmic current through a shrinking Li contact
      ((remaining/initial)^(2/3)); its integral is exactly the strippable charge ``strip_ratio``·Q_plate(k) when
      E_end = √(6·R_strip·v·Q_strip).  ``strip_ratio`` (one value or one per cycle) < 1 leaves Li behind (dead Li
      or Li consumed by the electrolyte).

    Background: a double-layer charging current C·dE/dt, an electronic leak G·E with G = σe·A/L (``sigma_e_S_per_m``
    one value, or a (first, last) pair interpolated geometrically over the cycles — the paper's σe rises from
    0.45 to 54 nS/cm across its CV), an optional exponential decomposition current i0·exp((E − E_onset)/b) above
    ``decomposition_onset_V`` (None: no decomposition, as the paper finds up to 5 V), and Gaussian noise
    ``noise_A``.  Every |current| must stay below the pellet's ohmic limit |E_low|/R_pel, else SselabError.

    ``truth``: plated/stripped Faradaic charges per cycle (the trapezoid integrals of the noiseless Faradaic current
    on the sampled grid — what an integration of the file recovers, background aside), their imbalance, R_pel,
    the ohmic limit, R_plate and E_end per cycle, the peak Faradaic current, and the largest |current| in the record.
    """
    rng = _rng(rng)
    v = scan_rate_V_per_s
    dt = dE_V / v
    R_pel = pellet_resistance(sigma_ion_S_per_m, thickness_m, diameter_m)
    i_lim = abs(E_low_V) / R_pel
    A = pellet_area(diameter_m)
    q_plate = cv_plating_charges(n_cycles, q_plate_first_C, slope1_C, slope2_C, break_cycle)
    ratio = np.broadcast_to(np.asarray(strip_ratio, float), (n_cycles,)).copy()
    if np.any(q_plate <= 0) or np.any((ratio < 0) | (ratio > 1)):
        raise SselabError("cyclic_voltammetry: plated charges must be positive and strip ratios within 0…1")
    q_strip_target = q_plate * ratio
    se = np.asarray(sigma_e_S_per_m, float)
    if se.ndim == 0:
        g = np.full(n_cycles, float(se) * A / thickness_m)
    else:
        frac = np.linspace(0.0, 1.0, n_cycles) if n_cycles > 1 else np.zeros(1)
        g = se[0] * (se[-1] / se[0]) ** frac * A / thickness_m
    R_strip = strip_resistance_factor * R_pel
    if strip_resistance_factor < 1:
        raise SselabError("cyclic_voltammetry: strip_resistance_factor < 1 would beat the pellet's ohmic limit")

    def sweep(legs):
        es, ds = [], []
        for a, b in legs:
            n = max(int(round(abs(b - a) / dE_V)), 2)
            es.append(np.linspace(a, b, n, endpoint=False))
            ds.append(np.full(n, np.sign(b - a)))
        return np.concatenate(es), np.concatenate(ds)

    es, cur_parts, cycs = [], [], []
    qp_out, qs_out, r_plate, e_end, i_peak = [], [], [], [], []
    for k in range(n_cycles):
        first = E_start_V if k == 0 else E_high_V
        e1, d1 = sweep([(first, E_low_V), (E_low_V, E_high_V)])
        if k == n_cycles - 1:
            e1, d1 = np.append(e1, E_high_V), np.append(d1, 1.0)
        # plating: after nucleation on the cathodic sweep, until E returns to 0 V on the anodic sweep
        down = d1 < 0
        nucleated = down & (e1 <= nucleation_V)
        up_neg = (~down) & (e1 < 0)
        shape_p = np.where(nucleated | up_neg, e1, 0.0)          # E (V), negative where Li plates
        # the sampled charge is linear in 1/R_plate: solve R_plate for the target charge exactly
        q_unit = -_trapz(shape_p, dt)                              # charge for R = 1 Ω
        Rp = q_unit / q_plate[k]
        if Rp < R_pel:
            raise SselabError(f"cyclic_voltammetry: cycle {k + 1} plates {q_plate[k]:.3g} C, which needs "
                              f"R = {Rp:.3g} Ω < the pellet's {R_pel:.3g} Ω (beyond its ohmic limit)")
        i_plate = shape_p / Rp
        # stripping on the anodic sweep: shrinking-contact ohmic current, scaled to the exact sampled charge
        q0 = q_strip_target[k]
        Ee = math.sqrt(6.0 * R_strip * v * q0) if q0 > 0 else 0.0
        strip = np.zeros_like(e1)
        if Ee > 0:
            m = (d1 > 0) & (e1 > 0) & (e1 < Ee)
            strip[m] = (e1[m] / R_strip) * (1 - (e1[m] / Ee) ** 2) ** 2
            s_sum = _trapz(strip, dt)
            if s_sum > 0:
                strip *= q0 / s_sum
        faradaic = i_plate + strip
        back = capacitance_F * v * d1 + g[k] * e1
        if decomposition_onset_V is not None:
            back = back + decomposition_i0_A * np.where(
                e1 > decomposition_onset_V - 0.3,
                np.exp(np.minimum((e1 - decomposition_onset_V) / decomposition_slope_V, 50)), 0.0)
        es.append(e1)
        cur_parts.append(faradaic + back)
        cycs.append(np.full(e1.size, k + 1.0))
        qp_out.append(-_trapz(np.minimum(faradaic, 0), dt))
        qs_out.append(_trapz(np.maximum(faradaic, 0), dt))
        r_plate.append(Rp)
        e_end.append(Ee)
        i_peak.append(float(np.max(np.abs(faradaic))))
    e = np.concatenate(es)
    cur_true = np.concatenate(cur_parts)
    i_max = float(np.max(np.abs(cur_true)))
    if i_max >= i_lim:
        raise SselabError(f"cyclic_voltammetry: |I| reaches {i_max:.3g} A, beyond the pellet's ohmic limit "
                          f"{i_lim:.3g} A (|E_low|·σ·A/L)")
    cur = cur_true + noise_A * rng.standard_normal(cur_true.size)
    t = np.arange(cur.size) * dt
    cyc = np.concatenate(cycs)
    df = pd.DataFrame({"time_s": t, "potential_V": e + 2e-4 * rng.standard_normal(e.size), "current_A": cur,
                       "control_V": e, "cycle": cyc})
    qp, qs = np.array(qp_out), np.array(qs_out)
    truth = {"n_cycles": n_cycles, "scan_rate_V_per_s": v, "E_low_V": E_low_V, "E_high_V": E_high_V,
             "plated_charge_C": qp.tolist(), "stripped_charge_C": qs.tolist(), "strip_ratio": ratio.tolist(),
             "break_cycle": break_cycle, "slope1_C_per_cycle": slope1_C, "slope2_C_per_cycle": slope2_C,
             "excess_plated_C": float(np.sum(qp - qs)), "R_pellet_ohm": R_pel, "ohmic_limit_A": i_lim,
             "sigma_ion_S_per_m": sigma_ion_S_per_m, "thickness_m": thickness_m, "diameter_m": diameter_m,
             "R_plate_ohm": r_plate, "R_strip_ohm": R_strip, "strip_end_V": e_end,
             "peak_faradaic_current_A": i_peak, "max_abs_current_A": i_max,
             "electronic_conductance_S": g.tolist(), "capacitance_F": capacitance_F, "nucleation_V": nucleation_V,
             "decomposition_onset_V": decomposition_onset_V, "T_K": T_K, "duration_s": float(t[-1])}
    return Simulation(df, "CV", truth, temperature_K=T_K, meta={"area_m2": A})


# ---------------------------------------------------------------------------------------------------------------
# galvanostatic Li|SSE|Li stripping / plating
# ---------------------------------------------------------------------------------------------------------------

def stripping_plating(*, current_densities_A_per_m2=(0.05, 0.1, 0.2, 0.4, 0.6, 0.8), cycles_per_step=15,
                      half_cycle_s: float = 900.0, rest_s: float = 10.0, diameter_m: float = 10e-3,
                      R_initial_ohm: float = 1500.0, R_min_ohm: float = 150.0, activation_C_per_m2: float = 3000.0,
                      activation_exponent: float = 1.0, activation_ref_A_per_m2: float = 1.0,
                      recovery_tau_s: float = 6 * 3600.0, long_rest_after_step: int | None = 3,
                      long_rest_s: float = 12 * 3600.0, polarization_growth: float = 0.25,
                      polarization_tau_s: float = 120.0, short_cycle: int | None = None, short_kind: str = "hard",
                      R_short_ohm: float = 3.0, soft_short_ratio: float = 0.35, points_per_half=20,
                      T_K: float = 313.15, noise_V: float = 2e-4, rng=None) -> Simulation:
    """Li|SSE|Li galvanostatic stripping/plating ladder (paper Fig. 3a: ±j for 15 min + 10 s rest per half cycle,
    5–80 µA/cm² at 40 °C).

    The cell resistance R = R_min + (R_initial − R_min)·x, where the "pristine fraction" x decays with areal charge
    passed, dx/x = −(|j|/j_ref)^(n−1)·dq/``activation_C_per_m2`` (n = ``activation_exponent``, j_ref =
    ``activation_ref_A_per_m2``; n = 1: x falls with charge alone; n > 1: faster at higher current densities, as
    in the lithium-imide paper, where the fall starts at 40 µA/cm² and accelerates above), and relaxes back
    towards 1 at rest (τ = ``recovery_tau_s``).  ``cycles_per_step`` and ``points_per_half`` (samples per half
    cycle, the first at the step's start) take one value or one per step.  A
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

    n_steps = len(current_densities_A_per_m2)
    cps = np.broadcast_to(np.asarray(cycles_per_step, int), (n_steps,))
    pph = np.broadcast_to(np.asarray(points_per_half, int), (n_steps,))
    if np.any(cps < 1) or np.any(pph < 1):
        raise SselabError("stripping_plating: cycles_per_step and points_per_half must be ≥ 1")
    step_first_cycle, x_step_start, x_step_end = [], [], []
    for s_idx, j in enumerate(current_densities_A_per_m2):
        i_set = j * A
        th = np.linspace(0, half_cycle_s, int(pph[s_idx]) + 1)
        # activation per coulomb per m²: (|j|/j_ref)^(n-1) / q_act
        k_act = (abs(j) / activation_ref_A_per_m2) ** (activation_exponent - 1.0) / activation_C_per_m2
        step_first_cycle.append(ordinal + 1)
        x_step_start.append(x)
        for _ in range(int(cps[s_idx])):
            ordinal += 1
            shorted = short_cycle is not None and ordinal >= short_cycle
            r_cycle = []
            for sign, step in ((1.0, 0), (-1.0, 2)):
                prev = 0.0
                for tt in th:
                    dq = i_set * (tt - prev) / A
                    prev = tt
                    x = x * math.exp(-dq * k_act)
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
        x_step_end.append(x)
        if long_rest_after_step is not None and s_idx + 1 == long_rest_after_step:
            rest(long_rest_s, np.linspace(0, long_rest_s, 25)[1:], 4)
    i = np.array(I)
    t_arr = np.array(T)
    df = pd.DataFrame({"time_s": t_arr, "potential_V": np.array(E),
                       "current_A": i * (1 + 1e-4 * rng.standard_normal(i.size)), "cycle": np.array(CYC, float),
                       "step": np.array(NS, float)})
    truth = {"current_densities_A_per_m2": list(current_densities_A_per_m2),
             "cycles_per_step": int(cps[0]) if np.ndim(cycles_per_step) == 0 else cps.tolist(),
             "points_per_half": int(pph[0]) if np.ndim(points_per_half) == 0 else pph.tolist(),
             "step_first_cycle": step_first_cycle, "n_cycles": ordinal, "half_cycle_s": half_cycle_s,
             "rest_s": rest_s, "total_time_s": float(t_now), "n_rows": int(t_arr.size),
             "R_initial_ohm": R_initial_ohm, "R_min_ohm": R_min_ohm, "activation_C_per_m2": activation_C_per_m2,
             "activation_exponent": activation_exponent, "activation_ref_A_per_m2": activation_ref_A_per_m2,
             "R_step_start_ohm": [R_min_ohm + (R_initial_ohm - R_min_ohm) * xx for xx in x_step_start],
             "R_step_end_ohm": [R_min_ohm + (R_initial_ohm - R_min_ohm) * xx for xx in x_step_end],
             "R_final_ohm": R_min_ohm + (R_initial_ohm - R_min_ohm) * x,
             "resistance_by_cycle_ohm": r_by_cycle, "short_cycle": short_cycle,
             "short_kind": short_kind if short_cycle is not None else None,
             "long_rest_after_step": long_rest_after_step, "long_rest_s": long_rest_s,
             "diameter_m": diameter_m, "T_K": T_K}
    return Simulation(df, "GCPL", truth, temperature_K=T_K, meta={"area_m2": A})


# ---------------------------------------------------------------------------------------------------------------
# full cell
# ---------------------------------------------------------------------------------------------------------------

#: cathode chemistries of :func:`full_cell`: molar mass (g/mol, one Li per formula unit), default voltage window,
#: and whether the cell is assembled charged (delithiated cathode: the first half cycle is a discharge)
CATHODES = {
    "TiS2": {"molar_mass_g_per_mol": 111.99, "window_V": (1.5, 3.2), "starts_with": "discharge"},
    "LiFePO4": {"molar_mass_g_per_mol": 157.76, "window_V": (2.5, 4.0), "starts_with": "charge"},
}


def _cathode_profile(chem: str, u: np.ndarray, direction: str, IR: float, V_min: float, V_max: float):
    """Cell voltage along one half cycle (``u`` = fraction of its capacity, 0…1) before clipping."""
    if chem == "TiS2":                    # sloping Li_xTiS2 curve
        if direction == "discharge":
            return 2.45 - 0.45 * u - 0.05 * np.log(u / (1 - u)) - IR - (2.2 - V_min) * u ** 40
        w = 1 - u
        return 2.45 - 0.45 * w - 0.05 * np.log(w / (1 - w)) + IR + (V_max - 2.6) * u ** 40
    # LiFePO4: two-phase plateau at ≈ 3.42 V, steep ends
    if direction == "discharge":
        return 3.42 - 0.015 * np.log(u / (1 - u)) - IR - (3.3 - V_min) * u ** 60
    return 3.42 + 0.015 * np.log(u / (1 - u)) + IR + (V_max - 3.5) * u ** 60


def full_cell(*, chemistry: str = "TiS2", active_mass_kg: float = 3.39e-6, specific_current_A_per_kg: float = 5.0,
              first_discharge_mAh_per_g: float = 126.0, n_cycles: int = 42, fade_per_cycle: float = 0.015,
              discharge_capacities_mAh_per_g=None, first_ce: float = 0.93, ce=0.985, V_min: float | None = None,
              V_max: float | None = None, R_ohm: float = 2000.0, points_per_half: int = 60, rest_s: float = 600.0,
              T_K: float = 313.15, noise_V: float = 5e-4, rng=None) -> Simulation:
    """Li|SSE|cathode galvanostatic cycling (paper Fig. 5: 5 mA/g at 40 °C; TiS2 1.5–3.2 V, 126 mAh/g first
    discharge, 42 cycles; LiFePO4 fading after 18 cycles).

    ``chemistry``: ``"TiS2"`` (assembled charged: each cycle is discharge then charge) or ``"LiFePO4"``
    (assembled discharged: charge then discharge).  Discharge capacity of cycle n: Q1·(1 − fade)^(n−1), or the
    given ``discharge_capacities_mAh_per_g``.  Coulombic efficiency of a cycle = second half / first half (as
    cyclers and ``sselab.cycling`` define it): ``first_ce`` on cycle 1, then ``ce`` (one value or one per cycle);
    the TiS2 charge returns ce·Q_dis, the LiFePO4 charge is Q_dis/ce.  Profiles: sloping Li_xTiS2 curve or the
    LiFePO4 plateau, ohmic drop I·R, a steep end so each half cycle ends on its cut-off.  ``cycle`` is EC-Lab's
    0-based cycle number.  ``truth`` holds capacities in mAh/g, the coulombic efficiencies and the C-rate
    (hours per theoretical capacity at this specific current).
    """
    rng = _rng(rng)
    if chemistry not in CATHODES:
        raise SselabError(f"full_cell: chemistry {chemistry!r} is not one of {', '.join(CATHODES)}")
    spec = CATHODES[chemistry]
    V_min = spec["window_V"][0] if V_min is None else V_min
    V_max = spec["window_V"][1] if V_max is None else V_max
    I = specific_current_A_per_kg * active_mass_kg
    n = np.arange(1, n_cycles + 1)
    if discharge_capacities_mAh_per_g is not None:
        q_dis = np.asarray(discharge_capacities_mAh_per_g, float)
        if q_dis.shape != (n_cycles,):
            raise SselabError(f"full_cell: {q_dis.size} discharge capacities for {n_cycles} cycles")
    else:
        q_dis = first_discharge_mAh_per_g * (1 - fade_per_cycle) ** (n - 1)
    ces = np.broadcast_to(np.asarray(ce, float), (n_cycles,)).copy()
    ces[0] = first_ce
    starts_charged = spec["starts_with"] == "discharge"
    q_chg = q_dis * ces if starts_charged else q_dis / ces
    order = (("discharge", 1), ("charge", 2)) if starts_charged else (("charge", 1), ("discharge", 2))
    T, E, Ic, CYC, NS = [], [], [], [], []
    t_now = 0.0
    s = np.linspace(0, 1, points_per_half + 1)  # includes the step's first point
    eps = 1e-3
    for k in range(n_cycles):
        for kind, step in order:
            q_mAh_g = q_dis[k] if kind == "discharge" else q_chg[k]
            q_C = q_mAh_g * 3.6 * active_mass_kg * 1e3  # mAh/g → C:  1 mAh/g = 3.6 C/g
            dur = q_C / I
            u = np.clip(s, eps, 1 - eps)
            v = _cathode_profile(chemistry, u, kind, I * R_ohm, V_min, V_max)
            if kind == "discharge":
                v = np.clip(np.minimum.accumulate(v), V_min, V_max)
                v[-1] = V_min
                sign = -1.0
            else:
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
    theo = FARADAY / 3.6 / spec["molar_mass_g_per_mol"]
    truth = {"chemistry": chemistry, "first_direction": spec["starts_with"], "active_mass_kg": active_mass_kg,
             "specific_current_A_per_kg": specific_current_A_per_kg, "current_A": I,
             "discharge_capacity_mAh_per_g": q_dis.tolist(), "charge_capacity_mAh_per_g": q_chg.tolist(),
             "coulombic_efficiency": ces.tolist(), "first_discharge_mAh_per_g": float(q_dis[0]),
             "fade_per_cycle": None if discharge_capacities_mAh_per_g is not None else fade_per_cycle,
             "n_cycles": n_cycles, "V_min": V_min, "V_max": V_max, "T_K": T_K, "R_ohm": R_ohm,
             "theoretical_mAh_per_g": theo, "c_rate_hours": theo / specific_current_A_per_kg,  # A/kg = mA/g
             "duration_s": float(t_now)}
    if chemistry == "TiS2":
        truth["theoretical_TiS2_mAh_per_g"] = theo
    return Simulation(df, "GCPL", truth, temperature_K=T_K, meta={"active_mass_kg": active_mass_kg})
