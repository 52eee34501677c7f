"""The figure store that writes the report's figures (PNG + SVG, in parallel where it pays)."""
from __future__ import annotations

import os
from pathlib import Path

from .model import Figure, slug


class FigureStore:
    """Collects matplotlib figures; :meth:`flush` writes each as ``<dir>/<name>.svg`` and ``.png`` (150 dpi),
    using two forked worker processes when available, and fills in the SVG bytes for embedding."""

    def __init__(self, directory: Path, png_dpi: int = 150, workers: int | None = None, enabled: bool = True):
        self.dir = Path(directory)
        self.enabled = enabled
        self.png_dpi = png_dpi
        self.workers = workers
        self.names: set[str] = set()
        self.pending: list[tuple[object, Figure]] = []

    def add(self, fig, name: str, title: str, caption: str = "") -> Figure | None:
        if not self.enabled:
            import matplotlib.pyplot as plt

            plt.close(fig)
            return None
        base = slug(name)
        n, k = base, 2
        while n in self.names:
            n, k = f"{base}-{k}", k + 1
        self.names.add(n)
        f = Figure(n, title, b"", caption, (f"figures/{n}.png", f"figures/{n}.svg"))
        self.pending.append((fig, f))
        return f

    def flush(self, progress=None) -> None:
        """Write every pending figure (PNG + SVG) and load its SVG; closes the matplotlib figures.
        ``progress(iterable, total, description)`` wraps the loop (a progress bar in the CLI)."""
        import matplotlib.pyplot as plt

        if not self.pending:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        global _PENDING
        _PENDING = [(fig, f.name) for fig, f in self.pending]
        n = len(_PENDING)
        workers = self.workers if self.workers is not None else min(2, os.cpu_count() or 1)
        done = False
        if workers > 1 and n > 2:
            try:
                import multiprocessing as mp

                ctx = mp.get_context("fork")
                with ctx.Pool(workers) as pool:
                    it = pool.imap_unordered(_save_star, [(i, str(self.dir), self.png_dpi) for i in range(n)])
                    for _ in (progress(it, total=n, description="figures") if progress else it):
                        pass
                done = True
            except (OSError, ValueError, ImportError):  # no fork on this platform: write them here
                done = False
        if not done:
            idx = range(n)
            for i in (progress(idx, total=n, description="figures") if progress else idx):
                _save_index(i, str(self.dir), self.png_dpi)
        for fig, f in self.pending:
            f.svg = (self.dir / f"{f.name}.svg").read_bytes()
            plt.close(fig)
        self.pending = []
        _PENDING = []


_PENDING: list = []


def _save_star(args) -> None:
    _save_index(*args)


#: artists with more points than these are drawn as pixels inside the SVG (a contour of 24 × 2500 points is 13 MB
#: as vector paths, 0.2 MB as an embedded image; the PNG is the same either way)
RASTER_MESH = 1
RASTER_POINTS = 6000
RASTER_MARKERS = 1500


def rasterize_heavy(fig) -> int:
    """Mark the heavy artists of ``fig`` (meshes, images, long lines, dense scatters) as rasterised for vector
    output; returns how many."""
    from matplotlib.collections import PathCollection, PolyCollection, QuadMesh
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D

    n = 0
    for ax in fig.get_axes():
        for a in ax.get_children():
            heavy = False
            if isinstance(a, (QuadMesh, AxesImage)):
                heavy = True
            elif isinstance(a, Line2D):
                heavy = len(a.get_xdata(orig=False)) > RASTER_POINTS
            elif isinstance(a, PathCollection):
                heavy = len(a.get_offsets()) > RASTER_MARKERS
            elif isinstance(a, PolyCollection):
                heavy = len(a.get_paths()) > RASTER_MARKERS
            elif type(a).__name__ in ("ContourSet", "QuadContourSet"):
                heavy = True
            if heavy and not a.get_rasterized():
                a.set_rasterized(True)
                n += 1
    return n


def _save_index(i: int, directory: str, png_dpi: int) -> None:
    from ..plotting import style, tight_box

    fig, name = _PENDING[i]
    rasterize_heavy(fig)
    with style():
        box = tight_box(fig, png_dpi)  # one layout pass for both formats
        for ext, dpi in (("svg", None), ("png", png_dpi)):
            target = Path(directory) / f"{name}.{ext}"
            tmp = target.with_name(f".{target.name}.tmp")
            kw = {"dpi": dpi} if dpi else {}
            fig.savefig(tmp, format=ext, bbox_inches=box, **kw)
            os.replace(tmp, target)
