"""Import external conductivity datasets (CSV) by column mapping, and cross-check them with the knowledge base.

A mapping sends knowledge-base field names to CSV column names, e.g.::

    {"name": "compound", "formula": "compound", "sigma_S_per_cm": "conductivity_siemens_per_cm",
     "reference": "conductivity_doi"}

Presets: ``"mchaffie"`` (McHaffie et al., Digital Discovery 2025, doi:10.1039/D5DD00052A, CC0 — room-temperature σ;
rows with a ``lowest_extrapolation_temperature_K`` were extrapolated to RT and are flagged
``sigma_calculated``) and ``"obelix"`` (OBELiX, NRC-Mila, CC-BY-4.0 — RT σ, space group, family).  Both give σ
"at room temperature"; sselab records that as 25 °C (``sigma_T`` default, change it with ``sigma_T=``).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ReaderError, SselabError
from ..results import Result
from .formula import FormulaError, parse_formula
from .kb import KnowledgeBase, Material, builtin_kb, material_from_fields, same_composition

__all__ = ["PRESETS", "ImportResult", "import_csv", "CrossCheck", "cross_check"]

PRESETS: dict[str, dict] = {
    "mchaffie": {
        "columns": {"name": "compound", "formula": "compound", "sigma_S_per_cm": "conductivity_siemens_per_cm",
                    "reference": "conductivity_doi"},
        "calculated_column": "lowest_extrapolation_temperature_K",
        "id_column": None,
        "source": "McHaffie et al., Digital Discovery 2025 (doi:10.1039/D5DD00052A), CC0",
        "prefix": "mchaffie",
    },
    "obelix": {
        "columns": {"name": "Reduced Composition", "formula": "Reduced Composition",
                    "sigma_S_per_cm": "Ionic conductivity (S cm-1)", "space_group": "Space group",
                    "structure": "Family", "reference": "DOI"},
        "calculated_column": None,
        "id_column": "ID",
        "source": "OBELiX (NRC-Mila), CC-BY-4.0",
        "prefix": "obelix",
    },
}

_MISSING = {"", "na", "n/a", "nan", "none", "-", "—"}


@dataclass(frozen=True)
class ImportResult(Result):
    """Imported entries (``kb``) and the rows that were skipped, each with a reason."""

    path: str
    n_rows: int
    kb: KnowledgeBase = field(compare=False)
    skipped: tuple[tuple[int, str], ...] = ()

    def to_dict(self) -> dict:
        return {"path": self.path, "n_rows": self.n_rows, "n_imported": len(self.kb),
                "skipped": [{"row": r, "reason": why} for r, why in self.skipped]}


def _clean(v):
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    s = str(v).strip().strip("\t").strip()
    return None if s.lower() in _MISSING else s


def import_csv(path, mapping="mchaffie", sigma_T: str = "25 C", family: str = "external", source: str | None = None,
               id_prefix: str | None = None, nitrogen_only: bool = False) -> ImportResult:
    """Read an external CSV into knowledge-base entries.

    ``mapping`` is a preset name (:data:`PRESETS`) or a dict ``{field name: CSV column}``; unmapped fields stay
    empty.  Rows with no usable σ (missing, non-numeric, or bounds such as ``"<1E-10"``) are skipped and listed
    with the reason in ``ImportResult.skipped``; a formula that does not parse is kept as name only.
    ``nitrogen_only`` keeps rows whose formula contains N.
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise ReaderError(path, "no such file")
    if isinstance(mapping, str):
        try:
            preset = PRESETS[mapping.lower()]
        except KeyError:
            raise SselabError(f"unknown import preset {mapping!r}; choose {sorted(PRESETS)} or give a "
                              "{field: column} mapping") from None
    else:
        preset = {"columns": dict(mapping), "calculated_column": None, "id_column": None,
                  "source": source or path.name, "prefix": id_prefix or path.stem}
    cols = preset["columns"]
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ReaderError(path, f"cannot read CSV ({str(exc).splitlines()[0]})") from None
    missing = [c for c in list(cols.values()) + [preset.get("calculated_column"), preset.get("id_column")]
               if c and c not in df.columns]
    if missing:
        raise ReaderError(path, f"column(s) {missing} not found; columns are {list(df.columns)}")
    if "sigma_S_per_cm" not in cols:
        raise SselabError("import mapping needs a 'sigma_S_per_cm' column")
    prefix = id_prefix or preset["prefix"]
    src = source or preset["source"]
    entries: list[Material] = []
    skipped: list[tuple[int, str]] = []
    for i, row in enumerate(df.to_dict(orient="records")):
        rown = i + 2  # 1-based with header
        d = {field_: _clean(row.get(col)) for field_, col in cols.items()}
        raw = d.get("sigma_S_per_cm")
        if raw is None:
            skipped.append((rown, "no conductivity"))
            continue
        if re.match(r"^\s*[<>≤≥]", raw):
            skipped.append((rown, f"conductivity is a bound ({raw})"))
            continue
        try:
            sig = float(raw)
        except ValueError:
            skipped.append((rown, f"conductivity {raw!r} is not a number"))
            continue
        if not sig > 0:
            skipped.append((rown, f"non-positive conductivity {raw}"))
            continue
        formula = d.get("formula")
        note = None
        if formula:
            try:
                parse_formula(formula)
            except FormulaError as exc:
                note = f"formula not parsed: {exc}"
                formula = None
        if nitrogen_only and not (formula and parse_formula(formula).get("N", 0) > 0):
            continue
        ident = _clean(row.get(preset["id_column"])) if preset.get("id_column") else None
        entry = {
            "id": f"{prefix}:{ident or rown}", "name": d.get("name") or formula or f"row {rown}",
            "formula": formula, "family": family, "source": src, "table": f"{path.name} row {rown}",
            "sigma_S_per_cm": sig, "sigma_T": d.get("sigma_T") or sigma_T,
        }
        for k in ("space_group", "structure", "reference", "Ea_eV", "notes", "synthesis"):
            if d.get(k) is not None:
                entry[k] = d[k]
        calc_col = preset.get("calculated_column")
        if calc_col and _clean(row.get(calc_col)) is not None:
            entry["sigma_calculated"] = True
            note = ((note + "; ") if note else "") + f"extrapolated to RT from >= {_clean(row.get(calc_col))} K"
        if note:
            entry["notes"] = note
        try:
            entries.append(material_from_fields(entry, where=f"{path.name} row {rown}", origin=str(path)))
        except SselabError as exc:
            skipped.append((rown, str(exc)))
    return ImportResult(str(path), len(df), KnowledgeBase(entries, sources=(str(path),)), tuple(skipped))


@dataclass(frozen=True)
class CrossCheck(Result):
    """Compounds present in both an external dataset and the knowledge base.

    ``rows``: dicts ``formula, external_name, external_id, external_sigma_S_per_m, external_calculated,
    kb_matches`` (names), ``kb_nearest``, ``kb_nearest_sigma_S_per_m`` (σ at 25 °C), ``log10_ratio``
    (external / nearest KB value) and ``agree`` (|log10 ratio| ≤ ``tolerance_decades``).
    """

    source: str
    tolerance_decades: float
    rows: tuple[dict, ...]

    @property
    def n_agree(self) -> int:
        return sum(1 for r in self.rows if r["agree"])


def _sg(text) -> str | None:
    """Space-group symbol without spaces, case kept (``"P 21/c"`` → ``"P21/c"``)."""
    return re.sub(r"\s+", "", str(text)) if text else None


def cross_check(external: KnowledgeBase | ImportResult, kb: KnowledgeBase | None = None,
                tolerance_decades: float = 1.0, families=None) -> CrossCheck:
    """Match external entries to knowledge-base entries of the same composition (element ratios) and compare σ at
    25 °C with the nearest KB value (a compound may have several preparations in the KB; when the external row
    has a space group that some matches share, only those are considered)."""
    if isinstance(external, ImportResult):
        external = external.kb
    kb = kb or builtin_kb()
    pool = [m for m in kb if m.formula and m.sigma_25C_S_per_m is not None
            and (families is None or m.family in families)]
    rows = []
    for e in external:
        if not e.formula or e.sigma_S_per_m is None:
            continue
        matches = [m for m in pool if same_composition(m.formula, e.formula)]
        if not matches:
            continue
        sg = _sg(e.space_group)
        same_sg = [m for m in matches if sg and _sg(m.space_group) == sg]
        pick_from = same_sg or matches
        s_ext = e.sigma_25C_S_per_m if e.sigma_25C_S_per_m is not None else e.sigma_S_per_m
        nearest = min(pick_from, key=lambda m: abs(math.log10(m.sigma_25C_S_per_m / s_ext)))
        ratio = math.log10(s_ext / nearest.sigma_25C_S_per_m)
        rows.append({
            "formula": e.formula, "external_name": e.name, "external_id": e.id, "external_sigma_S_per_m": s_ext,
            "external_calculated": e.sigma_calculated, "external_reference": e.reference,
            "kb_matches": [m.name for m in matches], "matched_space_group": bool(same_sg), "kb_nearest": nearest.name, "kb_nearest_id": nearest.id,
            "kb_family": nearest.family, "kb_nearest_sigma_S_per_m": nearest.sigma_25C_S_per_m,
            "log10_ratio": ratio, "agree": abs(ratio) <= tolerance_decades,
        })
    return CrossCheck(str(external.sources[0]) if external.sources else "", float(tolerance_decades), tuple(rows))
