"""`sselab materials` — the nitride-SSE knowledge base: list/rank, show, compare, score, calculators, import."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from ._common import JSON_OPTION, OUT_OPTION, console, fmt, print_json, show, table, user_errors

materials_app = typer.Typer(
    name="materials",
    help="Knowledge base of nitride solid electrolytes (review Tables 1-5 + Li2NH): list, rank, compare, score, "
         "calculators.",
    no_args_is_help=True,
)

DATA_OPTION = typer.Option(None, "--data", help="Extra knowledge-base file(s) (YAML/CSV, same schema) merged on top.")
AT_OPTION = typer.Option("25 C", "--at", help="Temperature for σ and ranking, e.g. 25C, 60 C, 300 K.")


def _kb(data):
    from ..materials.kb import load_kb
    return load_kb(data or ())


def _T(text: str) -> float:
    from .. import units
    return units.parse(text, "temperature", default_unit="C")


def _sigma_cell(m, T_K):
    from ..materials.kb import _sigma_or_none
    s = _sigma_or_none(m, T_K)
    return None if s is None else s / 100.0


@materials_app.command("list")
def list_cmd(
    family: Optional[List[str]] = typer.Option(None, "--family", "-f",
                                               help="Family slug(s): li3n, lipon, nitride_halide, "
                                                    "nitride_chalcogenide, nitridophosphate, group14_nitride, "
                                                    "group13_nitride, imide (repeat or comma-separate)."),
    min_sigma: Optional[str] = typer.Option(None, "--min-sigma", help="Keep σ(at) ≥ this, e.g. 0.1mS/cm."),
    at: str = AT_OPTION,
    sort: str = typer.Option("sigma", "--sort", help="sigma (ranking at --at) or kb (file order)."),
    data: Optional[List[Path]] = DATA_OPTION,
    as_json: bool = JSON_OPTION,
):
    """List (and rank) entries; σ at --at from the σT Arrhenius form."""
    with user_errors():
        from .. import units
        kb = _kb(data)
        T_K = _T(at)
        fams = None
        if family:
            fams = [f.strip() for item in family for f in item.split(",") if f.strip()]
        smin = units.parse(min_sigma, "conductivity") if min_sigma else None
        entries = kb.filter(family=fams, min_sigma_S_per_m=smin, T_K=T_K)
        if sort == "sigma":
            ranked = kb.rank(T_K, entries)
            unranked = [m for m in entries if m not in {r[0] for r in ranked}]
            ordered = [m for m, _ in ranked] + unranked
        elif sort == "kb":
            ordered = entries
        else:
            raise units.UnitError(f"--sort must be 'sigma' or 'kb', got {sort!r}")
        rows = []
        for i, m in enumerate(ordered):
            s = _sigma_cell(m, T_K)
            rows.append({"rank": i + 1 if sort == "sigma" and s is not None else None, "id": m.id, "name": m.name,
                         "formula": m.formula, "family": m.family, "sigma_S_per_cm_at_T": s,
                         "sigma_reported_S_per_cm": None if m.sigma_S_per_m is None else m.sigma_S_per_m / 100,
                         "sigma_reported_T_C": None if m.sigma_T_K is None else round(m.sigma_T_K - 273.15, 2),
                         "Ea_eV": m.Ea_eV, "flags": list(m.flags), "reference": m.reference, "source": m.source})
        if as_json:
            print_json({"T_K": T_K, "n": len(rows), "entries": rows})
            return
        show(table(f"{len(rows)} entries, σ at {T_K - 273.15:.4g} °C (σT Arrhenius)",
                   ["#", "name", "family", "σ(T) S/cm", "reported S/cm", "Ea eV", "flags"],
                   [[str(r["rank"] or ""), r["name"], r["family"], fmt(r["sigma_S_per_cm_at_T"], 3),
                     f"{fmt(r['sigma_reported_S_per_cm'], 3)} @ {_T_label(r['sigma_reported_T_C'])}",
                     fmt(r["Ea_eV"], 3), ",".join(_short(f) for f in r["flags"])] for r in rows]))


def _T_label(T_C) -> str:
    """'25 °C', or '300 K' when the paper gave kelvin (a whole number of K)."""
    if T_C is None:
        return "—"
    T_K = T_C + 273.15
    if abs(T_K - round(T_K)) < 1e-6 and abs(T_C - round(T_C)) > 1e-6:
        return f"{round(T_K)} K"
    return f"{T_C:g} °C"


def _short(flag: str) -> str:
    return {"calculated_from_arrhenius": "calc", "approximate": "~", "unresolved_structure": "unres",
            "anisotropic_perp_c": "⊥c", "anisotropic_par_c": "∥c"}.get(flag, flag)


@materials_app.command("show")
def show_cmd(
    name: str = typer.Argument(..., help="Name, alias, id or formula (case-insensitive)."),
    at: str = AT_OPTION,
    data: Optional[List[Path]] = DATA_OPTION,
    as_json: bool = JSON_OPTION,
):
    """Everything the knowledge base holds on one material (all preparations when a formula matches several)."""
    with user_errors():
        from ..materials.kb import MaterialNotFoundError
        kb = _kb(data)
        T_K = _T(at)
        found = kb.find(name)
        if not found:
            kb.get(name)  # raises with close matches
            raise MaterialNotFoundError(name)
        out = []
        for m in found:
            d = m.to_dict()
            d["sigma_at_T_S_per_m"] = None if _sigma_cell(m, T_K) is None else _sigma_cell(m, T_K) * 100
            d["T_K"] = T_K
            out.append(d)
        if as_json:
            print_json(out[0] if len(out) == 1 else {"query": name, "matches": out})
            return
        for m, d in zip(found, out):
            rows = [["formula", m.formula or "—"], ["family", m.family_label],
                    ["structure", f"{m.structure or '—'}" + (f" ({m.space_group})" if m.space_group else "")],
                    ["σ reported", "—" if m.sigma_S_per_m is None else
                     f"{m.sigma_S_per_m / 100:.3g} S/cm at {_T_label(m.sigma_T_K - 273.15)}"],
                    [f"σ at {T_K - 273.15:.4g} °C", fmt(_sigma_cell(m, T_K), 3) + " S/cm"],
                    ["Ea", "—" if m.Ea_eV is None else f"{m.Ea_eV:g} eV" + (
                        f" ± {m.Ea_err_eV:g}" if m.Ea_err_eV else "") + (
                        f" (HT {m.Ea_HT_eV:g} eV)" if m.Ea_HT_eV else "")],
                    ["flags", ", ".join(m.flags) or "—"], ["synthesis", m.synthesis or "—"]]
            for label, w in (("window (calc)", m.window_calc_V), ("window (extended)", m.window_extended_V),
                             ("window (exp)", m.window_exp_V)):
                if w:
                    rows.append([label, f"{w[0]:g}–{w[1]:g} V vs Li+/Li"])
            if m.density_kg_per_m3:
                rows.append(["density", f"{m.density_kg_per_m3 / 1000:g} g/cm³"])
            if m.relative_density:
                rows.append(["relative density", f"{100 * m.relative_density:.3g} %"])
            if m.electronic_sigma_S_per_m:
                rows.append(["electronic σ", ("< " if m.electronic_upper_bound else "")
                             + f"{m.electronic_sigma_S_per_m / 100:.3g} S/cm"])
            rows.append(["reference", f"{m.reference or '—'} ({m.source} {m.table})"
                         + (f" — {m.ref_authors}" if m.ref_authors else "")])
            for k in ("formula_note", "notes"):
                if getattr(m, k):
                    rows.append([k.replace("_", " "), getattr(m, k)])
            show(table(f"{m.name}  [{m.id}]", ["field", "value"], rows))


@materials_app.command("compare")
def compare_cmd(
    points: Optional[Path] = typer.Option(None, "--points", help="CSV with temperature and conductivity columns "
                                          "(T_K or T_C; sigma_S_per_cm or sigma_S_per_m)."),
    ea: Optional[float] = typer.Option(None, "--Ea", help="Activation energy (eV), with --sigma25."),
    sigma25: Optional[str] = typer.Option(None, "--sigma25", help="σ at 25 °C, e.g. '0.8 mS/cm'."),
    name: str = typer.Option("this work", "--name"),
    at: str = AT_OPTION,
    family: Optional[List[str]] = typer.Option(None, "--family", "-f"),
    data: Optional[List[Path]] = DATA_OPTION,
    out: Optional[Path] = OUT_OPTION,
    top: int = typer.Option(10, "--top", help="Rows shown around/above the user's material."),
    as_json: bool = JSON_OPTION,
):
    """Rank your material among the knowledge base and draw the Arrhenius comparison plot (with --out)."""
    with user_errors():
        from ._common import out_dir

        out = out_dir(out, [*(data or []), *([points] if points else [])])
        from ..materials.compare import compare, plot_comparison
        kb = _kb(data)
        up = _read_points(points) if points else None
        fams = [f.strip() for item in family for f in item.split(",")] if family else None
        comp = compare(user_points=up, Ea_eV=ea, sigma_25C=sigma25, name=name, kb=kb, T_K=_T(at), families=fams)
        files = []
        if out is not None:
            from ..plotting import save_figure
            files = [str(p) for p in save_figure(plot_comparison(comp), out, "materials_comparison")]
            files.append(str(out.write_text("materials_ranking.json", json.dumps(
                {"rows": [{k: v for k, v in r.items()} for r in comp.rows]}, indent=2, default=float))))
        if as_json:
            d = comp.to_dict()
            d.pop("curves", None)
            d["files"] = files
            print_json(d)
            return
        rows = [r for r in comp.rows if r["rank"] <= top or abs(r["rank"] - comp.user_rank) <= 2]
        show(table(f"{name}: Ea {comp.Ea_eV:.3g} eV, σ25 {comp.sigma_25C_S_per_m / 100:.3g} S/cm — rank "
                   f"{comp.user_rank}/{comp.n_ranked} at {comp.T_K - 273.15:.4g} °C",
                   ["#", "name", "family", f"σ({comp.T_K - 273.15:.4g} °C) S/cm", "Ea eV"],
                   [[str(r["rank"]), ("▶ " if r["is_user"] else "") + r["name"], r["family"],
                     fmt(r["sigma_S_per_m"] / 100, 3), fmt(r["Ea_eV"], 3)] for r in rows]))
        for f in files:
            console.print(f"wrote {f}", highlight=False, markup=False)


def _read_points(path: Path):
    import numpy as np
    import pandas as pd

    from ..errors import ReaderError
    try:
        df = pd.read_csv(path, comment="#")
    except FileNotFoundError:
        raise
    except Exception as exc:  # pandas raises many types
        raise ReaderError(path, f"cannot read CSV ({str(exc).splitlines()[0]})") from None
    cols = {c.lower().strip(): c for c in df.columns}
    if "t_k" in cols:
        T = df[cols["t_k"]].to_numpy(float)
    elif "t_c" in cols:
        T = df[cols["t_c"]].to_numpy(float) + 273.15
    else:
        raise ReaderError(path, f"needs a T_K or T_C column; has {list(df.columns)}")
    if "sigma_s_per_cm" in cols:
        s = df[cols["sigma_s_per_cm"]].to_numpy(float) * 100
    elif "sigma_s_per_m" in cols:
        s = df[cols["sigma_s_per_m"]].to_numpy(float)
    else:
        raise ReaderError(path, f"needs a sigma_S_per_cm or sigma_S_per_m column; has {list(df.columns)}")
    return np.asarray(T), np.asarray(s)


@materials_app.command("score")
def score_cmd(
    name: Optional[str] = typer.Argument(None, help="Knowledge-base entry (name/id/formula)."),
    measured: Optional[Path] = typer.Option(None, "--measured", help="YAML/JSON of measured properties "
                                            "(data-file field names, e.g. sigma_S_per_cm, sigma_T, Ea_eV)."),
    at: str = AT_OPTION,
    data: Optional[List[Path]] = DATA_OPTION,
    as_json: bool = JSON_OPTION,
):
    """Scorecard against the imide-paper and review targets (pass / fail / unknown, with sources)."""
    with user_errors():
        from ..errors import SselabError
        from ..materials.scorecard import scorecard
        if (name is None) == (measured is None):
            raise SselabError("give either a material NAME or --measured FILE")
        if measured is not None:
            import yaml
            try:
                obj = yaml.safe_load(Path(measured).read_text(encoding="utf-8"))
            except yaml.YAMLError:
                raise SselabError(f"{measured}: not valid YAML/JSON") from None
            if not isinstance(obj, dict):
                raise SselabError(f"{measured}: expected a mapping of measured properties")
            sc = scorecard(obj, T_K=_T(at))
        else:
            sc = scorecard(name, T_K=_T(at), kb=_kb(data))
        if as_json:
            print_json(sc)
            return
        from rich.text import Text

        c = sc.counts
        show(table(f"{sc.name}: {c['pass']} pass, {c['fail']} fail, {c['unknown']} unknown "
                   f"(σ judged at {sc.T_K - 273.15:.4g} °C)",
                   ["target", "threshold", "status", "value", "source"],
                   [[g.description, g.threshold, Text(g.status if g.status in ("pass", "fail") else "unknown",
                                                       style={"pass": "green", "fail": "red"}.get(g.status, "yellow")),
                     g.value, g.source] for g in sc.grades]))


@materials_app.command("reagents")
def reagents_cmd(
    target: str = typer.Argument(..., help="Target formula, e.g. Li2NH or Li1.917NH1.083."),
    precursors: List[str] = typer.Option(..., "--from", help="Precursor formula (repeat)."),
    mass: str = typer.Option("1 g", "--mass", help="Target mass, e.g. '1 g'."),
    byproduct: Optional[List[str]] = typer.Option(None, "--byproduct", help="Released species, e.g. H2."),
    weights: str = typer.Option("iupac2021", "--weights", help="Atomic weights: iupac2021 or iupac2007."),
    as_json: bool = JSON_OPTION,
):
    """Precursor masses from the element balance (least squares)."""
    with user_errors():
        from ..materials.calculators import reagent_masses
        r = reagent_masses(target, precursors, mass, byproducts=byproduct or (), weights=weights)
        if as_json:
            print_json(r)
            return
        show(table(f"{r.target_mass_kg * 1e3:g} g {target} (M = {r.target_molar_mass_g_per_mol:.4f} g/mol, "
                   f"{r.weights})", ["precursor", "mol / mol target", "mass g", "mass %"],
                   [[p, f"{n:.4f}", f"{m * 1e3:.4f}", f"{100 * f:.2f}"] for p, n, m, f in
                    zip(r.precursors, r.moles_per_target, r.masses_kg, r.mass_fractions)]))


@materials_app.command("density")
def density_cmd(
    material: str = typer.Argument(..., help="Name/formula (lookup) or formula (with --Z/--a: from the cell)."),
    z: Optional[float] = typer.Option(None, "--Z", help="Formula units per cell."),
    a: Optional[str] = typer.Option(None, "--a", help="Lattice a, e.g. '5.07 Å' or '0.507 nm'."),
    b: Optional[str] = typer.Option(None, "--b"),
    c: Optional[str] = typer.Option(None, "--c"),
    alpha: float = typer.Option(90.0, "--alpha"),
    beta: float = typer.Option(90.0, "--beta"),
    gamma: float = typer.Option(90.0, "--gamma", help="120 for hexagonal."),
    pellet_mass: Optional[str] = typer.Option(None, "--mass", help="Pellet mass, e.g. '0.12 g'."),
    diameter: Optional[str] = typer.Option(None, "--diameter", help="Pellet diameter, e.g. '10 mm'."),
    thickness: Optional[str] = typer.Option(None, "--thickness", help="Pellet thickness, e.g. '1.2 mm'."),
    as_json: bool = JSON_OPTION,
):
    """Density: lookup, theoretical from lattice parameters, and pellet relative density."""
    with user_errors():
        from ..errors import SselabError
        from ..materials.calculators import density_lookup, pellet_density, theoretical_density
        result: dict = {"material": material}
        if a is not None or z is not None:
            if a is None or z is None:
                raise SselabError("theoretical density needs both --Z and --a")
            rho = theoretical_density(material, z, a, b, c, alpha, beta, gamma)
            result.update(theoretical_density_kg_per_m3=rho, basis="lattice")
        else:
            rho = density_lookup(material)
            result.update(theoretical_density_kg_per_m3=rho, basis="lookup")
        if any(x is not None for x in (pellet_mass, diameter, thickness)):
            if None in (pellet_mass, diameter, thickness):
                raise SselabError("pellet density needs --mass, --diameter and --thickness")
            p = pellet_density(pellet_mass, diameter, thickness, rho)
            result.update(pellet=p.to_dict())
        if as_json:
            print_json(result)
            return
        rows = [["density", f"{rho / 1000:.4g} g/cm³ ({result['basis']})"]]
        if "pellet" in result:
            p = result["pellet"]
            rows += [["pellet density", f"{p['density_kg_per_m3'] / 1000:.4g} g/cm³"],
                     ["relative density", f"{100 * p['relative_density']:.3g} %"]]
        show(table(material, ["quantity", "value"], rows))


@materials_app.command("molar-mass")
def molar_mass_cmd(formula: str, weights: str = typer.Option("iupac2021", "--weights"), as_json: bool = JSON_OPTION):
    """Molar mass (g/mol) and composition of a formula."""
    with user_errors():
        from ..materials.formula import molar_mass, parse_formula
        comp = parse_formula(formula)
        M = molar_mass(comp, weights)
        if as_json:
            print_json({"formula": formula, "composition": comp, "molar_mass_g_per_mol": M, "weights": weights})
            return
        console.print(f"{formula}: {M:.4f} g/mol ({weights}); " + ", ".join(f"{k} {v:g}" for k, v in comp.items()),
                      markup=False, highlight=False)


@materials_app.command("import")
def import_cmd(
    csv_path: Path = typer.Argument(..., help="External CSV dataset."),
    preset: Optional[str] = typer.Option(None, "--preset", help="mchaffie or obelix."),
    mapping: Optional[List[str]] = typer.Option(None, "--map", help="field=column (repeat), e.g. "
                                                "sigma_S_per_cm=conductivity."),
    sigma_t: str = typer.Option("25 C", "--sigma-T", help="Temperature of the dataset's σ."),
    nitrogen_only: bool = typer.Option(False, "--nitrogen-only", help="Keep N-containing compounds only."),
    crosscheck: bool = typer.Option(False, "--crosscheck", help="Compare with the knowledge base."),
    save: Optional[Path] = typer.Option(None, "--save", help="Write the imported entries as a YAML data file."),
    as_json: bool = JSON_OPTION,
):
    """Import an external CSV by column mapping (and optionally cross-check it with the knowledge base)."""
    with user_errors():
        from ..errors import SselabError
        from ..materials.external import cross_check, import_csv
        if (preset is None) == (not mapping):
            raise SselabError("give --preset or --map field=column (not both)")
        mp = preset
        if mapping:
            mp = {}
            for item in mapping:
                if "=" not in item:
                    raise SselabError(f"--map expects field=column, got {item!r}")
                k, v = item.split("=", 1)
                mp[k.strip()] = v.strip()
        res = import_csv(csv_path, mp, sigma_T=sigma_t, nitrogen_only=nitrogen_only)
        cc = cross_check(res) if crosscheck else None
        if save is not None:
            import yaml
            doc = {"schema_version": 1, "entries": [m.to_field_dict() for m in res.kb]}
            Path(save).write_text("# imported by sselab materials import from " + str(csv_path) + "\n"
                                  + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
        if as_json:
            d = res.to_dict()
            if cc is not None:
                d["crosscheck"] = cc.to_dict()
            print_json(d)
            return
        show(f"{res.n_rows} rows, {len(res.kb)} imported, {len(res.skipped)} skipped")
        if cc is not None:
            show(table(f"cross-check: {cc.n_agree}/{len(cc.rows)} within {cc.tolerance_decades:g} decade",
                       ["formula", "external σ S/cm", "nearest KB entry", "KB σ25 S/cm", "log10 ratio", "agree"],
                       [[r["formula"], fmt(r["external_sigma_S_per_m"] / 100, 3), r["kb_nearest"],
                         fmt(r["kb_nearest_sigma_S_per_m"] / 100, 3), f"{r['log10_ratio']:+.2f}",
                         "yes" if r["agree"] else "NO"] for r in cc.rows]))


def register(app: typer.Typer) -> None:
    app.add_typer(materials_app, name="materials")
