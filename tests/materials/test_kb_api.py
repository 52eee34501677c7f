import math

import numpy as np
import pytest

from sselab.errors import SselabError
from sselab.materials import (
    AmbiguousMaterialError, KnowledgeBaseError, MaterialNotFoundError, arrhenius_sigma, builtin_kb, load_kb,
    load_user_file, same_composition,
)
from sselab.units import K_B_EV


def test_lookup_case_greek_and_aliases():
    kb = builtin_kb()
    assert kb.get("vacancy-rich b-Li3N").id == "vacancy-rich-beta-li3n"
    assert kb.get("VACANCY-RICH β-LI3N").id == "vacancy-rich-beta-li3n"
    assert kb.get("a-Li3N sinter").id == "alpha-li3n-sinter"
    assert kb.get("li9n2cl3").id == "li9n2cl3"                 # exact name wins over same-formula entries
    assert kb.get("Li8.60N1.911Cl2.867").id == "vacancy-rich-li9n2cl3"
    assert kb.get("Li3N-LiI-LiOH").id == "li3n-lii-lioh"      # ASCII dash for the printed en dash
    assert kb.get("Li2CN2 (ball-milled)").id == "li2cn2-ball-milled"
    assert kb.get("LiPON").formula == "Li2.9PO3.3N0.46"


def test_ambiguous_and_not_found_messages():
    kb = builtin_kb()
    with pytest.raises(AmbiguousMaterialError) as info:
        kb.get("Li3N")
    assert len(info.value.candidates) == 6 and "Vacancy-rich β-Li3N" in str(info.value)
    with pytest.raises(AmbiguousMaterialError):
        kb.get("li2nh")                                         # three preparations
    with pytest.raises(MaterialNotFoundError) as info:
        kb.get("Li7N3I")
    msg = str(info.value)
    assert "close matches" in msg and "Li7N2I" in msg and "\n" not in msg
    assert isinstance(info.value, SselabError)


def test_arrhenius_closed_form_and_round_trip():
    m = builtin_kb().get("li2nh-hot-pressed")                    # 1.0 mS/cm at 30 °C, Ea 0.44 eV
    T = np.array([250.0, 298.15, 303.15, 353.15, 400.0])
    s = m.sigma_at(T)
    expect = 0.1 * (303.15 / T) * np.exp(-0.44 / K_B_EV * (1 / T - 1 / 303.15))
    np.testing.assert_allclose(s, expect, rtol=1e-12)
    assert m.sigma_at(303.15) == pytest.approx(0.1, rel=1e-12)
    # back from two extrapolated points: slope of ln(sigma T) vs 1/T gives Ea again
    Ea_back = -K_B_EV * (math.log(s[3] * T[3]) - math.log(s[0] * T[0])) / (1 / T[3] - 1 / T[0])
    assert Ea_back == pytest.approx(0.44, rel=1e-10)
    # and from 25 °C back to 30 °C
    assert arrhenius_sigma(m.sigma_at(298.15), 298.15, 0.44, 303.15) == pytest.approx(0.1, rel=1e-12)


def test_arrhenius_matches_transport_module():
    from sselab.transport.arrhenius import arrhenius_sigma as other
    m = builtin_kb().get("vacancy-rich-beta-li3n")
    sigma0 = m.sigma_S_per_m * m.sigma_T_K * math.exp(m.Ea_eV / (K_B_EV * m.sigma_T_K))  # S K / m
    T = np.linspace(260, 420, 9)
    np.testing.assert_allclose(m.sigma_at(T), other(T, m.Ea_eV, sigma0, convention="sigmaT"), rtol=1e-10)


def test_ranking_and_filters():
    kb = builtin_kb()
    ranked = kb.rank(298.15)
    assert ranked[0][0].id == "h-doped-alpha-li3n"
    assert [m.id for m, _ in ranked[:2]] == ["h-doped-alpha-li3n", "vacancy-rich-beta-li3n"]
    sig = [s for _, s in ranked]
    assert sig == sorted(sig, reverse=True)
    # ≥ 0.1 mS/cm at 25 °C: 11 entries (Li3N ×4, Li3N-LiI-LiOH, Li7N2I ×2, Li2.5N0.5S0.5, Li2NH hot & milled, β)
    fast = kb.filter(min_sigma_S_per_m=0.01)
    assert len(fast) == 11
    assert {m.family for m in fast} == {"li3n", "nitride_halide", "nitride_chalcogenide", "imide"}
    # ranking changes with temperature: at 150 °C the imide (0.44 eV) overtakes the α-Li3N sinter (0.29 eV)
    hot = [m.id for m, _ in kb.rank(423.15)]
    assert hot.index("li2nh-hot-pressed") < hot.index("alpha-li3n-sinter")
    assert len(kb.filter(family="lipon")) == 7
    with pytest.raises(MaterialNotFoundError):
        kb.filter(family="oxides")


def test_same_composition():
    assert same_composition("Li7.2N1.6Cl2.4", "Li9N2Cl3")
    assert same_composition("Li9NS3", "Li9S3N")
    assert not same_composition("Li3N", "Li3BN2")


USER_YAML = """
schema_version: 1
entries:
- id: my-li2nh
  name: My Li2NH
  formula: Li2NH
  family: imide
  sigma_S_per_cm: 2.0e-3
  sigma_T: "30 C"
  Ea_eV: 0.40
- id: li7n2i
  name: Li7N2I
  formula: Li7N2I
  family: nitride_halide
  sigma_S_per_cm: 4.0e-4
  sigma_T: "25 C"
  Ea_eV: 0.33
  notes: my re-measurement
"""


def test_user_yaml_merge(tmp_path):
    p = tmp_path / "mine.yaml"
    p.write_text(USER_YAML)
    kb = load_kb([p])
    assert len(kb) == 49
    assert kb.get("my li2nh").sigma_S_per_m == pytest.approx(0.2)
    assert kb.get("li7n2i").sigma_S_per_m == pytest.approx(0.04)       # replaced the shipped entry
    assert kb.get("li7n2i").origin == str(p)
    assert len(builtin_kb()) == 48                                     # the shipped KB is untouched


def test_user_csv(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text("id,name,formula,family,sigma_S_per_cm,sigma_T,Ea_eV,window_exp_V,cell_ccd_mA_per_cm2\n"
                 "x1,Sample X,Li3N,li3n,1e-3,25 C,0.3,0;1,2.5\n")
    m = load_user_file(p).get("Sample X")
    assert m.window_exp_V == (0.0, 1.0) and m.ccd_A_per_m2 == pytest.approx(25.0)


@pytest.mark.parametrize("body, words", [
    ("schema_version: 2\nentries: []\n", "schema_version"),
    ("schema_version: 1\nentries:\n- id: a\n  formula: Xx2\n", "unknown element"),
    ("schema_version: 1\nentries:\n- id: a\n  sigma_S_per_cm: 1e-3\n", "sigma_T"),
    ("schema_version: 1\nentries:\n- id: a\n  window_calc_V: [2, 1]\n", "low > high"),
    ("schema_version: 1\nentries:\n- id: a\n  colour: red\n", "unknown field"),
    ("schema_version: 1\nentries:\n- id: a\n  sigma_S_per_cm: -1\n  sigma_T: 25 C\n", "positive"),
    ("entries: [", "not valid YAML"),
])
def test_bad_user_files(tmp_path, body, words):
    p = tmp_path / "bad.yaml"
    p.write_text(body)
    with pytest.raises(KnowledgeBaseError) as info:
        load_user_file(p)
    assert words in str(info.value) and "bad.yaml" in str(info.value) and "\n" not in str(info.value)


def test_material_to_dict_and_field_roundtrip():
    from sselab.materials.kb import material_from_fields
    for m in builtin_kb():
        d = m.to_dict()
        assert d["id"] == m.id and isinstance(d["flags"], list)
        again = material_from_fields(m.to_field_dict(), origin=m.origin)
        assert again.sigma_S_per_m == pytest.approx(m.sigma_S_per_m) if m.sigma_S_per_m else True
        assert again.sigma_T_K == pytest.approx(m.sigma_T_K) if m.sigma_T_K else True
        assert again.flags == m.flags and again.window_exp_V == m.window_exp_V
        assert again.ccd_A_per_m2 == m.ccd_A_per_m2


def test_family_names_are_forgiving():
    kb = builtin_kb()
    assert len(kb.filter(family="LiPON")) == len(kb.filter(family="lipon")) == 7
    assert len(kb.filter(family="nitride halides")) == 11
    assert len(kb.filter(family=["imide", "Nitridophosphates"])) == 9
