"""YAML stack files: parsing with units, density lookup, one-line validation errors, shipped examples."""
import textwrap

import pytest

from sselab.design import evaluate
from sselab.design.stackfile import StackFileError, example_files, load_stack, stack_from_dict
from sselab.errors import SselabError

GOOD = """
name: test cell
cathode:
  areal_capacity: 2 mAh/cm2
  specific_capacity: 150 mAh/g
  voltage: 4.0 V
  active_fraction: 80 %
  density: 3 g/cm3
separators:
  - {material: X, thickness: 50 um, density: 2.0 g/cm3}
anode: {type: li, np_ratio: 2}
collectors:
  positive: {material: Al, thickness: 12 um}
  negative: {material: Cu, thickness: 0.008 mm}
"""


def write(tmp_path, text, name="stack.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_good_file_matches_hand_computation(tmp_path):
    s = load_stack(write(tmp_path, GOOD))
    d = evaluate(s)
    # same stack as tests/design/test_design_stack.py::simple → 209.5895 Wh/kg (hand computed there)
    assert d.specific_energy_Wh_per_kg == pytest.approx(209.5895, rel=1e-5)
    assert s.negative_collector.thickness_m == pytest.approx(8e-6)
    assert s.positive_collector.density_kg_per_m3 == pytest.approx(2700.0)   # looked up
    assert s.name == "test cell"


@pytest.mark.parametrize("edit,match", [
    (("areal_capacity: 2 mAh/cm2", "areal_capacity: 2 mm"), r"cathode\.areal_capacity: '2 mm' is a length"),
    (("areal_capacity: 2 mAh/cm2", "areal_capcity: 2 mAh/cm2"), r"cathode: unknown key 'areal_capcity'"),
    (("{material: X, thickness: 50 um, density: 2.0 g/cm3}", "{material: Unobtainium, thickness: 50 um}"),
     r"separators\[0\]: no density known for material 'Unobtainium'"),
    (("type: li, np_ratio: 2", "type: sodium"), r"anode\.type: unknown anode type 'sodium'"),
    (("active_fraction: 80 %", "active_fraction: 180 %"), r"cathode\.active_fraction: must be between"),
    (("{material: X, thickness: 50 um, density: 2.0 g/cm3}", "{material: X, density: 2.0 g/cm3}"),
     r"separators\[0\]\.thickness: required"),
    (("thickness: 12 um", "thickness: -12 um"), r"collectors\.positive\.thickness: .*must be positive"),
])
def test_errors_are_one_line_and_name_file_and_key(tmp_path, edit, match):
    p = write(tmp_path, GOOD.replace(*edit))
    with pytest.raises(StackFileError, match=match) as ei:
        load_stack(p)
    msg = str(ei.value)
    assert "\n" not in msg
    assert msg.startswith(str(p))


def test_malformed_yaml_and_missing_sections(tmp_path):
    with pytest.raises(StackFileError, match="not valid YAML at line"):
        load_stack(write(tmp_path, "cathode: [unclosed\n"))
    with pytest.raises(StackFileError, match="separators: missing section"):
        stack_from_dict({"cathode": {"areal_capacity": "4 mAh/cm2"}}, "x.yaml")
    with pytest.raises(StackFileError, match="expected a mapping"):
        load_stack(write(tmp_path, "- a\n- b\n"))
    with pytest.raises(FileNotFoundError):
        load_stack(tmp_path / "nope.yaml")
    assert issubclass(StackFileError, SselabError)


def test_pouch_section(tmp_path):
    text = GOOD + textwrap.dedent("""
    pouch: {layers: 10, area: 50 cm2, laminate_areal_mass: 180 g/m2, laminate_thickness: 110 um, tab_mass: 2 g}
    """)
    d = evaluate(load_stack(write(tmp_path, text)))
    assert d.pouch_mass_kg_breakdown["pouch laminate"] == pytest.approx(2 * 50e-4 * 1.1 * 0.180, rel=1e-9)
    with pytest.raises(StackFileError, match=r"pouch\.layers: expected a positive integer"):
        load_stack(write(tmp_path, GOOD + "pouch: {layers: 2.5}\n"))


def test_shipped_examples_load_and_evaluate():
    names = {p.stem for p in example_files()}
    assert {"fig17_li3incl6", "fig17_lgps", "pouch_nmc811_li3n", "anode_free_lpsc", "lab_li_in_pellet"} <= names
    for p in example_files():
        d = evaluate(load_stack(p))
        assert 0 < d.specific_energy_Wh_per_kg < 700
    # the Fig. 17 example file is the same cell as the preset
    from sselab.design import fig17_stack
    assert evaluate(load_stack("fig17_li3incl6")).specific_energy_Wh_per_kg == pytest.approx(
        evaluate(fig17_stack()).specific_energy_Wh_per_kg, rel=1e-12)
