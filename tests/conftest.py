import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = SHARED / "data"
INSTRUMENTS = DATA / "instruments"
PAPERS = SHARED / "papers"


def shared_path(*parts) -> Path:
    """A path under ../shared; skips the test with a clear reason where ../shared is absent (a plain clone)."""
    p = SHARED.joinpath(*parts)
    if not SHARED.exists():
        pytest.skip("../shared (real instrument data and papers) is not beside this clone")
    if not p.exists():
        pytest.fail(f"expected shared file missing: {p}")
    return p


@pytest.fixture
def instruments() -> Path:
    return shared_path("data", "instruments")


def readable_files(*parts) -> list:
    """``(path, Measurement)`` for every file under ``../shared/<parts>`` that :func:`sselab.io.read` reads (its
    warnings silenced), in path order; a file it refuses with a one-line ``SselabError`` is passed over."""
    import warnings

    from sselab.errors import SselabError
    from sselab.io import read

    out = []
    for p in sorted(q for q in shared_path(*parts).rglob("*") if q.is_file()):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = read(p)
        except SselabError:
            continue
        out.append((p, m))
    return out


def write_blocking_spectra(folder: Path, temps_C) -> list[Path]:
    """Simulated Au|SSE|Au spectra ``p_<T>C.mpt`` at ``temps_C`` (°C) in ``folder``: bulk and grain boundary of one
    Arrhenius law (σ₀ = 0.01 S/m scaled ×1.5 and ×3, Ea = 0.45 eV), noise seeded by the temperature."""
    from sselab.simulate import ArrheniusLaw, eis_blocking

    law = ArrheniusLaw(0.01, 0.45)
    out = []
    for tc in temps_C:
        p = Path(folder) / f"p_{tc}C.mpt"
        eis_blocking(tc + 273.15, bulk=law.scaled(1.5), gb=law.scaled(3.0), rng=tc).write(p)
        out.append(p)
    return out
