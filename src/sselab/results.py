"""Shared helpers for the small frozen result objects analysis modules return."""
from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from pathlib import Path

import numpy as np


def jsonable(obj):
    """Convert results (dataclasses, numpy, pandas, paths) into plain JSON-ready Python objects.

    NaN and infinities become ``None`` so the output is strict JSON.
    """
    import pandas as pd

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "to_dict") and type(obj).to_dict is not Result.to_dict:
            return jsonable(obj.to_dict())
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj) if not f.name.startswith("_")}
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return [jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, pd.Series):
        return jsonable(obj.to_list())
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, complex):
        return {"real": jsonable(obj.real), "imag": jsonable(obj.imag)}
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, datetime):
        return obj.isoformat()
    return obj


class Result:
    """Mixin for frozen dataclass results: ``to_dict()`` gives JSON-ready output."""

    def to_dict(self) -> dict:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)  # type: ignore[arg-type]
                if not f.name.startswith("_")}
