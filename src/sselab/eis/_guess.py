"""Data-driven starting values for circuit fits (internal to :mod:`sselab.eis.fitting`).

Every top-level series component of the circuit is a unit-size copy of itself (the registry's ``unit_values``
rule of each element) placed at a characteristic frequency; an arc ``p(R,CPE)`` at frequency f_c is
``R/(1+(jω/ω_c)^α)``.  For a grid of characteristic frequencies (beyond both ends of the measured band) the
amplitudes enter linearly, so every grid combination is solved as a non-negative linear least-squares problem
against the modulus-weighted data, vectorised over spectra and combinations.  The best few (diverse) combinations
are the starts of the non-linear fit.  Components without a time scale of their own (R, C, L, CPE, W on their own)
take a characteristic frequency of 1 Hz; a lone CPE takes the exponent of the low-frequency spike.
"""
from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from .circuit import Circuit, Element
from .elements import ELEMENTS

#: complex (spectrum, combination, point, component) entries per block of the guess stage (bounded memory)
GUESS_BLOCK = 4_000_000
_ALPHA0 = 0.85


def has_timescale(node) -> bool:
    """True for a series component with its own characteristic frequency (any parallel / nested combination, or a
    distributed element of the registry such as Wo, G, TLMQ)."""
    if isinstance(node, Element):
        return ELEMENTS[node.kind].timescale
    return True


def elements_of(node) -> list[Element]:
    if isinstance(node, Element):
        return [node]
    return [e for p in node.parts for e in elements_of(p)]


def unit_params(node, wc: float, alpha: float, out: dict) -> None:
    """Parameters making ``node`` a unit-size (≈1 Ω) sub-circuit with characteristic angular frequency ``wc``."""
    for e in elements_of(node):
        et = ELEMENTS[e.kind]
        for name, v in zip(et.param_names(e.name), et.unit_values(wc, alpha)):
            out[name] = v


def spike_alpha(f: np.ndarray, Zs: np.ndarray) -> np.ndarray:
    """Exponent of a low-frequency capacitive spike from the slope of ln(−Z″) vs ln f over the 4 lowest
    frequencies, for spectra ``Zs`` (S, N) sharing ``f`` ((S,) values in [0.5, 1]; 0.85 where unclear)."""
    o = np.argsort(f)[:min(4, f.size)]
    if o.size < 2:
        return np.full(Zs.shape[0], _ALPHA0)
    x = np.log(f[o])
    y = -Zs[:, o].imag
    ok = np.all(y > 0, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ly = np.log(np.where(y > 0, y, 1.0))
    xc = x - x.mean()
    den = float(xc @ xc)
    if den <= 0:
        return np.full(Zs.shape[0], _ALPHA0)
    slope = (ly - ly.mean(axis=1, keepdims=True)) @ xc / den
    out = np.clip(-slope, 0.5, 1.0)
    return np.where(ok & np.isfinite(slope), out, _ALPHA0)


@functools.lru_cache(maxsize=256)
def sub_circuit(text: str) -> Circuit:
    return Circuit(text)


def initial_guesses(circuit, freq_Hz, Z, n_starts: int = 4, grid_per_decade: float = 3.0) -> np.ndarray:
    """Candidate starting parameter vectors (rows in ``circuit.param_names`` order), best first.

    Each top-level series component is a unit-size copy placed at a characteristic frequency; amplitudes are solved
    by (vectorised) non-negative least squares against the modulus-weighted data for every grid combination.
    """
    circuit = Circuit(circuit) if not isinstance(circuit, Circuit) else circuit
    return guesses_many(circuit, np.asarray(freq_Hz, float), np.asarray(Z, complex)[None], n_starts,
                        grid_per_decade)[0]


def _layout(circuit: Circuit, f: np.ndarray, grid_per_decade: float, ordered: bool):
    comps = circuit.top_level()
    timed = [i for i, c in enumerate(comps) if has_timescale(c)]
    n_t = len(timed)
    fmin, fmax = float(f.min()), float(f.max())
    lo, hi = math.log10(fmin) - 1.0, math.log10(fmax) + 1.5
    per_dec = grid_per_decade if n_t <= 2 else (2.0 if n_t == 3 else 1.0)
    grid = 10 ** np.arange(hi, lo - 1e-9, -1.0 / per_dec)  # descending
    # identical timed components written in a row are ordered high -> low frequency
    sig = [type(comps[i]).__name__ + "".join(sorted(e.kind for e in elements_of(comps[i]))) for i in timed]
    # (no timed component, e.g. R0-CPE1 or R0-W1: one empty combination; the amplitudes alone are the guess)
    combos = (np.array(list(itertools.product(range(len(grid)), repeat=n_t)), int).reshape(-1, n_t) if n_t
              else np.zeros((1, 0), int))
    for a in range(n_t - 1):
        if sig[a] == sig[a + 1]:  # (not ordered: a pinned parameter makes identical-looking arcs different)
            combos = combos[combos[:, a] < combos[:, a + 1]] if ordered else combos[combos[:, a] != combos[:, a + 1]]
    if len(combos) > 3000:
        combos = combos[np.random.default_rng(0).choice(len(combos), 3000, replace=False)]
    if len(combos) == 0:
        combos = np.zeros((1, n_t), int)
    return comps, timed, grid, combos, per_dec


def guesses_many(circuit: Circuit, f: np.ndarray, Zs: np.ndarray, n_starts: int = 4,
                 grid_per_decade: float = 3.0, ordered: bool = True, tick=None) -> np.ndarray:
    """:func:`initial_guesses` for S spectra measured at the same frequencies: returns (S, n_starts', P) with
    n_starts' = min(n_starts, number of grid combinations).  ``tick(n_done)`` after each memory-bounded block."""
    S, N = Zs.shape
    comps, timed, grid, combos, per_dec = _layout(circuit, f, grid_per_decade, ordered)
    m = len(comps)
    K = len(combos)
    is_t = np.zeros(m, bool)
    is_t[timed] = True
    names = circuit.param_names
    P = len(names)
    power = np.array([ps.scale for ps in circuit.param_specs], float)

    # timed columns: one unit impedance per (grid frequency used, component), shared by every spectrum
    Bt = np.zeros((K, N, m), complex)
    unit_t = np.zeros((K, P))
    comp_of = np.empty(P, int)
    for t, i in enumerate(timed):
        c = comps[i]
        sub = sub_circuit(str(c))
        used = np.unique(combos[:, t])
        rows = []
        for gi in used:
            d: dict = {}
            unit_params(c, 2 * math.pi * grid[gi], _ALPHA0, d)
            rows.append([d[n] for n in sub.param_names])
        rows = np.array(rows)
        zsub = sub.impedance(f, rows)
        pos = np.searchsorted(used, combos[:, t])
        Bt[:, :, i] = zsub[pos]
        idx = [names.index(n) for n in sub.param_names]
        comp_of[idx] = i
        unit_t[:, idx] = rows[pos]
    static = [i for i in range(m) if not is_t[i]]
    stat_sub = {i: sub_circuit(str(comps[i])) for i in static}
    for i in static:
        comp_of[[names.index(n) for n in stat_sub[i].param_names]] = i
    timed_param = is_t[comp_of]
    n_take = min(n_starts, K)
    min_sep = max(1, int(round(per_dec)))
    out = np.empty((S, n_take, P))
    ti = np.array(timed, int)
    st = np.array(static, int)
    Btt = Bt[:, :, ti]  # (K, N, mt)
    abs_Btt = np.abs(Btt)
    # the normal equations are formed directly (never the (spectra × combinations × 2N × m) design matrix):
    # A_ij = Σ_n w_n² Re(conj(B_ni) B_nj), b_i = Σ_n w_n² Re(conj(B_ni) Z_n); timed columns are shared by all
    # spectra, so their products with the weights are matrix products
    G_tt = np.real(np.conj(Btt)[:, :, :, None] * Btt[:, :, None, :])  # (K, N, mt, mt)
    G_tt2 = np.ascontiguousarray(G_tt.transpose(1, 0, 2, 3).reshape(N, -1))  # (N, K·mt·mt)
    # (2N, K·mt): real and imaginary parts of the timed columns stacked, for the products with (re, im) data
    Bt_riT = np.ascontiguousarray(np.concatenate([Btt.real, Btt.imag], axis=1).transpose(1, 0, 2).reshape(
        2 * N, K * Btt.shape[2]))
    mt, ms = ti.size, st.size
    per = max(1, GUESS_BLOCK // (K * N * max(m, 1)))  # bounded memory for the (block, K, N) floor stage
    for a in range(0, S, per):
        Zb = Zs[a:a + per]
        Sb = Zb.shape[0]
        spike = spike_alpha(f, Zb)  # (Sb,)  α of a lone CPE follows the spectrum's spike
        Bs = np.zeros((Sb, N, ms), complex)
        unit_s = np.zeros((Sb, P))
        for c_i, i in enumerate(static):
            sub = stat_sub[i]
            alphas, inv = np.unique(spike, return_inverse=True)
            rows = []
            for al in alphas:
                d: dict = {}
                unit_params(comps[i], 2 * math.pi, float(al), d)
                rows.append([d[n] for n in sub.param_names])
            rows = np.array(rows)
            Bs[:, :, c_i] = sub.impedance(f, rows)[inv]
            unit_s[:, [names.index(n) for n in sub.param_names]] = rows[inv]
        absZ = np.abs(Zb)
        w2 = 1.0 / np.maximum(absZ, 1e-300) ** 2  # (Sb, N) modulus weights squared
        Y = w2 * Zb  # (Sb, N)
        Y_ri = np.concatenate([Y.real, Y.imag], axis=1)  # (Sb, 2N): Re(conj(B) Y) = Re B Re Y + Im B Im Y
        A = np.zeros((Sb, K, m, m))
        b = np.zeros((Sb, K, m))
        # (every product below is stacked per spectrum — (Sb, 1, N) @ (N, ·) — never one 2-D product over the
        # block: BLAS would pick kernels by the block size and a spectrum fitted alone or in a batch would differ
        # in the last bits)
        if mt:
            A[:, :, ti[:, None], ti[None, :]] = (w2[:, None, :] @ G_tt2)[:, 0].reshape(Sb, K, mt, mt)
            b[:, :, ti] = (Y_ri[:, None, :] @ Bt_riT)[:, 0].reshape(Sb, K, mt)
        if ms:
            X = w2[:, :, None] * Bs  # (Sb, N, ms)
            A_ss = np.real(np.conj(Bs).transpose(0, 2, 1) @ X)  # (Sb, ms, ms)
            A[:, :, st[:, None], st[None, :]] = A_ss[:, None]
            b[:, :, st] = np.real(np.einsum("sni,sn->si", np.conj(Bs), Y))[:, None, :]
            if mt:
                # A_ts[s, k, i, j] = Re Σ_n conj(Bt_kni) X_snj = Σ_n (Re Bt Re X + Im Bt Im X): real products
                Xs = np.ascontiguousarray(np.concatenate([X.real, X.imag], axis=1).transpose(0, 2, 1))  # (Sb,ms,2N)
                A_ts = (Xs @ Bt_riT).reshape(Sb, ms, K, mt).transpose(0, 2, 3, 1)
                A[:, :, ti[:, None], st[None, :]] = A_ts
                A[:, :, st[:, None], ti[None, :]] = A_ts.transpose(0, 1, 3, 2)
        yy = np.einsum("sn,sn->s", w2, absZ * absZ)  # Σ w²|Z|²
        amp, cost = nnls_normal(A.reshape(Sb * K, m, m), b.reshape(Sb * K, m), np.repeat(yy, K))
        amp = amp.reshape(Sb, K, m)
        cost = cost.reshape(Sb, K)
        order = diverse(np.argsort(cost, axis=1, kind="stable"), combos, n_take, min_sep)  # (Sb, n_take)
        sidx = np.arange(Sb)[:, None]
        amp = amp[sidx, order]  # (Sb, n_take, m): only the chosen combinations from here on
        # a component the data do not need still starts visible: ≤ 1 % of |Z| where it is largest
        floor = np.empty((Sb, n_take, m))
        with np.errstate(divide="ignore"):
            for c_i, i in enumerate(timed):
                floor[:, :, i] = 0.01 * np.min(absZ[:, None, :] / abs_Btt[order, :, c_i], axis=2)
            for c_i, i in enumerate(static):
                floor[:, :, i] = 0.01 * np.min(absZ / np.abs(Bs[:, :, c_i]), axis=1)[:, None]
        amp = np.maximum(amp, floor)
        a_sel = amp[:, :, comp_of]  # (Sb, n_take, P)
        base = np.where(timed_param[None, None, :], unit_t[order], unit_s[:, None, :])
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            out[a:a + Sb] = base * a_sel ** power
        if tick is not None:
            tick(a + Sb)
    return out


def diverse(ranked: np.ndarray, combos: np.ndarray, n_take: int, min_sep: int) -> np.ndarray:
    """Per spectrum, the best combination, then the next best that differ from every one already taken by at least
    ``min_sep`` grid steps (one decade) in some component; filled up with the best remaining ones.  Vectorised over
    spectra: ``ranked`` (S, K) combination indices best first."""
    S, K = ranked.shape
    out = np.empty((S, n_take), int)
    cr = combos[ranked]  # (S, K, n_t)
    free = np.ones((S, K), bool)  # not yet taken
    sep_ok = np.ones((S, K), bool)  # differs from everything taken by ≥ min_sep in some component
    rows = np.arange(S)
    for t in range(n_take):
        cand = free & sep_ok
        has = cand.any(axis=1)
        j = np.where(has, np.argmax(cand, axis=1), np.argmax(free, axis=1))
        out[:, t] = ranked[rows, j]
        free[rows, j] = False
        if cr.shape[2]:
            d = np.abs(cr - cr[rows, j][:, None, :]).max(axis=2)
            sep_ok &= d >= min_sep
        else:
            sep_ok[:] = False
    return out


def nnls_normal(A0: np.ndarray, b0: np.ndarray, yy: np.ndarray, n_pass: int = 6):
    """Approximate non-negative least squares from the normal equations of a stack of small problems:
    minimise ‖Mx − y‖² with A0 = MᵀM (K, m, m), b0 = Mᵀy (K, m), yy = yᵀy (K,), x ≥ 0 (active set, a few passes).
    Returns x and the residual sum of squares."""
    K, m, _ = A0.shape
    scale = np.sqrt(np.einsum("kpp->kp", A0))  # column norms: solve with unit-norm columns
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    A = A0 / (scale[:, :, None] * scale[:, None, :])
    b = b0 / scale
    eye = np.eye(m)
    A = A + 1e-10 * eye
    keep = np.ones((K, m), bool)
    x = np.linalg.solve(A, b[:, :, None])[:, :, 0]
    todo = np.flatnonzero((x < 0).any(axis=1))  # only problems with a negative amplitude are solved again
    for _ in range(n_pass - 1):
        if todo.size == 0:
            break
        keep[todo] &= ~(x[todo] < 0)
        kt = keep[todo]
        Am = np.where(kt[:, :, None] & kt[:, None, :], A[todo], 0.0) + np.where(kt, 0.0, 1.0)[:, :, None] * eye
        x[todo] = np.linalg.solve(Am, np.where(kt, b[todo], 0.0)[:, :, None])[:, :, 0]
        todo = todo[(keep[todo] & (x[todo] < 0)).any(axis=1)]
    x = np.where(keep, np.maximum(x, 0.0), 0.0)
    # ‖Mx − y‖² = yy − 2 bᵀx + xᵀAx (in the scaled variables)
    cost = yy - 2 * np.einsum("kp,kp->k", b, x) + np.einsum("kp,kpq,kq->k", x, A, x)
    cost = np.maximum(cost, 0.0)
    x = x / scale
    cost[~np.isfinite(cost)] = np.inf
    return x, cost
