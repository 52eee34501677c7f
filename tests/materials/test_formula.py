import pytest

from sselab.errors import SselabError
from sselab.materials.formula import (
    FormulaError, FormulaSyntaxError, UnknownElementError, element_count, format_formula, molar_mass,
    molar_mass_kg_per_mol, normalize_formula, parse_formula,
)


@pytest.mark.parametrize("text, expected", [
    ("Li1.917NH1.083", {"Li": 1.917, "N": 1.0, "H": 1.083}),
    ("Li2.083NH", {"Li": 2.083, "N": 1.0, "H": 1.0}),
    ("Li8.60N1.911Cl2.867", {"Li": 8.60, "N": 1.911, "Cl": 2.867}),
    ("Li3(PO4)", {"Li": 3, "P": 1, "O": 4}),
    ("Li3(PO4)2", {"Li": 3, "P": 2, "O": 8}),
    ("Ca(OH)2", {"Ca": 1, "O": 2, "H": 2}),
    ("Mg3[Fe(CN)6]2", {"Mg": 3, "Fe": 2, "C": 12, "N": 12}),
    ("LiNH2", {"Li": 1, "N": 1, "H": 2}),
    ("Li2.9PO3.3N0.46", {"Li": 2.9, "P": 1, "O": 3.3, "N": 0.46}),
    ("LiLi", {"Li": 2}),
    ("Li.5N", {"Li": 0.5, "N": 1}),
    ("  Li3N ", {"Li": 3, "N": 1}),
    ("Li3InCl6", {"Li": 3, "In": 1, "Cl": 6}),
])
def test_parse(text, expected):
    got = parse_formula(text)
    assert got.keys() == expected.keys()
    for k, v in expected.items():
        assert got[k] == pytest.approx(v, abs=1e-12)


@pytest.mark.parametrize("bad, exc", [
    ("", FormulaSyntaxError), ("Li3(PO4", FormulaSyntaxError), ("Li)", FormulaSyntaxError),
    ("3Li", FormulaSyntaxError), ("Xx2", UnknownElementError), ("LI", UnknownElementError),
    ("li3n", FormulaSyntaxError), ("CuSO4·5H2O", FormulaSyntaxError), ("Li3N-", FormulaSyntaxError),
    ("Li()", FormulaSyntaxError), ("Li(N]", FormulaSyntaxError), ("Li2..3N", FormulaSyntaxError),
])
def test_bad_formula(bad, exc):
    with pytest.raises(exc) as info:
        parse_formula(bad)
    assert isinstance(info.value, FormulaError) and isinstance(info.value, SselabError)
    assert "\n" not in str(info.value)


def test_molar_masses_against_hand_sums():
    # IUPAC abridged: Li 6.94, N 14.007, H 1.008, P 30.974, O 15.999, Cl 35.45, In 114.82
    assert molar_mass("Li3N") == pytest.approx(3 * 6.94 + 14.007)
    assert molar_mass("Li2NH") == pytest.approx(2 * 6.94 + 14.007 + 1.008)
    assert molar_mass("LiNH2") == pytest.approx(22.963)
    assert molar_mass("Li3PO4") == pytest.approx(115.79, abs=0.01)
    assert molar_mass("Li3InCl6") == pytest.approx(3 * 6.94 + 114.82 + 6 * 35.45)
    assert molar_mass_kg_per_mol("Li3N") == pytest.approx(34.827e-3)
    # parentheses do not change mass
    assert molar_mass("Li3(PO4)") == pytest.approx(molar_mass("Li3PO4"))


def test_element_count():
    assert element_count("Li8.60N1.911Cl2.867", "Cl") == pytest.approx(2.867)
    assert element_count("Li3(PO4)2", "O") == 8
    assert element_count("Li3N", "H") == 0.0
    with pytest.raises(UnknownElementError):
        element_count("Li3N", "Qq")


def test_roundtrip_format():
    assert normalize_formula("Li3(PO4)") == "Li3PO4"
    assert format_formula(parse_formula("Li1.917NH1.083")) == "Li1.917NH1.083"


def test_weight_tables():
    assert molar_mass("Li3N", weights="iupac2007") == pytest.approx(3 * 6.941 + 14.0067)
    assert molar_mass("Li3N", weights={"Li": 7.0, "N": 14.0}) == pytest.approx(35.0)
    with pytest.raises(FormulaError):
        molar_mass("Li3N", weights="nope")
