"""Report sections: a generic renderer of recipe results, and the material-level sections fed from them.

* :func:`recipe_sections` — one section per recipe run (per-file runs of one recipe on one cell are one section:
  a row per file and the recipe's ``plot_many`` figure).  Flags become notes shown before the numbers, values a
  table, recipe tables tables, figures come from the recipe's own ``plot``.  A recipe registered by anyone and
  routed (:mod:`sselab.recipes.routing`) appears here without any code of its own; a failed run is its section's
  one-line error.
* :func:`materials_sections` — knowledge-base rank and scorecard of each material with an Arrhenius result, fed by
  the measured cells of the material (DC polarisation, CV window, Li|Li ASR, CCD).
* :func:`numbers_of` — every value as a :class:`~sselab.report.model.Number` in the researcher's units (summary,
  ``summary.csv`` and the comparison with simulated truth).
"""
from __future__ import annotations

import re
import traceback
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..fmt import fmt_num, fmt_pm, fmt_sig, round_text
from ..recipes.routing import JobResult, one_line
from .model import Number, Section, Table, slug

__all__ = ["Context", "recipe_sections", "materials_sections", "numbers_of", "quantity_of", "measured_for",
           "with_sources", "KIND_OF", "fmt_pm", "one_line"]

#: report group of each recipe (others: the recipe name's first part)
KIND_OF = {"eis.blocking": "eis", "eis.symmetric": "eis", "eis.series": "eis", "eis.overlay": "eis",
           "eis.arrhenius": "arrhenius", "eis.arrhenius.compare": "arrhenius",
           "dcpol": "dcpol", "dcpol.pair": "dcpol", "cv": "cv", "cycling.symmetric": "cycling",
           "cycling.full": "cycling", "xrd.pattern": "structure", "nmr.series": "structure",
           "nmr.lines": "structure", "operando": "structure"}
#: headline values of a recipe in the report's summary table (others: their first four values)
HEADLINE = {"dcpol": ("sigma_e_S_per_m", "t_ion", "tau_s"), "dcpol.pair": ("sigma_e_ratio_post_to_pre",),
            "cv": ("imbalance_pct_of_pellet_Li", "window_upper_V", "break_cycle"),
            "cycling.symmetric": ("n_cycles", "ccd_A_per_m2", "short_kind", "short_cycle"),
            "cycling.full": ("first_discharge_C_per_kg", "n_cycles", "ce"),
            "eis.symmetric": ("sigma_S_per_m", "asr_interface_ohm_m2"),
            "eis.series": ("n_spectra", "R_cell_drop_first_to_min", "sigma_at_min_S_per_m"),
            "eis.overlay": ("asr_ratio_first_to_second", "sigma_ratio_max_to_min"),
            "eis.arrhenius.compare": ("n_materials",),
            "xrd.pattern": ("lattice_a_angstrom", "superstructure", "phases"),
            "nmr.lines": ("broad_shift_first_ppm", "broad_shift_last_ppm", "broad_shift_change_ppm"),
            "operando": ("n_members", "lattice_change_bound_angstrom")}
#: recipe tables longer than this are cut in the HTML, wider ones only named (all of them are in results.json)
MAX_TABLE_ROWS = 200
MAX_TABLE_COLUMNS = 9


@dataclass
class Context:
    """What the section builders share: the items, the job results, the figure store, the manifest and a log."""

    items: list
    results: list[JobResult]
    figures: object
    manifest: object | None = None
    log: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)     # shared between sections (fits per material, cells per material)

    @property
    def tagged(self) -> bool:
        """Whether the manifest tags any file with the figure panels it belongs to."""
        return any(getattr(it, "figures", ()) for it in self.items)


# ---------------------------------------------------------------------------------------------------------------
# paper figure labels
# ---------------------------------------------------------------------------------------------------------------

_PANEL = re.compile(r"(ESI\s*)?(?:Fig(?:ure)?\.?\s*)?(S?\d+)([a-z](?:\s*[–-]\s*[a-z])?(?:\s*,\s*[a-z])*)?", re.I)


def panels(label) -> set[str]:
    """The panels a figure label names: ``"Fig. 2c,d"`` → {2c, 2d}; ``"Fig. 3b–f"`` → {3b … 3f}; ``"ESI Fig. 17"``
    → {ESI17}; a manifest tag (``"1e"``, ``"ESI2"``) is itself."""
    out = set()
    if not label:
        return out
    for part in str(label).split(";"):
        part = part.strip()
        m = _PANEL.fullmatch(part) or _PANEL.search(part)
        if not m:
            continue
        pre = "ESI" if m.group(1) or part.upper().startswith("ESI") else ""
        num, letters = m.group(2), (m.group(3) or "").replace(" ", "")
        if not letters:
            out.add(f"{pre}{num}")
            continue
        for chunk in letters.split(","):
            if "–" in chunk or "-" in chunk:
                a, b = re.split(r"[–-]", chunk)
                out.update(f"{pre}{num}{chr(c)}" for c in range(ord(a.lower()), ord(b.lower()) + 1))
            else:
                out.add(f"{pre}{num}{chunk.lower()}")
    return out


def _panel_key(t: str):
    m = re.fullmatch(r"(ESI)?S?(\d+)([a-z]?)", t)
    return (1 if m and m.group(1) else 0, int(m.group(2)) if m else 999, m.group(3) if m else t)


def label_of(tags) -> str | None:
    """``{3b, 3c, 3d, 3e, 3f}`` → ``"Fig. 3b–f"``; ``{2c, 2d}`` → ``"Fig. 2c,d"``; ``{ESI17}`` → ``"ESI Fig. 17"``."""
    tags = sorted(set(tags), key=_panel_key)
    if not tags:
        return None
    by: dict[tuple, list[str]] = {}
    for t in tags:
        m = re.fullmatch(r"(ESI)?(S?\d+)([a-z]?)", t)
        if not m:
            by.setdefault((t, ""), [])
            continue
        by.setdefault((m.group(1) or "", m.group(2)), []).append(m.group(3))
    parts = []
    for (pre, num), letters in by.items():
        letters = sorted(x for x in letters if x)
        head = ("ESI Fig. " if pre == "ESI" else "Fig. ") + num if num else pre
        if not letters:
            parts.append(head)
        elif len(letters) >= 3 and all(ord(b) - ord(a) == 1 for a, b in zip(letters, letters[1:])):
            parts.append(f"{head}{letters[0]}–{letters[-1]}")
        else:
            parts.append(head + ",".join(letters))
    return "; ".join(parts)


def paper_labels(figs, tags, in_manifest: bool, tagged: bool) -> list[str | None]:
    """The paper label of each of a job's figures.  The recipe names the paper figure its kind of figure reproduces
    (``FigureOut.paper_figure``); the manifest's tags on the job's files say which panel these files are: a label
    is kept where it names a tagged panel (restricted to those), replaced by the tags when the job draws one
    labelled figure, dropped otherwise.  Files of a manifest that tags others but not these are not the paper's:
    no label."""
    own = [fo.paper_figure for fo in figs]
    if not tags:
        return [None if (in_manifest and tagged) else lab for lab in own]
    out = []
    for lab in own:
        hit = panels(lab) & set(tags)
        out.append(label_of(hit) if hit else None)
    if not any(out) and sum(1 for lab in own if lab) == 1:
        out = [label_of(tags) if lab else None for lab in own]
    return out


def kind_of(recipe: str) -> str:
    return KIND_OF.get(recipe, recipe.split(".")[0])


# ---------------------------------------------------------------------------------------------------------------
# numbers
# ---------------------------------------------------------------------------------------------------------------

_UNIT_SLUG = {"S/m": "S_per_m", "mS/cm": "mS_per_cm", "nS/cm": "nS_per_cm", "ohm m2": "ohm_m2",
              "ohm cm2": "ohm_cm2", "A/m2": "A_per_m2", "uA/cm2": "uA_per_cm2", "mA/cm2": "mA_per_cm2",
              "C/kg": "C_per_kg", "mAh/g": "mAh_per_g", "A/kg": "A_per_kg", "mA/g": "mA_per_g",
              "C/m2": "C_per_m2", "mAh/cm2": "mAh_per_cm2", "V/s": "V_per_s", "mV/s": "mV_per_s", "s": "s",
              "min": "min", "h": "h", "K": "K", "degC": "C", "m": "m", "um": "um", "A": "A", "mA": "mA", "uA": "uA",
              "nA": "nA", "pA": "pA"}


def quantity_of(v) -> str:
    """A value's key with its unit as displayed: ``sigma_30C_S_per_m`` shown in mS/cm → ``sigma_30C_mS_per_cm``."""
    if v.display_unit and v.display_unit != v.unit:
        a, b = _UNIT_SLUG.get(v.unit), _UNIT_SLUG.get(v.display_unit)
        if a and b and v.key.endswith("_" + a):
            return v.key[: -len(a)] + b
    return v.key


def _pretty(u: str) -> str:
    from ..recipes.base import _pretty_unit

    return _pretty_unit(u or "")


def numbers_of(section: str, subject: str, result) -> list[Number]:
    """Every value of a result as a Number in its display unit (``T_K`` of the result attached)."""
    T = result.get("T_K") if "T_K" in result else None
    out = []
    for v in result.values:
        if isinstance(v.value, bool):
            continue
        val, err, unit = v.shown()
        out.append(Number(section, subject, quantity_of(v), v.label or v.key, val, err, _pretty(unit), T_K=T,
                          bound=v.bound))
    return out


# ---------------------------------------------------------------------------------------------------------------
# rendering recipe results
# ---------------------------------------------------------------------------------------------------------------

def _fmt_cell(x):
    if isinstance(x, bool):
        return "yes" if x else "no"
    if x is None:
        return "—"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return fmt_num(float(x), 4)
    return str(x)


def _values_table(result, title="Results") -> Table:
    rows = []
    has_where = any(v.where for v in result.values)
    for v in result.values:
        text = v.text(resolved=True)
        if v.note:
            text += f" ({v.note})"
        rows.append([v.label or v.key, text] + ([v.where or ""] if has_where else []))
    return Table(title, ["quantity", "value"] + (["at"] if has_where else []), rows)


def _recipe_table(t) -> Table:
    rows = [[_fmt_cell(x) for x in r] for r in t.rows[:MAX_TABLE_ROWS]]
    note = f"first {MAX_TABLE_ROWS} of {len(t.rows)} rows; all in results.json" if len(t.rows) > MAX_TABLE_ROWS \
        else ""
    return Table(t.title or t.name, list(t.columns), rows, note=note)


def _flag_note(f, with_where=True) -> str:
    tag = {"error": "<b>error:</b> ", "warning": "warning: ", "info": ""}[f.severity]
    return tag + (str(f) if with_where else f.message)


def _add_figures(ctx, sec, figs, jobs=()) -> None:
    """Add a recipe's figures to a section, each with the paper figure it reproduces (see :func:`paper_labels`)."""
    tags = tuple(dict.fromkeys(t for j in jobs for t in getattr(j, "figures", ())))
    in_manifest = any(it.cell is not None for j in jobs for it in j.items)
    labels = paper_labels(figs, tags, in_manifest, ctx.tagged)
    for fo, lab in zip(figs, labels):
        cap = fo.caption or ""
        f = ctx.figures.add(fo.figure, f"{fo.name}", fo.title, cap)
        if f is not None:
            f.paper_figure = lab
            sec.figures.append(f)


def _subject(jr: JobResult) -> str:
    from ..recipes import get

    job = jr.job
    if job.recipe == "eis.arrhenius" or job.cell is None or get(job.recipe).scope == "figure":
        return job.subject
    return job.cell.name


def _single_section(ctx, jr: JobResult, spec) -> Section:
    job, res = jr.job, jr.result
    subject = _subject(jr)
    kind = kind_of(job.recipe)
    sec = Section(f"{slug(job.recipe)}-{slug(subject)}", f"{spec.title} — {subject}", kind, subject=subject,
                  files=job.files, recipe=job.recipe)
    if res is None:
        sec.status = "error"
        sec.note(f"<b>error:</b> {jr.error}")
        return sec
    for f in res.flags:
        sec.note(_flag_note(f))
    sec.tables.append(_values_table(res))
    for t in res.tables:
        if len(t.columns) > MAX_TABLE_COLUMNS:
            sec.note(f"table “{t.title or t.name}” ({len(t.rows)} rows × {len(t.columns)} columns) is in results.json")
        else:
            sec.tables.append(_recipe_table(t))
    sec.numbers += numbers_of(kind, subject, res)
    sec.results.append(res)
    if spec.plot is not None and ctx.figures.enabled:
        try:
            _add_figures(ctx, sec, spec.plot(res), [jr.job])
        except Exception as exc:      # a figure bug: the numbers stand, the section says the figure failed
            sec.note(f"<b>error:</b> figure failed: {one_line(exc)}")
            ctx.log.append(traceback.format_exc())
    return sec


_PER_FILE_COLUMNS = (("T_K", "T"), ("R_electrolyte_ohm", "R electrolyte"), ("sigma_S_per_m", "σ"),
                     ("asr_interface_ohm_m2", "ASR per interface"), ("n_electrolyte_arcs", "arcs"),
                     ("chi2_reduced", "χ²red"))


def _group_section(ctx, jrs: list[JobResult], spec) -> Section:
    """Per-file runs of one recipe on one cell: a row per file, flags grouped by message, one figure set."""
    first = jrs[0]
    subject = _subject(first)
    kind = kind_of(first.job.recipe)
    sec = Section(f"{slug(first.job.recipe)}-{slug(subject)}", f"{spec.title} — {subject}", kind, subject=subject,
                  files=[f for jr in jrs for f in jr.job.files], recipe=first.job.recipe)
    ok = [jr for jr in jrs if jr.result is not None]
    for jr in jrs:
        if jr.result is None:
            sec.note(f"<b>error:</b> {jr.error}")
    if not ok:
        sec.status = "error"
        return sec
    results = sorted((jr.result for jr in ok), key=lambda r: (r.get("T_K") is None, r.get("T_K") or 0.0,
                                                              r.subject))
    keys = [(k, lab) for k, lab in _PER_FILE_COLUMNS if any(k in r for r in results)]
    if not keys:       # a recipe not known here: its first values
        keys = [(v.key, v.label or v.key) for v in results[0].values[:6]]
    rows = [[r.subject] + [r[k].text(resolved=True) if k in r else "—" for k, _ in keys] + [r.get("circuit", "") or ""]
            for r in results]
    sec.tables.append(Table("One row per file", ["file"] + [lab for _, lab in keys] + ["model"], rows,
                            note="the model (number of arcs) is chosen per spectrum from the data; details of each "
                                 "fit in results.json" if kind == "eis" else ""))
    grouped: dict[str, list[str]] = defaultdict(list)
    for r in results:
        for f in r.flags:
            msg = re.sub(r"\d[\d.e+−-]*", "#", f.message)
            grouped[(f.severity, f.code, msg)].append(f"{f.where or r.subject}|{f.message}")
    order = {"error": 0, "warning": 1, "info": 2}
    for (sev, code, _), hits in sorted(grouped.items(), key=lambda kv: order[kv[0][0]]):
        wheres = list(dict.fromkeys(h.split("|", 1)[0] for h in hits))
        example = hits[0].split("|", 1)[1]
        tag = {"error": "<b>error:</b> ", "warning": "warning: ", "info": ""}[sev]
        text = f"{tag}{wheres[0]}: {example}"
        if len(wheres) > 1:
            rest = ", ".join(wheres[1:6]) + (f" and {len(wheres) - 6} more" if len(wheres) > 6 else "")
            text += f" — likewise (with their own numbers, in results.json) {rest}"
        sec.note(text)
    for r in results:
        sec.numbers += numbers_of(kind, subject, r)
        sec.results.append(r)
    if ctx.figures.enabled:
        try:
            if spec.plot_many is not None:
                _add_figures(ctx, sec, spec.plot_many(results), [jr.job for jr in ok])
            elif spec.plot is not None:
                job_of = {id(jr.result): jr.job for jr in ok}
                for r in results:
                    _add_figures(ctx, sec, spec.plot(r), [job_of[id(r)]])
        except Exception as exc:
            sec.note(f"<b>error:</b> figure failed: {one_line(exc)}")
            ctx.log.append(traceback.format_exc())
    return sec


def recipe_sections(ctx: Context) -> list[Section]:
    """One section per recipe run; per-file runs of a recipe on one cell (several files) are one section."""
    from ..recipes import get

    out = []
    groups: dict[tuple, list[JobResult]] = {}
    for jr in ctx.results:
        spec = get(jr.job.recipe)
        if spec.scope == "file" and jr.job.cell is not None:
            groups.setdefault((jr.job.recipe, jr.job.cell.name), []).append(jr)
        else:
            groups[(jr.job.recipe, id(jr))] = [jr]
    for (recipe, _), jrs in groups.items():
        spec = get(recipe)
        out.append(_group_section(ctx, jrs, spec) if len(jrs) > 1 else _single_section(ctx, jrs[0], spec))
    for jr in ctx.results:
        if jr.trace:
            ctx.log.append(jr.trace)
    # shared data for the material sections
    for jr in ctx.results:
        if jr.job.recipe == "eis.arrhenius" and jr.result is not None and jr.result.details is not None \
                and jr.result.details.get("fit") is not None:
            ctx.data.setdefault("arrhenius", {})[jr.result.subject] = jr.result
            ctx.data.setdefault("material_cells", {})[jr.result.subject] = list(dict.fromkeys(
                it.cell.name for it in jr.job.items if it.cell is not None))
    return out


# ---------------------------------------------------------------------------------------------------------------
# materials: knowledge-base comparison and scorecard
# ---------------------------------------------------------------------------------------------------------------

def materials_sections(ctx: Context) -> list[Section]:
    from .. import materials

    out = []
    for mat, res in (ctx.data.get("arrhenius") or {}).items():
        sec = Section(f"materials-{slug(mat)}", f"Knowledge base — {mat}", "materials", subject=mat)
        out.append(sec)
        fit = res.details["fit"]
        if not res.get("rankable"):
            why = "; ".join(f.message for f in res.flags if f.code in ("too-few-temperatures", "non-positive-ea"))
            sec.note(f"warning: Ea is not ranked against the knowledge base: {why}")
        else:
            comp = materials.compare(fit=fit, name=mat)
            nb = comp.neighbours(3)
            rows = [[str(d.get("rank")), ("<b>" + str(d.get("name")) + "</b>") if d.get("is_user") else
                     str(d.get("name")), str(d.get("family", "")),
                     fmt_num(d["sigma_S_per_m"] * 10 if d.get("sigma_S_per_m") is not None else None),
                     fmt_num(d.get("Ea_eV"), 3)] for d in nb]
            sec.tables.append(Table(f"Rank {comp.user_rank} of {comp.n_ranked} at {comp.T_K - 273.15:.0f} °C "
                                    f"(percentile {comp.percentile:.0f})",
                                    ["rank", "material", "family", "σ (mS/cm)", "Ea (eV)"], rows))
            sec.numbers.append(Number("materials", mat, "kb_rank", "rank in knowledge base",
                                      f"{comp.user_rank}/{comp.n_ranked}", None, ""))
            if ctx.figures.enabled:
                f = ctx.figures.add(materials.plot_comparison(comp), f"kb-{mat}", f"{mat} among the knowledge base")
                if f is not None:
                    sec.figures.append(f)
        measured, sources = measured_for(ctx, mat, res)
        card = with_sources(materials.scorecard(measured), sources)
        rows = [[g.description, g.threshold, f'<span class="st-{g.status}">{g.status}</span>', g.value, g.detail]
                for g in card.grades]
        c = card.counts
        sec.tables.append(Table(f"Scorecard: {c['pass']} pass, {c['fail']} fail, {c['unknown']} unknown",
                                ["target", "threshold", "status", "value", "detail"], rows,
                                note="measured values of this material's cells; the detail names the cell each value "
                                     "came from"))
        sec.data = {"scorecard": card, "measured": measured, "sources": {k: v["cell"] for k, v in sources.items()}}
    return out


# scorecard targets fed by each measured property
_SIGMA_KEYS = ("sigma_rt_min", "sigma_fast_charge", "sigma_fast_charge_stretch")
_WINDOW_KEYS = ("window_oxidation", "window_reduction", "cathode_compatibility")


def with_sources(card, sources: dict):
    """The scorecard with its numbers rounded to 3 significant figures and, for measured targets, the detail
    naming the cell the value came from (``sources[key] = {"cell", "detail", "lower_bound", "unknown"}``)."""
    from dataclasses import replace

    grades = []
    for g in card.grades:
        g = replace(g, value=round_text(g.value), detail=round_text(g.detail))
        src = sources.get(g.key)
        if src is not None:
            g = replace(g, detail=src["detail"])
            if src.get("unknown"):           # the measurement cannot decide this target
                g = replace(g, status="unknown", value="—", detail=src["unknown"] + "; " + src["detail"])
            elif src.get("lower_bound"):
                g = replace(g, value="≥ " + g.value)
                if g.status == "fail":      # a lower bound under the target decides nothing
                    g = replace(g, status="unknown", detail=g.detail + "; lower bound below the target")
        grades.append(g)
    return replace(card, grades=tuple(grades))


def _norm_formula(formula):
    """A formula's composition, comparable whatever the element order (``Li2NH`` = ``HNLi2``)."""
    if not formula:
        return None
    from ..materials.formula import FormulaError, parse_formula

    try:
        return tuple(sorted((el, round(float(n), 6)) for el, n in parse_formula(str(formula)).items()))
    except FormulaError:
        return str(formula).replace(" ", "")


def _by_recipe(ctx, *recipes):
    """{cell name: RecipeResult} of the successful runs of ``recipes`` (per cell)."""
    out = {}
    for jr in ctx.results:
        if jr.job.recipe in recipes and jr.result is not None and jr.job.cell is not None:
            out.setdefault(jr.job.cell.name, []).append(jr.result)
    return out


def _cycling_starts(ctx) -> dict:
    """{cell name: start time of its first stripping/plating or CV record} — what comes after it in that cell is the
    cell changed by Li transport (filaments, interphases; the imide paper's post-CV σe is 120× the pre-CV one)."""
    out = {}
    for jr in ctx.results:
        if jr.job.recipe in ("cycling.symmetric", "cv") and jr.job.cell is not None:
            for it in jr.job.items:
                t = getattr(it.measurement, "start_time", None) or it.time
                if t is not None:
                    n = jr.job.cell.name
                    out[n] = min(out[n], t) if n in out else t
    return out


def _after(ctx, result, t_cycling) -> bool:
    """Whether a per-file result's file was measured after the cell's cycling or CV began (an interface or a
    pellet after Li transport may carry Li filaments or soft shorts: not the material the scorecard grades)."""
    if t_cycling is None:
        return False
    for jr in ctx.results:
        if jr.result is result:
            t = getattr(jr.job.items[0].measurement, "start_time", None) or jr.job.items[0].time
            return t is not None and t > t_cycling
    return False


def measured_for(ctx: Context, material: str, arr) -> tuple[dict, dict]:
    """Measured properties of ``material`` (keys of :func:`sselab.materials.sample_from_measurements`) and, per
    scorecard target, where each came from.

    A cell belongs to the material when its manifest ``material`` (else its name) is the material's; a cell whose
    material is none of the fitted materials (e.g. a Li|Li cell named after the compound only) is matched by
    ``formula`` to the formula of the material's blocking-electrode cells, which the detail says.  Several cells
    for one property: intrinsic properties take the most conservative (largest σe, narrowest window), cell-made
    ones the best demonstrated (lowest interface ASR, highest CCD), and the others are named."""
    cells = {c.name: c for c in getattr(ctx.manifest, "cells", ()) or ()} if ctx.manifest is not None else {}
    fitted = ctx.data.get("arrhenius") or {}
    fit_cells = list((ctx.data.get("material_cells") or {}).get(material, ()))
    own = {c.name for c in cells.values() if (c.material or c.name) == material}
    formulas = {_norm_formula(cells[n].formula) for n in set(fit_cells) | own if n in cells} - {None}

    def match(name):
        """None, "" (same material) or " (…matched by formula…)"."""
        c = cells.get(name)
        if c is None:
            return None
        cm = c.material or c.name
        if cm == material:
            return ""
        f = _norm_formula(c.formula)
        if cm not in fitted and f is not None and f in formulas:
            return f" (material {cm!r}, matched by formula {c.formula})"
        return None

    def at(name):
        T = cells[name].temperature_K if name in cells else None
        return f" at {T - 273.15:.0f} °C" if T is not None else ""

    def others(chosen, items, fmt):
        rest = [f"{n}: {fmt(v)}" for n, v in items if n != chosen]
        return f"; also {', '.join(rest)}" if rest else ""

    Ea, s25 = arr.get("Ea_eV"), arr.get("sigma_25C_S_per_m")
    n_pts = arr.get("n_points")
    d = {"name": material, "Ea_eV": float(Ea), "sigma_S_per_cm": float(s25) / 100, "sigma_T": "25 C"}
    src: dict[str, dict] = {}
    where = ", ".join(fit_cells) or material
    det = f"σ(25 °C) of the σT-Arrhenius fit to {where} ({n_pts} temperatures, Ea {fmt_sig(Ea)} eV)"
    for k in _SIGMA_KEYS:
        src[k] = {"cell": where, "detail": det}
    for n in fit_cells:
        if n in cells and cells[n].formula:
            d["formula"] = cells[n].formula
            break

    cycled = _cycling_starts(ctx)
    pol = [(n, next((r for r in rs if not _after(ctx, r, cycled.get(n))), None), match(n))
           for n, rs in _by_recipe(ctx, "dcpol").items()]
    pol = [x for x in pol if x[1] is not None]
    pol = [(n, r, m) for n, r, m in pol if m is not None and ("sigma_e_S_per_m" in r or "t_ion" in r)]
    if pol:
        n, r, m = max(pol, key=lambda x: ("sigma_e_S_per_m" in x[1], x[1].get("sigma_e_S_per_m", 0.0)))
        if "sigma_e_S_per_m" in r:
            d["electronic_sigma_S_per_cm"] = r.get("sigma_e_S_per_m") / 100
        if "t_ion" in r:
            d["transference_ion"] = float(r.get("t_ion"))
        if n in cells and cells[n].formula:
            d.setdefault("formula", cells[n].formula)
        src["electronic_insulator"] = {"cell": n, "detail": (
            f"DC polarisation of {n}{at(n)}{m}"
            + others(n, [(x, y) for x, y, _ in pol],
                     lambda y: f"σe {fmt_sig(y.get('sigma_e_S_per_m') / 100)} S/cm" if "sigma_e_S_per_m" in y
                     else f"t_ion {fmt_sig(y.get('t_ion'))}"))}

    cvs = [(n, rs[0], match(n)) for n, rs in _by_recipe(ctx, "cv").items()]
    cvs = [x for x in cvs if x[2] is not None and "window_upper_V" in x[1]]
    if cvs:
        n, r, m = min(cvs, key=lambda x: float(x[1].get("window_upper_V")))
        hi = float(r.get("window_upper_V"))
        lo = r.get("window_lower_V")
        d["window_exp_V"] = [float(lo) if lo is not None else 0.0, hi]
        det = (f"CV of {n}{at(n)}{m}"
               + others(n, [(x, y) for x, y, _ in cvs], lambda y: f"up to {fmt_sig(y.get('window_upper_V'))} V"))
        up_bound = r["window_upper_V"].bound == ">="
        for k in _WINDOW_KEYS:
            src[k] = {"cell": n, "detail": det, "lower_bound": up_bound and k != "window_reduction"}
        if lo is None:
            why = next((f.message for f in r.flags if f.code == "reduction-limit-not-measured"),
                       "no reductive limit measured")
            src["window_reduction"]["unknown"] = why
        elif r["window_lower_V"].bound == "<=":
            src["window_reduction"]["lower_bound"] = False

    asr = []
    for n, rs in _by_recipe(ctx, "eis.symmetric").items():
        ms = match(n)
        vals = [(r.get("asr_interface_ohm_m2"), r.get("T_K")) for r in rs if "asr_interface_ohm_m2" in r
                and not _after(ctx, r, cycled.get(n))]
        if ms is not None and vals:
            a, T = min(vals, key=lambda x: x[0])
            asr.append((n, {"asr_ohm_m2": a, "T_K": T}, ms))
    if asr:
        n, v, m = min(asr, key=lambda x: x[1]["asr_ohm_m2"])
        d["interface_asr_ohm_cm2"] = v["asr_ohm_m2"] * 1e4
        T = v["T_K"]
        src["low_interface_resistance"] = {"cell": n, "detail": (
            f"Li|Li impedance of {n}" + (f" at {T - 273.15:.0f} °C" if T is not None else "") + f", per interface{m}"
            + (f"; lowest of {len(asr)} Li|Li cells" if len(asr) > 1 else "")
            + others(n, [(x, y) for x, y, _ in asr], lambda y: f"{fmt_sig(y['asr_ohm_m2'] * 1e4)} Ω cm²"))}

    sym = [(n, rs[0], match(n)) for n, rs in _by_recipe(ctx, "cycling.symmetric").items()]
    sym = [x for x in sym if x[2] is not None and "ccd_A_per_m2" in x[1]]
    if sym:
        n, r, m = max(sym, key=lambda x: x[1].get("ccd_A_per_m2"))
        d["ccd_mA_per_cm2"] = r.get("ccd_A_per_m2") / 10
        lb = r["ccd_A_per_m2"].bound == ">="
        src["ccd"] = {"cell": n, "lower_bound": lb, "detail": (
            f"Li|Li cycling of {n}{at(n)}{m}" + (" (no short: lower bound)" if lb else "")
            + (f"; highest of {len(sym)} cells" if len(sym) > 1 else "")
            + others(n, [(x, y) for x, y, _ in sym], lambda y: f"{fmt_sig(y.get('ccd_A_per_m2') / 10)} mA/cm²"))}
    return d, src
