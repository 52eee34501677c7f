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


# -- issue 12: hostile and mis-shaped manifests are refused fast with one line naming the key -------------------------
def _bomb(levels: int = 9, fan: int = 9) -> str:
    text = "a: &a [" + ",".join(['"lol"'] * fan) + "]\n"
    prev = "a"
    for nm in "bcdefghijklmnop"[: levels - 1]:
        text += f"{nm}: &{nm} [" + ",".join([f"*{prev}"] * fan) + "]\n"
        prev = nm
    return text, prev


@pytest.mark.parametrize("tail", ["cells: [{name: *{0}}]\n", "cells: [{name: a, notes: *{0}}]\n", "cells: [*{0}]\n"])
def test_yaml_alias_bomb_is_refused_before_it_expands(tmp_path, tail):
    text, last = _bomb()
    assert len(text) < 420  # a few hundred bytes that expand to ~10^9 values
    m = tmp_path / "bomb.yaml"
    m.write_text(text + tail.replace("{0}", last))
    with pytest.raises(ManifestError) as exc:
        load_manifest(m)
    assert "bomb" in str(exc.value) and "\n" not in str(exc.value) and str(m) in str(exc.value)


def test_modest_aliases_still_work(tmp_path):
    (tmp_path / "a.mpt").write_text("x")
    m = tmp_path / "cells.yaml"
    m.write_text("defaults: {diameter: &d 10 mm}\ncells:\n  - {name: A, thickness: 1 mm, files: [a.mpt]}\n"
                 "  - {name: B, thickness: 1 mm, diameter: *d, files: [a.mpt]}\n")
    man = load_manifest(m)
    assert man.cell("B").area_cm2 == man.cell("A").area_cm2 == pytest.approx(0.785398, rel=1e-6)


@pytest.mark.parametrize("body", ["cells: " + "[" * 5000 + "]" * 5000,
                                  "cells:\n  - name: a\n    notes: " + "{a: " * 5000 + "1" + "}" * 5000,
                                  "cells:\n" + "".join("  " * k + "- \n" for k in range(1, 3000))])
def test_deep_nesting_is_refused_not_a_recursion_error(tmp_path, body):
    m = tmp_path / "deep.yaml"
    m.write_text(body + "\n")
    with pytest.raises(ManifestError) as exc:
        load_manifest(m)
    assert "\n" not in str(exc.value) and str(m) in str(exc.value)


@pytest.mark.parametrize("cell,fragment", [
    ("files: 5", "'files' must be a list"),
    ("files: eis/x.mpt", "write it as a list"),
    ("files:\n      - {path: [a]}", "files[0]: 'path' must be a non-empty text, got a list"),
    ("files:\n      - {path: 5}", "files[0]: 'path' must be a non-empty text, got a number"),
    ("files:\n      - {glob: null}", "files[0]: 'glob' must be a non-empty text, got nothing"),
    ("files:\n      - {path: a.mpt, glob: '*.mpt'}", "exactly one of 'path' or 'glob'"),
    ("files:\n      - {path: a.mpt, temp: 30 C}", "unknown key(s) temp"),
    ("files:\n      - [a.mpt]", "files[0]: must be a path or a mapping"),
    ("files:\n      - {path: a.mpt, temperature: [30]}", "'temperature' must be a quantity"),
    ("thickness: [1, 2]", "'thickness' must be a quantity"),
    ("material: {a: 1}", "'material' must be text"),
])
def test_manifest_shape_errors_name_the_key(tmp_path, cell, fragment):
    m = tmp_path / "cells.yaml"
    m.write_text(f"cells:\n  - name: a\n    {cell}\n")
    with pytest.raises(ManifestError) as exc:
        load_manifest(m)
    msg = str(exc.value)
    assert fragment in msg and "\n" not in msg and str(m) in msg and "cells[0]" in msg


def test_top_level_shape_errors(tmp_path):
    for body, fragment in (("cells: 5", "non-empty list, got a number"), ("cells: [1]", "mapping"),
                           ("defaults: [1]\ncells: [{name: a}]", "'defaults' must be a mapping"), ("- 1", "mapping")):
        m = tmp_path / "c.yaml"
        m.write_text(body + "\n")
        with pytest.raises(ManifestError, match=fragment.replace("[", r"\[")):
            load_manifest(m)


def test_file_entries_carry_time_label_and_figures(tmp_path):
    from datetime import datetime

    from sselab.cell import load_manifest
    from sselab.errors import ManifestError

    (tmp_path / "a.mpt").write_text("x")
    (tmp_path / "cells.yaml").write_text(
        "cells:\n  - name: C\n    files:\n      - {path: a.mpt, time: '2025-01-15T09:30:00', label: pre-CV, "
        "figures: [2c]}\n", encoding="utf-8")
    fe = load_manifest(tmp_path / "cells.yaml").cells[0].files[0]
    assert (fe.time, fe.label, fe.figures) == (datetime(2025, 1, 15, 9, 30), "pre-CV", ("2c",))
    (tmp_path / "bad.yaml").write_text("cells:\n  - name: C\n    files:\n      - {path: a.mpt, time: yesterday}\n")
    with pytest.raises(ManifestError, match=r"files\[0\]: 'time' must be a date and time"):
        load_manifest(tmp_path / "bad.yaml")
