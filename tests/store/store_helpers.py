"""Helpers shared by the store tests (imported as a plain module: tests/store is on sys.path, see conftest)."""
from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def cli(*args, ok: bool = True):
    """Run ``sselab ARGS`` in-process; returns the CliRunner result (asserting exit 0 unless ``ok=False``)."""
    from typer.testing import CliRunner

    from sselab.cli import app

    res = CliRunner().invoke(app, [str(a) for a in args])
    if ok:
        assert res.exit_code == 0, res.output
    return res


def table_rows(store_path, mtime: bool = True) -> dict:
    """Every table of a store as sorted rows (timing columns of ``units`` left out; ``files.mtime`` too with
    ``mtime=False``, for stores made from files rewritten with the same content): equal stores compare equal."""
    from sselab import store

    out = {}
    with store.open(store_path) as st:
        for name in st.tables():
            ex = (" EXCLUDE (seconds, cpu_seconds, peak_rss_bytes, worker)" if name == "units" else
                  " EXCLUDE (mtime)" if name == "files" and not mtime else "")
            cols, rows = st.rows(f'SELECT *{ex} FROM "{name}" ORDER BY ALL')
            out[name] = (cols, rows)
    return out


#: two simulated preparations of one electrolyte (σ(30 °C) in S/m, Ea in eV): the pellets of ``write_pellets``
PELLETS = {"A": (1e-3, 0.45), "B": (3e-4, 0.52)}
PELLET_TEMPS_C = (30, 50, 70, 90)


def write_pellets(folder, seed: int = 3) -> Path:
    """A small folder for the real routing: per preparation one Au|SSE|Au pellet measured at four temperatures (one
    ``.mpt`` each, bulk arc only), a ``cells.yaml`` giving each pellet's geometry and material, every file tagged
    with figure ``1f`` (→ one ``eis.arrhenius.compare``) and the 30 °C files with ``1e`` (→ one ``eis.overlay``)."""
    import numpy as np
    import yaml

    from sselab.simulate import ArrheniusLaw, default_frequencies, eis_blocking

    folder = Path(folder)
    (folder / "eis").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    cells = []
    for name, (s30, ea) in PELLETS.items():
        files = []
        for tc in PELLET_TEMPS_C:
            sim = eis_blocking(tc + 273.15, thickness_m=1e-3, diameter_m=10e-3, bulk=ArrheniusLaw(s30, ea), gb=None,
                               R0=0.5, f=default_frequencies(1e7, 1.0, 5), noise=0.002, rng=rng)
            rel = f"eis/{name}_{tc}C.mpt"
            sim.write(folder / rel)
            files.append({"path": rel, "temperature": f"{tc} C", "figures": ["1e", "1f"] if tc == 30 else ["1f"]})
        cells.append({"name": f"pellet-{name}", "material": f"SSE {name}", "thickness": "1.0 mm",
                      "diameter": "10 mm", "electrodes": "Au|Au", "files": files})
    (folder / "cells.yaml").write_text(yaml.safe_dump({"version": 1, "cells": cells}, sort_keys=False))
    return folder
