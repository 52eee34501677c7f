"""Equivalent circuits: the impedance.py-compatible circuit string, evaluation with analytic Jacobians.

Syntax (as impedance.py): elements joined in series by ``-``; ``p(a,b,...)`` puts series sub-circuits in parallel.
Element names are a type prefix plus an optional label: ``R0``, ``CPE1``, ``Wo2``, ``L0``, ``G1``, ``TLMQ1``.
The element types, their impedances, Jacobians, parameter names and units live in the registry
:mod:`sselab.eis.elements` (its docstring has the table); this module only parses and combines them.

All parameters are in SI (Ω, F, H, F s^(α−1) = S s^α for Q, Ω s^−½ for σ, s for τ).  Every parameter is
positive except the exponents α, which lie in [0, 1].
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..errors import SselabError
from .elements import ELEMENTS, ElementType, kinds, registry_version

__all__ = ["Circuit", "CircuitError", "ELEMENTS", "TimeConstant"]


class CircuitError(SselabError, ValueError):
    """A circuit string or a parameter set is malformed."""


def _name_re() -> re.Pattern:
    alts = "|".join(re.escape(k) for k in kinds())
    return re.compile(rf"({alts})([0-9]*(?:_[A-Za-z0-9]+)?|[0-9]+[A-Za-z0-9_]*)$")


# ---------------------------------------------------------------------------------------------------------------
# circuit tree
@dataclass(frozen=True)
class Element:
    name: str
    kind: str
    index: tuple[int, ...]  # positions of this element's parameters in the circuit's parameter vector

    @property
    def type(self) -> ElementType:
        return ELEMENTS[self.kind]

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Series:
    parts: tuple
    span: tuple[int, int] = (0, 0)  # parameter indices [a, b) of the sub-tree (contiguous by construction)

    def __str__(self) -> str:
        return "-".join(str(p) for p in self.parts)


@dataclass(frozen=True)
class Parallel:
    parts: tuple
    span: tuple[int, int] = (0, 0)

    def __str__(self) -> str:
        return "p(" + ",".join(str(p) for p in self.parts) + ")"


@dataclass(frozen=True)
class TimeConstant:
    """A feature of the circuit with a time constant τ (apex / characteristic frequency 1/(2πτ)).

    Either an arc — a two-branch parallel of a resistor and a capacitive element (``R1‖CPE1``: ``name`` and
    ``resistor`` are ``"R1"``, ``element`` is ``"CPE1"``) — or a distributed element with its own τ (``Wo1``,
    ``G1``, ``TLMQ1``: ``name`` = ``element``, ``resistor`` None).  ``index`` are the parameter positions the
    formula uses: (R, *element parameters) for an arc, the element's parameters otherwise."""

    name: str
    element: str
    kind: str
    resistor: str | None
    index: tuple[int, ...]

    def log_tau(self, P: np.ndarray):
        """ln τ and its gradient (list of arrays, one per ``index``) for parameter rows ``P`` (..., n_params)."""
        P = np.asarray(P, float)
        cols = [P[..., k] for k in self.index]
        et = ELEMENTS[self.kind]
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.resistor is None:
                return et.log_tau(cols)
            return et.rc_log_tau(cols[0], cols[1:])

    def apex_Hz(self, P: np.ndarray):
        """Apex (arc) or characteristic (distributed element) frequency 1/(2πτ), 0 or inf when τ over/underflows."""
        lt, _ = self.log_tau(P)
        with np.errstate(over="ignore"):
            return np.exp(-np.asarray(lt, float) - math.log(2 * math.pi))


class _Parser:
    _name = None
    _version = -1

    def __init__(self, text: str):
        self.text = text
        self.s = re.sub(r"\s+", "", text)
        self.i = 0
        self.elements: list[Element] = []
        self.names: list[str] = []
        self.kinds: list[tuple[str, str]] = []
        if _Parser._name is None or _Parser._version != registry_version():
            _Parser._name, _Parser._version = _name_re(), registry_version()

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
        a = len(self.names)
        parts = [self.term()]
        while self.i < len(self.s) and self.s[self.i] == "-":
            self.i += 1
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Series(tuple(parts), (a, len(self.names)))

    def term(self):
        s = self.s
        if self.i >= len(s):
            self.error("ends where an element was expected")
        if s.startswith("p(", self.i):
            a = len(self.names)
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
            return Parallel(tuple(parts), (a, len(self.names)))
        m = re.match(r"[A-Za-z][A-Za-z0-9_]*", s[self.i:])
        if not m:
            self.error(f"unexpected {s[self.i]!r} at position {self.i + 1}")
        name = m.group(0)
        self.i += len(name)
        mm = _Parser._name.match(name)
        if not mm:
            known = ", ".join(dict.fromkeys(et.kind for et in ELEMENTS.values()))
            self.error(f"unknown element {name!r} (known: {known} followed by a label, e.g. R1, CPE2)")
        kind = ELEMENTS[mm.group(1)].kind  # aliases (TLM) resolve to the registered kind (TLMQ)
        if any(e.name == name for e in self.elements):
            self.error(f"element {name!r} appears twice")
        idx = []
        et = ELEMENTS[kind]
        for suffix, pname in zip(et.suffixes, et.param_names(name)):
            if pname in self.names:
                self.error(f"parameter name {pname!r} is used twice")
            idx.append(len(self.names))
            self.names.append(pname)
            self.kinds.append((kind, suffix))
        el = Element(name, kind, tuple(idx))
        self.elements.append(el)
        return el


# ---------------------------------------------------------------------------------------------------------------
# evaluation: impedance of the tree and, optionally, dZ/dp written straight into a (B, N, P) array
def _eval(node, P: np.ndarray, w: np.ndarray, lw: np.ndarray, J: np.ndarray | None):
    """Impedance of ``node`` (B, N) for raw parameters P (B, n_params) at angular frequencies w, ln w ((N,) or
    (B, N)).  With ``J`` (B, n_params, N) complex (parameter-major: each row's derivatives are contiguous), also
    writes dZ_node/dp_k into J[:, k, :] for the parameters of the sub-tree."""
    if isinstance(node, Element):
        cols = [P[:, k:k + 1] for k in node.index]
        z, d = ELEMENTS[node.kind].impedance(cols, w, lw)  # (may be (B, 1) for a frequency-independent element)
        if J is not None:
            for k, dk in zip(node.index, d):
                J[:, k, :] = dk
        return z
    if isinstance(node, Series):
        z_tot = _eval(node.parts[0], P, w, lw, J)
        for part in node.parts[1:]:
            z_tot = z_tot + _eval(part, P, w, lw, J)
        return z_tot
    # parallel: Z = 1/Σ(1/Z_i); dZ/dp = (Z/Z_i)² dZ_i/dp for p in branch i
    subs = [_eval(part, P, w, lw, J) for part in node.parts]
    y = 0
    for z in subs:
        y = y + 1.0 / z
    z_tot = 1.0 / y
    if J is not None:
        zb = np.broadcast_to(z_tot, (P.shape[0], w.shape[-1]))
        for part, z in zip(node.parts, subs):
            a, b = (part.span if not isinstance(part, Element) else
                    ((part.index[0], part.index[-1] + 1) if part.index else (0, 0)))
            if b > a:
                factor = zb / z
                factor = factor * factor
                J[:, a:b, :] *= factor[:, None, :]
    return z_tot


def _quiet_eval(node, P, w, lw, J):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        return _eval(node, P, w, lw, J)


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
        #: registry entry (:class:`sselab.eis.elements.Param`) of every parameter, in ``param_names`` order
        self.param_specs = [ELEMENTS[k].params[ELEMENTS[k].suffixes.index(suf)] for k, suf in self.param_kinds]
        self.param_units: dict[str, str] = {n: ps.unit for n, ps in zip(self.param_names, self.param_specs)}
        #: True for bounded exponent parameters (α, "logit" transform); all others are strictly positive
        self.is_fraction = np.array([ps.transform == "logit" for ps in self.param_specs], bool)

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
        w = 2 * np.pi * np.atleast_1d(f)
        with np.errstate(divide="ignore", invalid="ignore"):
            lw = np.log(w)
        z = _quiet_eval(self.tree, P2, w, lw, None)
        z = np.array(np.broadcast_to(z, (P2.shape[0], w.shape[-1])), dtype=complex)
        if single:
            z = z[0]
            if f.ndim == 0:
                return z[0]
        return z

    def impedance_and_jacobian(self, omega: np.ndarray, P: np.ndarray, log_omega: np.ndarray | None = None
                               ) -> tuple[np.ndarray, np.ndarray]:
        """Z (B, N) and dZ/dp (B, N, P) for a batch of parameter rows ``P`` (B, P) at angular frequencies ``omega``
        ((N,) or (B, N)); ``log_omega`` = ln ω if already at hand."""
        z, J = self._z_and_jac(omega, P, log_omega)
        return z, J.transpose(0, 2, 1)

    def _z_and_jac(self, omega, P, log_omega=None):
        """Z (B, N) and dZ/dp in parameter-major layout (B, P, N) (what the fit uses)."""
        P = np.atleast_2d(P)
        B, N = P.shape[0], omega.shape[-1]
        lw = np.log(omega) if log_omega is None else log_omega
        J = np.zeros((B, self.n_params, N), dtype=complex)
        z = _quiet_eval(self.tree, P, omega, lw, J)
        z = np.broadcast_to(z, (B, N))
        return z, J

    # -- structure helpers ------------------------------------------------------------------------------------
    def top_level(self) -> tuple:
        """The series components at the top level of the circuit."""
        return self.tree.parts if isinstance(self.tree, Series) else (self.tree,)

    def rc_pairs(self) -> list[tuple[str, str]]:
        """(resistor, capacitive element) names of every two-branch parallel R‖C or R‖CPE (any capacitive element
        of the registry) in the circuit."""
        out = []

        def walk(node):
            if isinstance(node, Parallel):
                if len(node.parts) == 2 and all(isinstance(p, Element) for p in node.parts):
                    a, b = node.parts
                    for r, cap in ((a, b), (b, a)):
                        if r.kind == "R" and ELEMENTS[cap.kind].capacitive:
                            out.append((r.name, cap.name))
                            break
                for p in node.parts:
                    walk(p)
            elif isinstance(node, Series):
                for p in node.parts:
                    walk(p)

        walk(self.tree)
        return out

    def time_constants(self) -> list[TimeConstant]:
        """Every arc (R‖capacitive element) and every distributed element with its own time constant, in circuit
        order of their resistor / element."""
        out = []
        pairs = dict(self.rc_pairs())
        for e in self.elements:
            et = ELEMENTS[e.kind]
            if e.kind == "R" and e.name in pairs:
                cap = self.element(pairs[e.name])
                out.append(TimeConstant(e.name, cap.name, cap.kind, e.name, (e.index[0], *cap.index)))
            elif et.timescale:
                out.append(TimeConstant(e.name, e.name, e.kind, None, e.index))
        return out
