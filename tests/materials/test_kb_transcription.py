"""Transcribed values against the papers.

Each row below is what the review prints (mantissa and exponent as printed, the temperature as printed and Ea).
The first test checks the shipped knowledge base against these rows (always runs); the second checks that the
review's text really contains each row (σ, its temperature and Ea on one table line) — the independent truth —
and skips where ../shared is absent.
"""
import re

import pytest

from conftest import shared_path
from sselab.materials import builtin_kb

# id, printed mantissa, exponent, printed temperature ("25 1C" = 25 °C in the text extraction), printed Ea
REVIEW_ROWS = [
    # Table 1 — Li3N
    ("alpha-li3n-single-crystal-perp", "1.2", -3, "300 K", "0.290"),
    ("alpha-li3n-single-crystal-par", "1.0", -5, "300 K", "0.490"),
    ("alpha-li3n-sinter", "1.5", -3, "300 K", "0.290"),
    ("h-doped-alpha-li3n", "6.0", -3, "25 1C", "0.198"),
    ("beta-li3n", "2.085", -4, "25 1C", "0.448"),
    ("vacancy-rich-beta-li3n", "2.14", -3, "25 1C", "0.371"),
    # Table 1 — LiPON
    ("lipon-li3.3po3.9n0.17", "2.2", -6, "25 1C", "0.56"),
    ("lipon-li2.9po3.3n0.46", "3.3", -6, "25 1C", "0.54"),
    ("lipon-si-li1.35si0.79p0.21o1.96n0.96", "2.06", -5, "25 1C", "0.45"),
    ("lipon-si-li2.9si0.35po1.5n1.26", "1.24", -5, "25 1C", "0.479"),
    ("libpon", "3.5", -6, "25 1C", "0.53"),
    ("lipson", "1.58", -5, "25 1C", "0.49"),
    ("lilaalpon", "1.47", -5, "25 1C", "0.54"),
    # Table 2 — nitride halides
    ("li9n2cl3", "2.3", -6, "25 1C", "0.495"),
    ("li11n3cl2", "3.7", -11, "25 1C", "0.83"),
    ("vacancy-rich-li9n2cl3", "4.3", -5, "25 1C", "0.378"),
    ("li6nbr3", "6.59", -8, "25 1C", "0.46"),
    ("li13n4br", "1.06", -9, "25 1C", "0.73"),
    ("li5ni2", "1.0", -7, "25 1C", "0.50"),
    ("li6.67n1.89i", "1.5", -7, "25 1C", "0.55"),
    ("li9.27n2.76i", "4.3", -10, "25 1C", "0.80"),
    ("li3n-lii-lioh", "9.5", -4, "25 1C", "0.255"),
    ("li7n2i", "3.1", -4, "25 1C", "0.34"),
    ("li7n2i-0.5lioh", "5.2", -4, "25 1C", "0.35"),
    # Table 3 — chalcogenides, nitridophosphates
    ("li9s3n", "8.3", -7, "25 1C", "0.52"),
    ("li2.5n0.5s0.5", "2.1", -4, "27 1C", "0.35"),
    ("li7pn4", "1.83", -7, "25 1C", "0.487"),
    ("li18p6n16", "7.7", -8, "25 1C", "0.497"),
    ("beta-li10p4n10", "8.6", -7, "25 1C", "0.41"),
    ("lipn2", "2.1", -9, "25 1C", "0.611"),
    ("li13p4n10br3", "1.1", -8, "25 1C", "0.61"),
    ("li13p4n10cl3", "8.8", -10, "25 1C", "0.72"),
    # Table 4 — group 14
    ("li2cn2-thermal-treated", "4.6", -10, "25 1C", "0.601"),
    ("li2cn2-ball-milled", "3.1", -7, "25 1C", "0.674"),
    ("li2cn2-amorphous", "1.1", -6, "25 1C", "0.560"),
    ("lisi2n3", "3.5", -10, "25 1C", "0.663"),
    ("li2sin2", "6.3", -8, "25 1C", "0.549"),
    ("li5sin3", "1.8", -7, "25 1C", "0.591"),
    ("li21si3n11", "4.5", -8, "25 1C", "0.560"),
    ("li18si3n10", "1.4", -7, "25 1C", "0.570"),
    ("li8sin4", "5.9", -6, "25 1C", "0.477"),
    # Table 4 — group 13
    ("alpha-li3bn2", "1.3", -10, "25 1C", "0.808"),
    ("beta-li3bn2", "1.0", -9, "25 1C", "0.663"),
    ("li3bn2-glass", "3.1", -6, "25 1C", "0.455"),
    ("li3aln2", "5.0", -8, "25 1C", "0.54"),
]

CALCULATED = {"li11n3cl2", "li6nbr3", "li13n4br", "li5ni2", "li6.67n1.89i", "li9.27n2.76i", "li7pn4", "lipn2",
              "lisi2n3", "li5sin3", "li21si3n11", "li18si3n10", "alpha-li3bn2", "beta-li3bn2"}
UNRESOLVED = {"h-doped-alpha-li3n", "li11n3cl2", "li6.67n1.89i", "li9.27n2.76i", "li3n-lii-lioh", "li8sin4",
              "li18si3n10"}

# Li2NH (imide paper, 30 °C): sigma S/cm, Ea, Ea error, relative density
IMIDE_ROWS = [
    ("li2nh-cold-pressed", 0.054e-3, 0.50, 0.02, 0.765),
    ("li2nh-ball-milled-cold-pressed", 0.34e-3, 0.52, 0.02, 0.77),
    ("li2nh-hot-pressed", 1.0e-3, 0.44, 0.01, 0.85),
]


def _T_K(printed: str) -> float:
    v, unit = printed.split()
    return float(v) if unit == "K" else float(v) + 273.15


def test_every_table_row_is_in_the_kb():
    kb = builtin_kb()
    review_ids = {m.id for m in kb if m.source == "review"}
    assert review_ids == {r[0] for r in REVIEW_ROWS}
    assert len(kb) == len(REVIEW_ROWS) + len(IMIDE_ROWS) == 48


@pytest.mark.parametrize("ident, mant, exp, T, Ea", REVIEW_ROWS, ids=[r[0] for r in REVIEW_ROWS])
def test_review_values(ident, mant, exp, T, Ea):
    m = builtin_kb().get(ident)
    assert m.sigma_S_per_m / 100 == pytest.approx(float(mant) * 10.0 ** exp, rel=1e-12)
    assert m.sigma_T_K == pytest.approx(_T_K(T))
    assert m.Ea_eV == pytest.approx(float(Ea))
    assert m.sigma_calculated == (ident in CALCULATED)
    assert m.unresolved_structure == (ident in UNRESOLVED)


def test_flags_and_structures():
    kb = builtin_kb()
    assert kb.get("alpha-li3n-single-crystal-perp").flags == ("anisotropic_perp_c",)
    assert "anisotropic_par_c" in kb.get("alpha-li3n-single-crystal-par").flags
    assert kb.get("li11n3cl2").sigma_approx  # printed "~3.7"
    assert kb.get("li13n4br").Ea_HT_eV == pytest.approx(0.47)
    assert kb.get("li5ni2").Ea_HT_eV == pytest.approx(0.44)
    assert kb.get("beta-li3n").space_group == "P63/mmc"
    assert kb.get("li13n4br").space_group == "P-6m2"
    assert kb.get("alpha-li3bn2").space_group == "P42/mnm"
    assert kb.get("li7pn4").space_group == "P-43n"
    assert kb.get("lipn2").space_group == "I-42d"
    assert kb.get("li7n2i").space_group == "Cm"
    # Table 5 synthesis
    assert kb.get("vacancy-rich-beta-li3n").synthesis == "Phase transformation / Mechanical milling"
    assert kb.get("alpha-li3n-sinter").synthesis == "Phase transformation / Sintering"
    assert kb.get("li9s3n").synthesis == "Solid-state reaction / Mechanical milling and sintering"
    assert kb.get("li3aln2").synthesis == "Solid-state reaction / Mechanical milling"
    assert kb.get("li8sin4").synthesis == "Solid-state reaction / Sintering"
    assert kb.get("h-doped-alpha-li3n").synthesis.startswith("Czochralski")
    assert all(m.synthesis == "Physical and chemical vapor deposition" for m in kb if m.family == "lipon")
    # references as printed
    assert kb.get("vacancy-rich-beta-li3n").reference == "15"
    assert kb.get("li21si3n11").reference == "98"


def test_stability_windows_and_densities():
    kb = builtin_kb()
    assert kb.get("vacancy-rich-beta-li3n").window_calc_V == (0.0, 0.48)
    assert kb.get("li9n2cl3").window_calc_V == (0.0, 0.50)
    assert kb.get("vacancy-rich-li9n2cl3").window_extended_V == (0.0, 1.68)
    lipon = kb.get("lipon-li2.9po3.3n0.46")
    assert lipon.window_calc_V == (0.69, 1.07) and lipon.window_extended_V == (0.0, 4.82)
    assert kb.get("li2nh-hot-pressed").window_exp_V == (0.0, 5.0)
    assert kb.get("li2nh-hot-pressed").window_exp_min
    assert kb.get("beta-li3n").density_kg_per_m3 == pytest.approx(1270.0)


@pytest.mark.parametrize("ident, sigma, Ea, Ea_err, rel", IMIDE_ROWS, ids=[r[0] for r in IMIDE_ROWS])
def test_imide_values(ident, sigma, Ea, Ea_err, rel):
    m = builtin_kb().get(ident)
    assert m.sigma_S_per_m / 100 == pytest.approx(sigma)
    assert m.sigma_T_K == pytest.approx(303.15)
    assert (m.Ea_eV, m.Ea_err_eV, m.relative_density) == pytest.approx((Ea, Ea_err, rel))
    assert m.formula == "Li2NH" and m.space_group == "Fd-3m"


# -- against the paper text --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def review_text():
    return shared_path("papers", "nitride-sse-review.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def imide_text():
    return shared_path("papers", "lithium-imide-solid-electrolyte.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("ident, mant, exp, T, Ea", REVIEW_ROWS, ids=[r[0] for r in REVIEW_ROWS])
def test_row_is_printed_in_review(review_text, ident, mant, exp, T, Ea):
    x = "\ufffd"  # the extraction prints both × and − as U+FFFD
    calc = "a" if ident in CALCULATED else ""
    pat = (rf"{re.escape(mant)}{calc} {x} 10{x}{-exp} S cm{x}1 \({re.escape(T)}\)[^\n]*?"
           rf"(?<![\d.]){re.escape(Ea)} eV")
    assert re.search(pat, review_text), f"row {ident} not found as printed"


def test_review_text_windows_and_densities(review_text):
    flat = " ".join(review_text.split())
    for s in ("Li3N (0–0.48 V", "Li9N2Cl3 (0–0.50 V", "LiPON (0.69–1.07 V", "extended to 0–1.68 V",
              "extension to 0–4.82 V", "Li3InCl6, density: 2.59 g cm", "LGPS, density: 2.04 g cm",
              "Li3N, density: 1.27 g cm"):
        assert s in flat, s


def test_imide_text(imide_text):
    flat = " ".join(imide_text.split())
    for s in ("found to be 0.054 mS cm", "0.34 mS cm", "improving the conductivity to 1 mS cm", "$0.50(2) \\text{ eV}$",
              "$0.52(2) \\text{ eV}$", "$0.44(1) \\text{ eV}$", "relative density of 76.5%", "relative density of 77%",
              "relative density to 85%", "0.3973 g LiNH_2 and 0.6027 g Li_3N", "1.2 nS cm"):
        assert s in flat, s


SEGMENTS = [  # Table 5 headings in print order -> the synthesis string the KB uses
    ("Czochralski method (single crystals)", "Czochralski method (single crystals)"),
    ("Solid-state reaction\nSintering", "Solid-state reaction / Sintering"),
    ("Mechanical milling Vacancy-rich", "Solid-state reaction / Mechanical milling"),
    ("Mechanical milling and sintering", "Solid-state reaction / Mechanical milling and sintering"),
    ("Phase transformation\nSintering", "Phase transformation / Sintering"),
    ("Mechanical milling b-Li3N", "Phase transformation / Mechanical milling"),
    ("Physical and chemical vapor deposition", "Physical and chemical vapor deposition"),
]
PRINTED = {"alpha-li3n-single-crystal-perp": "a-Li3N", "alpha-li3n-single-crystal-par": "a-Li3N",
           "h-doped-alpha-li3n": "H-doped a-Li3N"}


def test_table5_synthesis_against_text(review_text):
    start = review_text.index("Table 5 Typical synthesis methods")
    block = review_text[start:review_text.index("Table 6 Comparison", start)]
    cuts = [block.index(h) for h, _ in SEGMENTS] + [len(block)]
    assert cuts == sorted(cuts)
    segment = {syn: block[cuts[i]:cuts[i + 1]] for i, (_, syn) in enumerate(SEGMENTS)}
    checked = 0
    for m in builtin_kb():
        if m.source != "review":
            continue
        printed = PRINTED.get(m.id, m.name.replace("α-", "a-").replace("β-", "b-"))
        if m.synthesis is None:
            assert printed not in block, m.id          # rows Table 5 does not list
            continue
        assert printed in segment[m.synthesis], (m.id, m.synthesis)
        checked += 1
    assert checked == 41
