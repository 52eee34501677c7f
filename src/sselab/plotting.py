"""Journal-style matplotlib defaults and figure saving (PNG + SVG) shared by every module."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

STYLE = {
    "font.size": 9,
    "axes.labelsize": 9,
    "axes.titlesize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "axes.linewidth": 0.8,
    "lines.linewidth": 1.2,
    "lines.markersize": 4,
    "figure.dpi": 150,
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "svg.fonttype": "none",
    "legend.frameon": False,
}


def _mpl():
    import matplotlib

    if os.environ.get("MPLBACKEND") is None:
        matplotlib.use("Agg", force=False)
    return matplotlib


@contextmanager
def style():
    """Context manager applying sselab's journal style."""
    mpl = _mpl()
    with mpl.rc_context(STYLE):
        yield


def new_figure(width_in: float = 3.5, height_in: float = 2.8, **subplot_kw):
    """A single-column (3.5 in) figure with sselab's style applied; returns ``(fig, ax)``."""
    _mpl()
    import matplotlib.pyplot as plt

    with style():
        fig, ax = plt.subplots(figsize=(width_in, height_in), **subplot_kw)
    return fig, ax


def save_figure(fig, out_dir, name: str, formats=("png", "svg")) -> list[Path]:
    """Write ``fig`` as ``out_dir/name.png`` and ``.svg`` atomically; close it; return the paths."""
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    with style():
        for ext in formats:
            target = out / f"{name}.{ext}"
            fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=f".{ext}")
            os.close(fd)
            try:
                fig.savefig(tmp, format=ext)
                os.replace(tmp, target)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            paths.append(target)
    plt.close(fig)
    return paths
