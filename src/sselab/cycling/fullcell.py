"""Full cells (Li|SSE|TiS2, Li|SSE|LiFePO4 …): capacity, coulombic efficiency, energy and retention per cycle.

Half cycles are the current-on segments of :func:`sselab.cycling.segment`; consecutive segments with the same
direction (CC then CV, a step change, a pause with a rest) are one half cycle.  Positive current is *charge*
(``charge_sign=+1``: the cathode is the working electrode).  A cycle starts with each half cycle in the direction
of the record's first one: Li|TiS2 starts with a discharge, Li|LiFePO4 with a charge.  The coulombic efficiency
of a cycle is *out / in*: ``Q(second half) / Q(first half)`` (discharge/charge for a cell that starts charging,
charge/discharge for one that starts discharging).  Capacity retention is the discharge capacity relative to
the first cycle's; the end-of-life cycle is the first one below ``threshold`` (default 80 %).

Capacities come from the instrument's own charge counters when the record has them (``charge_C`` of a Neware,
Arbin, Maccor or cycler-spreadsheet file: ``charge="auto"``), otherwise from the integrated current — a cycler
logging every few minutes integrates to a biased coulombic efficiency (navani's Arbin example, cycle 2: 99.2 %
integrated, 99.5 % from Arbin's counters).  ``FullCellResult.charge_source`` says which.  Energies, mean voltages
(energy/charge, both integrated) and the specific current are always integrated from the sampled rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import AnalysisError
from ..results import Result
from .segment import (FROM_COUNTERS, FROM_INTEGRATION, Segmentation, _f64, as_arrays, charge_counter,
                      counter_charges, segment)

__all__ = ["FullCellResult", "analyze_full_cell"]


@dataclass(frozen=True)
class FullCellResult(Result):
    """Per-cycle capacities (C/kg of active material, C/m² of electrode), CE, energy, mean voltage, retention.

    Arrays are indexed by cycle (``cycle`` = 1, 2, …).  ``complete`` is False for a cycle missing its second
    half (the record ended); its second-half quantities and CE are NaN and a warning says so.
    """

    source: str
    active_mass_kg: float
    area_m2: float | None
    first_direction: str
    cycle: np.ndarray
    complete: np.ndarray
    charge_capacity_C: np.ndarray
    discharge_capacity_C: np.ndarray
    charge_capacity_C_per_kg: np.ndarray
    discharge_capacity_C_per_kg: np.ndarray
    charge_capacity_C_per_m2: np.ndarray | None
    discharge_capacity_C_per_m2: np.ndarray | None
    coulombic_efficiency: np.ndarray
    charge_energy_J: np.ndarray
    discharge_energy_J: np.ndarray
    discharge_specific_energy_J_per_kg: np.ndarray
    charge_mean_voltage_V: np.ndarray
    discharge_mean_voltage_V: np.ndarray
    retention: np.ndarray
    threshold: float
    end_of_life_cycle: int | None
    specific_current_A_per_kg: float
    first_discharge_C_per_kg: float
    profiles: tuple = field(repr=False, default=())   # ((cycle, direction, capacity_C_per_kg, V), ...)
    warnings: tuple[str, ...] = ()
    charge_source: str = FROM_INTEGRATION    # "instrument counters" or "integrated current" (the capacities)

    @property
    def n_cycles(self) -> int:
        return int(len(self.cycle))

    def table(self):
        import pandas as pd

        names = ["cycle", "complete", "charge_capacity_C_per_kg", "discharge_capacity_C_per_kg",
                 "coulombic_efficiency", "charge_energy_J", "discharge_energy_J", "charge_mean_voltage_V",
                 "discharge_mean_voltage_V", "retention"]
        return pd.DataFrame({n: getattr(self, n) for n in names})

    def to_dict(self) -> dict:
        from ..results import jsonable

        d = {k: jsonable(getattr(self, k)) for k in self.__dataclass_fields__ if k != "profiles"}
        d["n_cycles"] = self.n_cycles
        return d


def analyze_full_cell(record, *, active_mass_kg: float, area_m2: float | None = None, charge_sign: int = 1,
                      threshold: float = 0.8, profile_cycles=None, min_fraction: float = 0.02,
                      segmentation: Segmentation | None = None, charge: str = "auto",
                      **segment_kw) -> FullCellResult:
    """Capacity, CE, energy and retention per cycle of a galvanostatic full-cell record.

    ``active_mass_kg``: cathode active mass; ``area_m2`` (optional) gives areal capacities.  Half cycles holding
    less than ``min_fraction`` of the median half-cycle charge (pulses, aborted steps) are left out with a warning.
    ``profile_cycles``: cycles whose V–capacity profiles are kept for plotting (default: first, second, 10th, last).
    ``charge``: ``"auto"`` (the instrument's counters for cycler files, else the integrated current),
    ``"counters"`` or ``"integrated"`` — see :func:`sselab.cycling.segment.counter_charges`.
    """
    if not (active_mass_kg and active_mass_kg > 0):
        raise AnalysisError("active mass must be positive (give --active-mass, e.g. '3 mg')")
    if not 0 < threshold < 1:
        raise AnalysisError(f"retention threshold must be between 0 and 1, not {threshold}")
    notes: list[str] = []
    t, v, cur, name = as_arrays(record, notes=notes)
    seg = segmentation
    if seg is None:
        seg = segment(t, v, cur, name=name, **{"split_steps": False, **segment_kw})
    on = np.flatnonzero(seg.kind != 0)
    if len(on) == 0:
        raise AnalysisError(f"{name}: no half cycle with current — not a galvanostatic record")
    q_seg, charge_source = counter_charges(record, seg, charge=charge, notes=notes)
    warnings = notes + list(seg.warnings)
    kind = seg.kind[on].astype(int) * (1 if charge_sign >= 0 else -1)
    # merge consecutive same-direction segments into one half cycle
    hid = np.concatenate(([0], np.cumsum(kind[1:] != kind[:-1])))
    nh = int(hid[-1]) + 1
    hq = np.abs(np.bincount(hid, q_seg[on], nh))             # capacities (counters or integrated)
    hqi = np.abs(np.bincount(hid, seg.charge_C[on], nh))     # integrated: mean voltage and current with the energy
    he = np.abs(np.bincount(hid, seg.energy_J[on], nh))
    hk = kind[np.concatenate(([0], np.flatnonzero(np.diff(hid)) + 1))]
    hdur = np.bincount(hid, seg.duration_s[on], nh)
    hfirst_seg = on[np.concatenate(([0], np.flatnonzero(np.diff(hid)) + 1))]
    hlast_seg = on[np.append(np.flatnonzero(np.diff(hid)), len(on) - 1)]
    keep = hq >= min_fraction * np.median(hq)
    if not keep.all():
        warnings.append(f"{int((~keep).sum())} half cycle(s) below {min_fraction:.0%} of the median charge were "
                        f"left out")
        hq, hqi, he, hk, hdur, hfirst_seg, hlast_seg = (a[keep] for a in (hq, hqi, he, hk, hdur, hfirst_seg,
                                                                            hlast_seg))
        # re-merge neighbours that became adjacent with the same direction
        hid2 = np.concatenate(([0], np.cumsum(hk[1:] != hk[:-1])))
        n2 = int(hid2[-1]) + 1
        first_idx = np.concatenate(([0], np.flatnonzero(np.diff(hid2)) + 1))
        last_idx = np.append(np.flatnonzero(np.diff(hid2)), len(hk) - 1)
        hq, hqi, he, hdur = (np.bincount(hid2, a, n2) for a in (hq, hqi, he, hdur))
        hk, hfirst_seg, hlast_seg = hk[first_idx], hfirst_seg[first_idx], hlast_seg[last_idx]
    # a partial first half cycle (from OCV to the cut-off before the first full charge/discharge) is not a cycle
    if len(hq) >= 3:
        same = hq[2::2] if len(hq) > 2 else hq[:0]
        if len(same) and hq[0] < 0.5 * np.median(same):
            warnings.append(f"the first half cycle holds only {hq[0] / np.median(same):.0%} of the typical "
                            f"capacity (a partial half cycle from open circuit) and was left out of the cycles")
            hq, hqi, he, hk, hdur, hfirst_seg, hlast_seg = (a[1:] for a in (hq, hqi, he, hk, hdur, hfirst_seg,
                                                                            hlast_seg))
    first = hk[0]
    cyc = np.cumsum(hk == first)
    ncyc = int(cyc[-1])
    is_first = hk == first
    q_in = np.full(ncyc, np.nan)
    q_out = np.full(ncyc, np.nan)
    e_in = np.full(ncyc, np.nan)
    e_out = np.full(ncyc, np.nan)
    qi_in = np.full(ncyc, np.nan)
    qi_out = np.full(ncyc, np.nan)
    qi_in[cyc[is_first] - 1] = hqi[is_first]
    qi_out[cyc[~is_first] - 1] = hqi[~is_first]
    q_in[cyc[is_first] - 1] = hq[is_first]
    e_in[cyc[is_first] - 1] = he[is_first]
    q_out[cyc[~is_first] - 1] = hq[~is_first]
    e_out[cyc[~is_first] - 1] = he[~is_first]
    complete = np.isfinite(q_in) & np.isfinite(q_out)
    if not complete.all():
        warnings.append(f"cycle(s) {', '.join(str(c) for c in np.flatnonzero(~complete) + 1)} lack a second half "
                        f"(record ends): their CE is undefined")
    with np.errstate(invalid="ignore", divide="ignore"):
        ce = q_out / q_in
    if first > 0:          # starts with charge
        q_ch, q_dis, e_ch, e_dis, qi_ch, qi_dis = q_in, q_out, e_in, e_out, qi_in, qi_out
        direction = "charge"
    else:
        q_ch, q_dis, e_ch, e_dis, qi_ch, qi_dis = q_out, q_in, e_out, e_in, qi_out, qi_in
        direction = "discharge"
    with np.errstate(invalid="ignore", divide="ignore"):
        v_ch = e_ch / qi_ch                 # ∫V·I dt / ∫I dt over the same rows
        v_dis = e_dis / qi_dis
    m = float(active_mass_kg)
    fin = np.flatnonzero(np.isfinite(q_dis))
    if len(fin) == 0:
        raise AnalysisError(f"{name}: no discharge half cycle found (check the sign of the current)")
    q_ref = q_dis[fin[0]]
    retention = q_dis / q_ref
    below = np.flatnonzero(np.isfinite(retention) & (retention < threshold))
    eol = int(below[0] + 1) if len(below) else None
    if eol is None:
        warnings.append(f"retention never fell below {threshold:.0%} — end of life not reached")
    i_spec = (float(np.median(hqi / np.where(hdur > 0, hdur, np.nan)) / m) if np.isfinite(hdur).any()
              else float("nan"))

    # voltage–capacity profiles of selected cycles (figure-ready)
    profiles = []
    if len(t) == seg.n_rows:
        qrow = charge_counter(record, seg, charge) if charge_source == FROM_COUNTERS else None
        if profile_cycles is None:
            profile_cycles = sorted({1, 2, min(10, ncyc), ncyc})
        for c in profile_cycles:
            for h in np.flatnonzero(cyc == c):
                r0, r1 = int(seg.start[hfirst_seg[h]]), int(seg.stop[hlast_seg[h]])
                ii = np.arange(r0, r1)
                ci = _f64(cur[ii])
                keep_i = np.abs(ci) > seg.rest_threshold_A
                if qrow is not None:
                    # the instrument's charge since the row before the half cycle
                    keep_i &= np.isfinite(qrow[ii])
                ii, ci = ii[keep_i], ci[keep_i]
                if len(ii) < 2:
                    continue
                if qrow is not None:
                    base = float(qrow[r0 - 1]) if r0 > 0 and np.isfinite(qrow[r0 - 1]) else 0.0
                    qq = np.abs(_f64(qrow[ii]) - base) / m
                else:
                    dq = np.abs(ci) * np.append(np.diff(_f64(t[ii])), 0.0)
                    qq = np.concatenate(([0.0], np.cumsum(dq)[:-1])) / m
                step = max(1, len(ii) // 1000)
                profiles.append((int(c), "charge" if hk[h] > 0 else "discharge", qq[::step],
                                 _f64(v[ii][::step])))
    area = float(area_m2) if area_m2 else None
    return FullCellResult(
        source=name, active_mass_kg=m, area_m2=area, first_direction=direction,
        cycle=np.arange(1, ncyc + 1), complete=complete, charge_capacity_C=q_ch, discharge_capacity_C=q_dis,
        charge_capacity_C_per_kg=q_ch / m, discharge_capacity_C_per_kg=q_dis / m,
        charge_capacity_C_per_m2=q_ch / area if area else None,
        discharge_capacity_C_per_m2=q_dis / area if area else None,
        coulombic_efficiency=ce, charge_energy_J=e_ch, discharge_energy_J=e_dis,
        discharge_specific_energy_J_per_kg=e_dis / m, charge_mean_voltage_V=v_ch, discharge_mean_voltage_V=v_dis,
        retention=retention, threshold=float(threshold), end_of_life_cycle=eol, specific_current_A_per_kg=i_spec,
        first_discharge_C_per_kg=float(q_ref / m), profiles=tuple(profiles), warnings=tuple(warnings),
        charge_source=charge_source)
