"""Equivalent circuits: the impedance.py-compatible circuit string, element impedances and analytic Jacobians.

Syntax (as impedance.py): elements joined in series by ``-``; ``p(a,b,...)`` puts series sub-circuits in parallel.
Element names are a type prefix plus an optional label: ``R0``, ``CPE1``, ``Wo2``, ``L0``, ``G1``.

=========  ===========================================  ===============================
element    impedance (ω = 2πf, math sign)               parameter names
=========  ===========================================  ===============================
R          R                                            ``R1``
C          1/(jωC)                                      ``C1``
L          jωL                                          ``L1``
CPE        1/(Q (jω)^α)                                 ``CPE1_Q``, ``CPE1_alpha``
W          σ(1−j)/√ω  (semi-infinite Warburg)           ``W1``
Ws         R tanh(√(jωτ))/√(jωτ)  (finite, short)       ``Ws1_R``, ``Ws1_tau``
Wo         R coth(√(jωτ))/√(jωτ)  (finite, open)        ``Wo1_R``, ``Wo1_tau``
G          R/√(1+jωτ)  (Gerischer)                      ``G1_R``, ``G1_tau``
=========  ===========================================  ===============================

All parameters are in SI (Ω, F, H, F s^(α−1) = S s^α for Q, Ω s^−½ for σ, s for τ).  Every parameter is
positive except α, which lies in [0, 1].
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..errors import SselabError

__all__ = ["Circuit", "CircuitError", "ELEMENTS"]


class CircuitError(SselabError, ValueError):
    """A circuit string or a parameter set is malformed."""


#: element type -> parameter suffixes ("" means the parameter is named like the element)
ELEMENTS: dict[str, tuple[str, ...]] = {
    "R": ("",),
    "C": ("",),
    "L": ("",),
    "CPE": ("Q", "alpha"),
    "W": ("",),
    "Ws": ("R", "tau"),
    "Wo": ("R", "tau"),
    "G": ("R", "tau"),
}
_UNITS = {("R", ""): "Ohm", ("C", ""): "F", ("L", ""): "H", ("CPE", "Q"): "F s^(alpha-1)", ("CPE", "alpha"): "",
          ("W", ""): "Ohm s^-0.5", ("Ws", "R"): "Ohm", ("Ws", "tau"): "s", ("Wo", "R"): "Ohm", ("Wo", "tau"): "s",
          ("G", "R"): "Ohm", ("G", "tau"): "s"}
_PREFIXES = sorted(ELEMENTS, key=len, reverse=True)
_NAME = re.compile(r"(CPE|Ws|Wo|W|R|C|L|G)([0-9]*(?:_[A-Za-z0-9]+)?|[0-9]+[A-Za-z0-9_]*)$")
LOG_JW_PHASE = 1j * np.pi / 2


# ---------------------------------------------------------------------------------------------------------------
# circuit tree
@dataclass(frozen=True)
class Element:
    name: str
    kind: str
    index: tuple[int, ...]  # positions of this element's parameters in the circuit's parameter vector

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Series:
    parts: tuple

    def __str__(self) -> str:
        return "-".join(str(p) for p in self.parts)


@dataclass(frozen=True)
class Parallel:
    parts: tuple

    def __str__(self) -> str:
        return "p(" + ",".join(str(p) for p in self.parts) + ")"


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.s = re.sub(r"\s+", "", text)
        self.i = 0
        self.elements: list[Element] = []
        self.names: list[str] = []
        self.kinds: list[tuple[str, str]] = []

    def error(self, msg: str):
        raise CircuitError(f"circuit {self.text!r}: {msg}")

    def parse(self):
        if not self.s:
            self.error("empty circuit string")
        node = self.series()
        if self.i != len(self.s):
            self.error(f"unexpected {self.s[self.i]!r} at position {self.i + 1}")
        return node

    def series(self):
        parts = [self.term()]
        while self.i < len(self.s) and self.s[self.i] == "-":
            self.i += 1
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Series(tuple(parts))

    def term(self):
        s = self.s
        if self.i >= len(s):
            self.error("ends where an element was expected")
        if s.startswith("p(", self.i):
            self.i += 2
            parts = [self.series()]
            while self.i < len(s) and s[self.i] == ",":
                self.i += 1
                parts.append(self.series())
            if self.i >= len(s) or s[self.i] != ")":
                self.error("missing ')' to close 'p('")
            self.i += 1
            if len(parts) < 2:
                self.error("p(...) needs at least two branches separated by ','")
            return Parallel(tuple(parts))
        m = re.match(r"[A-Za-z][A-Za-z0-9_]*", s[self.i:])
        if not m:
            self.error(f"unexpected {s[self.i]!r} at position {self.i + 1}")
        name = m.group(0)
        self.i += len(name)
        mm = _NAME.match(name)
        if not mm:
            self.error(f"unknown element {name!r} (known: {', '.join(ELEMENTS)} followed by a label, e.g. R1, CPE2)")
        kind = mm.group(1)
        if any(e.name == name for e in self.elements):
            self.error(f"element {name!r} appears twice")
        idx = []
        for suffix in ELEMENTS[kind]:
            idx.append(len(self.names))
            self.names.append(name if not suffix else f"{name}_{suffix}")
            self.kinds.append((kind, suffix))
        el = Element(name, kind, tuple(idx))
        self.elements.append(el)
        return el


# ---------------------------------------------------------------------------------------------------------------
# element impedances with analytic derivatives wrt their own raw parameters
def _tanh_pos(x):
    """tanh of complex x with Re(x) ≥ 0, without overflow."""
    e = np.exp(-2.0 * x)
    return (1.0 - e) / (1.0 + e)


def _element(kind: str, p: list, w: np.ndarray):
    """Return Z and [dZ/dp_i] for one element; ``p`` entries broadcast against ``w``."""
    if kind == "R":
        z = p[0] + 0j * w
        return z, [np.ones_like(z)]
    if kind == "C":
        z = 1.0 / (1j * w * p[0])
        return z, [-z / p[0]]
    if kind == "L":
        z = 1j * w * p[0]
        return z, [1j * w * np.ones_like(z)]
    if kind == "CPE":
        q, a = p
        lw = np.log(w)
        # (jω)^-α = ω^-α · e^(-jαπ/2): one real exp instead of a complex one
        ph = a * (np.pi / 2)
        z = (np.exp(-a * lw) / q) * (np.cos(ph) - 1j * np.sin(ph))
        return z, [-z / q, -z * (lw + LOG_JW_PHASE)]
    if kind == "W":
        shape = (1 - 1j) / np.sqrt(w)
        z = p[0] * shape
        return z, [shape * np.ones_like(z)]
    if kind in ("Ws", "Wo"):
        r, tau = p
        x = np.sqrt(1j * w * tau)
        t = _tanh_pos(x)
        if kind == "Ws":
            f = t / x
            dfx = ((1.0 - t * t) * x - t) / (x * x)
        else:
            c = 1.0 / t
            f = c / x
            dfx = (-(c * c - 1.0) * x - c) / (x * x)
        z = r * f
        return z, [f, r * dfx * x / (2.0 * tau)]
    if kind == "G":
        r, tau = p
        s = 1.0 + 1j * w * tau
        z = r / np.sqrt(s)
        return z, [z / r, -0.5 * z / s * 1j * w]
    raise CircuitError(f"unknown element type {kind!r}")  # pragma: no cover


def _eval(node, P: np.ndarray, w: np.ndarray, npar: int, want_jac: bool):
    """Impedance of ``node``; P is (B, npar) raw parameters, w is (B, N) or (N,) angular frequency.

    Returns Z (B, N) and, when wanted, a dict {param index: dZ/dp (B, N)} for the parameters in the sub-tree.
    """
    if isinstance(node, Element):
        cols = [P[:, k:k + 1] for k in node.index]
        z, d = _element(node.kind, cols, w)
        shape = (P.shape[0], w.shape[-1])
        if z.shape != shape:
            z = np.broadcast_to(z, shape)
        if not want_jac:
            return z, None
        return z, {k: (dk if dk.shape == shape else np.broadcast_to(dk, shape)) for k, dk in zip(node.index, d)}
    if isinstance(node, Series):
        z_tot = 0
        jac = {}
        for part in node.parts:
            z, j = _eval(part, P, w, npar, want_jac)
            z_tot = z_tot + z
            if want_jac:
                jac.update(j)
        return z_tot, jac
    # parallel
    subs = [_eval(part, P, w, npar, want_jac) for part in node.parts]
    with np.errstate(divide="ignore", invalid="ignore"):
        y = sum(1.0 / z for z, _ in subs)
        z_tot = 1.0 / y
        jac = {}
        if want_jac:
            for z, j in subs:
                factor = (z_tot / z) ** 2
                for k, dk in j.items():
                    jac[k] = factor * dk
    return z_tot, jac


class Circuit:
    """An equivalent circuit parsed from an impedance.py-style string.

    >>> c = Circuit("R0-p(R1,CPE1)-CPE2")
    >>> c.param_names
    ['R0', 'R1', 'CPE1_Q', 'CPE1_alpha', 'CPE2_Q', 'CPE2_alpha']
    """

    def __init__(self, text: str):
        if isinstance(text, Circuit):
            text = text.text
        if not isinstance(text, str):
            raise CircuitError(f"circuit must be a string like 'R0-p(R1,CPE1)', got {type(text).__name__}")
        parser = _Parser(text)
        self.tree = parser.parse()
        self.text = str(self.tree)
        self.elements: tuple[Element, ...] = tuple(parser.elements)
        self.param_names: list[str] = list(parser.names)
        self.param_kinds: list[tuple[str, str]] = list(parser.kinds)
        self.param_units: dict[str, str] = {n: _UNITS[k] for n, k in zip(self.param_names, self.param_kinds)}
        #: True for exponent parameters (α, bounded to [0, 1]); all others are strictly positive
        self.is_fraction = np.array([s == "alpha" for _, s in self.param_kinds])

    def __repr__(self) -> str:
        return f"Circuit({self.text!r})"

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other) -> bool:
        return isinstance(other, Circuit) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    def element(self, name: str) -> Element:
        for e in self.elements:
            if e.name == name:
                return e
        raise CircuitError(f"circuit {self.text!r} has no element {name!r}")

    # -- parameters -------------------------------------------------------------------------------------------
    def as_array(self, params) -> np.ndarray:
        """Parameters (mapping name→value, or sequence in :attr:`param_names` order) as a float array."""
        if isinstance(params, Mapping):
            missing = [n for n in self.param_names if n not in params]
            if missing:
                raise CircuitError(f"circuit {self.text!r}: missing parameter(s) {', '.join(missing)}")
            extra = [k for k in params if k not in self.param_names]
            if extra:
                raise CircuitError(f"circuit {self.text!r}: unknown parameter(s) {', '.join(map(str, extra))}"
                                   f" (has {', '.join(self.param_names)})")
            arr = np.array([float(params[n]) for n in self.param_names])
        else:
            arr = np.asarray(params, dtype=float)
            if arr.shape[-1:] != (self.n_params,):
                raise CircuitError(f"circuit {self.text!r} takes {self.n_params} parameters "
                                   f"({', '.join(self.param_names)}), got shape {arr.shape}")
        return arr

    def as_dict(self, values) -> dict[str, float]:
        return {n: float(v) for n, v in zip(self.param_names, values)}

    # -- impedance --------------------------------------------------------------------------------------------
    def impedance(self, freq_Hz, params) -> np.ndarray:
        """Complex impedance (mathematical sign) at ``freq_Hz`` for ``params`` (dict or array; 2-D arrays give one
        row of Z per parameter row)."""
        f = np.asarray(freq_Hz, dtype=float)
        P = self.as_array(params)
        single = P.ndim == 1
        P2 = np.atleast_2d(P)
        z, _ = _eval(self.tree, P2, 2 * np.pi * np.atleast_1d(f), self.n_params, False)
        z = np.array(np.broadcast_to(z, (P2.shape[0], np.atleast_1d(f).shape[-1])))
        if single:
            z = z[0]
            if f.ndim == 0:
                return z[0]
        return z

    def impedance_and_jacobian(self, omega: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Z (B, N) and dZ/dp (B, N, P) for a batch of parameter rows ``P`` (B, P) at angular frequencies ``omega``
        ((N,) or (B, N))."""
        P = np.atleast_2d(P)
        z, jac = _eval(self.tree, P, omega, self.n_params, True)
        B, N = P.shape[0], omega.shape[-1]
        z = np.broadcast_to(z, (B, N))
        J = np.empty((B, N, self.n_params), dtype=complex)
        for k, dk in jac.items():
            J[:, :, k] = dk
        return z, J

    # -- structure helpers ------------------------------------------------------------------------------------
    def top_level(self) -> tuple:
        """The series components at the top level of the circuit."""
        return self.tree.parts if isinstance(self.tree, Series) else (self.tree,)

    def rc_pairs(self) -> list[tuple[str, str]]:
        """(resistor, capacitive element) names of every two-branch parallel R‖C or R‖CPE in the circuit."""
        out = []

        def walk(node):
            if isinstance(node, Parallel):
                if len(node.parts) == 2 and all(isinstance(p, Element) for p in node.parts):
                    kinds = {p.kind: p for p in node.parts}
                    if "R" in kinds and ("CPE" in kinds or "C" in kinds) and len(kinds) == 2:
                        cap = kinds.get("CPE") or kinds.get("C")
                        out.append((kinds["R"].name, cap.name))
                for p in node.parts:
                    walk(p)
            elif isinstance(node, Series):
                for p in node.parts:
                    walk(p)

        walk(self.tree)
        return out
