"""Electrodes (issue 13): any metal on both sides is a symmetric cell; unknown strings and unsupported pairs are
one-line errors, never a silent "full cell"."""
import pytest

from sselab.cell import CellSpec, manifest_from_dict
from sselab.errors import ManifestError, UnitError


@pytest.mark.parametrize("text, kind, pair", [
    ("Li-Li", "symmetric", ("Li", "Li")), ("Na|Na", "symmetric", ("Na", "Na")), ("K|K", "symmetric", ("K", "K")),
    ("Mg|Mg", "symmetric", ("Mg", "Mg")), ("Li|Li2NH|Li", "symmetric", ("Li", "Li")),
    ("Li-In|Li-In", "symmetric", ("Li-In", "Li-In")), ("li", "symmetric", ("Li", "Li")),
    ("Au|Au", "blocking", ("Au", "Au")), ("Au-Li2NH-Au", "blocking", ("Au", "Au")), ("steel", "blocking", None),
    ("Li|steel", "li-blocking", ("Li", "steel")), ("Na|SS", "li-blocking", ("Na", "SS")),
    ("Li|TiS2", "full", ("Li", "TiS2")), ("Li|LiFePO4", "full", ("Li", "LiFePO4")),
    ("Li|NMC811", "full", ("Li", "NMC811")),
])
def test_kinds(text, kind, pair):
    c = CellSpec.from_strings("c", electrodes=text)
    assert c.kind == kind
    if pair:
        assert c.electrodes == pair


@pytest.mark.parametrize("text, needle", [("foo", "not recognised"), ("X|Y", "not recognised"),
                                          ("Li|Na", "not a supported cell"), ("Au|TiS2", "not a supported cell"),
                                          ("Li|Au|Li|Au", "two electrodes")])
def test_unknown_or_unsupported_is_a_one_line_error(text, needle):
    with pytest.raises(UnitError, match=needle) as e:
        CellSpec.from_strings("c", electrodes=text)
    assert "\n" not in str(e.value)


def test_manifest_with_an_unknown_electrode_names_the_cell():
    with pytest.raises(ManifestError, match=r"cells\[0\] \(A\).*'copper' not recognised"):
        manifest_from_dict({"cells": [{"name": "A", "electrodes": "copper|copper"}]}, check_files=False)
