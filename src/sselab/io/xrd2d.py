"""2-D detector images → 1-D powder patterns by azimuthal integration (pyFAI + fabio; extra ``sselab[xrd2d]``).

``integrate_image(image, poni)`` reads the image with fabio (TIFF, CBF, EDF, …) and the calibration (a pyFAI PONI
file: distance, PONI1/2, rotations, pixel size, wavelength) and integrates it with pyFAI's ``integrate1d`` into 2θ
(degrees) — the same call Dioptas makes, so a Dioptas export of the same image and PONI is the reference.
The result is an ordinary XRD :class:`Measurement` (``two_theta_deg``, ``intensity``, ``intensity_err`` from
Poisson statistics) with ``extra['wavelength_m']`` from the PONI file.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MissingDependencyError, ReaderError
from .base import Measurement

__all__ = ["integrate_image"]


def _deps():
    try:
        import fabio
        import pyFAI
    except ImportError:
        raise MissingDependencyError("integrating 2-D detector images needs pyFAI and fabio: "
                                     "pip install 'sselab[xrd2d]'") from None
    return fabio, pyFAI


def integrate_image(image, poni, *, npt: int | None = None, unit: str = "2th_deg", mask=None,
                    polarization_factor: float | None = None, method: str = "csr", correct_solid_angle: bool = True,
                    radial_range_deg: tuple[float, float] | None = None, orientation: str = "auto") -> Measurement:
    """Azimuthally integrate ``image`` with the calibration ``poni`` → XRD :class:`Measurement`.

    ``npt``: number of 2θ bins (default: the image's larger dimension, as Dioptas does); ``mask``: a boolean
    array or an image file (True/non-zero = masked); ``polarization_factor``: pyFAI's (None = no correction,
    0.99 for a synchrotron horizontal-polarised beam).

    ``orientation``: ``"pyfai"`` (the image as stored, pyFAI-calib's convention), ``"dioptas"`` (flipped upside
    down, as Dioptas shows and calibrates images) or ``"auto"`` (default): both are integrated and the one whose
    rings are sharper is kept — a calibration made in the other frame smears every ring; when the flipped frame
    wins, ``warnings`` says so."""
    fabio, pyFAI = _deps()
    image, poni = Path(image), Path(poni)
    for p in (image, poni):
        if not p.is_file():
            raise ReaderError(p, "no such file")
    try:
        img = fabio.open(str(image)).data
    except Exception as exc:                # fabio raises bare Exceptions of many kinds on bad images
        raise ReaderError(image, f"cannot read the image ({' '.join(str(exc).split())[:120]})") from None
    try:
        ai = pyFAI.load(str(poni))
    except Exception as exc:                # pyFAI raises bare Exceptions on malformed PONI files
        raise ReaderError(poni, f"cannot read the PONI calibration ({' '.join(str(exc).split())[:120]})") from None
    if not ai.wavelength:
        raise ReaderError(poni, "the PONI file gives no wavelength")
    if mask is not None and not isinstance(mask, np.ndarray):
        mask = fabio.open(str(mask)).data != 0
    if mask is not None and mask.shape != img.shape:
        raise ReaderError(image, f"mask shape {mask.shape} differs from the image {img.shape}")
    npt = int(npt or max(img.shape))
    kw = {}
    if radial_range_deg is not None:
        kw["radial_range"] = radial_range_deg
    if orientation not in ("auto", "pyfai", "dioptas"):
        raise ReaderError(image, f"orientation {orientation!r}: expected auto, pyfai or dioptas")

    def run(im, m):
        return ai.integrate1d(im, npt, unit=unit, mask=m, polarization_factor=polarization_factor,
                              correctSolidAngle=correct_solid_angle, method=method, error_model="poisson", **kw)

    warnings = []
    flipped = orientation == "dioptas"
    if orientation == "auto":
        a = run(img, mask)
        b = run(np.flipud(img), None if mask is None else np.flipud(mask))
        sa, sb = _sharpness(a.intensity), _sharpness(b.intensity)
        flipped = sb > 1.5 * sa
        res = b if flipped else a
        if flipped:
            warnings.append(f"the calibration fits the image flipped upside down (Dioptas' frame): integrated flipped "
                            f"(ring sharpness {sb:.3g} vs {sa:.3g}); pass orientation='pyfai' to override")
    else:
        res = run(np.flipud(img) if flipped else img, None if mask is None else (np.flipud(mask) if flipped else mask))
    x = np.asarray(res.radial, float)
    y = np.asarray(res.intensity, float)
    err = None if res.sigma is None else np.asarray(res.sigma, float)
    cols = {"two_theta_deg": x, "intensity": y}
    if err is not None:
        cols["intensity_err"] = err
    extra = {"wavelength_m": float(ai.wavelength), "wavelength_source": "PONI file", "poni": str(poni),
             "integration": {"npt": npt, "unit": unit, "method": method, "polarization_factor": polarization_factor,
                             "correct_solid_angle": correct_solid_angle, "pyFAI": pyFAI.version,
                             "orientation": "dioptas (flipped up-down)" if flipped else "pyfai (as stored)"},
             "image_shape": list(img.shape)}
    return Measurement(pd.DataFrame(cols), source=image, format="xrd-image", technique="XRD", extra=extra,
                       warnings=warnings)


def _sharpness(y) -> float:
    """Peak contrast of a 1-D pattern: mean squared second difference over the mean squared signal."""
    y = np.nan_to_num(np.asarray(y, float))
    d2 = np.diff(y, 2)
    return float(np.mean(d2 ** 2) / (np.mean(y ** 2) + 1e-300))
