"""The lithium-imide paper's study, simulated (Lowen et al., EES Batteries 2025, 1, 527): ``sselab demo``'s data.

``generate_demo(out_dir)`` writes instrument files, a cell manifest (``cells.yaml``) and ``truth.json``.  Every
simulation input is a value the paper states (``sselab.materials.paper``, ``lowen2025.yaml``) or, where the paper
is silent, a stated assumption; ``truth.json`` lists each input next to the paper's value.  The cells:

=====================  ==========  ==========================================================================
cell                   paper       files
=====================  ==========  ==========================================================================
CP-Au, MCP-Au, HP-Au   Fig. 1e,f   Au|Li2NH|Au EIS 30–110 °C of the three preparations (the 30 °C files are
                                   the Fig. 1e overlay); σ30 = 0.054 / 0.34 / 1.0 mS/cm, Ea = 0.50/0.52/0.44 eV
CP-Au-dcpol(-0.75V)    ESI Fig. 2  DC polarisation at 0.5 V and 0.75 V, 40 °C, 5 h: σe 1.2 nS/cm, t_i 0.998
Li-Li-as-built,        Fig. 1g     Li|Li2NH|Li EIS at 30 °C before / after the 60 °C heat treatment
Li-Li-heat-treated                 (interface 3308 → 47 Ω cm² per interface, σ 0.059 mS/cm)
Li-steel-CV            Fig. 2a–d   DC polarisation before the CV (0.45 nS/cm, τ 4.48 s, I0 74 nA), the CV
                                   (−0.5…5 V, 1 mV/s, 16 cycles, 40 °C) and DC polarisation within 2 min after
                                   it (54 nS/cm, τ 2.28 s, I0 1.06 mA)
Li-Li-SP               Fig. 3a–f   EIS as built and heat treated, the stripping/plating ladder (200 cycles at
                                   5…80 µA/cm², 25 cycles per step up to 10 mA/cm², > 750 h, no short, the
                                   resistance falling from 40 µA/cm² on), EIS right after, 2 days and 1 month
                                   after cycling (~1000× impedance drop, then recovery)
Li-TiS2, Li-LFP        Fig. 5a–d   full cells at 5 mA/g, 40 °C: TiS2 126 mAh/g, 42 cycles (C/48); LiFePO4
                                   (C/35) fading after 18 cycles
showcase-short-Li-Li   (none)      NOT the paper's: a short ladder with an injected hard short, to show
                                   sselab's short detection
=====================  ==========  ==========================================================================

Physical consistency (each check is in ``truth.json``): the CV currents stay below a quarter of the ohmic limit of
the 1.25 mm cold-pressed pellet at 40 °C (|E|·σ·A/L ≈ 0.30 mA at −0.5 V), so the Li imbalance is computed from
those charges: 5.2 % of the *plated* charge, ≈ 0.001 % of the Li in the pellet (the paper's stated basis would
need ≈ 16× the charge the pellet can pass at its ohmic limit) — ``truth.json`` says so under
``cv_imbalance_basis``.

Manifest keys beyond sselab's cell keys, on file entries only (the current loader ignores them): ``time`` —
ISO-8601 start of the measurement (also in the file header); ``label`` — the file's place in the cell's history
(``pre-CV``, ``post-CV``, ``as built``, ``after heat treatment``, ``0 h after cycling`` …); ``figures`` — the
paper's figure panels the file belongs to (``[1e, 1f]``).  A cell none of whose files has ``figures`` is not the
paper's (the short showcase).

``small=True`` makes a reduced set (fewer temperatures, cycles and points) for tests; its ladder is far shorter
than 750 h.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from ..results import jsonable
from ..units import FARADAY
from .models import (ArrheniusLaw, cv_plating_charges, cyclic_voltammetry, dc_polarization, default_frequencies,
                     eis_blocking, eis_symmetric, full_cell, pellet_area, pellet_resistance, stripping_plating)

__all__ = ["generate_demo", "PREPARATIONS", "DemoSet", "load_truth", "LADDER_STEPS_A_PER_M2", "demo_inputs"]

DIAMETER_M = 10e-3            # paper: 10 mm pellets (area 0.7854 cm²)
LI_ELECTRODE_T_K = 303.15     # Fig. 1g spectra at 30 °C
CELL_T_K = 313.15             # DC polarisation, CV, stripping/plating and full cells at 40 °C


@dataclass(frozen=True)
class Preparation:
    key: str
    material: str
    sigma30_mS_per_cm: float
    Ea_eV: float
    thickness_mm: float
    relative_density: float
    fmt: str = ".mpt"


#: the three pellet preparations (σ30, Ea and relative density from the paper; thickness within its 1–2 mm)
PREPARATIONS = (
    Preparation("CP", "Li2NH cold pressed", 0.054, 0.50, 1.10, 0.765),
    Preparation("MCP", "Li2NH milled + cold pressed", 0.34, 0.52, 1.05, 0.77),
    Preparation("HP", "Li2NH hot pressed", 1.0, 0.44, 1.00, 0.85, ".z"),
)

#: Fig. 3a ladder: 200 cycles at each of 5…80 µA/cm², then 25 cycles at each step up to 10 mA/cm².  The text
#: names only the first six steps and the last; 12 steps above 80 µA/cm² are the fewest that make > 750 h
#: (1200 cycles × 1820 s = 606.7 h, + 12 × 25 × 1820 s = 151.7 h → 758.3 h, 1500 cycles).  Values in A/m²
#: (1 µA/cm² = 0.01 A/m²).
LADDER_LOW_A_PER_M2 = (0.05, 0.1, 0.2, 0.4, 0.6, 0.8)
LADDER_HIGH_A_PER_M2 = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 20.0, 40.0, 60.0, 80.0, 100.0)
LADDER_STEPS_A_PER_M2 = LADDER_LOW_A_PER_M2 + LADDER_HIGH_A_PER_M2

T0 = datetime(2024, 3, 4, 9, 0, 0)       # first measurement of the simulated study


@dataclass(frozen=True)
class DemoSet:
    """Where the demo was written: data directory, manifest and truth file."""

    root: Path
    manifest: Path
    truth: Path
    files: tuple[Path, ...]


def _li2nh():
    """Molar mass (kg/mol) and crystallographic density (kg/m³) of Li2NH from the knowledge base."""
    from ..materials import density, molar_mass

    return molar_mass("Li2NH") * 1e-3, density("Li2NH")


def _balance(kg: float) -> float:
    """A mass as a balance reads it (0.01 mg): the manifest value is then exactly the simulated one."""
    return round(kg * 1e8) / 1e8


def _pellet_mass_kg(thickness_m: float, rel: float) -> float:
    return _balance(pellet_area(DIAMETER_M) * thickness_m * _li2nh()[1] * rel)


def _mg(kg: float) -> str:
    return f"{kg * 1e6:.2f} mg"


def _iso(dt: datetime) -> str:
    return dt.replace(microsecond=0).isoformat()


def demo_inputs() -> dict:
    """Paper-derived constants every part of the demo uses (SI), with the derivations the truth file reports."""
    M, rho = _li2nh()
    A = pellet_area(DIAMETER_M)
    cp = PREPARATIONS[0]
    cp_law = ArrheniusLaw(cp.sigma30_mS_per_cm * 0.1, cp.Ea_eV)          # mS/cm → S/m: × 0.1
    li_law = ArrheniusLaw(0.059 * 0.1, cp.Ea_eV)                          # Li|Li2NH|Li cell, σ30 = 0.059 mS/cm
    return {"area_m2": A, "molar_mass_kg_per_mol": M, "density_kg_per_m3": rho, "cp_law": cp_law,
            "li_cell_law": li_law}


def generate_demo(out_dir, *, small: bool = False, seed: int = 2025, short_cycle: int | None = None) -> DemoSet:
    """Write the simulated data set, ``cells.yaml`` and ``truth.json`` into ``out_dir``.

    The set is built in a temporary folder beside ``out_dir`` which then replaces it (:func:`sselab.outputs.write_tree`:
    only a new, empty or earlier sselab folder is replaced), so ``out_dir`` never mixes files of two runs (e.g. a full
    run followed by ``small=True``) and an interrupted run leaves no partial set.
    """
    from ..outputs import write_tree

    final = Path(out_dir)
    with write_tree(final, kind="demo-data") as tmp:
        ds = _generate(tmp, small=small, seed=seed, short_cycle=short_cycle)
    return DemoSet(final, final / ds.manifest.name, final / ds.truth.name,
                   tuple(final / p.relative_to(tmp) for p in ds.files))


class _Set:
    """Collects files, manifest cells and truth while the demo is generated."""

    def __init__(self, root: Path):
        self.root = root
        self.files: list[Path] = []
        self.cells: list[dict] = []
        self.truth_materials: dict[str, dict] = {}
        self.truth_cells: dict[str, dict] = {}
        self.truth_files: dict[str, dict] = {}
        self.details: dict[str, dict] = {}
        self.models: dict[str, dict] = {}
        self.paper_rows: list[dict] = []
        self.tolerances: dict[str, dict] = {}
        self.measured_by: list[dict] = []

    def measured(self, id_: str, recipe: str | None, subject: str | None, key: str | None, note: str = "",
                 basis: str | None = None):
        """Where sselab's value of the paper's stated quantity ``id_`` is in the report: the ``key`` of the result
        of ``recipe`` on ``subject`` (None: the demo does not reproduce it, ``note`` says why)."""
        self.measured_by.append({"id": id_, "recipe": recipe, "subject": subject, "key": key, "note": note,
                                 **({"basis": basis} if basis else {})})

    def write(self, sim, rel: Path, start: datetime, *, cell: str, label: str | None = None, figures=(),
              temperature_K: float | None = None, truth: dict | None = None, **kw) -> dict:
        path = sim.write(self.root / rel, start=start, **kw)
        self.files.append(path)
        entry = {"path": rel.as_posix()}
        if temperature_K is not None:
            entry["temperature"] = f"{temperature_K - 273.15:g} C"
        entry["time"] = _iso(start)
        if label:
            entry["label"] = label
        if figures:
            entry["figures"] = list(figures)
        end = start + timedelta(seconds=float(sim.data["time_s"].iloc[-1]))
        self.truth_files[rel.as_posix()] = {"cell": cell, "technique": sim.technique, "label": label,
                                            "figures": list(figures), "start": _iso(start), "end": _iso(end),
                                            "rows": int(len(sim.data)), **(truth or {})}
        return entry

    def paper(self, pv, id_: str, simulated, note: str = "", *, si: bool = True):
        """A truth row: the paper's stated value next to the value the demo simulated (in the paper's unit).

        ``simulated`` is SI (``si=True``) or already in the paper's unit; a list for a range / programme row."""
        r = pv[id_]
        if isinstance(simulated, (list, tuple)):
            sim_val = [r.to_paper_unit(x) if si else float(x) for x in simulated]
            agrees = len(sim_val) == len(r.value) and all(
                abs(a - b) <= 1e-6 * max(abs(b), 1e-12) for a, b in zip(sim_val, r.value))
        else:
            sim_val = None if simulated is None else (r.to_paper_unit(simulated) if si else float(simulated))
            agrees = None if sim_val is None else r.agrees(simulated if si else _from_paper_unit(r, sim_val))
        self.paper_rows.append({"id": r.id, "quantity": r.quantity, "unit": r.unit,
                                "paper_value": list(r.value) if r.is_range else r.value, "relation": r.relation,
                                "simulated_value": sim_val, "role": r.kind, "basis": r.basis, "agrees": agrees,
                                "note": note})


def _from_paper_unit(r, x):
    from .. import units

    return x if not r.unit or r.unit == "eV" else units.from_unit(x, r.unit)


def _generate(root: Path, *, small: bool, seed: int, short_cycle: int | None) -> DemoSet:
    import yaml

    from ..materials.paper import load_paper

    pv = load_paper("lowen2025")
    rng = np.random.default_rng(seed)
    S = _Set(root)
    inp = demo_inputs()
    A, M_kg, rho = inp["area_m2"], inp["molar_mass_kg_per_mol"], inp["density_kg_per_m3"]
    cp_law, li_law = inp["cp_law"], inp["li_cell_law"]

    _blocking_series(S, pv, rng, small)
    _au_dcpol(S, pv, rng, small)
    _fig1g(S, pv, rng, small, li_law)
    _cv_cell(S, pv, rng, small, cp_law, M_kg, A)
    _sp_cell(S, pv, rng, small, li_law, A)
    _full_cells(S, pv, rng, small)
    _short_showcase(S, rng, small, short_cycle)
    _structure(S, root, seed, small)
    _paper_map(S, small)

    manifest = {"version": 1, "defaults": {"diameter": "10 mm"}, "cells": S.cells}
    mpath = root / "cells.yaml"
    mpath.write_text("# sselab demo: the lithium-imide study (Lowen et al., EES Batteries 2025, 1, 527), simulated "
                     "with the paper's values as inputs\n# file entries carry 'time' (start, ISO 8601), 'label' and "
                     "'figures' (the paper's figure panels)\n"
                     + yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
    truth = {"about": "values used to simulate the demo data (sselab demo), next to the paper's",
             "paper": f"{pv.citation}, doi:{pv.doi}", "paper_values": "sselab.materials.paper: lowen2025",
             "seed": seed, "small": small,
             "li2nh": {"molar_mass_g_per_mol": M_kg * 1e3, "density_g_per_cm3": rho / 1000,
                       "density_source": "crystal structure, a = 5.07 Å Fm-3m Z = 4 (densities.yaml)"},
             "materials": S.truth_materials, "cells": S.truth_cells, "details": S.details, "files": S.truth_files,
             "paper_comparison": S.paper_rows, "models": S.models, "tolerances": S.tolerances,
             "paper_measured_by": S.measured_by}
    tpath = root / "truth.json"
    tpath.write_text(json.dumps(jsonable(truth), indent=1, allow_nan=False, ensure_ascii=False), encoding="utf-8")
    return DemoSet(root, mpath, tpath, tuple(S.files))


# -- Fig. 1e,f: Au|Li2NH|Au temperature series ---------------------------------------------------------------------

def _blocking_series(S: _Set, pv, rng, small: bool):
    temps_C = [30, 50, 70, 90, 110] if small else list(range(30, 111, 10))
    per_decade = 7 if small else 10
    ids = {"CP": "cold_pressed", "MCP": "milled", "HP": "hot_pressed"}
    for n, prep in enumerate(PREPARATIONS):
        law = ArrheniusLaw(prep.sigma30_mS_per_cm * 0.1, prep.Ea_eV)  # mS/cm → S/m: ×0.1
        thick = prep.thickness_mm * 1e-3
        name = f"{prep.key}-Au"
        entries = []
        for m, tc in enumerate(temps_C):
            T = tc + 273.15
            # σ_total = 1/(1/σ_bulk + 1/σ_gb): bulk carries 2/3 of the resistance, grain boundaries 1/3
            # R0 = 0.02 Ω: leads compensated by a short measurement, so the intercept is the pellet's resistance
            sim = eis_blocking(T, thickness_m=thick, diameter_m=DIAMETER_M, bulk=law.scaled(1.5),
                               gb=law.scaled(3.0), R0=0.02, f=default_frequencies(13e6, 5.0, per_decade), rng=rng)
            rel = Path("eis") / f"{prep.key}_Au-Li2NH-Au_{tc}C{prep.fmt}"
            start = T0 + timedelta(days=n, hours=1.5 * m)
            entries.append(S.write(sim, rel, start, cell=name, temperature_K=T,
                                   figures=("1e", "1f") if tc == 30 else ("1f",),
                                   truth={"sigma_S_per_m": sim.truth["sigma_total_S_per_m"],
                                          "R_total_ohm": sim.truth["R_total_ohm"]}))
        S.models[name] = {"sigma30_S_per_m": law.sigma_ref_S_per_m, "Ea_eV": prep.Ea_eV, "bulk_fraction_of_R": 2 / 3,
                          "temperatures_C": temps_C, "frequency_Hz": [5.0, 13e6]}
        S.truth_materials[prep.material] = {"Ea_eV": prep.Ea_eV, "sigma_30C_mS_per_cm": prep.sigma30_mS_per_cm}
        S.cells.append({"name": name, "material": prep.material, "formula": "Li2NH",
                        "thickness": f"{prep.thickness_mm} mm", "diameter": "10 mm", "electrodes": "Au|Au",
                        "pellet_mass": _mg(_pellet_mass_kg(thick, prep.relative_density)),
                        "relative_density": prep.relative_density, "files": entries})
        S.paper(pv, f"sigma30_{ids[prep.key]}", law.sigma_ref_S_per_m, "simulation input (σ30 of the series)")
        S.paper(pv, f"ea_{ids[prep.key]}", prep.Ea_eV, "simulation input (σT Arrhenius law)", si=False)
        S.paper(pv, f"rel_density_{ids[prep.key]}", prep.relative_density, "pellet mass = ρ_X-ray · rel · A · L")
    S.paper(pv, "eis_au_frequency_range", [5.0, 13e6], "HP 4192A sweep")
    S.paper(pv, "eis_temperature_max", max(temps_C) + 273.15, "")
    S.paper(pv, "pellet_diameter", DIAMETER_M, "every pellet")


# -- ESI Fig. 2: DC polarisation of the cold-pressed Au cell ------------------------------------------------------

def _au_dcpol(S: _Set, pv, rng, small: bool):
    cp = PREPARATIONS[0]
    thick = cp.thickness_mm * 1e-3
    start = T0 + timedelta(days=4)
    for volt in (0.5, 0.75):
        dc = dc_polarization(voltage_V=volt, sigma_e_S_per_m=1.2e-7, tau_s=4.5, t_ion=0.998, thickness_m=thick,
                             diameter_m=DIAMETER_M, T_K=CELL_T_K, duration_s=(1.0 if small else 5.0) * 3600,
                             dt_slow_s=60.0 if small else 30.0, rng=rng)
        name = "CP-Au-dcpol" if volt == 0.5 else "CP-Au-dcpol-0.75V"
        rel = Path("dcpol") / f"CP_Au-Li2NH-Au_DCpol_{volt:g}V_40C.mpt"
        entry = S.write(dc, rel, start, cell=name, temperature_K=CELL_T_K, label=f"{volt:g} V hold",
                        figures=("ESI2",), truth={"voltage_V": volt, "I_0_A": dc.truth["I_0_A"],
                                                  "I_e_A": dc.truth["I_e_A"]})
        start += timedelta(hours=6)
        S.cells.append({"name": name, "material": cp.material, "formula": "Li2NH",
                        "thickness": f"{cp.thickness_mm} mm", "diameter": "10 mm", "electrodes": "Au|Au",
                        "pellet_mass": _mg(_pellet_mass_kg(thick, cp.relative_density)),
                        "relative_density": cp.relative_density, "temperature": "40 C", "files": [entry]})
        S.truth_cells[name] = {"tau_s": 4.5, "sigma_e_nS_per_cm": 1.2, "t_ion": 0.998, "voltage_V": volt}
        S.models[name] = dc.truth
    S.paper(pv, "sigma_e_au", 1.2e-7, "simulation input (I_e = σe·A·V/L); the paper gives no τ for this cell: "
                                      "4.5 s")
    S.paper(pv, "t_ion_au", 0.998, "simulation input (I_0 = I_e/(1 − t_i))")
    S.paper(pv, "dcpol_voltages_au", [0.5, 0.75], "one file per voltage")
    S.paper(pv, "dcpol_duration", (1.0 if small else 5.0) * 3600, "")


# -- Fig. 1g: Li|Li2NH|Li before / after the heat treatment (two cells) ------------------------------------------

#: Li|Li2NH|Li spectra (Solartron 1260): 1.2 mm pellet, 0.1 Ω leads, 1 µH lead/cell inductance (phase → +90° at
#: 10 MHz once the cell conducts, Fig. 3d), a low-frequency inductive loop of 3 % of the DC resistance at 10 mHz
#: (Fig. 3b,c: "in both cases a low frequency inductive loop"), 0.2 % complex noise
_LI_CELL = {"thickness_m": 1.2e-3, "R0": 0.1, "L_lead_H": 1e-6, "loop_fraction": 0.03, "loop_f_Hz": 0.01,
            "noise": 0.002}
_Q_INT_AS_BUILT = 4.5e-8    # F s^(α−1): the as-built interface arc peaks at 10³–10⁴ Hz (paper, Fig. 3b)
_Q_INT_TREATED = 5e-6


def _li_eis(T_K, asr_m2, rng, small, *, law=None, sigma_el=None, Q_int=_Q_INT_AS_BUILT):
    """Li|Li2NH|Li spectrum: electrolyte (bulk 2/3, grain boundary 1/3 of its resistance), interface, inductances."""
    f = default_frequencies(10e6, 1e-3, 6 if small else 8)        # Solartron 1260: 1 mHz – 10 MHz
    sig = float(law.sigma(T_K)) if sigma_el is None else sigma_el
    return eis_symmetric(T_K, thickness_m=_LI_CELL["thickness_m"], diameter_m=DIAMETER_M,
                         sigma_bulk_S_per_m=1.5 * sig, sigma_gb_S_per_m=3.0 * sig, asr_interface_ohm_m2=asr_m2,
                         Q_int=Q_int, R0=_LI_CELL["R0"], L_lead_H=_LI_CELL["L_lead_H"],
                         loop_fraction=_LI_CELL["loop_fraction"], loop_f_Hz=_LI_CELL["loop_f_Hz"],
                         noise=_LI_CELL["noise"], f=f, rng=rng)


def _loop_tolerance(sim, base: float = 0.05) -> dict:
    """The tolerance of σ recovered from a Li|Li spectrum with a low-frequency inductive loop p(R4, L4): above the
    loop R4 is a plain series resistance no fit of the loop-free points can tell from the electrolyte's, so σ may
    come out low by up to R4/(R_el + R4); plus ``base`` for the fit itself."""
    r4 = float(sim.truth["params"].get("R4", 0.0))
    r_el = float(sim.truth["R_total_ohm"])
    bias = r4 / (r_el + r4)
    return {"rel": round(base + bias, 4),
            "why": (f"the inductive loop's R4 = {r4:.3g} Ω (3 % of R_DC) acts as a series resistance above "
                    f"{_LI_CELL['loop_f_Hz']:g} Hz, indistinguishable from the electrolyte's {r_el:.4g} Ω: σ may read "
                    f"up to {100 * bias:.2g} % low (+{100 * base:g} % for the fit)")}


def _li_cell_entry(name, files, *, temperature="30 C", notes=None):
    cp = PREPARATIONS[0]
    d = {"name": name, "material": cp.material, "formula": "Li2NH", "thickness": "1.2 mm", "diameter": "10 mm",
         "electrodes": "Li|Li", "pellet_mass": _mg(_pellet_mass_kg(_LI_CELL["thickness_m"], cp.relative_density)),
         "relative_density": cp.relative_density, "temperature": temperature, "files": files}
    if notes:
        d["notes"] = notes
    return d


def _fig1g(S: _Set, pv, rng, small, li_law):
    start = T0 + timedelta(days=7)
    for key, asr, label, q, name in (("as-built", 3308.0, "as built", _Q_INT_AS_BUILT, "Li-Li-as-built"),
                                     ("heat-treated", 47.0, "after heat treatment (60 °C, 6–8 h)", _Q_INT_TREATED,
                                      "Li-Li-heat-treated")):
        sim = _li_eis(LI_ELECTRODE_T_K, asr * 1e-4, rng, small, law=li_law, Q_int=q)
        rel = Path("eis") / f"Li-Li2NH-Li_{key}_30C.mpt"
        entry = S.write(sim, rel, start, cell=name, temperature_K=LI_ELECTRODE_T_K, label=label, figures=("1g",),
                        truth={"asr_interface_ohm_cm2": asr, "sigma_mS_per_cm": 0.059})
        S.cells.append(_li_cell_entry(name, [entry], notes="Fig. 1g pair: the same kind of cell before and after "
                                                           "the interface heat treatment"))
        S.truth_cells[name] = {"asr_interface_ohm_cm2": asr, "sigma_30C_mS_per_cm": 0.059}
        S.tolerances[name] = {"sigma_30C_mS_per_cm": _loop_tolerance(sim)}
        S.models[name] = sim.truth
        start += timedelta(days=1)
    S.paper(pv, "asr_li_as_built", 3308e-4, "simulation input (R3 = 2·ASR/A)")
    S.paper(pv, "asr_li_heat_treated", 47e-4, "simulation input")
    S.paper(pv, "sigma30_li_cell", 0.0059, "simulation input (bulk + grain boundary)")
    S.paper(pv, "eis_li_frequency_range", [1e-3, 10e6], "Solartron 1260 sweep")
    S.paper(pv, "pellet_area", pellet_area(DIAMETER_M), "ASR = R·A/2")


# -- Fig. 2: Li|Li2NH|steel — DC polarisation, CV, DC polarisation --------------------------------------------------

CV_THICKNESS_M = 1.25e-3   # see _cv_cell: the paper's pre-CV σe, t_i and I0 agree for L = 1.25 mm


def _cv_cell(S: _Set, pv, rng, small, cp_law, M_kg, A):
    cp = PREPARATIONS[0]
    L = CV_THICKNESS_M
    name = "Li-steel-CV"
    sigma40 = float(cp_law.sigma(CELL_T_K))
    R_pel = pellet_resistance(sigma40, L, DIAMETER_M)
    mass = _pellet_mass_kg(L, cp.relative_density)
    n_li = mass / M_kg * 2
    entries = []
    dur = (1.0 if small else 5.0) * 3600
    t_pre = T0 + timedelta(days=14)
    # pre-CV: σe 0.45 nS/cm, I0 74 nA, τ 4.48 s  →  t_i = 1 − I_e/I0 = 0.9809 for L = 1.25 mm (paper: 0.981)
    pre = dc_polarization(voltage_V=0.5, sigma_e_S_per_m=4.5e-8, tau_s=4.48, t_ion=None, I_0_A=74e-9, thickness_m=L,
                          diameter_m=DIAMETER_M, T_K=CELL_T_K, duration_s=dur, dt_slow_s=60.0 if small else 30.0,
                          rng=rng)
    entries.append(S.write(pre, Path("dcpol") / "Li-Li2NH-steel_DCpol_pre-CV_0.5V_40C.mpt", t_pre, cell=name,
                           temperature_K=CELL_T_K, label="pre-CV", figures=("2c",),
                           truth={"sigma_e_nS_per_cm": 0.45, "tau_s": 4.48, "I_0_A": 74e-9,
                                  "t_ion": pre.truth["t_ion"]}))
    # CV: two linear regimes of plated charge meeting at cycle 7, plating interface-limited well under the ohmic
    # limit; strippable fraction rising then stable, scaled so that 5.2 % of the plated charge stays behind
    n_cv = 16
    q1, s1, s2, brk = 3.0e-3, 5.0e-4, 1.6e-3, 7
    q_plate = cv_plating_charges(n_cv, q1, s1, s2, brk)
    k = np.arange(n_cv)
    dip = 0.12 * np.exp(-k / 2.5)                       # early cycles strip less (interface forming)
    r_inf = 1 - 0.052 + float(np.sum(q_plate * dip) / q_plate.sum())
    ratio = r_inf - dip
    t_cv = t_pre + timedelta(seconds=pre.truth["duration_s"] + 300)
    cv = cyclic_voltammetry(n_cycles=n_cv, dE_V=0.02 if small else 0.005, thickness_m=L, diameter_m=DIAMETER_M,
                            sigma_ion_S_per_m=sigma40, q_plate_first_C=q1, slope1_C=s1, slope2_C=s2, break_cycle=brk,
                            strip_ratio=ratio, sigma_e_S_per_m=(4.5e-8, 5.4e-6), T_K=CELL_T_K, rng=rng)
    tr = cv.truth
    qp, qs = np.asarray(tr["plated_charge_C"]), np.asarray(tr["stripped_charge_C"])
    imb = float(qp.sum() - qs.sum())
    pct_pellet = 100 * imb / FARADAY / n_li
    pct_plated = 100 * imb / qp.sum()
    # the most charge the pellet can pass below 0 V in 16 cycles: I = E/R_pel on both sweeps, ∫ = E_low²/(v·R_pel)
    q_ohmic_max = n_cv * 0.5 ** 2 / (1e-3 * R_pel)
    q_needed = 0.052 * n_li * FARADAY
    basis_mol = imb / FARADAY / 0.052
    layer_m = basis_mol / 2 * M_kg / (_li2nh()[1] * cp.relative_density * A)
    entries.append(S.write(cv, Path("cv") / "Li-Li2NH-steel_CV_1mVs_40C.mpt", t_cv, cell=name,
                           temperature_K=CELL_T_K, label="CV", figures=("2a", "2b"),
                           truth={"n_cycles": n_cv, "break_cycle": brk}))
    t_post = t_cv + timedelta(seconds=tr["duration_s"] + 90)          # "within 2 minutes"
    # post-CV: σe 54 nS/cm, I0 1.06 mA, τ 2.28 s  →  t_i = 0.99984 (paper: 0.999)
    post = dc_polarization(voltage_V=0.5, sigma_e_S_per_m=5.4e-6, tau_s=2.28, t_ion=None, I_0_A=1.06e-3,
                           thickness_m=L, diameter_m=DIAMETER_M, T_K=CELL_T_K, duration_s=dur,
                           dt_slow_s=60.0 if small else 30.0, rng=rng)
    entries.append(S.write(post, Path("dcpol") / "Li-Li2NH-steel_DCpol_post-CV_0.5V_40C.mpt", t_post, cell=name,
                           temperature_K=CELL_T_K, label="post-CV", figures=("2d",),
                           truth={"sigma_e_nS_per_cm": 54.0, "tau_s": 2.28, "I_0_A": 1.06e-3,
                                  "t_ion": post.truth["t_ion"]}))
    S.cells.append({"name": name, "material": cp.material, "formula": "Li2NH", "thickness": f"{L * 1e3:g} mm",
                    "diameter": "10 mm", "electrodes": "Li|steel", "pellet_mass": _mg(mass),
                    "relative_density": cp.relative_density, "temperature": "40 C",
                    "notes": "DC polarisation before the CV, the CV, DC polarisation within 2 min after it (Fig. 2)",
                    "files": entries})
    i_lim = tr["ohmic_limit_A"]
    S.truth_cells[name] = {
        "n_cycles": n_cv, "break_cycle": brk, "q_plate_first_C": float(qp[0]), "q_plate_last_C": float(qp[-1]),
        "strip_plate_ratio": float(qs.sum() / qp.sum()), "imbalance_C": imb,
        "imbalance_pct_of_pellet_Li": pct_pellet, "imbalance_pct_of_plated": pct_plated,
        "ox_onset_V": None, "window_upper_V": 5.0,
        "sigma_e_pre_nS_per_cm": 0.45, "sigma_e_post_nS_per_cm": 54.0, "t_ion_pre": pre.truth["t_ion"],
        "t_ion_post": post.truth["t_ion"], "tau_pre_s": 4.48, "tau_post_s": 2.28, "i_initial_pre_nA": 74.0,
        "i_initial_post_mA": 1.06}
    S.details[name] = {"max_abs_current_A": tr["max_abs_current_A"], "ohmic_limit_A": i_lim,
                       "max_current_over_ohmic_limit": tr["max_abs_current_A"] / i_lim}
    S.details[name]["cv_imbalance_basis"] = {
        "pellet_mass_kg": mass, "pellet_Li_mol": n_li, "imbalance_mol_Li": imb / FARADAY,
        "pct_of_pellet_Li": pct_pellet, "pct_of_plated_charge": pct_plated,
        "paper_basis": "moles of Li in Li2NH (stated)", "paper_pct": 5.2,
        "charge_needed_for_5.2pct_of_pellet_Li_C": q_needed,
        "max_charge_below_0V_at_ohmic_limit_C": q_ohmic_max,
        "needed_over_ohmic_max": q_needed / q_ohmic_max,
        "basis_that_gives_5.2pct_mol_Li": basis_mol,
        "basis_that_gives_5.2pct_equals": "the total plated Li (Σ Q_plate / F)",
        "equivalent_Li2NH_layer_m": layer_m,
        "explanation": (f"The simulated CV currents stay ≤ {tr['max_abs_current_A'] / i_lim:.0%} of the pellet's "
                        f"ohmic limit ({i_lim * 1e3:.3g} mA at −0.5 V: σ = {sigma40 * 10:.3g} mS/cm, L = "
                        f"{L * 1e3:g} mm, A = {A * 1e4:.4g} cm²). Σ plated − Σ stripped = {imb * 1e3:.3g} mC "
                        f"= {imb / FARADAY * 1e9:.3g} nmol Li = {pct_pellet:.2g} % of the pellet's "
                        f"{n_li * 1e3:.3g} mmol Li, but {pct_plated:.3g} % of the plated charge. 5.2 % of the "
                        f"pellet's Li is {q_needed:.3g} C, {q_needed / q_ohmic_max:.3g}× the {q_ohmic_max:.3g} C "
                        f"the pellet could pass below 0 V in 16 cycles even at its ohmic limit; the paper's 5.2 % "
                        f"fits the plated Li as basis (equivalently the Li of a {layer_m * 1e9:.3g} nm Li2NH "
                        f"layer over the electrode).")}
    S.models[name] = {"dcpol_pre": pre.truth, "cv": tr, "dcpol_post": post.truth, "pellet_Li_mol": n_li,
                      "sigma_ion_40C_S_per_m": sigma40, "R_pellet_ohm": R_pel,
                      "post_cv_I0_needs_R_max_ohm": 0.5 / 1.06e-3,
                      "post_cv_I0_implies_sigma_min_S_per_m": L / (0.5 / 1.06e-3 * A),
                      "note": ("the post-CV spike of 1.06 mA at 0.5 V needs R ≤ 472 Ω, i.e. an apparent σ ≥ "
                               f"{L / (0.5 / 1.06e-3 * A) * 10:.3g} mS/cm, {L / (0.5 / 1.06e-3 * A) / sigma40:.2g}× "
                               "the pristine pellet at 40 °C: the paper's conductivity rise during the CV; the CV "
                               "currents themselves are kept under the pristine pellet's ohmic limit")}
    S.paper(pv, "sigma_e_pre_cv", 4.5e-8, "simulation input")
    S.paper(pv, "sigma_e_post_cv", 5.4e-6, "simulation input")
    S.paper(pv, "i0_pre_cv", 74e-9, "simulation input")
    S.paper(pv, "i0_post_cv", 1.06e-3, "simulation input; needs σ ≥ 0.32 mS/cm after the CV (see models)")
    S.paper(pv, "t_ion_pre_cv", pre.truth["t_ion"], "follows from σe, I0 and L = 1.25 mm (eqns 3–5)")
    S.paper(pv, "t_ion_post_cv", post.truth["t_ion"], "follows from σe, I0 and L (eqns 3–5); the paper truncates")
    S.paper(pv, "tau_pre_cv", 4.48, "simulation input", si=False)
    S.paper(pv, "tau_post_cv", 2.28, "simulation input", si=False)
    S.paper(pv, "cv_cycles", n_cv, "simulation input", si=False)
    S.paper(pv, "cv_break_cycle", brk, "simulation input: two linear regimes meeting at cycle 7", si=False)
    S.paper(pv, "cv_imbalance", pct_pellet / 100,
            f"on the paper's stated basis (Li in the pellet); {pct_plated:.3g} % of the plated charge — see "
            "details.Li-steel-CV.cv_imbalance_basis")
    S.paper(pv, "upper_stability_limit", 5.0, "no decomposition current simulated up to the 5 V vertex", si=False)
    S.paper(pv, "cv_range", [-0.5, 5.0], "vertices")
    S.paper(pv, "cv_scan_rate", tr["scan_rate_V_per_s"], "")
    S.paper(pv, "cv_temperature", CELL_T_K, "")
    S.paper(pv, "dcpol_voltage_cv_cell", 0.5, "pre- and post-CV holds")
    S.paper(pv, "dcpol_post_cv_delay", 90.0, "post-CV hold starts 90 s after the CV ends")


# -- Fig. 3: Li|Li2NH|Li stripping / plating and the impedance around it --------------------------------------------

#: recovery after cycling (the paper gives spectra, no numbers): the electrolyte resistance returns towards the
#: pristine value as R(t) = R_pristine·(R_post/R_pristine)^exp(−t/τ_bulk); the Li interface re-forms as
#: ASR(t) = ASR_as_built·(t/τ_int)³/(1 + (t/τ_int)³) — nearly absent after 2 days, back after 1 month (Fig. 3f ≈ 3b)
RECOVERY_TAU_BULK_S = 1.5 * 86400.0
RECOVERY_TAU_INTERFACE_S = 10 * 86400.0
POST_CYCLING_RESISTIVITY_OHM_M = 0.61       # paper: ~61 Ω cm (σ = 16.4 mS/cm)


def _sp_cell(S: _Set, pv, rng, small, li_law, A):
    name = "Li-Li-SP"
    L = _LI_CELL["thickness_m"]
    sig_pr = float(li_law.sigma(CELL_T_K))                  # pristine electrolyte at 40 °C
    R_el_pr = pellet_resistance(sig_pr, L, DIAMETER_M)
    R_int_built = 2 * 3308e-4 / A
    R_int_ht = 2 * 47e-4 / A
    R_post = POST_CYCLING_RESISTIVITY_OHM_M * L / A         # 9.3 Ω for 1.2 mm
    sig_post = 1 / POST_CYCLING_RESISTIVITY_OHM_M
    entries = []
    t = T0 + timedelta(days=28)
    eis_truth = []

    def eis(tag, label, figs, start, *, sigma_el, asr_m2, Q_int):
        sim = _li_eis(CELL_T_K, asr_m2, rng, small, sigma_el=sigma_el, Q_int=Q_int)
        R_cell = sim.truth["R_cell_ohm"]
        tr = {"sigma_mS_per_cm": sigma_el * 10, "asr_interface_ohm_cm2": asr_m2 * 1e4, "R_cell_ohm": R_cell,
              "R_electrolyte_ohm": sim.truth["R_total_ohm"]}
        entries.append(S.write(sim, Path("eis") / f"Li-Li2NH-Li_SP_{tag}_40C.mpt", start, cell=name,
                               temperature_K=CELL_T_K, label=label, figures=figs, truth=tr))
        eis_truth.append({"label": label, "start": _iso(start), **tr})
        return sim

    eis("01_as-built", "as built", ("3b",), t, sigma_el=sig_pr, asr_m2=3308e-4, Q_int=_Q_INT_AS_BUILT)
    t += timedelta(days=1)                                   # heat treatment 60 °C, 6–8 h, overnight
    eis("02_heat-treated", "after heat treatment", ("3c",), t, sigma_el=sig_pr, asr_m2=47e-4, Q_int=_Q_INT_TREATED)
    t += timedelta(hours=3)
    # -- the ladder ---------------------------------------------------------------------------------------------
    if small:
        cps = [4] * len(LADDER_LOW_A_PER_M2) + [2] * len(LADDER_HIGH_A_PER_M2)
        pph = 6
    else:
        cps = [200] * len(LADDER_LOW_A_PER_M2) + [25] * len(LADDER_HIGH_A_PER_M2)
        # a sample every 90 s, every 30 s at 10 and 80 µA/cm² (the Fig. 3a insets)
        pph = [30 if j in (0.1, 0.8) else 10 for j in LADDER_STEPS_A_PER_M2]
    # resistance falls with charge passed, faster at higher current density (dx/x = −(j/j_ref)·dq/q_act, n = 2):
    # q_act so that x falls by 25 % (e^−0.29) over the 200 cycles at 40 µA/cm² (j_ref = 0.4 A/m², 3.6e5 s on)
    q_act = 0.4 * 200 * 1800.0 / 0.29
    sp = stripping_plating(current_densities_A_per_m2=LADDER_STEPS_A_PER_M2, cycles_per_step=cps,
                           R_initial_ohm=R_el_pr + R_int_ht, R_min_ohm=R_post, activation_C_per_m2=q_act,
                           activation_exponent=2.0, activation_ref_A_per_m2=0.4, recovery_tau_s=RECOVERY_TAU_BULK_S,
                           long_rest_after_step=None, polarization_growth=0.1, points_per_half=pph,
                           diameter_m=DIAMETER_M, T_K=CELL_T_K, rng=rng)
    st = sp.truth
    hours = st["total_time_s"] / 3600
    entries.append(S.write(sp, Path("cycling") / "Li-Li2NH-Li_SP_03_ladder_40C.mpt", t, cell=name,
                           temperature_K=CELL_T_K, label="stripping/plating ladder", figures=("3a",),
                           truth={"n_cycles": st["n_cycles"], "total_hours": hours}, area_m2=A))
    t_end = t + timedelta(seconds=st["total_time_s"])
    # -- impedance after cycling: immediately, 2 days, 1 month ------------------------------------------------
    post = []
    for tag, label, figs, dt_s in (("04_post-cycling-0h", "0 h after cycling", ("3d",), 300.0),
                                   ("05_post-cycling-2d", "2 days after cycling", ("3e",), 2 * 86400.0),
                                   ("06_post-cycling-30d", "1 month after cycling", ("3f",), 30 * 86400.0)):
        w = float(np.exp(-dt_s / RECOVERY_TAU_BULK_S))
        R_el = R_el_pr * (R_post / R_el_pr) ** w
        y = (dt_s / RECOVERY_TAU_INTERFACE_S) ** 3
        asr = 3308e-4 * y / (1 + y)
        sim = eis(tag, label, figs, t_end + timedelta(seconds=dt_s), sigma_el=L / (R_el * A),
                  asr_m2=asr if asr > 1e-6 else 0.0, Q_int=_Q_INT_AS_BUILT)
        post.append((dt_s, sim))
    R_cell = [e["R_cell_ohm"] for e in eis_truth]
    drop_built = R_cell[0] / R_cell[2]
    drop_ht = R_cell[1] / R_cell[2]
    S.cells.append(_li_cell_entry(name, entries, temperature="40 C",
                                  notes="EIS as built and after the heat treatment, the stripping/plating ladder, "
                                        "EIS 0 h, 2 days and 1 month after cycling (Fig. 3)"))
    steps_uA = [j * 100 for j in LADDER_STEPS_A_PER_M2]
    rel_drop = [1 - e / s for s, e in zip(st["R_step_start_ohm"], st["R_step_end_ohm"])]
    onset = next((steps_uA[i] for i, d in enumerate(rel_drop) if d > 0.2), None)
    # keys as the report names them: cycling.symmetric (the ladder) and eis.series (the spectra in time)
    S.truth_cells[name] = {
        "n_cycles": st["n_cycles"], "total_time_h": hours, "short_cycle": None, "short_kind": "none",
        "ccd_uA_per_cm2": LADDER_STEPS_A_PER_M2[-1] * 100,      # no short: a lower bound at the last step
        "resistance_drop_onset_uA_per_cm2": onset,
        "R_cell_drop_first_to_min": drop_built, "R_cell_drop_before_min": drop_ht,
        "sigma_at_min_mS_per_cm": eis_truth[2]["sigma_mS_per_cm"]}
    S.tolerances[name] = {"sigma_at_min_mS_per_cm": _loop_tolerance(post[0][1])}
    S.details[name] = {"hard_short": False, "ladder_steps_uA_per_cm2": steps_uA,
                       "cycles_per_step": st["cycles_per_step"], "R_initial_ohm": st["R_initial_ohm"],
                       "R_final_ohm": st["R_final_ohm"], "ladder_rows": st["n_rows"],
                       "sigma_post_cycling_input_mS_per_cm": sig_post * 10, "eis_time_series": eis_truth}
    S.models[name] = {"ladder": {k: v for k, v in st.items() if k != "resistance_by_cycle_ohm"},
                      "resistance_by_cycle_ohm": st["resistance_by_cycle_ohm"][:: 1 if small else 10],
                      "resistance_by_cycle_stride": 1 if small else 10,
                      "R_electrolyte_pristine_ohm": R_el_pr, "R_interface_as_built_ohm": R_int_built,
                      "R_interface_heat_treated_ohm": R_int_ht, "R_post_cycling_ohm": R_post,
                      "recovery_tau_bulk_s": RECOVERY_TAU_BULK_S, "recovery_tau_interface_s": RECOVERY_TAU_INTERFACE_S,
                      "ladder_steps_note": ("the paper names 5, 10, 20, 40, 60, 80 µA/cm² (200 cycles each) and 'up "
                                            "to 10 mA/cm²' (25 cycles each); the 12 steps above 80 µA/cm² are "
                                            "sselab's choice — the fewest that give > 750 h"),
                      "eis": [p[1].truth for p in post]}
    S.paper(pv, "sp_total_hours", st["total_time_s"], "ladder duration (15 min + 10 s per half cycle)")
    S.paper(pv, "sp_total_cycles", st["n_cycles"], "", si=False)
    S.paper(pv, "sp_no_hard_short_current_density", LADDER_STEPS_A_PER_M2[-1], "no short simulated")
    if onset is not None:
        S.paper(pv, "sp_resistance_drop_onset", onset * 0.01,
                "first step whose resistance falls by > 20 % within the step")
    S.paper(pv, "post_cycling_drop_factor", drop_built,
            f"R_cell(as built, Fig. 3b) / R_cell(0 h after cycling); vs the heat-treated cell (Fig. 3c) it is "
            f"{drop_ht:.3g}", si=False)
    S.paper(pv, "post_cycling_sigma", sig_post, "simulation input (1/61 Ω cm)")
    S.paper(pv, "post_cycling_resistivity", POST_CYCLING_RESISTIVITY_OHM_M, "simulation input")
    S.paper(pv, "post_cycling_recovery_times", [2 * 86400.0, 30 * 86400.0], "EIS 2 days and 30 days after cycling")
    S.paper(pv, "sp_temperature", CELL_T_K, "")
    S.paper(pv, "sp_low_steps", list(LADDER_LOW_A_PER_M2), "")
    S.paper(pv, "sp_cycles_low_steps", cps[0], "", si=False)
    S.paper(pv, "sp_cycles_high_steps", cps[-1], "steps above 80 µA/cm²: " + ", ".join(
        f"{j * 0.1:g}" for j in LADDER_HIGH_A_PER_M2) + " mA/cm² (not listed in the paper; the fewest for > 750 h)",
        si=False)
    S.paper(pv, "sp_half_cycle", st["half_cycle_s"], "")
    S.paper(pv, "sp_rest", st["rest_s"], "")
    S.paper(pv, "sp_max_current_density", LADDER_STEPS_A_PER_M2[-1], "")


# -- Fig. 5: full cells -------------------------------------------------------------------------------------------

def _full_cells(S: _Set, pv, rng, small):
    disc_area = pellet_area(12e-3)                             # 12 mm cathode discs
    start = T0 + timedelta(days=70)
    cp = PREPARATIONS[0]
    pellet = {"material": cp.material, "formula": "Li2NH", "thickness": "1.2 mm", "diameter": "10 mm",
              "pellet_mass": _mg(_pellet_mass_kg(1.2e-3, cp.relative_density)),
              "relative_density": cp.relative_density, "temperature": "40 C"}
    # TiS2: 3 mg/cm², 126 mAh/g first discharge, 42 cycles; fade 1.5 %/cycle (not stated: an assumption)
    m_tis2 = _balance(3e-2 * disc_area)                        # 3 mg/cm² = 0.03 kg/m², weighed to 0.01 mg
    n_t = 10 if small else 42
    fc = full_cell(chemistry="TiS2", active_mass_kg=m_tis2, n_cycles=n_t, points_per_half=30 if small else 60,
                   first_ce=0.93, ce=0.985, fade_per_cycle=0.015, rng=rng)
    e = S.write(fc, Path("cycling") / "Li-Li2NH-TiS2_5mAg_40C.mpt", start, cell="Li-TiS2", temperature_K=CELL_T_K,
                label="charge–discharge, 5 mA/g, 1.5–3.2 V", figures=("5a", "5b"))
    S.cells.append({"name": "Li-TiS2", **pellet, "electrodes": "Li|TiS2", "active_mass": _mg(m_tis2),
                    "files": [e]})
    qd = fc.truth["discharge_capacity_mAh_per_g"]
    S.truth_cells["Li-TiS2"] = {"first_discharge_mAh_per_g": qd[0], "last_discharge_mAh_per_g": qd[-1],
                                "n_cycles": n_t, "first_ce": fc.truth["coulombic_efficiency"][0],
                                "ce": fc.truth["coulombic_efficiency"][-1]}
    S.details["Li-TiS2"] = {"c_rate_hours": fc.truth["c_rate_hours"], "fade_per_cycle": 0.015,
                            "assumptions": "fade 1.5 %/cycle and CE 0.93 / 0.985: not stated in the paper"}
    S.models["Li-TiS2"] = fc.truth
    S.paper(pv, "tis2_first_discharge", qd[0] * 3600.0, "simulation input", si=True)
    S.paper(pv, "tis2_cycles", n_t, "the record ends after the last cycle", si=False)
    S.paper(pv, "tis2_c_rate_hours", fc.truth["c_rate_hours"] * 3600.0, "theoretical 239 mAh/g at 5 mA/g")
    # LiFePO4: 7.44 mg/cm², C/35; capacity steady (−0.4 %/cycle) for 18 cycles, then collapsing (CEI above 3.5 V)
    m_lfp = _balance(7.44e-2 * disc_area)
    n_l = 24
    n = np.arange(1, n_l + 1)
    q1 = 135.0                                                 # not stated: an assumption
    keep = 18
    qd_l = np.where(n <= keep, q1 * (1 - 0.004 * (n - 1)),
                    q1 * (1 - 0.004 * (keep - 1)) * np.exp(-np.clip((n - keep) / 3.0, 0, None) ** 1.5))
    ce_l = np.where(n <= keep, 0.985, 0.93)
    if small:
        sel = np.r_[0:4, keep - 2:keep + 3]                     # cycles 1–4 and 17–21
        qd_l, ce_l, n_l = qd_l[sel], ce_l[sel], sel.size
    fl = full_cell(chemistry="LiFePO4", active_mass_kg=m_lfp, n_cycles=n_l, discharge_capacities_mAh_per_g=qd_l,
                   first_ce=0.88, ce=ce_l, points_per_half=30 if small else 60, rng=rng)
    e = S.write(fl, Path("cycling") / "Li-Li2NH-LiFePO4_5mAg_40C.mpt", start, cell="Li-LFP",
                temperature_K=CELL_T_K, label="charge–discharge, 5 mA/g, 2.5–4.0 V", figures=("5c", "5d"))
    S.cells.append({"name": "Li-LFP", **pellet, "electrodes": "Li|LiFePO4", "active_mass": _mg(m_lfp),
                    "files": [e]})
    ret = np.asarray(fl.truth["discharge_capacity_mAh_per_g"]) / fl.truth["discharge_capacity_mAh_per_g"][0]
    below = np.flatnonzero(ret < 0.8)
    eol = int(below[0] + 1) if below.size else None
    S.truth_cells["Li-LFP"] = {"first_discharge_mAh_per_g": float(qd_l[0]), "n_cycles": int(n_l),
                               "end_of_life_cycle": eol, "cycles_above_threshold": (eol - 1) if eol else int(n_l),
                               "first_ce": 0.88}
    S.details["Li-LFP"] = {"c_rate_hours": fl.truth["c_rate_hours"]}
    S.models["Li-LFP"] = {**fl.truth, "assumptions": "first discharge 135 mAh/g, window 2.5–4.0 V, −0.4 %/cycle "
                                                    "for 18 cycles then exp(−((n−18)/3)^1.5): not stated in the "
                                                    "paper"}
    if not small:
        S.paper(pv, "lfp_cycles", (eol - 1) if eol else n_l, "last cycle with ≥ 80 % of the first discharge",
                si=False)
    S.paper(pv, "lfp_c_rate_hours", fl.truth["c_rate_hours"] * 3600.0, "theoretical 170 mAh/g at 5 mA/g")
    S.paper(pv, "fullcell_temperature", CELL_T_K, "")
    S.paper(pv, "fullcell_specific_current", fc.truth["specific_current_A_per_kg"], "both cells")
    S.paper(pv, "fullcell_pellet_thickness", 1.2e-3, "")
    S.paper(pv, "cathode_disc_diameter", 12e-3, "")
    S.paper(pv, "tis2_loading", m_tis2 / disc_area, "active mass weighed to 0.01 mg")
    S.paper(pv, "tis2_window", [fc.truth["V_min"], fc.truth["V_max"]], "")
    S.paper(pv, "lfp_loading", m_lfp / disc_area, "active mass weighed to 0.01 mg; window 2.5–4.0 V assumed")


# -- structure: XRD of the pristine powder (Fig. 1d) and after the CV (Fig. 2e), in situ XRD / NMR (Fig. 4) ----------

def _structure(S: _Set, root: Path, seed: int, small: bool):
    """``structure/``: the structure demo of :func:`sselab.simulate.structure.write_structure_demo` (a pristine
    Li2NH powder pattern with Mo Kα1 — the Fd-3m superstructure, Fig. 1d —, an in situ synchrotron XRD series and a
    ⁷Li NMR series with the electrochemistry and ``operando.yaml`` — Fig. 4a–c, ESI Fig. 17), and ``xrd/``: the
    post-CV pattern of the Li-steel-CV pellet (Fig. 2e: the same Fd-3m Li2NH, no new phase)."""
    from ..materials.structures import structure
    from .structure import MO_KA1_M, write_structure_demo, write_xye, xrd_pattern

    st = write_structure_demo(root / "structure", rng=seed, small=small)
    dis = root / "structure" / "lab" / "li2nh_disordered.xye"
    if dis.exists():                  # an Fm-3m reference the paper does not show (sselab's own tests use it)
        dis.unlink()
    a = st["lab"]["a_ordered_angstrom"]
    x = np.arange(4.0, 40.0, 0.01)
    y, _, e = xrd_pattern([structure("Li2NH-Fd-3m").with_a(a)], x, MO_KA1_M, fwhm_uvw=(0.0, 0.0, 0.003),
                          peak_counts=2e4, rng=np.random.default_rng(seed + 16))
    rel = Path("xrd") / "Li2NH_after-CV_MoKa1.xye"
    (root / "xrd").mkdir(exist_ok=True)
    write_xye(root / rel, x, y, e, header=f"Wavelength: {MO_KA1_M:.6e} m\nanode Mo, K-alpha1 (monochromated)\n"
                                            "pellet of Li-steel-CV after the CV (16 cycles), disassembled\n2th_deg I sigma")
    S.files.append(root / rel)
    cell = next(c for c in S.cells if c["name"] == "Li-steel-CV")
    t_xrd = max(datetime.fromisoformat(f["time"]) for f in cell["files"]) + timedelta(days=1)   # disassembled
    cell["files"].append({"path": rel.as_posix(), "temperature": "25 C", "time": _iso(t_xrd),
                          "label": "post-CV powder XRD", "figures": ["2e"]})
    S.truth_files[rel.as_posix()] = {"cell": "Li-steel-CV", "technique": "XRD", "label": "post-CV powder XRD",
                                     "figures": ["2e"], "a_angstrom": a, "wavelength_m": MO_KA1_M}
    for p in sorted((root / "structure").rglob("*")):
        if p.is_file():
            S.files.append(p)
    S.truth_cells["Li-steel-CV"]["lattice_a_angstrom"] = a      # the post-CV pattern (Fig. 2e)
    S.details["structure"] = {"lab_a_angstrom": a, "xrd_series_a_angstrom": st["xrd"]["a_angstrom"],
                              "nmr_broad_shift_ppm": [st["nmr"]["broad_shift_ppm"][0],
                                                      st["nmr"]["broad_shift_ppm"][-1]],
                              "nmr_integrals": st["nmr"]["integrals"],
                              "note": "structure/truth.json holds every input of the structure demo"}


# -- where the report holds sselab's value of each quantity the paper states ---------------------------------------

def _paper_map(S: _Set, small: bool):
    """``truth.json`` ``paper_measured_by``: for each result the paper states, the recipe, subject and value key of
    sselab's number in the report (``sselab.report`` builds ``paper_comparison`` from it)."""
    m = S.measured
    ids = {"CP": "cold_pressed", "MCP": "milled", "HP": "hot_pressed"}
    for prep in PREPARATIONS:
        m(f"sigma30_{ids[prep.key]}", "eis.arrhenius", prep.material, "sigma_30C_S_per_m",
          "σ(30 °C) of the σT-Arrhenius fit over 30–110 °C")
        m(f"ea_{ids[prep.key]}", "eis.arrhenius", prep.material, "Ea_eV", "slope of ln(σT) against 1/T")
    m("asr_li_as_built", "eis.symmetric", "Li-Li2NH-Li_as-built_30C.mpt", "asr_interface_ohm_m2", "R·A/2 of the "
      "interface arc(s), per interface")
    m("asr_li_heat_treated", "eis.symmetric", "Li-Li2NH-Li_heat-treated_30C.mpt", "asr_interface_ohm_m2",
      "R·A/2 of the interface arc(s), per interface")
    m("sigma30_li_cell", "eis.symmetric", "Li-Li2NH-Li_heat-treated_30C.mpt", "sigma_S_per_m",
      "electrolyte arcs of the heat-treated Li|Li2NH|Li spectrum")
    m("sigma_e_au", "dcpol", "CP-Au-dcpol", "sigma_e_S_per_m", "the 0.5 V hold (the 0.75 V hold is CP-Au-dcpol-0.75V)")
    m("t_ion_au", "dcpol", "CP-Au-dcpol", "t_ion", "1 − If/It, the 0.5 V hold")
    for tag in ("pre", "post"):
        m(f"sigma_e_{tag}_cv", "dcpol.pair", "Li-steel-CV", f"sigma_e_{tag}_S_per_m")
        m(f"t_ion_{tag}_cv", "dcpol.pair", "Li-steel-CV", f"t_ion_{tag}",
          "" if tag == "pre" else "1 − If/It = 0.9998 with the stated If and It; the paper prints 0.999")
        m(f"i0_{tag}_cv", "dcpol.pair", "Li-steel-CV", f"i_initial_{tag}_A", "It: the first sample after the step")
        m(f"tau_{tag}_cv", "dcpol.pair", "Li-steel-CV", f"tau_{tag}_s", "the relaxation carrying most charge")
    m("cv_cycles", "cv", "Li-steel-CV", "n_cycles", "vertex detection")
    m("upper_stability_limit", "cv", "Li-steel-CV", "window_upper_V",
      "no oxidative onset (> 10 µA/cm²) up to the 5 V vertex: a lower bound")
    m("cv_break_cycle", "cv", "Li-steel-CV", "break_cycle", "two-line fit of the plating charge per cycle")
    b = S.details["Li-steel-CV"]["cv_imbalance_basis"]
    m("cv_imbalance", "cv", "Li-steel-CV", "imbalance_pct_of_pellet_Li",
      f"on the paper's stated basis the number cannot be 5.2 %: 5.2 % of the pellet's {b['pellet_Li_mol'] * 1e3:.3g} "
      f"mmol Li is {b['charge_needed_for_5.2pct_of_pellet_Li_C']:.3g} C, {b['needed_over_ohmic_max']:.3g}× the "
      f"{b['max_charge_below_0V_at_ohmic_limit_C']:.3g} C the 1.25 mm pellet (σ ≈ 0.1 mS/cm at 40 °C) could pass "
      f"below 0 V in 16 cycles at 1 mV/s even at its ohmic limit; the measured plated − stripped charge is "
      f"{b['pct_of_pellet_Li']:.2g} % of the pellet's Li", basis="moles of Li in the Li2NH pellet (as stated)")
    m("cv_imbalance", "cv", "Li-steel-CV", "imbalance_pct_of_plated",
      "(Σ Q_plate − Σ Q_strip)/Σ Q_plate: the basis on which 5.2 % is physically possible",
      basis="the Li plated in the 16 cycles (Σ Q_plate)")
    reduced = " (reduced data set, --small: far fewer cycles than the paper's)" if small else ""
    m("sp_total_hours", "cycling.symmetric", "Li-Li-SP", "total_time_s", "no hard short detected" + reduced)
    m("sp_total_cycles", "cycling.symmetric", "Li-Li-SP", "n_cycles", "no hard short detected" + reduced)
    m("sp_no_hard_short_current_density", "cycling.symmetric", "Li-Li-SP", "ccd_A_per_m2",
      "the highest step, no short: a lower bound on the critical current density")
    m("sp_resistance_drop_onset", "cycling.symmetric", "Li-Li-SP", "resistance_drop_onset_A_per_m2",
      "first step over which the polarisation resistance falls by > 20 %" + reduced)
    m("insitu_max_current_density", None, None, None,
      "not simulated: the accelerated in situ XRD cell of ESI Fig. 15 is not part of the demo (its operando "
      "cell doubles the current density five times from 40 µA/cm²)")
    m("post_cycling_drop_factor", "eis.series", "Li-Li-SP", "R_cell_drop_first_to_min",
      "R_cell of the first spectrum (as built, Fig. 3b) / the lowest (0 h after cycling, Fig. 3d); against the "
      "heat-treated spectrum (Fig. 3c) see R_cell_drop_before_min")
    m("post_cycling_sigma", "eis.series", "Li-Li-SP", "sigma_at_min_S_per_m", "σ of the lowest-impedance spectrum")
    m("post_cycling_resistivity", "eis.series", "Li-Li-SP", "resistivity_at_min_ohm_m",
      "1/σ of the lowest-impedance spectrum")
    m("tis2_first_discharge", "cycling.full", "Li-TiS2", "first_discharge_C_per_kg")
    m("tis2_cycles", "cycling.full", "Li-TiS2", "n_cycles", "complete cycles in the record" + reduced)
    m("lfp_cycles", "cycling.full", "Li-LFP", "cycles_above_threshold",
      "cycles keeping ≥ 80 % of the first discharge" + reduced)


# -- not the paper's: a failing cell for the short-detection showcase ----------------------------------------------

def _short_showcase(S: _Set, rng, small, short_cycle: int | None):
    """``short_cycle`` (``generate_demo(short_cycle=…)``): the showcase cell's hard-short cycle (default: in its
    last step).  The paper's ladder never shorts."""
    from ..errors import SselabError

    name = "showcase-short-Li-Li"
    cps = 4 if small else 8
    short = 5 * cps - 2 if short_cycle is None else int(short_cycle)
    if not 3 <= short <= 5 * cps:
        raise SselabError(f"short_cycle {short_cycle} is outside the showcase ladder's cycles 3…{5 * cps}")
    sp = stripping_plating(current_densities_A_per_m2=(1.0, 2.0, 4.0, 6.0, 8.0), cycles_per_step=cps,
                           short_cycle=short, short_kind="hard", points_per_half=12 if small else 20,
                           long_rest_after_step=None, R_initial_ohm=1500.0, R_min_ohm=150.0, rng=rng)
    e = S.write(sp, Path("showcase") / "showcase_Li-Li_hard-short_40C.mpt", T0 + timedelta(days=90), cell=name,
                temperature_K=CELL_T_K, label="NOT FROM THE PAPER: simulated hard short",
                area_m2=pellet_area(DIAMETER_M))
    cp = PREPARATIONS[0]
    # no formula: the knowledge-base scorecard of the paper's Li2NH must not pick this cell up by composition
    S.cells.append({"name": name, "material": "showcase (not the paper's cell)",
                    "thickness": "1.2 mm", "diameter": "10 mm", "electrodes": "Li|Li", "temperature": "40 C",
                    "pellet_mass": _mg(_pellet_mass_kg(1.2e-3, cp.relative_density)),
                    "relative_density": cp.relative_density,
                    "notes": "NOT FROM THE PAPER: a simulated failing cell (hard short injected) that shows sselab's "
                             "short detection; the paper's ladder (Li-Li-SP) has no short",
                    "files": [e]})
    steps = sp.truth["current_densities_A_per_m2"]
    S.truth_cells[name] = {"short_cycle": short, "short_kind": "hard",
                           "short_current_density_uA_per_cm2": steps[(short - 1) // cps] * 100,
                           "n_cycles": sp.truth["n_cycles"]}
    S.details[name] = {"from_paper": False}
    S.models[name] = sp.truth


def load_truth(path) -> dict:
    """Read a ``truth.json`` written by :func:`generate_demo`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
