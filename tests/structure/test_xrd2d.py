"""2-D integration (pyFAI + fabio) against Dioptas' own integration of the same CeO2 image and PONI."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import shared_path
from sselab.io import read

import pyFAI  # noqa: F401 — the test extra (pip install -e '.[test]')
import fabio  # noqa: F401 — the test extra (pip install -e '.[test]')

D = ("data", "structure", "xrd", "Dioptas+Dioptas", "dioptas", "tests", "data")


def test_ceo2_image_matches_the_dioptas_reference():
    from sselab.io.xrd2d import integrate_image

    ref = read(shared_path(*D, "CeO2_Pilatus1M.xy"))
    y_ref = ref.data["intensity"].to_numpy()
    m = integrate_image(shared_path(*D, "CeO2_Pilatus1M.tif"), shared_path(*D, "CeO2_Pilatus1M.poni"), npt=len(y_ref))
    # the PONI was made in Dioptas' (flipped) frame: detected and said
    assert "flipped" in m.extra["integration"]["orientation"] and any("Dioptas" in w for w in m.warnings)
    np.testing.assert_allclose(m.data["two_theta_deg"], ref.data["two_theta_deg"], atol=1e-5)
    y = m.data["intensity"].to_numpy()
    assert np.corrcoef(y, y_ref)[0, 1] > 0.999
    big = y_ref > 0.2 * y_ref.max()
    assert np.median(y[big] / y_ref[big]) == pytest.approx(1.0, abs=0.06)
    assert m.extra["wavelength_m"] == pytest.approx(4.066e-11)


def test_integrated_ceo2_gives_its_lattice_parameter():
    from sselab import recipes
    from sselab.io.xrd2d import integrate_image

    m = integrate_image(shared_path(*D, "CeO2_Pilatus1M.tif"), shared_path(*D, "CeO2_Pilatus1M.poni"))
    r = recipes.get("xrd.pattern").run([m], phases="CeO2")
    assert r.get("lattice_a_angstrom") == pytest.approx(5.411, abs=2e-3)


def test_bad_poni_is_one_line(tmp_path):
    from sselab.errors import SselabError
    from sselab.io.xrd2d import integrate_image

    bad = tmp_path / "x.poni"
    bad.write_text("Distance: banana\n")
    with pytest.raises(SselabError) as e:
        integrate_image(shared_path(*D, "CeO2_Pilatus1M.tif"), bad)
    assert "\n" not in str(e.value)
