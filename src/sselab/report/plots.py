"""Figures the report draws itself (impedance overview), and the figure store that writes PNG + SVG."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

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
            except Exception:  # no fork (or a worker died): write them here
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


def _save_index(i: int, directory: str, png_dpi: int) -> None:
    from ..plotting import style, tight_box

    fig, name = _PENDING[i]
    with style():
        box = tight_box(fig, png_dpi)  # one layout pass for both formats
        for ext, dpi in (("svg", None), ("png", png_dpi)):
            target = Path(directory) / f"{name}.{ext}"
            tmp = target.with_name(f".{target.name}.tmp")
            kw = {"dpi": dpi} if dpi else {}
            fig.savefig(tmp, format=ext, bbox_inches=box, **kw)
            os.replace(tmp, target)


def plot_eis_overview(spectra, fits, temps_K, labels=None, title: str | None = None):
    """(a) Nyquist plot (−Z″ vs Z′, equal axes) of the coldest spectrum with its fit; (b) |Z| vs f for every
    temperature with fits.  ``spectra``: list of (f, Z); ``fits``: FitResult or None per spectrum."""
    import matplotlib as mpl

    from ..plotting import new_figure, style, tidy_log_axis

    fig, axes = new_figure(7.0, 3.0, ncols=2)
    with style():
        ax0, ax1 = axes
        order = np.argsort([t if t is not None else np.inf for t in temps_K])
        i0 = int(order[0])
        f0, z0 = spectra[i0]
        scale, unit = _ohm_scale(np.nanmax(np.abs(z0)))
        ax0.plot(z0.real * scale, -z0.imag * scale, "o", ms=2.5, mfc="none", color="0.25", label="data")
        fit0 = fits[i0]
        if fit0 is not None:
            ff = np.logspace(np.log10(f0.max()), np.log10(f0.min()), 300)
            zf = fit0.predict(ff)
            ax0.plot(zf.real * scale, -zf.imag * scale, "-", color="C3", label="fit")
        t0 = temps_K[i0]
        ax0.set_title(f"{t0 - 273.15:.0f} °C" if t0 is not None else "coldest spectrum")
        # blocking cell (capacitive spike at low f): a box a little larger than the arc; otherwise everything
        lowf = np.argsort(f0)[: max(2, len(f0) // 10)]
        spike = float(np.nanmedian(-z0.imag[lowf])) > 0.5 * float(np.nanmax(z0.real))
        if spike:
            r_arc = float(np.nanmax(z0.real[np.argsort(f0)[::-1][: max(3, len(z0) * 2 // 3)]]))
            lim = 1.35 * r_arc * scale
        else:
            lim = 1.05 * float(np.nanmax(np.abs(z0))) * scale
        ax0.set_xlim(0, lim)
        ax0.set_ylim(0, lim)
        ax0.set_box_aspect(1)
        ax0.set_aspect("equal", adjustable="box")
        ax0.set_xlabel(f"Z′ ({unit})")
        ax0.set_ylabel(f"−Z″ ({unit})")
        ax0.legend(loc="upper left")
        zscale, zunit = _ohm_scale(max(float(np.nanmax(np.abs(z))) for _, z in spectra))
        plasma = mpl.colormaps["plasma"]     # cold → hot; (coolwarm's pale grey middle vanished on white)

        def cmap(u):
            return plasma(0.85 * float(u))

        finite = [t for t in temps_K if t is not None]
        tmin, tmax = (min(finite), max(finite)) if finite else (0, 1)
        for k, ((f, z), fit, T) in enumerate(zip(spectra, fits, temps_K)):
            if len(spectra) == 1:
                c = "0.2"
            else:
                c = cmap((T - tmin) / (tmax - tmin) if (T is not None and tmax > tmin) else k / (len(spectra) - 1))
            lab = f"{T - 273.15:.0f} °C" if T is not None else (labels[k] if labels else None)
            ax1.loglog(f, np.abs(z) * zscale, "o", ms=1.8, color=c, label=lab)
            if fit is not None:  # the fit's own frequencies: points of an inductive loop may be left out of it
                ff = getattr(fit, "freq_Hz", None)
                ff = f if ff is None or len(ff) != len(fit.Z_fit) else ff
                ax1.loglog(ff, np.abs(fit.Z_fit) * zscale, "-", lw=0.8, color=c)
        ax1.set_xlabel("frequency (Hz)")
        ax1.set_ylabel(f"|Z| ({zunit})")
        ax1.set_box_aspect(1)            # same height as the (square, equal-axes) Nyquist panel
        tidy_log_axis(ax1.yaxis)
        if len(spectra) <= 10:           # |Z| falls with f: the low-f, low-|Z| corner is empty
            ax1.legend(ncol=1, fontsize=6, loc="lower left", handletextpad=0.2, labelspacing=0.25)
        if title:
            fig.suptitle(title, fontsize=9)
        fig.subplots_adjust(wspace=0.4)
    return fig


def plot_arrhenius_fallback(T_K, sigma_S_per_m, label: str):
    """log σ (S/cm) vs 1000/T when :mod:`sselab.transport.arrhenius` is not available."""
    from ..plotting import new_figure, style

    fig, ax = new_figure(3.5, 2.8)
    with style():
        T = np.asarray(T_K, float)
        s = np.asarray(sigma_S_per_m, float) / 100
        ax.semilogy(1000 / T, s, "o", label=label)
        ax.set_xlabel("1000/T (K$^{-1}$)")
        ax.set_ylabel("σ (S cm$^{-1}$)")
        ax.legend()
    return fig


def _ohm_scale(vmax: float):
    if vmax >= 2e6:
        return 1e-6, "MΩ"
    if vmax >= 2e3:
        return 1e-3, "kΩ"
    return 1.0, "Ω"
