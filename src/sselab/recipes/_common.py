"""Small helpers shared by the recipe modules (not part of the public API)."""
from __future__ import annotations

from pathlib import Path

from ..fmt import finite
from .base import Flag, RecipeError

__all__ = ["source_name", "reader_flags", "one_measurement", "finite", "has_geometry", "T_label"]


def source_name(m) -> str:
    """The file name of a Measurement (``<memory>`` without one)."""
    src = getattr(m, "source", None)
    return Path(src).name if src is not None else getattr(m, "name", "<memory>")


def source_path(m) -> str:
    src = getattr(m, "source", None)
    return str(src) if src is not None else source_name(m)


def reader_flags(measurements) -> list[Flag]:
    """The readers' warnings (something guessed, skipped or repaired) as flags naming the file."""
    out = []
    for m in measurements:
        for w in getattr(m, "warnings", ()) or ():
            out.append(Flag("reader-warning", " ".join(str(w).split()), "warning", source_name(m)))
    return out


def one_measurement(measurements, recipe: str):
    """The single Measurement a per-file recipe takes (a list of one, or the Measurement itself)."""
    if hasattr(measurements, "data") and hasattr(measurements, "technique"):
        return measurements
    ms = list(measurements)
    if len(ms) != 1:
        raise RecipeError(f"{recipe}: takes one file, got {len(ms)}")
    return ms[0]


def measurements_list(measurements) -> list:
    if hasattr(measurements, "data") and hasattr(measurements, "technique"):
        return [measurements]
    ms = list(measurements)
    if not ms:
        raise RecipeError("no measurements given")
    return ms


def has_geometry(cell) -> bool:
    return cell is not None and cell.thickness_m is not None and cell.area_m2 is not None


def T_label(T_K) -> str | None:
    return None if T_K is None else f"{T_K - 273.15:.1f} °C"



def current_unit(value_A) -> str:
    """The current unit a researcher reads ``value_A`` in (A, mA, µA, nA or pA: the largest keeping it ≥ 1)."""
    v = abs(float(value_A)) if value_A is not None else 0.0
    for scale, unit in ((1.0, "A"), (1e-3, "mA"), (1e-6, "uA"), (1e-9, "nA")):
        if v >= scale:
            return unit
    return "pA"
