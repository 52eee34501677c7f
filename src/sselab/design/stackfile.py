"""YAML stack files: read, validate (one-line errors naming file and key), and list the shipped examples.

Format (quantities parsed with :mod:`sselab.units`; plain numbers are read in the unit shown)::

    name: NMC811 | Li3InCl6 | beta-Li3N | Li            # optional
    cathode:
      areal_capacity: 4 mAh/cm2                          # required
      specific_capacity: 200 mAh/g                       # default 200 mAh/g
      voltage: 3.75 V                                    # default 3.75 V
      active_fraction: 0.9                               # or "90 %"; default 0.9
      active_material: NMC811                            # density looked up (or active_density: 4.75 g/cm3)
      catholyte: Li3InCl6                                # default: first separator's material
      porosity: 0.1                                      # default 0
      density: 3.9 g/cm3                                 # optional composite density (overrides the above)
    separators:                                          # one or more layers, cathode side first
      - {material: Li3InCl6, thickness: 20 um}           # density looked up unless given; porosity optional
      - {material: Li3N, thickness: 20 um, density: 1.27 g/cm3}
    anode: {type: li, np_ratio: 1.0}                     # li | anode-free | li-in (+ specific_capacity, density,
                                                         #   voltage_offset)
    collectors:
      positive: {material: Al, thickness: 10 um, shared: false}   # shared = double-sided, between 2 unit cells
      negative: {material: Cu, thickness: 10 um}
    pouch:                                               # optional
      layers: 20
      area: 100 cm2
      laminate_thickness: 113 um
      laminate_density: 1.6 g/cm3
      seal_fraction: 0.1
      tab_mass: 2 g
      extra_mass: 0 g
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from .. import units
from ..errors import SselabError
from .densities import UnknownDensityError, density
from .stack import Anode, Cathode, CellStack, Collector, LI_IN_OFFSET_V, LI_IN_SPECIFIC_CAPACITY, \
    LI_SPECIFIC_CAPACITY, MAH_PER_G, Pouch, Separator

__all__ = ["StackFileError", "load_stack", "stack_from_dict", "example_files", "find_example"]


class StackFileError(SselabError, ValueError):
    """A stack file (YAML) is malformed."""


_KEYS = {
    "": {"name", "cathode", "separators", "anode", "collectors", "pouch", "description"},
    "cathode": {"areal_capacity", "specific_capacity", "voltage", "active_fraction", "active_material", "catholyte",
                "porosity", "density", "active_density", "catholyte_density"},
    "separator": {"material", "thickness", "density", "porosity"},
    "anode": {"type", "np_ratio", "specific_capacity", "density", "voltage_offset"},
    "collectors": {"positive", "negative"},
    "collector": {"material", "thickness", "density", "shared"},
    "pouch": {"layers", "area", "laminate_thickness", "laminate_density", "laminate_areal_mass", "seal_fraction",
              "tab_mass", "extra_mass"},
}


class _Ctx:
    def __init__(self, where: str):
        self.where = where

    def fail(self, key: str, problem: str):
        raise StackFileError(f"{self.where}: {key}: {problem}")

    def section(self, d, key: str, kind: str, required=True) -> dict | None:
        if d is None:
            if required:
                self.fail(key, "missing section")
            return None
        if not isinstance(d, dict):
            self.fail(key, f"expected a mapping, got {type(d).__name__}")
        unknown = sorted(set(map(str, d)) - _KEYS[kind])
        if unknown:
            self.fail(key, f"unknown key {unknown[0]!r} (expected: {', '.join(sorted(_KEYS[kind]))})")
        return d

    def qty(self, d: dict, key: str, path: str, dim: str, default_unit: str, default=None, required=False):
        if key not in d or d[key] is None:
            if required:
                self.fail(f"{path}.{key}", "required")
            return default
        try:
            return units.parse(d[key], dim, default_unit)
        except SselabError as exc:
            self.fail(f"{path}.{key}", str(exc))

    def frac(self, d: dict, key: str, path: str, default, lo=0.0, hi=1.0):
        if key not in d or d[key] is None:
            return default
        v = d[key]
        try:
            x = units.parse(v, "dimensionless") if isinstance(v, str) else float(v)
        except (SselabError, TypeError, ValueError):
            self.fail(f"{path}.{key}", f"expected a number or percentage, got {v!r}")
        if not (lo <= x <= hi):
            self.fail(f"{path}.{key}", f"must be between {lo:g} and {hi:g}, got {v!r}")
        return x

    def density(self, d: dict, path: str, material: str, key: str = "density"):
        v = self.qty(d, key, path, "density", "g/cm3")
        if v is not None:
            return v
        try:
            return density(material)
        except UnknownDensityError as exc:
            self.fail(path, str(exc))

    def text(self, d: dict, key: str, path: str, default=None, required=False):
        v = d.get(key, default)
        if v is None:
            if required:
                self.fail(f"{path}.{key}", "required")
            return default
        return str(v)


def stack_from_dict(doc, where: str = "stack") -> CellStack:
    """Build a :class:`CellStack` from a parsed YAML mapping (errors name ``where`` and the key)."""
    c = _Ctx(where)
    c.section(doc, "top level", "")
    seps_in = doc.get("separators")
    if seps_in is None:
        c.fail("separators", "missing section (a list of layers with material and thickness)")
    if isinstance(seps_in, dict):
        seps_in = [seps_in]
    if not isinstance(seps_in, list) or not seps_in:
        c.fail("separators", "expected a non-empty list of layers")
    seps = []
    for i, s in enumerate(seps_in):
        path = f"separators[{i}]"
        c.section(s, path, "separator")
        mat = c.text(s, "material", path, required=True)
        seps.append(Separator(mat, c.qty(s, "thickness", path, "length", "um", required=True),
                              c.density(s, path, mat), c.frac(s, "porosity", path, 0.0, hi=0.99)))
    cd = c.section(doc.get("cathode"), "cathode", "cathode")
    am = c.text(cd, "active_material", "cathode", "NMC811")
    cl = c.text(cd, "catholyte", "cathode", seps[0].material)
    q = c.qty(cd, "areal_capacity", "cathode", "areal_charge", "mAh/cm2", required=True)
    if q <= 0:
        c.fail("cathode.areal_capacity", "must be positive")
    rho_am = c.density(cd, "cathode", am, "active_density") if "density" not in cd else 1.0
    rho_cl = c.density(cd, "cathode", cl, "catholyte_density") if "density" not in cd else 1.0
    try:
        cath = Cathode(
            areal_capacity_C_per_m2=q,
            specific_capacity_C_per_kg=c.qty(cd, "specific_capacity", "cathode", "specific_charge", "mAh/g",
                                             200 * MAH_PER_G),
            voltage_V=c.qty(cd, "voltage", "cathode", "potential", "V", 3.75),
            active_fraction=c.frac(cd, "active_fraction", "cathode", 0.9),
            active_material=am, catholyte=cl, active_density_kg_per_m3=rho_am, catholyte_density_kg_per_m3=rho_cl,
            porosity=c.frac(cd, "porosity", "cathode", 0.0, hi=0.99),
            composite_density_kg_per_m3=c.qty(cd, "density", "cathode", "density", "g/cm3"))
    except SselabError as exc:
        c.fail("cathode", str(exc))
    ad = c.section(doc.get("anode", {"type": "li"}), "anode", "anode")
    kind = c.text(ad, "type", "anode", "li").lower().replace("_", "-")
    kind = {"li-metal": "li", "lithium": "li", "anodefree": "anode-free", "anode free": "anode-free",
            "liin": "li-in", "li–in": "li-in", "lithium-indium": "li-in"}.get(kind, kind)
    if kind not in ("li", "anode-free", "li-in"):
        c.fail("anode.type", f"unknown anode type {kind!r} (expected li, anode-free or li-in)")
    if kind == "anode-free" and ad.get("np_ratio") not in (None, 0, 0.0):
        c.fail("anode.np_ratio", "an anode-free cell has no N/P ratio (use type: li)")
    base = Anode.li_in() if kind == "li-in" else (Anode.anode_free() if kind == "anode-free" else Anode())
    np_ratio = 0.0 if kind == "anode-free" else c.frac(ad, "np_ratio", "anode", 1.0, hi=1e6)
    anode = Anode(kind, np_ratio,
                  c.qty(ad, "specific_capacity", "anode", "specific_charge", "mAh/g",
                        LI_IN_SPECIFIC_CAPACITY if kind == "li-in" else LI_SPECIFIC_CAPACITY),
                  c.qty(ad, "density", "anode", "density", "g/cm3", base.density_kg_per_m3),
                  c.qty(ad, "voltage_offset", "anode", "potential", "V",
                        LI_IN_OFFSET_V if kind == "li-in" else 0.0))
    cc = c.section(doc.get("collectors", {}), "collectors", "collectors")
    colls = []
    for side, mat0, t0 in (("positive", "Al", 10e-6), ("negative", "Cu", 10e-6)):
        path = f"collectors.{side}"
        d = c.section(cc.get(side, {}) or {}, path, "collector")
        mat = c.text(d, "material", path, mat0)
        shared = d.get("shared", False)
        if not isinstance(shared, bool):
            c.fail(f"{path}.shared", f"expected true or false, got {shared!r}")
        colls.append(Collector(mat, c.qty(d, "thickness", path, "length", "um", t0), c.density(d, path, mat), shared))
    pouch = None
    if doc.get("pouch") is not None:
        pd_ = c.section(doc["pouch"], "pouch", "pouch")
        layers = pd_.get("layers", 1)
        if not isinstance(layers, int) or isinstance(layers, bool) or layers < 1:
            c.fail("pouch.layers", f"expected a positive integer, got {layers!r}")
        lam_t = c.qty(pd_, "laminate_thickness", "pouch", "length", "um", 113e-6)
        lam_rho = c.qty(pd_, "laminate_density", "pouch", "density", "g/cm3", 1600.0)
        if pd_.get("laminate_areal_mass") is not None:
            try:
                qd = units.parse_quantity(pd_["laminate_areal_mass"], None, "g/m2")
            except SselabError as exc:
                c.fail("pouch.laminate_areal_mass", str(exc))
            if qd.dim != (-2, 1, 0, 0, 0, 0) or not qd.value > 0:
                c.fail("pouch.laminate_areal_mass", f"{qd.text!r} is not a positive mass per area (e.g. 180 g/m2)")
            if not lam_t:
                c.fail("pouch.laminate_thickness", "must be > 0 when laminate_areal_mass is given")
            lam_rho = qd.value / lam_t
        try:
            pouch = Pouch(layers, c.qty(pd_, "area", "pouch", "area", "cm2", 0.01), lam_t, lam_rho,
                          c.frac(pd_, "seal_fraction", "pouch", 0.10, hi=10.0),
                          c.qty(pd_, "tab_mass", "pouch", "mass", "g", 0.0),
                          c.qty(pd_, "extra_mass", "pouch", "mass", "g", 0.0))
        except SselabError as exc:
            c.fail("pouch", str(exc))
    name = str(doc.get("name") or Path(where).stem)
    return CellStack(cath, tuple(seps), anode, colls[0], colls[1], pouch, name)


def load_stack(path) -> CellStack:
    """Read and validate a YAML stack file (or the name of a shipped example, e.g. ``"fig17_li3incl6"``)."""
    import yaml

    p = Path(path)
    if not p.exists():
        ex = find_example(str(path))
        if ex is None:
            raise FileNotFoundError(2, "No such file", str(path))
        p = ex
    if p.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(p))
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise StackFileError(f"{p}: not valid YAML{at}") from None
    except UnicodeDecodeError:
        raise StackFileError(f"{p}: not a text file") from None
    if not isinstance(doc, dict):
        raise StackFileError(f"{p}: expected a mapping with cathode/separators/anode/collectors sections")
    return stack_from_dict(doc, str(p))


def example_files() -> list[Path]:
    """The shipped example stack files (``sselab/design/data/*.yaml``)."""
    d = resources.files(__package__) / "data"
    return sorted(Path(str(x)) for x in d.iterdir() if str(x).endswith((".yaml", ".yml")))


def find_example(name: str) -> Path | None:
    key = Path(name).stem.lower().replace("-", "_")
    for p in example_files():
        if p.stem.lower() == key:
            return p
    return None
