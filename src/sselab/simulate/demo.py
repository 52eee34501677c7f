"""A complete simulated data set modelled on the lithium-imide paper (Lowen et al., EES Batteries 2025, 1, 527).

``generate_demo(out_dir)`` writes instrument files, a cell manifest (``cells.yaml``) and ``truth.json`` (the values
the simulations were made with, in the quantities a report recovers):

* three Au|Li2NH|Au pellet preparations — cold pressed, milled + cold pressed, hot pressed — with
  Ea = 0.50 / 0.52 / 0.44 eV and σ(30 °C) = 0.054 / 0.34 / 1.0 mS/cm, EIS from 30 to 110 °C (EC-Lab ``.mpt``;
  the hot-pressed series as ZView ``.z``);
* Li|Li2NH|Li impedance at 30 °C before and after the interface heat treatment (3308 → 47 Ω cm² per interface,
  σ = 0.059 mS/cm);
* DC polarisation of the cold-pressed pellet at 40 °C, 0.5 V for 5 h: τ = 4.5 s, σe = 1.2 nS/cm, t_i = 0.998;
* a Li|Li2NH|steel CV, −0.5 to 5 V at 1 mV/s, 16 cycles, stripping/plating charge growing in two regimes
  (break after cycle 7), 5.2 % more Li plated than stripped (of the pellet's Li), decomposition onset near 4.7 V;
* a Li|Li2NH|Li stripping/plating ladder, 5–80 µA/cm², with a hard short injected at a given cycle;
* a Li|Li2NH|TiS2 full cell at 5 mA/g, 1.5–3.2 V, 126 mAh/g first discharge with capacity fade.

``small=True`` makes a reduced set (fewer temperatures, cycles and points) for tests.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..results import jsonable
from ..units import FARADAY
from .models import (ArrheniusLaw, cyclic_voltammetry, dc_polarization, default_frequencies, eis_blocking,
                     eis_symmetric, full_cell, pellet_area, stripping_plating)

__all__ = ["generate_demo", "PREPARATIONS", "DemoSet"]

LI2NH_MOLAR_MASS_KG = 28.96e-3     # g/mol → kg/mol (2·6.94 + 14.007 + 1.008)
LI2NH_DENSITY_KG_M3 = 1480.0       # crystallographic density used for pellet masses


@dataclass(frozen=True)
class Preparation:
    key: str
    material: str
    sigma30_mS_per_cm: float
    Ea_eV: float
    thickness_mm: float
    relative_density: float
    fmt: str = ".mpt"


PREPARATIONS = (
    Preparation("CP", "Li2NH cold pressed", 0.054, 0.50, 1.10, 0.765),
    Preparation("MCP", "Li2NH milled + cold pressed", 0.34, 0.52, 1.05, 0.77),
    Preparation("HP", "Li2NH hot pressed", 1.0, 0.44, 0.95, 0.85, ".z"),
)


@dataclass(frozen=True)
class DemoSet:
    """Where the demo was written: data directory, manifest and truth file."""

    root: Path
    manifest: Path
    truth: Path
    files: tuple[Path, ...]


def _pellet_mass_kg(thickness_m: float, diameter_m: float, rel: float) -> float:
    return pellet_area(diameter_m) * thickness_m * LI2NH_DENSITY_KG_M3 * rel


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


def _generate(root: Path, *, small: bool, seed: int, short_cycle: int | None) -> DemoSet:
    import yaml

    rng = np.random.default_rng(seed)
    diameter = 10e-3
    area = pellet_area(diameter)
    files: list[Path] = []
    cells: list[dict] = []
    truth_materials: dict[str, dict] = {}
    truth_cells: dict[str, dict] = {}
    models: dict[str, dict] = {}

    temps_C = [30, 50, 70, 90, 110] if small else list(range(30, 111, 10))
    per_decade = 7 if small else 10

    # -- EIS temperature series of three preparations ------------------------------------------------------------
    for prep in PREPARATIONS:
        law = ArrheniusLaw(prep.sigma30_mS_per_cm * 0.1, prep.Ea_eV)  # mS/cm → S/m: ×0.1
        thick = prep.thickness_mm * 1e-3
        entries = []
        for tc in temps_C:
            T = tc + 273.15
            # σ_total = 1/(1/σ_bulk + 1/σ_gb): bulk carries 2/3 of the resistance, grain boundaries 1/3
            # R0 = 0.02 Ω: leads compensated by a short measurement, so the intercept is the pellet's resistance
            sim = eis_blocking(T, thickness_m=thick, diameter_m=diameter, bulk=law.scaled(1.5), gb=law.scaled(3.0),
                               R0=0.02, f=default_frequencies(13e6, 5.0, per_decade), rng=rng)
            rel = Path("eis") / f"{prep.key}_Au-Li2NH-Au_{tc}C{prep.fmt}"
            files.append(sim.write(root / rel))
            entries.append({"path": rel.as_posix(), "temperature": f"{tc} C"})
        models[f"{prep.key}-Au"] = {"sigma30_S_per_m": law.sigma_ref_S_per_m, "Ea_eV": prep.Ea_eV,
                                    "bulk_fraction_of_R": 2 / 3, "temperatures_C": temps_C}
        truth_materials[prep.material] = {"Ea_eV": prep.Ea_eV, "sigma_30C_mS_per_cm": prep.sigma30_mS_per_cm}
        cells.append({"name": f"{prep.key}-Au", "material": prep.material, "formula": "Li2NH",
                      "thickness": f"{prep.thickness_mm} mm", "diameter": "10 mm", "electrodes": "Au|Au",
                      "pellet_mass": f"{_pellet_mass_kg(thick, diameter, prep.relative_density) * 1e6:.1f} mg",
                      "relative_density": prep.relative_density, "files": entries})

    # -- Li|Li2NH|Li impedance before and after the interface heat treatment (paper Fig. 1g) ----------------------
    sym_law = ArrheniusLaw(0.059 * 0.1, PREPARATIONS[0].Ea_eV)
    for key, asr in (("pristine", 3308.0), ("heat-treated", 47.0)):
        sim = eis_symmetric(303.15, thickness_m=1.1e-3, diameter_m=diameter, bulk=sym_law.scaled(1.5),
                            gb=sym_law.scaled(3.0), asr_interface_ohm_m2=asr * 1e-4,
                            f=default_frequencies(10e6, 1e-2, 6 if small else 8), rng=rng)
        rel = Path("eis") / f"Li-Li2NH-Li_{key}_30C.mpt"
        files.append(sim.write(root / rel))
        name = f"Li-Li-EIS-{key}"
        cells.append({"name": name, "material": PREPARATIONS[0].material, "formula": "Li2NH",
                      "thickness": "1.1 mm", "diameter": "10 mm", "electrodes": "Li|Li", "temperature": "30 C",
                      "files": [rel.as_posix()]})
        truth_cells[name] = {"asr_interface_ohm_cm2": asr, "sigma_30C_mS_per_cm": 0.059}
        models[name] = sim.truth

    # -- DC polarisation on the cold-pressed pellet at 40 °C ----------------------------------------------------
    cp = PREPARATIONS[0]
    dc = dc_polarization(voltage_V=0.5, sigma_e_S_per_m=1.2e-7, tau_s=4.5, t_ion=0.998,
                         thickness_m=cp.thickness_mm * 1e-3, diameter_m=diameter, T_K=313.15,
                         duration_s=(1.5 if small else 5.0) * 3600, dt_slow_s=60.0 if small else 30.0, rng=rng)
    rel = Path("dcpol") / "CP_Au-Li2NH-Au_DCpol_0.5V_40C.mpt"
    files.append(dc.write(root / rel))
    cells.append({"name": "CP-Au-dcpol", "material": cp.material, "formula": "Li2NH",
                  "thickness": f"{cp.thickness_mm} mm", "diameter": "10 mm", "electrodes": "Au|Au",
                  "temperature": "40 C", "files": [rel.as_posix()]})
    truth_cells["CP-Au-dcpol"] = {"tau_s": 4.5, "sigma_e_nS_per_cm": 1.2, "t_ion": 0.998}
    models["CP-Au-dcpol"] = dc.truth

    # -- CV on Li|Li2NH|steel -----------------------------------------------------------------------------------
    cv_thick = 1.2e-3
    cv_mass = _pellet_mass_kg(cv_thick, diameter, 0.765)
    n_li = cv_mass / LI2NH_MOLAR_MASS_KG * 2
    q_first, s1, s2, brk, n_cv = 2.0, 0.3, 3.0, 7, 16
    q_plate = np.array([q_first + s1 * (k - 1) if k <= brk else q_first + s1 * (brk - 1) + s2 * (k - brk)
                        for k in range(1, n_cv + 1)])
    # choose the stripping efficiency so that Σ(plated − stripped) = 5.2 % of the pellet's Li (paper)
    eff = 1 - 0.052 * n_li * FARADAY / q_plate.sum()
    onset, i0, b = 4.7, 1e-6, 0.08
    cv = cyclic_voltammetry(n_cycles=n_cv, dE_V=0.02 if small else 0.005, q_plate_first_C=q_first, slope1_C=s1,
                            slope2_C=s2, break_cycle=brk, strip_efficiency=eff, decomposition_onset_V=onset,
                            decomposition_i0_A=i0, decomposition_slope_V=b, rng=rng)
    rel = Path("cv") / "Li-Li2NH-steel_CV_1mVs_40C.mpt"
    files.append(cv.write(root / rel, area_m2=area))
    cells.append({"name": "Li-steel-CV", "material": cp.material, "formula": "Li2NH", "thickness": "1.2 mm",
                  "diameter": "10 mm", "electrodes": "Li|steel", "temperature": "40 C",
                  "pellet_mass": f"{cv_mass * 1e6:.1f} mg", "files": [rel.as_posix()]})
    # where the decomposition current crosses 10 µA/cm² (the default onset threshold), background included
    thr = 0.1 * area
    e_grid = np.linspace(onset - 0.3, 5.0, 20001)
    i_dec = i0 * np.exp((e_grid - onset) / b) + 2e-5 * 1e-3 + 2e-8 * e_grid
    cross = e_grid[np.argmax(i_dec > thr)] if np.any(i_dec > thr) else None
    truth_cells["Li-steel-CV"] = {"imbalance_pct_of_pellet_Li": 5.2, "break_cycle": brk,
                                  "q_plate_first_C": float(q_plate[0]), "q_plate_last_C": float(q_plate[-1]),
                                  "strip_plate_ratio": float(eff), "ox_onset_V": cross, "n_cycles": n_cv}
    models["Li-steel-CV"] = {**cv.truth, "decomposition_i0_A": i0, "decomposition_slope_V": b,
                             "onset_at_10uA_per_cm2_V": cross, "pellet_Li_mol": n_li}

    # -- Li|Li2NH|Li stripping / plating ladder with a short ----------------------------------------------------
    cps = 5 if small else 12
    n_sp = 6 * cps
    short = short_cycle if short_cycle is not None else n_sp - (2 if small else 6)
    sp = stripping_plating(cycles_per_step=cps, short_cycle=short, short_kind="hard",
                           points_per_half=12 if small else 20, long_rest_after_step=3,
                           long_rest_s=12 * 3600.0, rng=rng)
    rel = Path("cycling") / "Li-Li2NH-Li_ladder_40C.mpt"
    files.append(sp.write(root / rel, area_m2=area))
    cells.append({"name": "Li-Li-ladder", "material": cp.material, "formula": "Li2NH", "thickness": "1.1 mm",
                  "diameter": "10 mm", "electrodes": "Li|Li", "temperature": "40 C", "files": [rel.as_posix()]})
    steps = sp.truth["current_densities_A_per_m2"]
    truth_cells["Li-Li-ladder"] = {"short_cycle": short, "short_kind": "hard",
                                   "short_current_density_uA_per_cm2": steps[(short - 1) // cps] * 100,
                                   "n_cycles": n_sp}
    models["Li-Li-ladder"] = sp.truth

    # -- Li|Li2NH|TiS2 full cell --------------------------------------------------------------------------------
    m_act = 3e-6 * 1.131  # 3 mg/cm² on a 12 mm disc (kg)
    n_fc = 10 if small else 42
    fc = full_cell(active_mass_kg=m_act, n_cycles=n_fc, points_per_half=30 if small else 60, rng=rng)
    rel = Path("cycling") / "Li-Li2NH-TiS2_5mAg_40C.mpt"
    files.append(fc.write(root / rel))
    cells.append({"name": "Li-TiS2", "material": cp.material, "formula": "Li2NH", "thickness": "1.2 mm",
                  "diameter": "10 mm", "electrodes": "Li|TiS2", "active_mass": f"{m_act * 1e6:.3f} mg",
                  "temperature": "40 C", "files": [rel.as_posix()]})
    qd = fc.truth["discharge_capacity_mAh_per_g"]
    truth_cells["Li-TiS2"] = {"first_discharge_mAh_per_g": qd[0], "last_discharge_mAh_per_g": qd[-1],
                              "n_cycles": n_fc, "first_ce": fc.truth["coulombic_efficiency"][0],
                              "ce": fc.truth["coulombic_efficiency"][-1]}
    models["Li-TiS2"] = fc.truth

    manifest = {"version": 1, "defaults": {"diameter": "10 mm"}, "cells": cells}
    mpath = root / "cells.yaml"
    mpath.write_text("# sselab demo: simulated cells modelled on Lowen et al., EES Batteries 2025, 1, 527\n"
                     + yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), encoding="utf-8")
    truth = {"about": "values used to simulate the demo data (sselab demo)", "seed": seed, "small": small,
             "materials": truth_materials, "cells": truth_cells, "models": models}
    tpath = root / "truth.json"
    tpath.write_text(json.dumps(jsonable(truth), indent=2, allow_nan=False), encoding="utf-8")
    return DemoSet(root, mpath, tpath, tuple(files))


def load_truth(path) -> dict:
    """Read a ``truth.json`` written by :func:`generate_demo`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
