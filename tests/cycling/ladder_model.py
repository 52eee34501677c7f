"""A small private forward model of a Li|SSE|Li stripping/plating ladder with known truth (tests + benchmark).

Each cycle = +j half cycle, rest, −j half cycle, rest (15 min + 10 s each, as in the Li2NH paper's Methods).
Overpotential in a half cycle: ``j * R(t) * (1 + a (1 - exp(-τ/τ_i))) + spike * exp(-τ/τ_s)`` in the direction of
the current; during rests it relaxes as ``η_end * c * exp(-τ/τ_r)``.  ``R(t)`` drifts as ``R0 * exp(-t/τ_drift)``
and recovers by ``recovery`` after an optional long rest.  A hard short from cycle ``hard_at`` on replaces the
profile by a flat ohmic ``j * R_short`` (no relaxation), starting ``hard_frac`` into that cycle's first half.  Soft shorts at cycles ``soft_at`` drop |η| to
``soft_depth`` of its value for the middle 30 % of the first half cycle, then recover.  All rows are built with
numpy (no per-row Python loop) so the 2.7 M-row benchmark record takes well under a second.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UA_CM2 = 1e-2          # 1 µA/cm² in A/m²
MA_CM2 = 10.0          # 1 mA/cm² in A/m²
PAPER_LADDER = ([(j * UA_CM2, 200) for j in (5, 10, 20, 40, 60, 80)]
                + [(j * MA_CM2, 25) for j in (0.1, 0.2, 0.5, 1, 2, 5, 10)])


@dataclass
class Ladder:
    time_s: np.ndarray
    potential_V: np.ndarray
    current_A: np.ndarray
    cycle: np.ndarray            # true cycle number of each row (1-based; rests belong to the preceding half)
    step: np.ndarray             # true ladder step (0-based)
    area_m2: float
    n_cycles: int


def make_ladder(steps=((5 * UA_CM2, 20), (10 * UA_CM2, 20), (20 * UA_CM2, 20), (40 * UA_CM2, 20)), *,
                area_m2=0.7854e-4, half_s=900.0, rest_s=10.0, dt=10.0, r0_ohm_m2=0.2, tau_drift_h=300.0,
                a=0.3, tau_i=120.0, spike_V=0.0, tau_s=20.0, relax=0.3, tau_r=3.0, noise_V=5e-5,
                noise_I_rel=1e-4, long_rest_after=None, long_rest_s=5 * 3600.0, recovery=1.3,
                hard_at=None, hard_frac=0.0, r_short_ohm_m2=None, soft_at=(), soft_depth=0.3, seed=0, dtype=float) -> Ladder:
    rng = np.random.default_rng(seed)
    js = np.concatenate([np.full(n, j) for j, n in steps])
    stp = np.concatenate([np.full(n, k) for k, (_, n) in enumerate(steps)])
    ncyc = len(js)
    # segments: for each cycle: +half, rest, -half, rest
    seg_cycle = np.repeat(np.arange(1, ncyc + 1), 4)
    seg_kind = np.tile(np.array([1, 0, -1, 0]), ncyc)
    seg_j = np.repeat(js, 4)
    seg_step = np.repeat(stp, 4)
    seg_dur = np.where(seg_kind != 0, half_s, rest_s)
    if long_rest_after is not None:
        seg_dur = seg_dur.copy()
        seg_dur[4 * long_rest_after - 1] = long_rest_s
    seg_n = np.maximum(np.round(seg_dur / dt).astype(np.int64), 1)
    seg_t0 = np.concatenate(([0.0], np.cumsum(seg_n * dt)[:-1]))
    nrow = int(seg_n.sum())
    sid = np.repeat(np.arange(len(seg_n)), seg_n)
    first = np.repeat(np.cumsum(seg_n) - seg_n, seg_n)
    tau = (np.arange(nrow) - first) * dt
    t = seg_t0[sid] + tau
    kind = seg_kind[sid]
    j = seg_j[sid]
    cyc = seg_cycle[sid]
    # drifting resistance, recovering after the long rest
    r = r0_ohm_m2 * np.exp(-t / (tau_drift_h * 3600.0))
    if long_rest_after is not None:
        r = np.where(cyc > long_rest_after, r * recovery, r)
    eta_on = j * r * (1 + a * (1 - np.exp(-tau / tau_i))) + spike_V * np.exp(-tau / tau_s)
    # rests relax from the preceding half cycle's end value
    seg_end_eta = (seg_j * r0_ohm_m2 * (1 + a * (1 - np.exp(-(seg_n - 1) * dt / tau_i))))
    prev_kind = np.roll(seg_kind, 1)
    prev_end = np.roll(seg_end_eta * np.exp(-seg_t0 / (tau_drift_h * 3600.0)), 1)
    rest_eta = prev_kind[sid] * prev_end[sid] * relax * np.exp(-tau / tau_r)
    eta = np.where(kind != 0, kind * eta_on, rest_eta)
    if soft_at:
        soft = np.isin(cyc, np.asarray(soft_at)) & (kind == 1) & (tau > 0.4 * half_s) & (tau < 0.7 * half_s)
        eta = np.where(soft, eta * soft_depth, eta)
    if hard_at is not None:
        rs = r_short_ohm_m2 if r_short_ohm_m2 is not None else r0_ohm_m2 / 100.0
        # the short begins `hard_frac` of the way into the first half cycle of cycle `hard_at`
        t_on = seg_t0[4 * (hard_at - 1)] + hard_frac * half_s
        shorted = t >= t_on
        eta = np.where(shorted, np.where(kind != 0, kind * j * rs, 0.0), eta)
    v = eta + rng.normal(0.0, noise_V, nrow)
    cur = kind * j * area_m2
    cur = cur * (1 + rng.normal(0.0, noise_I_rel, nrow)) + rng.normal(0.0, 1e-10, nrow)
    return Ladder(t.astype(dtype), v.astype(dtype), cur.astype(dtype), cyc, seg_step[sid], area_m2, ncyc)


def make_full_cell(n_cycles=10, *, mass_kg=3e-6, q_first_mAh_g=126.0, fade=0.01, ce=0.98, i_mA_g=5.0,
                   dt=60.0, first="discharge", v_lo=1.8, v_hi=2.8, rest_s=600.0):
    """Galvanostatic full cell: half cycles last q/i, alternating discharge/charge, with rests between."""
    i_A = i_mA_g * 1e-3 * mass_kg * 1e3          # mA/g × g → mA → A
    first_sign = -1 if first == "discharge" else 1
    rows_t, rows_v, rows_i = [], [], []
    t0 = 0.0
    truth = []
    for c in range(n_cycles):
        q1 = q_first_mAh_g * (1 - fade) ** c                  # first half capacity (mAh/g)
        q2 = q1 * ce
        truth.append((q1, q2))
        for sign, q in ((first_sign, q1), (-first_sign, q2)):
            dur = q / i_mA_g * 3600.0
            n = max(int(round(dur / dt)), 2)
            tt = t0 + np.arange(n) * dur / n
            x = np.linspace(0, 1, n)
            v = (v_hi - (v_hi - v_lo) * x) if sign < 0 else (v_lo + (v_hi - v_lo) * x)
            rows_t.append(tt)
            rows_v.append(v)
            rows_i.append(np.full(n, sign * i_A))
            t0 += dur
            nr = max(int(round(rest_s / dt)), 2)
            rows_t.append(t0 + np.arange(nr) * rest_s / nr)
            rows_v.append(np.full(nr, rows_v[-1][-1]))
            rows_i.append(np.zeros(nr))
            t0 += rest_s
    return (np.concatenate(rows_t), np.concatenate(rows_v), np.concatenate(rows_i), np.array(truth))
