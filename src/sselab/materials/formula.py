"""Chemical formulas with non-integer stoichiometry, molar masses and element counts.

>>> parse_formula("Li1.917NH1.083")
{'Li': 1.917, 'N': 1.0, 'H': 1.083}
>>> parse_formula("Li3(PO4)")
{'Li': 3.0, 'P': 1.0, 'O': 4.0}
>>> round(molar_mass("Li3N"), 3)      # g/mol
34.827
>>> element_count("Li8.60N1.911Cl2.867", "Cl")
2.867

Grammar: a sequence of ``Element[count]`` and ``(group)[count]`` / ``[group][count]`` / ``{group}[count]``,
counts are non-negative decimals (``1.917``, ``.5``, ``2``).  Whitespace and a middle dot between parts are
ignored only inside a formula, not inside numbers.  Hydrates (``·xH2O``) are not supported and raise
:class:`FormulaError`.

Molar masses use **g/mol** (the unit of every paper and balance): the name says so, ``molar_mass`` returns
g/mol; use :func:`molar_mass_kg_per_mol` for SI.

Atomic weights: IUPAC abridged standard atomic weights (CIAAW, Prohaska et al., Pure Appl. Chem. 94 (2022)
573, "Standard atomic weights of the elements 2021"), i.e. five significant figures, with the IUPAC
*conventional* values for elements whose standard weight is an interval (H 1.008, Li 6.94, B 10.81, C 12.011,
N 14.007, O 15.999, Mg 24.305, Si 28.085, S 32.06, Cl 35.45, Br 79.904, Tl 204.38).  For radioactive elements
without a standard weight (Tc, Pm, Po…) the mass number of the longest-lived isotope is used.

A second table, ``weights="iupac2007"`` (:data:`ATOMIC_WEIGHTS_IUPAC_2007`, Wieser & Berglund, Pure Appl. Chem. 81
(2009) 2131: the last single-valued standard weights, e.g. Li 6.941, N 14.0067, H 1.00794 — still printed on many
reagent labels and used by pymatgen), reproduces older papers' weighings: the lithium-imide paper's 0.3973 g LiNH2 +
0.6027 g Li3N per gram of Li2NH needs Li = 6.941 (with 6.94 the Li3N share is 0.60265 g).
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..errors import SselabError

__all__ = [
    "FormulaError", "FormulaSyntaxError", "UnknownElementError",
    "ATOMIC_WEIGHTS", "ATOMIC_WEIGHTS_IUPAC_2007", "WEIGHT_TABLES", "parse_formula", "molar_mass", "molar_mass_kg_per_mol", "element_count",
    "normalize_formula", "format_formula", "mass_fractions",
]


class FormulaError(SselabError, ValueError):
    """A chemical formula could not be understood."""


class FormulaSyntaxError(FormulaError):
    """Unbalanced parentheses, stray characters, empty formula, bad number."""


class UnknownElementError(FormulaError):
    """A symbol that is not a chemical element (e.g. ``Xx``, or ``CL`` for Cl)."""


#: g/mol — IUPAC 2021 abridged standard atomic weights (conventional values for interval elements)
ATOMIC_WEIGHTS: dict[str, float] = {
    "H": 1.008, "He": 4.0026, "Li": 6.94, "Be": 9.0122, "B": 10.81, "C": 12.011, "N": 14.007,
    "O": 15.999, "F": 18.998, "Ne": 20.180, "Na": 22.990, "Mg": 24.305, "Al": 26.982, "Si": 28.085,
    "P": 30.974, "S": 32.06, "Cl": 35.45, "Ar": 39.95, "K": 39.098, "Ca": 40.078, "Sc": 44.956,
    "Ti": 47.867, "V": 50.942, "Cr": 51.996, "Mn": 54.938, "Fe": 55.845, "Co": 58.933, "Ni": 58.693,
    "Cu": 63.546, "Zn": 65.38, "Ga": 69.723, "Ge": 72.630, "As": 74.922, "Se": 78.971, "Br": 79.904,
    "Kr": 83.798, "Rb": 85.468, "Sr": 87.62, "Y": 88.906, "Zr": 91.224, "Nb": 92.906, "Mo": 95.95,
    "Tc": 98.0, "Ru": 101.07, "Rh": 102.91, "Pd": 106.42, "Ag": 107.87, "Cd": 112.41, "In": 114.82,
    "Sn": 118.71, "Sb": 121.76, "Te": 127.60, "I": 126.90, "Xe": 131.29, "Cs": 132.91, "Ba": 137.33,
    "La": 138.91, "Ce": 140.12, "Pr": 140.91, "Nd": 144.24, "Pm": 145.0, "Sm": 150.36, "Eu": 151.96,
    "Gd": 157.25, "Tb": 158.93, "Dy": 162.50, "Ho": 164.93, "Er": 167.26, "Tm": 168.93, "Yb": 173.05,
    "Lu": 174.97, "Hf": 178.49, "Ta": 180.95, "W": 183.84, "Re": 186.21, "Os": 190.23, "Ir": 192.22,
    "Pt": 195.08, "Au": 196.97, "Hg": 200.59, "Tl": 204.38, "Pb": 207.2, "Bi": 208.98, "Po": 209.0,
    "At": 210.0, "Rn": 222.0, "Fr": 223.0, "Ra": 226.0, "Ac": 227.0, "Th": 232.04, "Pa": 231.04,
    "U": 238.03, "Np": 237.0, "Pu": 244.0,
}

#: g/mol — IUPAC 2007 standard atomic weights (single values); elements missing here fall back to 2021 values
ATOMIC_WEIGHTS_IUPAC_2007: dict[str, float] = {
    "H": 1.00794, "He": 4.002602, "Li": 6.941, "Be": 9.012182, "B": 10.811, "C": 12.0107, "N": 14.0067,
    "O": 15.9994, "F": 18.9984032, "Ne": 20.1797, "Na": 22.98976928, "Mg": 24.3050, "Al": 26.9815386,
    "Si": 28.0855, "P": 30.973762, "S": 32.065, "Cl": 35.453, "Ar": 39.948, "K": 39.0983, "Ca": 40.078,
    "Sc": 44.955912, "Ti": 47.867, "V": 50.9415, "Cr": 51.9961, "Mn": 54.938045, "Fe": 55.845, "Co": 58.933195,
    "Ni": 58.6934, "Cu": 63.546, "Zn": 65.38, "Ga": 69.723, "Ge": 72.64, "As": 74.92160, "Se": 78.96,
    "Br": 79.904, "Kr": 83.798, "Rb": 85.4678, "Sr": 87.62, "Y": 88.90585, "Zr": 91.224, "Nb": 92.90638,
    "Mo": 95.96, "Ru": 101.07, "Rh": 102.90550, "Pd": 106.42, "Ag": 107.8682, "Cd": 112.411, "In": 114.818,
    "Sn": 118.710, "Sb": 121.760, "Te": 127.60, "I": 126.90447, "Xe": 131.293, "Cs": 132.9054519,
    "Ba": 137.327, "La": 138.90547, "Ce": 140.116, "Pr": 140.90765, "Nd": 144.242, "Sm": 150.36,
    "Eu": 151.964, "Gd": 157.25, "Tb": 158.92535, "Dy": 162.500, "Ho": 164.93032, "Er": 167.259,
    "Tm": 168.93421, "Yb": 173.054, "Lu": 174.9668, "Hf": 178.49, "Ta": 180.94788, "W": 183.84,
    "Re": 186.207, "Os": 190.23, "Ir": 192.217, "Pt": 195.084, "Au": 196.966569, "Hg": 200.59,
    "Tl": 204.3833, "Pb": 207.2, "Bi": 208.98040, "Th": 232.03806, "Pa": 231.03588, "U": 238.02891,
}

WEIGHT_TABLES: dict[str, dict[str, float]] = {
    "iupac2021": ATOMIC_WEIGHTS,
    "iupac2007": {**ATOMIC_WEIGHTS, **ATOMIC_WEIGHTS_IUPAC_2007},
}


def _weights(weights) -> dict[str, float]:
    if weights is None:
        return ATOMIC_WEIGHTS
    if isinstance(weights, dict):
        return weights
    try:
        return WEIGHT_TABLES[str(weights).lower()]
    except KeyError:
        raise FormulaError(f"unknown atomic-weight table {weights!r}; choose one of {sorted(WEIGHT_TABLES)}") from None


_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<el>[A-Z][a-z]?)"
    r"|(?P<open>[(\[{])"
    r"|(?P<close>[)\]}])"
    r"|(?P<num>\d+(?:\.\d*)?|\.\d+)"
    r"|(?P<bad>\S)"
    r")"
)
_CLOSE_FOR = {"(": ")", "[": "]", "{": "}"}


@lru_cache(maxsize=4096)
def _parse_cached(formula: str) -> tuple[tuple[str, float], ...]:
    text = formula.strip()
    if not text:
        raise FormulaSyntaxError("empty chemical formula")
    if "·" in text or "*" in text or "•" in text:
        raise FormulaSyntaxError(f"{formula!r}: hydrates / adducts (·) are not supported; write the sum formula")
    # stack of (opening bracket, element -> count)
    stack: list[tuple[str, dict[str, float]]] = [("", {})]
    pos = 0
    last: dict[str, float] | str | None = None  # what a following number multiplies
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:  # only trailing whitespace
            break
        pos = m.end()
        kind = m.lastgroup
        if kind == "el":
            _flush_group(stack, last)
            sym = m.group("el")
            if sym not in ATOMIC_WEIGHTS:
                # 'Co' vs 'CO' style mistakes: suggest
                hint = ""
                if len(sym) == 2 and sym[0] in ATOMIC_WEIGHTS and sym[1].upper() in ATOMIC_WEIGHTS:
                    hint = f" (did you mean {sym[0]}{sym[1].upper()}?)"
                elif len(sym) == 1:
                    hint = " (element symbols are case-sensitive: Li, Cl, In…)"
                raise UnknownElementError(f"{formula!r}: unknown element {sym!r}{hint}")
            counts = stack[-1][1]
            counts[sym] = counts.get(sym, 0.0) + 1.0
            last = sym
        elif kind == "num":
            if last is None:
                raise FormulaSyntaxError(f"{formula!r}: number {m.group('num')!r} at position {m.start('num')} "
                                         "does not follow an element or a closing bracket")
            n = float(m.group("num"))
            counts = stack[-1][1]
            if isinstance(last, str):
                counts[last] += n - 1.0
            else:
                for k, v in last.items():
                    counts[k] = counts.get(k, 0.0) + v * n
            last = None
        elif kind == "open":
            _flush_group(stack, last)
            stack.append((m.group("open"), {}))
            last = None
        elif kind == "close":
            _flush_group(stack, last)
            if len(stack) == 1:
                raise FormulaSyntaxError(f"{formula!r}: unmatched {m.group('close')!r}")
            opener, group = stack.pop()
            if _CLOSE_FOR[opener] != m.group("close"):
                raise FormulaSyntaxError(f"{formula!r}: {opener!r} closed by {m.group('close')!r}")
            if not group:
                raise FormulaSyntaxError(f"{formula!r}: empty brackets")
            last = group  # a following number multiplies the whole group
        else:
            raise FormulaSyntaxError(f"{formula!r}: unexpected character {m.group('bad')!r} at position "
                                     f"{m.start('bad')}")
    _flush_group(stack, last)
    if len(stack) != 1:
        raise FormulaSyntaxError(f"{formula!r}: unclosed {stack[-1][0]!r}")
    counts = stack[0][1]
    if not counts:
        raise FormulaSyntaxError(f"{formula!r}: no elements")
    return tuple(counts.items())


def _flush_group(stack, last):
    """A closed group not followed by a number counts once."""
    if isinstance(last, dict):
        counts = stack[-1][1]
        for k, v in last.items():
            counts[k] = counts.get(k, 0.0) + v


def parse_formula(formula: str) -> dict[str, float]:
    """Element → amount (float) in order of first appearance.  Elements repeated are summed.

    Raises :class:`FormulaSyntaxError` or :class:`UnknownElementError` (both :class:`FormulaError`).
    """
    if isinstance(formula, dict):
        return {str(k): float(v) for k, v in formula.items()}
    if not isinstance(formula, str):
        raise FormulaSyntaxError(f"chemical formula must be a string, got {type(formula).__name__}")
    return {k: round(v, 12) for k, v in _parse_cached(formula)}


def molar_mass(formula: str | dict, weights: str | dict | None = None) -> float:
    """Molar mass in **g/mol**; ``weights`` = ``"iupac2021"`` (default, abridged/conventional), ``"iupac2007"``
    or your own ``{element: g/mol}``."""
    table = _weights(weights)
    comp = parse_formula(formula)
    for el in comp:
        if el not in table:
            raise UnknownElementError(f"unknown element {el!r}")
    return float(sum(table[el] * n for el, n in comp.items()))


def molar_mass_kg_per_mol(formula: str | dict, weights: str | dict | None = None) -> float:
    """Molar mass in SI (kg/mol)."""
    return molar_mass(formula, weights) * 1e-3


def element_count(formula: str | dict, element: str) -> float:
    """Amount of ``element`` per formula unit (0.0 when absent; unknown symbols raise)."""
    if element not in ATOMIC_WEIGHTS:
        raise UnknownElementError(f"unknown element {element!r}")
    return float(parse_formula(formula).get(element, 0.0))


def mass_fractions(formula: str | dict, weights: str | dict | None = None) -> dict[str, float]:
    """Element → mass fraction."""
    table = _weights(weights)
    comp = parse_formula(formula)
    total = molar_mass(comp, table)
    return {el: table[el] * n / total for el, n in comp.items()}


def format_formula(comp: dict[str, float], digits: int = 4) -> str:
    """Inverse of :func:`parse_formula` (flat, counts of 1 omitted): ``{'Li': 2, 'N': 1, 'H': 1}`` → ``Li2NH``."""
    out = []
    for el, n in comp.items():
        if n == 0:
            continue
        if abs(n - 1.0) < 1e-12:
            out.append(el)
        elif abs(n - round(n)) < 1e-12:
            out.append(f"{el}{int(round(n))}")
        else:
            out.append(f"{el}{n:.{digits}g}")
    return "".join(out)


def normalize_formula(formula: str) -> str:
    """Canonical flat string of a formula (brackets expanded): ``Li3(PO4)`` → ``Li3PO4``."""
    return format_formula(parse_formula(formula))
