"""Half cycles of a full-cell analysis and of a Neware BTSDA export, side by side (shared by the counter tests in
tests/cycling and tests/io/cyclers)."""
import numpy as np
import pandas as pd


def sselab_half_cycles(res) -> np.ndarray:
    """|charge| (C) of every half cycle of a ``FullCellResult``, in the order they ran."""
    seq = []
    for k in range(res.n_cycles):
        a, b = ((res.charge_capacity_C[k], res.discharge_capacity_C[k]) if res.first_direction == "charge"
                else (res.discharge_capacity_C[k], res.charge_capacity_C[k]))
        seq += [a, b]
    seq = np.asarray(seq)
    return seq[np.isfinite(seq)]


def btsda_half_cycles(ref: pd.DataFrame) -> pd.DataFrame:
    """Half cycles of a BTSDA export: consecutive charge (or discharge) steps, their final |Capacity| summed (``q``,
    C), the direction (``dir``: +1 charge, −1 discharge) and how many steps each holds (``n``: each carries the
    export's rounding)."""
    steps = ref.groupby("Step Count", sort=True, observed=True).agg(
        typ=("Step Type", "first"), q=("Capacity(mAs)", lambda s: abs(float(s.iloc[-1]))))
    typ = steps["typ"].astype(str)
    d = np.where(typ.str.contains("DChg|Dchg"), -1, np.where(typ.str.contains("Chg"), 1, 0))
    steps = steps.assign(dir=d).loc[d != 0]
    dd = steps["dir"].to_numpy()
    hid = np.concatenate(([0], np.cumsum(dd[1:] != dd[:-1])))
    return (steps.groupby(hid).agg(dir=("dir", "first"), q=("q", "sum"), n=("q", "size"))
            .assign(q=lambda x: x["q"] * 1e-3))
