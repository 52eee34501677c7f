"""Crystal structures, space-group expansion and powder-diffraction intensities (kinematic, X-ray).

* :func:`symmetry_operations` — the operations of a space group from its generators (closed under
  multiplication, translations modulo 1); the groups sselab's structures use are in :data:`GENERATORS`
  (International Tables settings; Fd-3m in origin choice 2).
* :class:`Crystal` — a cell (Å, degrees), a space group and the asymmetric-unit sites; ``atoms()`` expands them.
* :func:`reflections` — every reflection to a minimum d-spacing with its multiplicity and |F|²;
  :func:`powder_lines` — 2θ positions and relative intensities (Lorentz–polarisation, multiplicity, Debye–Waller)
  for a wavelength: the stick pattern used for phase identification, the superstructure test and simulation.

Units: lengths in Å inside this module because crystallographic data are tabulated in Å (names say so:
``a_angstrom``, ``d_angstrom``); wavelengths cross the module boundary in metres (``wavelength_m``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..errors import AnalysisError
from ..results import Result

__all__ = ["GENERATORS", "symmetry_operations", "Site", "Crystal", "Reflection", "reflections", "powder_lines",
           "PowderLines", "form_factor", "two_theta_deg", "d_from_two_theta"]

# ---------------------------------------------------------------------------------------------------------------
# space groups: generators in xyz notation (International Tables for Crystallography Vol. A)
# ---------------------------------------------------------------------------------------------------------------
_F = ["x,y+1/2,z+1/2", "x+1/2,y,z+1/2"]
_I = ["x+1/2,y+1/2,z+1/2"]
_M3M = ["-x,-y,z", "-x,y,-z", "z,x,y", "y,x,-z", "-x,-y,-z"]

#: space-group number -> (Hermann–Mauguin symbol, generators).  Fd-3m is origin choice 2 (centre at the origin).
GENERATORS: dict[int, tuple[str, list[str]]] = {
    221: ("Pm-3m", _M3M),
    225: ("Fm-3m", _F + _M3M),
    229: ("Im-3m", _I + _M3M),
    227: ("Fd-3m", _F + ["-x+3/4,-y+1/4,z+1/2", "-x+1/4,y+1/2,-z+3/4", "z,x,y", "y+3/4,x+1/4,-z+1/2", "-x,-y,-z"]),
    191: ("P6/mmm", ["-y,x-y,z", "-x,-y,z", "y,x,-z", "-x,-y,-z"]),
    194: ("P6_3/mmc", ["-y,x-y,z", "-x,-y,z+1/2", "y,x,-z", "-x,-y,-z"]),
    82: ("I-4", _I + ["-x,-y,z", "y,-x,-z"]),
    62: ("Pnma", ["-x+1/2,-y,z+1/2", "-x,y+1/2,-z", "-x,-y,-z"]),
}


def _parse_op(text: str) -> tuple[np.ndarray, np.ndarray]:
    from fractions import Fraction

    rot = np.zeros((3, 3))
    tr = np.zeros(3)
    parts = text.replace(" ", "").split(",")
    if len(parts) != 3:
        raise ValueError(f"symmetry operation {text!r}: expected three comma-separated parts")
    for i, p in enumerate(parts):
        tok = ""
        for ch in p + "+":
            if ch in "+-" and tok:
                sign = -1.0 if tok.startswith("-") else 1.0
                body = tok.lstrip("+-")
                if body in ("x", "y", "z"):
                    rot[i, "xyz".index(body)] = sign
                else:
                    tr[i] += sign * float(Fraction(body))
                tok = ch
            else:
                tok += ch
    return rot, tr


def _key(rot, tr):
    return tuple(np.rint(rot).astype(int).ravel()) + tuple(np.rint((tr % 1.0) * 48).astype(int) % 48)


@lru_cache(maxsize=None)
def symmetry_operations(number: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """All operations ``(R, t)`` of space group ``number`` (x' = R x + t, t in [0, 1)), from :data:`GENERATORS`."""
    try:
        _, gens = GENERATORS[number]
    except KeyError:
        raise AnalysisError(f"space group {number} is not in sselab's table (known: "
                            f"{', '.join(f'{n} {s}' for n, (s, _) in sorted(GENERATORS.items()))})") from None
    gen = [_parse_op(g) for g in gens]
    ops = {_key(np.eye(3), np.zeros(3)): (np.eye(3), np.zeros(3))}
    frontier = list(ops.values())
    while frontier:
        new = []
        for r1, t1 in frontier:
            for r2, t2 in gen:
                r = r2 @ r1
                t = (r2 @ t1 + t2) % 1.0
                k = _key(r, t)
                if k not in ops:
                    ops[k] = (r, t)
                    new.append((r, t))
        frontier = new
        if len(ops) > 400:
            raise AnalysisError(f"space group {number}: generators do not close (bug)")
    return tuple(ops.values())


# ---------------------------------------------------------------------------------------------------------------
# atomic form factors
# ---------------------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _ff_table() -> dict:
    from importlib import resources

    import yaml

    text = resources.files("sselab.materials").joinpath("data/xray_form_factors.yaml").read_text(encoding="utf-8")
    return {k: np.asarray(v, float) for k, v in yaml.safe_load(text)["coefficients"].items()}


def form_factor(element: str, s_per_angstrom) -> np.ndarray:
    """X-ray form factor f0 of a neutral atom at s = sinθ/λ (1/Å) — Waasmaier & Kirfel (1995) 5-Gaussian fit."""
    tab = _ff_table()
    el = element.rstrip("+-0123456789")
    if el not in tab:
        raise AnalysisError(f"no X-ray form factor for {element!r} (have: {', '.join(sorted(tab))})")
    c = tab[el]
    s2 = np.asarray(s_per_angstrom, float) ** 2
    return c[5] + sum(c[i] * np.exp(-c[6 + i] * s2) for i in range(5))


# ---------------------------------------------------------------------------------------------------------------
# structures
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Site(Result):
    """One crystallographic site of the asymmetric unit: element, fractional position, occupancy, B (Å²)."""

    element: str
    xyz: tuple[float, float, float]
    occupancy: float = 1.0
    b_iso_angstrom2: float = 1.0
    label: str = ""
    wyckoff: str = ""


@lru_cache(maxsize=4096)
def _orbit(space_group: int, xyz: tuple[float, float, float]) -> tuple[np.ndarray, ...]:
    """The distinct positions (read-only arrays) the space group's operations generate from ``xyz``.  Depends on
    the space group and the fractional position only, so a refinement that changes the cell reuses it."""
    ops = symmetry_operations(space_group)
    p = np.asarray(xyz, float)
    seen: list[np.ndarray] = []
    for r, t in ops:
        q = (r @ p + t) % 1.0
        if not any(np.all(np.abs(((q - v) + 0.5) % 1.0 - 0.5) < 1e-4) for v in seen):
            q.setflags(write=False)
            seen.append(q)
    return tuple(seen)


@dataclass(frozen=True)
class Crystal(Result):
    """A crystal structure: space group, cell (Å, degrees) and the asymmetric-unit :class:`Site` list."""

    name: str
    space_group: int
    a_angstrom: float
    b_angstrom: float | None = None
    c_angstrom: float | None = None
    alpha_deg: float = 90.0
    beta_deg: float = 90.0
    gamma_deg: float = 90.0
    sites: tuple[Site, ...] = ()
    formula: str = ""
    z: float | None = None           # formula units per cell
    source: str = ""
    note: str = ""
    key: str = ""

    @property
    def cell(self) -> tuple[float, float, float, float, float, float]:
        a = self.a_angstrom
        return (a, self.b_angstrom or a, self.c_angstrom or a, self.alpha_deg, self.beta_deg, self.gamma_deg)

    @property
    def symbol(self) -> str:
        return GENERATORS[self.space_group][0] if self.space_group in GENERATORS else str(self.space_group)

    @property
    def is_cubic(self) -> bool:
        return 195 <= self.space_group <= 230

    def with_a(self, a_angstrom: float) -> "Crystal":
        """The same structure with a new cubic cell edge (or ``a`` scaled, other edges kept in ratio)."""
        from dataclasses import replace

        f = a_angstrom / self.a_angstrom
        return replace(self, a_angstrom=a_angstrom,
                       b_angstrom=None if self.b_angstrom is None else self.b_angstrom * f,
                       c_angstrom=None if self.c_angstrom is None else self.c_angstrom * f)

    def metric(self) -> np.ndarray:
        """Direct metric tensor G (Å²)."""
        a, b, c, al, be, ga = self.cell
        ca, cb, cg = (np.cos(np.radians(v)) for v in (al, be, ga))
        return np.array([[a * a, a * b * cg, a * c * cb], [a * b * cg, b * b, b * c * ca], [a * c * cb, b * c * ca, c * c]])

    def volume_angstrom3(self) -> float:
        return float(np.sqrt(np.linalg.det(self.metric())))

    def atoms(self) -> list[tuple[str, np.ndarray, float, float]]:
        """Every atom of the cell: ``(element, fractional xyz, occupancy, B)`` (symmetry-expanded, deduplicated)."""
        return [(s.element, q, s.occupancy, s.b_iso_angstrom2) for s, orbit in zip(self.sites, self._orbits())
                for q in orbit]

    def multiplicities(self) -> list[int]:
        """Number of positions each site generates (its Wyckoff multiplicity)."""
        return [len(orbit) for orbit in self._orbits()]

    def _orbits(self) -> list[tuple[np.ndarray, ...]]:
        """Per site, the distinct fractional positions its symmetry operations generate (within 1e-4, mod 1)."""
        return [_orbit(self.space_group, tuple(float(v) for v in s.xyz)) for s in self.sites]

    def mass_per_cell_u(self) -> float:
        """Cell content mass (g/mol per cell, i.e. u): Σ occupancy × atomic weight."""
        from ..materials.formula import ATOMIC_WEIGHTS

        return float(sum(occ * ATOMIC_WEIGHTS[el.rstrip('+-0123456789')] for el, _, occ, _ in self.atoms()))

    def density_kg_m3(self) -> float:
        return self.mass_per_cell_u() * 1.66053906660e-27 / (self.volume_angstrom3() * 1e-30)


# ---------------------------------------------------------------------------------------------------------------
# reflections
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reflection(Result):
    hkl: tuple[int, int, int]
    d_angstrom: float
    multiplicity: int
    f2: float                     # |F|² (electrons²) at this d, Debye–Waller included


def _hkl_grid(crystal: Crystal, d_min: float) -> np.ndarray:
    a, b, c = crystal.cell[:3]
    hmax, kmax, lmax = (int(np.ceil(x / d_min)) + 1 for x in (a, b, c))
    h, k, l = np.meshgrid(np.arange(-hmax, hmax + 1), np.arange(-kmax, kmax + 1), np.arange(-lmax, lmax + 1),
                          indexing="ij")
    hkl = np.stack([h.ravel(), k.ravel(), l.ravel()], axis=1)
    return hkl[np.any(hkl != 0, axis=1)]


def d_spacings(crystal: Crystal, hkl: np.ndarray) -> np.ndarray:
    gstar = np.linalg.inv(crystal.metric())
    hkl = np.asarray(hkl, float)
    return 1.0 / np.sqrt(np.einsum("ij,jk,ik->i", hkl, gstar, hkl))


def structure_factors(crystal: Crystal, hkl: np.ndarray) -> np.ndarray:
    """Complex structure factors F(hkl) (electrons) with isotropic Debye–Waller factors."""
    hkl = np.atleast_2d(np.asarray(hkl, float))
    d = d_spacings(crystal, hkl)
    s = 1.0 / (2.0 * d)
    F = np.zeros(len(hkl), complex)
    atoms = crystal.atoms()
    by_el: dict[tuple[str, float], list] = {}
    for el, xyz, occ, b in atoms:
        by_el.setdefault((el, b), []).append((xyz, occ))
    for (el, b), lst in by_el.items():
        f = form_factor(el, s) * np.exp(-b * s * s)
        xyz = np.array([p for p, _ in lst])
        occ = np.array([o for _, o in lst])
        F += f * (np.exp(2j * np.pi * hkl @ xyz.T) @ occ)
    return F


def reflections(crystal: Crystal, d_min_angstrom: float) -> list[Reflection]:
    """Symmetry-distinct reflections with d ≥ ``d_min_angstrom``: one per set of equivalents (same d and |F|²),
    with its multiplicity; systematically absent ones (|F|² < 1e-6 of the largest) are dropped."""
    hkl = _hkl_grid(crystal, d_min_angstrom)
    d = d_spacings(crystal, hkl)
    keep = d >= d_min_angstrom - 1e-9
    hkl, d = hkl[keep], d[keep]
    F = structure_factors(crystal, hkl)
    f2 = np.abs(F) ** 2
    if not len(f2):
        return []
    present = f2 > 1e-6 * f2.max()
    hkl, d, f2 = hkl[present], d[present], f2[present]
    # group equivalents: same d (1e-6 relative) and same |F|² (1e-4 relative)
    dkey = np.round(d, 6)
    order = np.lexsort((-hkl[:, 2], -hkl[:, 1], -hkl[:, 0], dkey))
    out: list[Reflection] = []
    groups: dict[tuple[float, float], list[int]] = {}
    for i in order:
        k = (float(dkey[i]), float(np.round(np.log10(f2[i] + 1e-30), 5)))
        groups.setdefault(k, []).append(i)
    for (dk, _), idx in sorted(groups.items(), key=lambda kv: -kv[0][0]):
        # representative: all-positive indices sorted descending when available
        cand = sorted(idx, key=lambda i: (not bool((hkl[i] >= 0).all()), -hkl[i][0], -hkl[i][1], -hkl[i][2]))
        i0 = cand[0]
        out.append(Reflection(tuple(int(v) for v in hkl[i0]), float(d[i0]), len(idx), float(f2[i0])))
    return out


def two_theta_deg(d_angstrom, wavelength_m: float) -> np.ndarray:
    """2θ (degrees) of a d-spacing (Å) for a wavelength (m); NaN beyond the Ewald limit."""
    lam = wavelength_m * 1e10
    with np.errstate(invalid="ignore"):
        return 2.0 * np.degrees(np.arcsin(lam / (2.0 * np.asarray(d_angstrom, float))))


def d_from_two_theta(two_theta, wavelength_m: float) -> np.ndarray:
    """d-spacing (Å) of a 2θ (degrees) for a wavelength (m)."""
    return wavelength_m * 1e10 / (2.0 * np.sin(np.radians(np.asarray(two_theta, float)) / 2.0))


@dataclass(frozen=True)
class PowderLines(Result):
    """A stick pattern: per reflection hkl, d (Å), 2θ (°), multiplicity, |F|², relative intensity (max 100)."""

    phase: str
    wavelength_m: float
    hkl: tuple[tuple[int, int, int], ...]
    d_angstrom: np.ndarray
    two_theta_deg: np.ndarray
    multiplicity: np.ndarray
    f2: np.ndarray
    intensity: np.ndarray             # absolute (electrons² × LP × m), for phase scales
    relative: np.ndarray              # max = 100

    def __len__(self) -> int:
        return len(self.hkl)

    def find(self, hkl) -> int | None:
        """Index of reflection ``hkl`` (any permutation/sign of a listed equivalent with the same d)."""
        key = tuple(sorted(abs(int(v)) for v in hkl))
        for i, h in enumerate(self.hkl):
            if tuple(sorted(abs(v) for v in h)) == key:
                return i
        return None


def lorentz_polarisation(two_theta, polarisation: float = 0.0, monochromator_2theta_deg: float = 0.0) -> np.ndarray:
    """Lorentz–polarisation factor for powders.  ``polarisation`` = 0: unpolarised tube ((1+cos²2θ·cos²2θm)/…);
    1: fully polarised synchrotron beam perpendicular to the scattering plane (no 2θ dependence of P)."""
    tt = np.radians(np.asarray(two_theta, float))
    th = tt / 2.0
    cm = np.cos(np.radians(monochromator_2theta_deg)) ** 2
    p_unpol = (1.0 + np.cos(tt) ** 2 * cm) / (1.0 + cm)
    p = (1.0 - polarisation) * p_unpol + polarisation * 1.0
    return p / (np.sin(th) ** 2 * np.cos(th))


def powder_lines(crystal: Crystal, wavelength_m: float, two_theta_max_deg: float = 120.0, *,
                 polarisation: float = 0.0, d_min_angstrom: float | None = None) -> PowderLines:
    """Reflections of ``crystal`` up to ``two_theta_max_deg`` for a wavelength: positions and intensities
    I = m·|F|²·LP (multiplicity, structure factor with Debye–Waller, Lorentz–polarisation).  Cached per
    (structure, wavelength, range, polarisation): a series of patterns, or the phase search on every pattern,
    computes each structure's lines once.  The arrays are read-only."""
    return _powder_lines(crystal, float(wavelength_m), float(two_theta_max_deg), float(polarisation),
                         None if d_min_angstrom is None else float(d_min_angstrom))


@lru_cache(maxsize=512)
def _powder_lines(crystal: Crystal, wavelength_m: float, two_theta_max_deg: float, polarisation: float,
                  d_min_angstrom: float | None) -> PowderLines:
    lam = wavelength_m * 1e10
    if not (lam > 0):
        raise AnalysisError(f"wavelength {wavelength_m!r} m: must be > 0")
    d_min = d_min_angstrom or lam / (2.0 * np.sin(np.radians(min(two_theta_max_deg, 179.0)) / 2.0))
    refl = reflections(crystal, d_min)
    d = np.array([r.d_angstrom for r in refl])
    tt = two_theta_deg(d, wavelength_m)
    m = np.array([r.multiplicity for r in refl], float)
    f2 = np.array([r.f2 for r in refl])
    inten = m * f2 * lorentz_polarisation(tt, polarisation) if len(refl) else np.zeros(0)
    rel = 100.0 * inten / inten.max() if len(inten) and inten.max() > 0 else inten
    for a in (d, tt, m, f2, inten, rel):
        a.setflags(write=False)
    return PowderLines(crystal.name or crystal.key, wavelength_m, tuple(r.hkl for r in refl), d, tt, m, f2, inten, rel)
