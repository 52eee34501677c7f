"""CellSpec geometry and the YAML manifest."""
import math
import textwrap

import pytest

from sselab.cell import CellSpec, load_manifest, parse_electrodes
from sselab.errors import ManifestError, SselabError, UnitError


def test_geometry_10mm_pellet():
    cell = CellSpec.from_strings("HP", thickness="1.2 mm", diameter="10 mm", electrodes="Au|SSE|Au")
    # the imide paper's 10 mm pellets: A = 0.7854 cm2
    assert cell.area_cm2 == pytest.approx(0.785398, rel=1e-6)
    assert cell.thickness_cm == pytest.approx(0.12)
    assert cell.geometric_factor_m == pytest.approx(1.2e-3 / (math.pi * 0.005 ** 2))
    assert cell.is_blocking and cell.kind == "blocking"


@pytest.mark.parametrize("text,pair,kind", [
    ("Li|Li", ("Li", "Li"), "symmetric"),
    ("li", ("Li", "Li"), "symmetric"),
    ("blocking", ("Au", "Au"), "blocking"),
    ("Li|SSE|steel", ("Li", "steel"), "li-blocking"),
    (["Li", "TiS2"], ("Li", "TiS2"), "full"),
])
def test_electrodes(text, pair, kind):
    assert parse_electrodes(text) == pair
    assert CellSpec(electrodes=parse_electrodes(text)).kind == kind


def test_area_given_wins_and_missing_geometry_is_clear():
    c = CellSpec.from_strings("x", area="0.5 cm2", diameter="10 mm", thickness="1 mm")
    assert c.area_cm2 == pytest.approx(0.5)
    with pytest.raises(UnitError, match="thickness"):
        _ = CellSpec.from_strings("y", diameter="10 mm").geometric_factor_m
    with pytest.raises(UnitError):
        CellSpec(thickness_m=-1e-3)


def test_manifest_round_trip(tmp_path):
    (tmp_path / "eis").mkdir()
    for t in (30, 50):
        (tmp_path / "eis" / f"hp_{t}C.z").write_text("x")
    (tmp_path / "cyc.mpt").write_text("x")
    m = tmp_path / "cells.yaml"
    m.write_text(textwrap.dedent("""
        defaults:
          diameter: 10 mm
        cells:
          - name: HP-1
            material: Li2NH hot pressed
            formula: Li2NH
            thickness: 1.2 mm
            pellet_mass: 150 mg
            electrodes: Au|Au
            temperature: 30 C
            files:
              - {glob: "eis/*.z"}
          - name: SYM
            thickness: 1.0 mm
            electrodes: Li|Li
            files:
              - {path: cyc.mpt, temperature: 25 C}
    """))
    man = load_manifest(m)
    assert [c.name for c in man.cells] == ["HP-1", "SYM"]
    hp = man.cell("HP-1")
    assert hp.area_cm2 == pytest.approx(0.785398, rel=1e-6)
    assert hp.pellet_mass_kg == pytest.approx(150e-6)
    assert len(hp.files) == 2
    assert man.temperature_of(tmp_path / "eis" / "hp_50C.z") == pytest.approx(303.15)
    assert man.temperature_of(tmp_path / "cyc.mpt") == pytest.approx(298.15)
    assert man.cell_for(tmp_path / "cyc.mpt")[0].kind == "symmetric"


@pytest.mark.parametrize("body,fragment", [
    ("cells: []", "non-empty"),
    ("cells:\n  - thickness: 1 mm", "no 'name'"),
    ("cells:\n  - name: a\n    thickness: 1.2", "needs a unit"),
    ("cells:\n  - name: a\n    thickness: -1 mm", "positive"),
    ("cells:\n  - name: a\n    colour: red", "unknown key"),
    ("cells:\n  - name: a\n  - name: a", "duplicate"),
    ("cells:\n  - name: a\n    files: [missing.mpt]", "does not exist"),
    ("cells: [\n", "not valid YAML"),
])
def test_manifest_errors_are_one_line(tmp_path, body, fragment):
    m = tmp_path / "cells.yaml"
    m.write_text(body)
    with pytest.raises(ManifestError) as exc:
        load_manifest(m)
    assert fragment in str(exc.value) and "\n" not in str(exc.value)
    assert str(m) in str(exc.value)
    assert isinstance(exc.value, SselabError)
