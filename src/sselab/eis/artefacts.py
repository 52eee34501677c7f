"""Inductive artefacts in impedance spectra.

* **High-frequency inductance** (cables, leads): the first points of the sweep (highest f) have Z″ > 0.  This is
  modelled by a series ``L`` element (fitting) or a series inductance (Lin-KK); it is not a loop.
* **Low-frequency inductive loop** (Li|SSE|Li cells, e.g. the imide paper Figs 3b/c; also non-stationary cells):
  after the capacitive arcs the spectrum crosses the real axis and ends with Z″ > 0 at the lowest frequencies.
  An R/CPE circuit cannot produce this; a series or parallel R–L branch (``p(R3,L3)``) can.

:func:`lf_inductive_loop` finds the loop: starting at the lowest frequency, the contiguous run of points whose Z″ is
positive or within noise of zero (Z″ > −0.2 %·|Z|), not part of the high-frequency inductive run, lying below a
clearly capacitive point (−Z″ > 1 % |Z|); the loop is the points of that run with Z″ > 0, reported when at least two
of them reach Z″ > 0.2 %·|Z| or one reaches 1 %·|Z| (so noise around Z″ = 0 at the end of a closed arc or along a
purely resistive spectrum is not called a loop).  A loop that closes and is followed by capacitive points at still
lower frequencies is not detected (rare in practice).
"""
from __future__ import annotations

import numpy as np

from .circuit import Circuit, Element, Parallel, Series

__all__ = ["LF_LOOP", "LF_LOOP_OPTIONS", "lf_inductive_loop", "circuit_has_loop_element", "hf_inductive_points"]

#: the flag / warning text used by :func:`sselab.eis.fit` and :func:`sselab.eis.lin_kk`
LF_LOOP = "low-frequency inductive loop"
#: values of the ``lf_loop`` option of fit / fit_batch / lin_kk
LF_LOOP_OPTIONS = ("auto", "exclude", "keep")

_NOISE = 2e-3  # |Z''|/|Z| treated as zero
_CLEAR = 1e-2  # |Z''|/|Z| that is clearly not noise


def hf_inductive_points(freq_Hz, Z) -> np.ndarray:
    """Boolean mask (input order) of the leading high-frequency run of points with Z″ > 0."""
    f = np.asarray(freq_Hz, float)
    z = np.asarray(Z, complex)
    order = np.argsort(-f, kind="stable")
    im = z.imag[order]
    n = int(np.argmax(~(im > 0))) if np.any(~(im > 0)) else im.size
    mask = np.zeros(f.size, bool)
    mask[order[:n]] = True
    return mask


def lf_inductive_loop(freq_Hz, Z) -> np.ndarray:
    """Boolean mask (input order) of the points forming a low-frequency inductive loop (all False if none)."""
    f = np.asarray(freq_Hz, float)
    z = np.asarray(Z, complex)
    mask = np.zeros(f.size, bool)
    if f.size < 4:
        return mask
    order = np.argsort(-f, kind="stable")  # high -> low frequency
    zz = z[order]
    mod = np.maximum(np.abs(zz), 1e-300)
    rel = zz.imag / mod  # > 0 inductive
    hf = hf_inductive_points(f[order], zz)
    # trailing run (from the lowest frequency up) of points inductive or within noise of the real axis
    start = zz.size
    while start > 0 and not hf[start - 1] and rel[start - 1] > -_NOISE:
        start -= 1
    if start == zz.size or start == 0:
        return mask
    # ... below a clearly capacitive part of the spectrum
    if not np.any((rel[:start] < -_CLEAR) & ~hf[:start]):
        return mask
    run = np.arange(start, zz.size)
    pos = run[rel[run] > 0]
    if pos.size == 0:
        return mask
    if not (np.sum(rel[pos] > _NOISE) >= 2 or np.max(rel[pos]) > _CLEAR):
        return mask
    mask[order[pos]] = True
    return mask


def circuit_has_loop_element(circuit) -> bool:
    """True if the circuit can produce a low-frequency inductive loop: an inductor that is not a plain top-level
    series element (e.g. ``p(R3,L3)`` or an R–L branch in parallel with an arc)."""
    c = circuit if isinstance(circuit, Circuit) else Circuit(circuit)
    top = c.top_level()
    for comp in top:
        if isinstance(comp, Element):
            continue
        if any(e.kind == "L" for e in _elements(comp)):
            return True
    return False


def _elements(node):
    if isinstance(node, Element):
        return [node]
    if isinstance(node, (Series, Parallel)):
        return [e for p in node.parts for e in _elements(p)]
    return []  # pragma: no cover


def loop_summary(freq_Hz, mask, excluded: bool) -> str:
    """One-line description of a detected loop for warnings."""
    f = np.asarray(freq_Hz, float)[mask]
    what = "excluded from the fit" if excluded else "kept in the fit"
    return (f"{LF_LOOP}: {int(mask.sum())} point(s) with Z'' > 0 at {f.min():.3g}–{f.max():.3g} Hz ({what}; "
            f"option lf_loop)")
