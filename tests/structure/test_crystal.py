"""Crystal structures and powder lines: multiplicities, positions, systematic absences; pymatgen cross-check."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sselab.materials.structures import StructureNotFoundError, all_structures, structure
from sselab.structure.crystal import GENERATORS, Site, powder_lines, symmetry_operations

MO = 0.709317e-10


def test_group_orders():
    # order of the point group × centring translations (International Tables)
    expect = {221: 48, 225: 192, 229: 96, 227: 192, 191: 24, 194: 24, 82: 8, 62: 8}
    for n, k in expect.items():
        assert len(symmetry_operations(n)) == k, GENERATORS[n][0]


def test_wyckoff_multiplicities():
    assert structure("Li2NH-Fd-3m").multiplicities() == [32, 32, 48, 8, 16]
    assert structure("Li3N").multiplicities() == [1, 1, 2]
    assert structure("LiNH2").multiplicities() == [2, 2, 4, 8, 8, 8]
    assert structure("PbSO4").multiplicities() == [4, 4, 4, 4, 8]


def test_densities_match_literature():
    # crystallographic densities (g/cm³): Li2NH ≈ 1.48, Li3N 1.27–1.30, Li 0.534, LaB6 4.71, CeO2 7.22, Si 2.329
    d = {c.key: c.density_kg_m3() / 1000 for c in all_structures()}
    assert d["Li2NH-Fd-3m"] == pytest.approx(1.49, abs=0.03)
    assert d["Li3N"] == pytest.approx(1.29, abs=0.03)
    assert d["Li"] == pytest.approx(0.534, abs=0.002)
    assert d["LaB6"] == pytest.approx(4.71, abs=0.02)
    assert d["CeO2"] == pytest.approx(7.22, abs=0.02)
    assert d["Si"] == pytest.approx(2.329, abs=0.002)


def test_superstructure_line_position_and_absence():
    # the paper: "the peak at 6.9° corresponds to the (111) reflection" of the 2a cell with Mo Kα1
    pl = powder_lines(structure("Li2NH-Fd-3m"), MO, 40)
    i = pl.find((1, 1, 1))
    assert i is not None and pl.two_theta_deg[i] == pytest.approx(6.98, abs=0.02)
    assert 0.5 < pl.relative[i] < 20
    # the disordered Fm-3m cell has no line there: its first line is (111)_Fm = (222)_Fd at ≈ 13.99°
    fm = powder_lines(structure("Li2NH-Fm-3m").with_a(structure("Li2NH-Fd-3m").a_angstrom / 2), MO, 40)
    assert fm.two_theta_deg.min() == pytest.approx(pl.two_theta_deg[pl.find((2, 2, 2))], abs=0.05)
    # face centring: no mixed-parity reflection in Fm-3m
    assert all(len({h % 2 for h in hkl}) == 1 for hkl in fm.hkl)


def test_ideal_positions_give_no_superstructure():
    # N at x = 1/4 and every tetrahedral site filled = the antifluorite cell doubled: (111) must vanish
    c = structure("Li2NH-Fd-3m")
    ideal = replace(c, sites=(Site("N", (0.25, 0.25, 0.25)), Site("Li", (0.375, 0.125, 0.125)),
                              Site("Li", (0.375, 0.375, 0.375)), Site("Li", (0.125, 0.125, 0.125))))
    pl = powder_lines(ideal, MO, 40)
    assert pl.find((1, 1, 1)) is None and pl.find((3, 1, 1)) is None


def test_unknown_structure_is_one_line():
    with pytest.raises(StructureNotFoundError) as e:
        structure("unobtainium")
    assert "\n" not in str(e.value) and "unobtainium" in str(e.value)


def test_against_pymatgen_xrd_calculator():
    """Independent calculator on the same structures (B = 0): relative intensities agree within 2 (of 100)."""
    import pymatgen.analysis.diffraction.xrd  # noqa: F401 — the test extra (pip install -e '.[test]')
    from pymatgen.analysis.diffraction.xrd import XRDCalculator
    from pymatgen.core import Lattice, Structure

    for key in ("Li2NH-Fd-3m", "Li2NH-Fm-3m", "Li3N", "LaB6", "CeO2", "Si"):
        c0 = structure(key)
        c0 = replace(c0, sites=tuple(replace(s, b_iso_angstrom2=0.0) for s in c0.sites))
        st = Structure(Lattice.from_parameters(*c0.cell), [{el: occ} for el, _, occ, _ in c0.atoms()],
                       [xyz for _, xyz, _, _ in c0.atoms()])
        pm = XRDCalculator(wavelength=MO * 1e10).get_pattern(st, two_theta_range=(2, 40))
        pl = powder_lines(c0, MO, 40)
        agg: dict = {}
        for t, r in zip(pl.two_theta_deg, pl.relative):
            agg[round(t, 2)] = agg.get(round(t, 2), 0) + r
        top = max(agg.values())
        for x, y in zip(pm.x, pm.y):
            mine = max(agg.get(round(x + d, 2), 0) for d in (-0.01, 0, 0.01)) * 100 / top
            assert mine == pytest.approx(y, abs=2.0), (key, x)
