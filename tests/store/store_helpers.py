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
