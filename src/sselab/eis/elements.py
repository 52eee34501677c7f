"""The circuit-element registry: everything sselab knows about one element type, in one place.

Each :class:`ElementType` carries

* its **impedance and analytic Jacobian** (``impedance(p, w, lw) -> (Z, [dZ/dp_i])``, mathematical sign, SI);
* its **parameters** (:class:`Param`): suffix, SI unit, the **transform** the fit uses (``"log"``: p = exp(u), for
  strictly positive parameters; ``"logit"``: p = lo + (hi − lo)·sigmoid(u), for exponents bounded to ``bounds``),
  the default bounds, and the **scaling exponent** (multiplying the element's impedance by k at a fixed time
  constant multiplies the parameter by k**scale — what the initial-guess stage uses to size a component);
* its **initial-guess rule** ``unit_values(w_c, alpha)``: parameters of a copy of ≈ 1 Ω size whose characteristic
  angular frequency is ``w_c`` (the guess stage slides that copy over a frequency grid and scales it);
* its **time constant**: ``log_tau(p)`` for distributed elements with their own time scale (Ws, Wo, G, TLMQ), and for
  capacitive elements ``rc_log_tau(R, p)`` of the arc R‖element (the apex frequency is 1/(2πτ)) and
  ``rc_log_capacitance(R, p)`` (Brug effective capacitance); each returns the natural log and its gradient so
  errors propagate with the covariance;
* a short description and the formula (used by docs, the report's parameter tables and the app).

:mod:`sselab.eis.circuit` (parser, evaluation), :mod:`sselab.eis.fitting` (transforms, starting values, arc
ordering, window checks), :mod:`sselab.eis.derive` (Brug capacitance, apex frequency) and :mod:`sselab.simulate`
all read this registry.  **Adding an element touches this file only**: write its impedance with derivatives, fill
in an :class:`ElementType` and call :func:`register` (see ``docs/CONVENTIONS.md``, "How to add a circuit element").

=========  =================================================  =========================================
element    impedance (ω = 2πf, mathematical sign)             parameters (SI)
=========  =================================================  =========================================
R          R                                                  ``R1`` (Ω)
C          1/(jωC)                                            ``C1`` (F)
L          jωL                                                ``L1`` (H)
CPE        1/(Q (jω)^α)                                       ``CPE1_Q`` (F s^(α−1)), ``CPE1_alpha``
W          σ(1−j)/√ω  (semi-infinite Warburg)                 ``W1`` (Ω s^−½)
Ws         R tanh(√(jωτ))/√(jωτ)  (finite length,             ``Ws1_R`` (Ω), ``Ws1_tau`` (s)
           transmissive boundary: "short")
Wo         R coth(√(jωτ))/√(jωτ)  (finite length,             ``Wo1_R`` (Ω), ``Wo1_tau`` (s)
           reflective boundary: "open")
G          R/√(1+jωτ)  (Gerischer)                            ``G1_R`` (Ω), ``G1_tau`` (s)
TLMQ       √(R·Z_s)·coth(√(R/Z_s)), Z_s = 1/(Q (jω)^α)        ``TLMQ1_R`` (Ω), ``TLMQ1_Q`` (F s^(α−1)),
           (de Levie transmission line, blocking pores;       ``TLMQ1_alpha``
           alias ``TLM``)
=========  =================================================  =========================================

**TLMQ (de Levie transmission line).**  Cylindrical pores of a porous blocking electrode (or a rough, ion-blocking
interface) filled with electrolyte: ``R`` is the total ionic resistance along the pores (ρ·ℓ/(n π r²)), the pore
wall a CPE of total ``Q``, ``alpha``.  With x = √(R Q (jω)^α), Z = R coth(x)/x.  High frequency (|x| ≫ 1):
Z → √(R/(Q (jω)^α)), a straight line at α·45°; low frequency (|x| ≪ 1): Z → R/3 + 1/(Q (jω)^α), the blocking spike
shifted by R/3.  τ = (R Q)^(1/α).  For α = 1 it equals ``Wo`` with τ = R·Q.  Limits of the model: uniform,
cylindrical, non-interconnected pores; no faradaic (charge-transfer) path at the walls; electronic resistance of
the solid matrix neglected; same as impedance.py's ``TLMQ`` (Bisquert 2000, Eq. 11).

**Finite-length Warburg.**  ``Ws`` (short / transmissive: a diffusion layer ending at a reservoir; → R at low f) and
``Wo`` (open / reflective: diffusion into a particle or a blocking back wall; capacitive at low f, Z′ → R/3),
both → semi-infinite ``W`` with σ = R/√(2τ) at high frequency; τ = L²/D.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

__all__ = ["Param", "ElementType", "ELEMENTS", "register", "unregister", "element_type", "kinds", "safe_exp",
           "check_registry"]

_HALF_PI_J = 1j * math.pi / 2


@dataclass(frozen=True)
class Param:
    """One parameter of an element type."""

    suffix: str  #: ``""``: the parameter is named like the element (``R1``); else ``<element>_<suffix>``
    unit: str  #: SI unit (ASCII, e.g. ``"Ohm"``, ``"F s^(alpha-1)"``; ``""`` dimensionless)
    transform: str = "log"  #: ``"log"`` (p > 0, fitted as ln p) or ``"logit"`` (bounded exponent)
    bounds: tuple[float, float] = (0.0, math.inf)  #: default bounds (the fit's, unless the user gives others)
    scale: int = 1  #: impedance × k (same time constant) ⇒ parameter × k**scale
    description: str = ""

    def __post_init__(self):
        if self.transform not in ("log", "logit"):
            raise ValueError(f"Param {self.suffix!r}: transform must be 'log' or 'logit'")
        if self.transform == "logit" and not all(math.isfinite(b) for b in self.bounds):
            raise ValueError(f"Param {self.suffix!r}: a logit parameter needs finite default bounds")


@dataclass(frozen=True)
class ElementType:
    """Everything sselab needs about one circuit-element type (see the module docstring)."""

    kind: str  #: the prefix in circuit strings (``"CPE"`` in ``CPE1``)
    params: tuple[Param, ...]
    #: (p: list of parameter arrays broadcasting against w, w: angular frequency, lw: ln w) -> (Z, [dZ/dp_i])
    impedance: Callable
    #: (w_c, alpha) -> parameter values of a ≈1 Ω copy whose characteristic angular frequency is w_c
    unit_values: Callable[[float, float], tuple]
    description: str
    formula: str
    #: distributed element with its own time constant (a grid frequency of its own in the initial guesses)
    timescale: bool = False
    #: p -> (ln τ, [d ln τ/dp_i]) for elements with a time constant of their own
    log_tau: Callable | None = None
    #: capacitive element: forms an arc in parallel with a resistor
    capacitive: bool = False
    #: (R, p) -> (ln τ, [d/dR, d/dp_i]) of the arc R‖element; apex frequency 1/(2πτ)
    rc_log_tau: Callable | None = None
    #: (R, p) -> (ln C_eff, [d/dR, d/dp_i]) of the arc R‖element (Brug capacitance for a CPE)
    rc_log_capacitance: Callable | None = None
    aliases: tuple[str, ...] = field(default=())

    @property
    def suffixes(self) -> tuple[str, ...]:
        return tuple(p.suffix for p in self.params)

    def param_names(self, name: str) -> list[str]:
        """Parameter names of an element called ``name`` (``"CPE1"`` → ``["CPE1_Q", "CPE1_alpha"]``)."""
        return [name if not p.suffix else f"{name}_{p.suffix}" for p in self.params]


#: element kind (and alias) -> ElementType
ELEMENTS: dict[str, ElementType] = {}


_version = [0]  # bumped on every change (the circuit parser rebuilds its element-name pattern)


def registry_version() -> int:
    return _version[0]


def register(et: ElementType, *, replace: bool = False) -> ElementType:
    """Add an element type to the registry (under its kind and aliases)."""
    for key in (et.kind, *et.aliases):
        if not key.isalpha() or key == "p":
            raise ValueError(f"element kind {key!r} must be letters only and not 'p'")
        if key in ELEMENTS and not replace:
            raise ValueError(f"element kind {key!r} is already registered")
    if len(et.params) == 0 or len({p.suffix for p in et.params}) != len(et.params):
        raise ValueError(f"element {et.kind!r}: parameter suffixes must be unique and at least one")
    if len(et.params) > 1 and any(p.suffix == "" for p in et.params):
        raise ValueError(f"element {et.kind!r}: only a one-parameter element may have an empty suffix")
    for key in (et.kind, *et.aliases):
        ELEMENTS[key] = et
    _version[0] += 1
    return et


def unregister(kind: str) -> None:
    """Remove an element type (and its aliases) from the registry — for plugins and tests."""
    et = ELEMENTS[kind]
    for key in (et.kind, *et.aliases):
        ELEMENTS.pop(key, None)
    _version[0] += 1


def element_type(kind: str) -> ElementType:
    return ELEMENTS[kind]


def kinds() -> list[str]:
    """Registered prefixes (kinds and aliases), longest first (the order the parser tries them)."""
    return sorted(ELEMENTS, key=lambda k: (-len(k), k))


def safe_exp(x: float) -> float:
    """math.exp without OverflowError (inf) — for apex frequencies and capacitances of arcs far outside any band."""
    if x > 709.0:
        return math.inf
    if x < -745.0:
        return 0.0
    return math.exp(x)


# ---------------------------------------------------------------------------------------------------------------
# helpers
def _tanh_pos(x):
    """tanh of complex x with Re(x) ≥ 0, without overflow."""
    e = np.exp(-2.0 * x)
    return (1.0 - e) / (1.0 + e)


def _coth_over_x(x):
    """h(x) = coth(x)/x and x·h'(x) for Re(x) > 0."""
    c = 1.0 / _tanh_pos(x)
    h = c / x
    xdh = (-(c * c - 1.0) * x - c) / x  # x · d/dx[coth(x)/x]
    return h, xdh


# ---------------------------------------------------------------------------------------------------------------
# element definitions
def _z_R(p, w, lw):
    # (B, 1): broadcasts against the frequencies (no (B, N) array for a constant)
    z = p[0] + 0j
    return z, [1.0]


def _z_C(p, w, lw):
    z = 1.0 / (1j * w * p[0])
    return z, [-z / p[0]]


def _z_L(p, w, lw):
    z = 1j * w * p[0]
    return z, [1j * w + 0 * z]


def _z_CPE(p, w, lw):
    q, a = p
    # (jω)^-α = ω^-α · e^(-jαπ/2): one real exp instead of a complex power
    ph = a * (math.pi / 2)
    z = np.exp(-a * lw) * ((np.cos(ph) - 1j * np.sin(ph)) / q)
    return z, [z * (-1.0 / q), z * -(lw + _HALF_PI_J)]


def _z_W(p, w, lw):
    shape = (1 - 1j) / np.sqrt(w)
    z = p[0] * shape
    return z, [shape + 0 * z]


def _z_Ws(p, w, lw):
    r, tau = p
    x = np.sqrt(1j * w * tau)
    t = _tanh_pos(x)
    f = t / x
    xdf = ((1.0 - t * t) * x - t) / x  # x · d/dx[tanh(x)/x]
    return r * f, [f, r * xdf / (2.0 * tau)]


def _z_Wo(p, w, lw):
    r, tau = p
    x = np.sqrt(1j * w * tau)
    h, xdh = _coth_over_x(x)
    return r * h, [h, r * xdh / (2.0 * tau)]


def _z_G(p, w, lw):
    r, tau = p
    s = 1.0 + 1j * w * tau
    z = r / np.sqrt(s)
    return z, [z / r, -0.5 * z / s * 1j * w]


def _z_TLMQ(p, w, lw):
    r, q, a = p
    # x = √(R Q (jω)^α) with arg x = απ/4 ∈ [0, π/4], so Re x > 0
    x = np.sqrt(r * q) * np.exp(0.5 * a * (lw + _HALF_PI_J))
    h, xdh = _coth_over_x(x)
    z = r * h
    # dx/dR = x/(2R), dx/dQ = x/(2Q), dx/dα = x (ln ω + jπ/2)/2.  dZ/dR = h + x h'/2 cancels its 1/x² terms at
    # |x| ≪ 1: there the series 1/3 − 2x²/45 + 2x⁴/315 instead
    x2 = x * x
    d_r = np.where(np.abs(x) < 1e-2, 1.0 / 3.0 - 2.0 * x2 / 45.0 + 2.0 * x2 * x2 / 315.0, h + 0.5 * xdh)
    return z, [d_r, r * xdh / (2.0 * q), 0.5 * r * xdh * (lw + _HALF_PI_J)]


def _tau_param(p):
    tau = p[-1]
    return np.log(tau), [np.zeros_like(tau)] * (len(p) - 1) + [1.0 / tau]


def _rc_tau_C(R, p):
    (c,) = p
    return np.log(R) + np.log(c), [1.0 / R, 1.0 / c]


def _rc_cap_C(R, p):
    (c,) = p
    return np.log(c), [0.0 * R, 1.0 / c]


def _rc_tau_CPE(R, p):
    q, a = p
    lrq = np.log(R) + np.log(q)
    return lrq / a, [1.0 / (a * R), 1.0 / (a * q), -lrq / a ** 2]


def _rc_cap_CPE(R, p):
    # Brug et al., J. Electroanal. Chem. 176 (1984) 275: C = (R Q)^(1/α) / R
    q, a = p
    lrq = np.log(R) + np.log(q)
    return lrq / a - np.log(R), [(1.0 - a) / (a * R), 1.0 / (a * q), -lrq / a ** 2]


def _tlm_tau(p):
    r, q, a = p
    lrq = np.log(r) + np.log(q)
    return lrq / a, [1.0 / (a * r), 1.0 / (a * q), -lrq / a ** 2]


_ALPHA = Param("alpha", "", "logit", (0.0, 1.0), 0, "exponent (1: ideal capacitor, 0.5: Warburg-like)")

register(ElementType(
    "R", (Param("", "Ohm", description="resistance"),), _z_R, lambda wc, a: (1.0,),
    "resistor", "R"))
register(ElementType(
    "C", (Param("", "F", scale=-1, description="capacitance"),), _z_C, lambda wc, a: (1.0 / wc,),
    "capacitor", "1/(jωC)", capacitive=True, rc_log_tau=_rc_tau_C, rc_log_capacitance=_rc_cap_C))
register(ElementType(
    "L", (Param("", "H", description="inductance"),), _z_L, lambda wc, a: (1.0 / wc,),
    "inductor (leads, cables; in a parallel branch a low-frequency inductive loop)", "jωL"))
register(ElementType(
    "CPE", (Param("Q", "F s^(alpha-1)", scale=-1, description="CPE coefficient"), _ALPHA), _z_CPE,
    lambda wc, a: (1.0 / wc ** a, a),
    "constant-phase element", "1/(Q (jω)^α)", capacitive=True, rc_log_tau=_rc_tau_CPE,
    rc_log_capacitance=_rc_cap_CPE))
register(ElementType(
    "W", (Param("", "Ohm s^-0.5", description="Warburg coefficient σ"),), _z_W,
    lambda wc, a: (math.sqrt(wc / 2.0),),
    "semi-infinite Warburg diffusion", "σ(1−j)/√ω"))
register(ElementType(
    "Ws", (Param("R", "Ohm", description="diffusion resistance"),
           Param("tau", "s", scale=0, description="diffusion time L²/D")), _z_Ws, lambda wc, a: (1.0, 1.0 / wc),
    "finite-length Warburg, transmissive boundary (short)", "R tanh(√(jωτ))/√(jωτ)",
    timescale=True, log_tau=_tau_param))
register(ElementType(
    "Wo", (Param("R", "Ohm", description="diffusion resistance"),
           Param("tau", "s", scale=0, description="diffusion time L²/D")), _z_Wo, lambda wc, a: (1.0, 1.0 / wc),
    "finite-length Warburg, reflective boundary (open)", "R coth(√(jωτ))/√(jωτ)",
    timescale=True, log_tau=_tau_param))
register(ElementType(
    "G", (Param("R", "Ohm", description="Gerischer resistance"),
          Param("tau", "s", scale=0, description="reaction time constant")), _z_G, lambda wc, a: (1.0, 1.0 / wc),
    "Gerischer element", "R/√(1+jωτ)", timescale=True, log_tau=_tau_param))
register(ElementType(
    "TLMQ", (Param("R", "Ohm", description="ionic resistance along the pores"),
             Param("Q", "F s^(alpha-1)", scale=-1, description="pore-wall CPE coefficient (total)"), _ALPHA),
    _z_TLMQ, lambda wc, a: (1.0, 1.0 / wc ** a, a),
    "de Levie transmission line, blocking pores with a CPE wall", "√(R Z_s) coth(√(R/Z_s)), Z_s = 1/(Q (jω)^α)",
    timescale=True, log_tau=_tlm_tau, aliases=("TLM",)))


def check_registry(types: Sequence[ElementType] | None = None) -> None:
    """Consistency of registry entries (used by the tests): unit_values sized right, scale powers consistent."""
    for et in types or set(ELEMENTS.values()):
        vals = et.unit_values(2 * math.pi * 10.0, 0.85)
        if len(vals) != len(et.params):
            raise AssertionError(f"{et.kind}: unit_values gives {len(vals)} values for {len(et.params)} parameters")
        if et.capacitive and (et.rc_log_tau is None or et.rc_log_capacitance is None):
            raise AssertionError(f"{et.kind}: capacitive elements need rc_log_tau and rc_log_capacitance")
        if et.timescale and et.log_tau is None:
            raise AssertionError(f"{et.kind}: elements with a time scale need log_tau")
