"""The report's comparison with a paper: one row per quantity the paper states, sselab's value beside it.

Which of the report's numbers measures which stated quantity is the data set's knowledge, not the report's: a
``truth.json`` (``sselab demo`` writes one) lists under ``paper_measured_by`` for each stated value its ``id`` in
:mod:`sselab.materials.paper` and the ``recipe``, ``subject`` and value ``key`` of sselab's result (or ``null``
and a ``note`` when the data set does not reproduce it); the paper's file is named by ``paper_values``
(``sselab.materials.paper: lowen2025``).  Agreement follows the stated value's relation and tolerance
(:meth:`sselab.materials.paper.PaperValue.agrees`); a value sselab reports only as a bound agrees with a stated
bound of the same direction when it meets it.

>>> rows = paper_comparison(job_results, truth_doc)          # doctest: +SKIP
>>> rows[0]["quantity"], rows[0]["paper_value"], rows[0]["sselab_value"], rows[0]["agrees"]   # doctest: +SKIP
"""
from __future__ import annotations

import math

__all__ = ["paper_comparison", "paper_key", "BOUND_TOLERANCE"]

#: a stated bound (``> 750 h``, ``≥ 10 mA/cm²``) is met by a measured value within this fraction of it: a step's
#: measured current density is its set value within the instrument's accuracy (9.9998 mA/cm² for 10)
BOUND_TOLERANCE = 0.01


def paper_key(truth: dict) -> str | None:
    """The paper a truth file compares with (``"sselab.materials.paper: lowen2025"`` → ``"lowen2025"``)."""
    ref = str(truth.get("paper_values") or "")
    return ref.split(":", 1)[1].strip() if ":" in ref else (ref or None)


def _si(v) -> float | None:
    """A Value in SI (eV and dimensionless kept): what :meth:`PaperValue.agrees` takes."""
    from .. import units

    x = v.value
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(float(x)):
        return None
    if not v.unit or v.unit in ("eV",):
        return float(x)
    try:
        return float(units.from_unit(float(x), v.unit))
    except Exception:          # a unit sselab cannot convert: not comparable (the note says so)
        return None


def _fmt(x, err=None, bound=None, resolution=None) -> str:
    from ..fmt import fmt_num, fmt_pm

    if x is None:
        return "—"
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e6 and err is None:
        s = str(int(x))
    elif err and resolution and err < resolution:
        dec = max(0, -int(math.floor(math.log10(resolution) + 1e-9)))
        s = f"{x:.{dec}f} ± {_one_digit(err)}"
    else:
        s = fmt_pm(x, err) if err else fmt_num(x, 4)
    return {"<=": "≤ ", ">=": "≥ "}.get(bound or "", "") + s


def paper_comparison(results, truth: dict) -> list[dict]:
    """Rows ``id, quantity, paper_value, paper_text, relation, sselab_value, sselab_text, unit, agrees, basis,
    note, where`` (values in the paper's unit) for every entry of ``truth["paper_measured_by"]``; ``results``: the
    report's :class:`~sselab.recipes.routing.JobResult` s or :class:`RecipeResult` s."""
    from ..errors import SselabError
    from ..materials.paper import load_paper

    entries = truth.get("paper_measured_by") or []
    key = paper_key(truth)
    if not entries or not key:
        return []
    try:
        pv = load_paper(key)
    except SselabError as exc:
        return [{"id": None, "quantity": f"paper {key!r}", "agrees": None, "note": str(exc)}]
    index = {}
    for r in results:
        res = getattr(r, "result", r)
        if res is not None:
            index.setdefault((res.recipe, res.subject), res)
    rows = []
    for e in entries:
        row_id = e.get("id")
        try:
            p = pv[row_id]
        except SselabError as exc:
            rows.append({"id": row_id, "quantity": row_id, "agrees": None, "note": str(exc)})
            continue
        note = e.get("note") or ""
        res = index.get((e.get("recipe"), e.get("subject"))) if e.get("recipe") else None
        v = res[e["key"]] if (res is not None and e.get("key") in res) else None
        x_si = _si(v) if v is not None else None
        row = pv.comparison_row(row_id, x_si, note)
        from ..recipes.base import _pretty_unit

        row["paper_text"] = _pretty_unit(p.paper_text().replace("Ohm", "ohm"))

        row["unit_text"] = _pretty_unit(p.unit.replace("Ohm", "ohm"))
        if row["agrees"] is False and x_si is not None and p.relation in (">", ">=", "<", "<=") \
                and not p.is_range:
            x, v_ = p.to_paper_unit(x_si), float(p.value)
            near = x >= v_ * (1 - BOUND_TOLERANCE) if p.relation in (">", ">=") else x <= v_ * (1 + BOUND_TOLERANCE)
            if near:
                row["agrees"] = True
                row["note"] = (row["note"] + "; " if row["note"] else "") + (
                    f"{x:.6g} {p.unit} meets the stated bound within {BOUND_TOLERANCE:.0%}")
        row["basis"] = e.get("basis") or row.get("basis") or ""
        row["where"] = f"{e.get('recipe')} — {e.get('subject')}: {e.get('key')}" if e.get("recipe") else ""
        if v is None:
            row["agrees"] = None
            if e.get("recipe") and not note:
                row["note"] = (f"no value {e.get('key')!r} in the {e.get('recipe')} result for {e.get('subject')}"
                               if res is not None else f"no {e.get('recipe')} result for {e.get('subject')}")
            elif e.get("recipe"):
                row["note"] = note + (f" — no value {e.get('key')!r}" if res is not None else
                                      f" — no {e.get('recipe')} result for {e.get('subject')}")
            row["sselab_text"] = "—"
            rows.append(row)
            continue
        err = None
        if v.stderr is not None and x_si is not None:
            try:
                from .. import units

                e_si = float(units.from_unit(float(v.value) + float(v.stderr), v.unit)) - x_si if v.unit not in (
                    "", "eV") else float(v.stderr)
                err = abs(p.to_paper_unit(x_si + e_si) - p.to_paper_unit(x_si))
            except Exception:
                err = None
        row["sselab_stderr"] = err
        row["sselab_bound"] = v.bound
        if v.bound and p.relation in ("=", "~"):
            row["note"] = (row["note"] + "; " if row["note"] else "") + "sselab's value is a bound"
        if v.bound == ">=" and p.relation in ("<", "<="):
            row["agrees"] = None
        row["sselab_text"] = _fmt(row["sselab_value"], err, v.bound, getattr(v, "resolution", None))
        rows.append(row)
    return rows


def _one_digit(e: float) -> str:
    """An error to one significant figure in fixed notation (``0.00026`` → ``0.0003``)."""
    dec = max(0, -int(math.floor(math.log10(abs(e)))))
    return f"{round(e, dec):.{dec}f}"
