"""Cell geometry and build, and the YAML manifest that ties cells to measured files.

Inside, everything is SI (``thickness_m``, ``area_m2``, ``pellet_mass_kg``); the properties with field units in
their names (``thickness_cm``, ``area_cm2``) are for the edges.

Manifest format (documented in the README)::

    defaults:                 # optional; applied to every cell unless the cell overrides it
      diameter: 10 mm
      electrodes: Au|Au
    cells:
      - name: HP-1
        material: Li2NH hot pressed      # free label; cells with the same material share an Arrhenius section
        formula: Li2NH
        thickness: 1.2 mm
        diameter: 10 mm                  # or  area: 0.7854 cm2
        pellet_mass: 150 mg
        electrodes: Au|Au                # Au|Au, steel|steel (blocking), Li|Li (symmetric), Li|steel, Li|TiS2 ...
        active_mass: 3 mg                # full cells
        temperature: 30 C                # default temperature of this cell's files
        files:
          - eis/hp_30C.mpt               # a path relative to the manifest
          - {path: eis/hp_50C.z, temperature: 50 C}
          - {glob: "cycling/*.mpt"}
          - path: eis/hp_70C.z           # the file's own recipe options (passed to the recipes that take them)
            options: {circuit: "R0-p(R1,CPE1)-CPE2", mask: [0, 1], fmin_Hz: 1.0}

Per-file options chosen in ``sselab app`` are kept in a file sselab owns beside the manifest (``cells.yaml`` →
``cells.sselab.yaml``; a folder without a manifest: ``cells.sselab.yaml`` in it), never in the user's manifest;
:func:`load_manifest` merges it: a file's entry there replaces the manifest entry's ``options``::

    sselab_settings: 1
    files:
      eis/hp_70C.z: {circuit: "R0-p(R1,CPE1)-CPE2", initial: {R0: 12.0, R1: 3.1e4}, mask: [0, 1]}
"""
from __future__ import annotations

import glob as _glob
import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from . import units
from .errors import ManifestError, UnitError, check_keys

BLOCKING = {"au", "gold", "steel", "ss", "stainless", "stainless steel", "pt", "platinum", "ti", "ni", "cu", "c",
            "carbon", "ag", "silver", "mo"}
LITHIUM = {"li", "lithium", "li metal"}
#: metals a symmetric (stripping/plating) cell is made of: element symbol -> name
METALS = {"li": "lithium", "na": "sodium", "k": "potassium", "mg": "magnesium", "ca": "calcium", "zn": "zinc",
          "al": "aluminium", "in": "indium"}
_METAL_NAMES = {v: k for k, v in METALS.items()} | {"aluminum": "al", "li metal": "li", "na metal": "na"}
#: positive electrodes known by their abbreviation (anything else must be a chemical formula, e.g. TiS2, LiFePO4)
CATHODES = {"nmc", "ncm", "nca", "lfp", "lco", "lmo", "lnmo", "lto", "sulfur", "sulphur", "s8", "graphite"}
_CATHODE_PREFIXES = ("nmc", "ncm", "nca")        # NMC811, NCM622 ...
_KNOWN_CELL_KEYS = {"name", "material", "formula", "thickness", "diameter", "area", "pellet_mass", "electrodes",
                    "active_mass", "temperature", "files", "notes", "relative_density", "symmetric"}


@dataclass(frozen=True)
class FileEntry:
    """One measured file of a cell; ``temperature_K`` overrides the cell's default when given.

    ``time``: when the measurement started (manifest ``time``, ISO 8601), for files that form a series in time;
    ``label``: a short name of the file's role (``pre-CV``, ``2 days after cycling``); ``figures``: the figures of a
    paper it belongs to (``["2c"]``)."""

    path: Path
    temperature_K: float | None = None
    time: datetime | None = None
    label: str | None = None
    figures: tuple[str, ...] = ()
    options: dict | None = None          # the file's own recipe options (``options:`` on the entry)


@dataclass(frozen=True)
class CellSpec:
    """A measured cell: pellet geometry, electrodes, masses and temperature (SI units inside)."""

    name: str = "cell"
    thickness_m: float | None = None
    diameter_m: float | None = None
    area_m2_given: float | None = None
    pellet_mass_kg: float | None = None
    formula: str | None = None
    material: str | None = None
    electrodes: tuple[str, str] = ("Au", "Au")
    temperature_K: float | None = None
    active_mass_kg: float | None = None
    files: tuple[FileEntry, ...] = field(default_factory=tuple)
    notes: str | None = None

    def __post_init__(self):
        for attr in ("thickness_m", "diameter_m", "area_m2_given", "pellet_mass_kg", "active_mass_kg"):
            v = getattr(self, attr)
            if v is not None and not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise UnitError(f"cell {self.name!r}: {attr} must be a positive number, got {v!r}")
        if self.temperature_K is not None and not self.temperature_K > 0:
            raise UnitError(f"cell {self.name!r}: temperature must be above 0 K")

    # -- construction from user text ----------------------------------------------------------------------------
    @classmethod
    def from_strings(cls, name: str = "cell", *, thickness=None, diameter=None, area=None, pellet_mass=None,
                     formula=None, material=None, electrodes="Au|Au", temperature=None, active_mass=None,
                     files=(), notes=None) -> "CellSpec":
        """Build a CellSpec from quantities as typed (``thickness="1.2 mm"``, ``electrodes="Li|Li"``)."""
        return cls(
            name=str(name),
            thickness_m=units.parse(thickness, "length") if thickness is not None else None,
            diameter_m=units.parse(diameter, "length") if diameter is not None else None,
            area_m2_given=units.parse(area, "area") if area is not None else None,
            pellet_mass_kg=units.parse(pellet_mass, "mass") if pellet_mass is not None else None,
            formula=formula,
            material=material,
            electrodes=parse_electrodes(electrodes),
            temperature_K=units.parse(temperature, "temperature") if temperature is not None else None,
            active_mass_kg=units.parse(active_mass, "mass") if active_mass is not None else None,
            files=tuple(files),
            notes=notes,
        )

    # -- derived geometry ---------------------------------------------------------------------------------------
    @property
    def area_m2(self) -> float | None:
        if self.area_m2_given is not None:
            return self.area_m2_given
        if self.diameter_m is not None:
            return math.pi * (self.diameter_m / 2) ** 2
        return None

    @property
    def area_cm2(self) -> float | None:
        a = self.area_m2
        return a * 1e4 if a is not None else None

    @property
    def thickness_cm(self) -> float | None:
        return self.thickness_m * 100 if self.thickness_m is not None else None

    @property
    def geometric_factor_m(self) -> float:
        """L/A in 1/m (σ = (L/A)/R).  Raises if thickness or area is missing."""
        if self.thickness_m is None or self.area_m2 is None:
            missing = "thickness" if self.thickness_m is None else "diameter or area"
            raise UnitError(f"cell {self.name!r}: {missing} is needed for conductivity")
        return self.thickness_m / self.area_m2

    def require_area(self) -> float:
        if self.area_m2 is None:
            raise UnitError(f"cell {self.name!r}: diameter or area is needed")
        return self.area_m2

    # -- electrodes -----------------------------------------------------------------------------------------------
    @property
    def is_blocking(self) -> bool:
        return all(e.lower() in BLOCKING for e in self.electrodes)

    @property
    def is_symmetric_li(self) -> bool:
        return all(e.lower() in LITHIUM for e in self.electrodes)

    @property
    def kind(self) -> str:
        """``blocking`` (Au|Au, steel|steel), ``symmetric`` (the same metal on both sides: Li|Li, Na|Na …),
        ``li-blocking`` (metal|blocking, e.g. Li|steel) or ``full`` (metal|positive electrode, e.g. Li|TiS2).
        Any other pair (two different metals, an unknown electrode) raises a one-line :class:`UnitError`."""
        return cell_kind(*self.electrodes, where=f"cell {self.name!r}: ")

    def with_temperature(self, temperature_K: float | None) -> "CellSpec":
        return replace(self, temperature_K=temperature_K)


def _metal(name: str) -> str | None:
    """Element symbol (lower case) of a metal electrode name (``Li``, ``lithium``, ``Na metal``), else None."""
    low = " ".join(str(name).lower().split())
    if low in METALS:
        return low
    if "-" in low:                   # an alloy such as Li-In: every part a metal
        parts = [_metal(p) for p in low.split("-")]
        return "-".join(parts) if len(parts) > 1 and all(parts) else None
    return _METAL_NAMES.get(low)


def electrode_class(name: str) -> str:
    """``blocking``, ``metal`` or ``cathode`` for one electrode name; a one-line :class:`UnitError` otherwise."""
    low = " ".join(str(name).lower().split())
    if low in BLOCKING:
        return "blocking"
    if _metal(low) is not None:
        return "metal"
    if low in CATHODES or (low.startswith(_CATHODE_PREFIXES) and low[3:].isdigit()):
        return "cathode"
    from .materials.formula import FormulaError, parse_formula

    try:
        els = parse_formula(str(name).strip())
    except FormulaError:
        els = None
    if els and len(els) >= 2:       # a compound such as TiS2, LiFePO4, Li4Ti5O12: a positive electrode
        return "cathode"
    raise UnitError(f"electrode {name!r} not recognised: use a blocking electrode (Au, steel, Pt …), a metal "
                    "(Li, Na …) or a positive electrode (a formula such as TiS2, LiFePO4, or NMC811, LFP …)")


def cell_kind(a: str, b: str, where: str = "") -> str:
    """Kind of the cell with electrodes ``a`` and ``b`` (see :attr:`CellSpec.kind`)."""
    ka, kb = electrode_class(a), electrode_class(b)
    if ka == kb == "blocking":
        return "blocking"
    if ka == kb == "metal" and _metal(a) == _metal(b):
        return "symmetric"
    if {ka, kb} == {"metal", "blocking"}:
        return "li-blocking"
    if {ka, kb} == {"metal", "cathode"}:
        return "full"
    raise UnitError(f"{where}electrodes {a}|{b} are not a supported cell (blocking|blocking, metal|same metal, "
                    "metal|blocking or metal|positive electrode)")


def parse_electrodes(value) -> tuple[str, str]:
    """``"Au|Au"``, ``"Li|SSE|Li"``, ``"Li-Li"``, ``"Li|Li2NH|TiS2"``, ``["Li", "steel"]``, ``"blocking"``,
    ``"li"`` -> a pair of electrode names.  Separators ``|``, ``,``, ``-``; with three parts the middle one is the
    electrolyte.  Every electrode must be recognised (:func:`electrode_class`): an unknown string is an error,
    never a silent "full cell"."""
    if value is None:
        return ("Au", "Au")
    if isinstance(value, (list, tuple)):
        parts = [str(v).strip() for v in value]
    else:
        s = str(value).strip()
        low = s.lower()
        if low in ("blocking", "block"):
            return ("Au", "Au")
        if low in ("li", "lithium", "symmetric"):
            return ("Li", "Li")
        sep = "|" if "|" in s else ("," if "," in s else "-")
        parts = [p.strip() for p in s.split(sep) if p.strip()]
        parts = [p for p in parts if p.upper() != "SSE"]
        if len(parts) == 3:              # Li|Li2NH|Li: the middle one is the electrolyte
            parts = [parts[0], parts[2]]
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2:
        raise UnitError(f"electrodes {value!r}: expected two electrodes such as 'Au|Au' or 'Li|Li'")
    cell_kind(parts[0], parts[1])
    return (parts[0], parts[1])


# -- manifest ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Manifest:
    """Cells described in a YAML file, with their files resolved relative to it."""

    cells: tuple[CellSpec, ...]
    base_dir: Path
    source: Path | None = None
    settings: dict = field(default_factory=dict)     # resolved path → options, from the settings file
    settings_source: Path | None = None

    def cell(self, name: str) -> CellSpec:
        for c in self.cells:
            if c.name == name:
                return c
        raise ManifestError(f"{self.source}: no cell named {name!r}")

    def cell_for(self, path) -> tuple[CellSpec, FileEntry] | None:
        """The cell (and file entry) a measured file belongs to, or None."""
        p = Path(path).resolve()
        for c in self.cells:
            for fe in c.files:
                if fe.path.resolve() == p:
                    return c, fe
        return None

    def options_for(self, path) -> dict | None:
        """The recipe options of a file: its entry in the settings file (:func:`settings_path`), else the manifest
        entry's ``options``, else None."""
        p = Path(path).resolve()
        if p in self.settings:
            return self.settings[p]
        hit = self.cell_for(p)
        return hit[1].options if hit is not None else None

    def temperature_of(self, path) -> float | None:
        hit = self.cell_for(path)
        if hit is None:
            return None
        cell, fe = hit
        return fe.temperature_K if fe.temperature_K is not None else cell.temperature_K


_SCALAR = (str, int, float)
_TEXT_KEYS = ("name", "material", "formula", "notes", "electrodes")
_QUANTITY_KEYS = ("thickness", "diameter", "area", "pellet_mass", "active_mass", "temperature")


def _type_name(v) -> str:
    if v is None:
        return "nothing (null)"
    if isinstance(v, bool):
        return f"a boolean ({v})"
    if isinstance(v, (int, float)):
        return f"a number ({v!r})"
    if isinstance(v, str):
        return f"a string ({v[:40]!r})"
    if isinstance(v, list):
        return f"a list of {len(v)} item(s)"
    if isinstance(v, dict):
        return f"a mapping with key(s) {', '.join(map(str, list(v)[:4]))}"
    return type(v).__name__


def _check_shape(merged: dict, where: str) -> None:
    """Every key of a cell has the type it must have; one line naming the key otherwise."""
    for key in _TEXT_KEYS:
        v = merged.get(key)
        if v is None:
            continue
        if key == "electrodes" and isinstance(v, list) and all(isinstance(x, str) for x in v):
            continue
        if not isinstance(v, _SCALAR) or isinstance(v, bool):
            raise ManifestError(f"{where}: '{key}' must be text, got {_type_name(v)}")
    for key in _QUANTITY_KEYS:
        v = merged.get(key)
        if v is not None and (not isinstance(v, _SCALAR) or isinstance(v, bool)):
            raise ManifestError(f"{where}: '{key}' must be a quantity such as '1.2 mm', got {_type_name(v)}")
    files = merged.get("files")
    if files is not None and not isinstance(files, list):
        hint = f" — write it as a list: files: [{files}]" if isinstance(files, str) else ""
        raise ManifestError(f"{where}: 'files' must be a list of paths or {{path: ...}} / {{glob: ...}} entries, "
                            f"got {_type_name(files)}{hint}")
    for i, item in enumerate(files or []):
        at = f"{where}: files[{i}]"
        if isinstance(item, str):
            if not item.strip():
                raise ManifestError(f"{at}: empty path")
            continue
        if not isinstance(item, dict):
            raise ManifestError(f"{at}: must be a path or a mapping with 'path' or 'glob', got {_type_name(item)}")
        check_keys(item, _FILE_KEYS, at, ManifestError)
        if ("path" in item) == ("glob" in item):
            raise ManifestError(f"{at}: needs exactly one of 'path' or 'glob'")
        key = "path" if "path" in item else "glob"
        v = item[key]
        if not isinstance(v, str) or not v.strip():
            raise ManifestError(f"{at}: '{key}' must be a non-empty text, got {_type_name(v)}")
        t = item.get("temperature")
        if t is not None and (not isinstance(t, _SCALAR) or isinstance(t, bool)):
            raise ManifestError(f"{at}: 'temperature' must be a quantity such as '30 C', got {_type_name(t)}")
        if item.get("label") is not None and not isinstance(item["label"], (str, int, float)):
            raise ManifestError(f"{at}: 'label' must be text, got {_type_name(item['label'])}")
        figs = item.get("figures")
        if figs is not None and not (isinstance(figs, (str, int)) or (isinstance(figs, list) and all(
                isinstance(x, (str, int)) for x in figs))):
            raise ManifestError(f"{at}: 'figures' must be a list of figure labels such as [2c], got {_type_name(figs)}")
        if item.get("time") is not None:
            _entry_time(item["time"], at)


_FILE_KEYS = {"path", "glob", "temperature", "time", "label", "figures", "options"}


def _entry_time(v, at: str):
    """A file entry's ``time``: an ISO 8601 text (or a YAML timestamp) → datetime; a one-line error otherwise."""
    from datetime import date, datetime

    if isinstance(v, datetime):
        return v
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    if isinstance(v, str):
        try:
            return datetime.fromisoformat(v.strip())
        except ValueError:
            pass
    raise ManifestError(f"{at}: 'time' must be a date and time such as 2025-01-15T09:00:00, got {v!r}")


def _entry_extras(item: dict, at: str) -> dict:
    figs = item.get("figures")
    figs = () if figs is None else tuple(str(x) for x in (figs if isinstance(figs, list) else [figs]))
    return {"time": _entry_time(item["time"], at) if item.get("time") is not None else None,
            "label": str(item["label"]) if item.get("label") is not None else None, "figures": figs}


def _cell_from_mapping(raw: dict, defaults: dict, base: Path, where: str) -> CellSpec:
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: each cell must be a mapping with at least 'name', got {_type_name(raw)}")
    merged = {**defaults, **raw}
    check_keys(merged, _KNOWN_CELL_KEYS, where, ManifestError)
    name = raw.get("name")
    if name is None or (isinstance(name, str) and not name.strip()):
        raise ManifestError(f"{where}: cell has no 'name'")
    _check_shape({**merged, "name": name}, where)
    where = f"{where} ({name})"
    files: list[FileEntry] = []
    for i, item in enumerate(merged.get("files") or []):
        try:
            if isinstance(item, str):
                files.append(FileEntry(_resolve(base, item, where)))
            else:
                t = units.parse(item["temperature"], "temperature") if item.get("temperature") is not None else None
                opts = item.get("options")
                if opts is not None and not isinstance(opts, dict):
                    raise ManifestError(f"{where}: files[{i}]: 'options' must be a mapping option → value")
                if "glob" in item:
                    hits = sorted(_glob.glob(str(base / item["glob"])))
                    if not hits:
                        raise ManifestError(f"{where}: files[{i}]: glob {item['glob']!r} matches nothing")
                    extra = _entry_extras(item, f"{where}: files[{i}]")
                    files.extend(FileEntry(Path(h), t, **extra, options=opts) for h in hits)
                else:
                    files.append(FileEntry(_resolve(base, item["path"], where), t,
                                           **_entry_extras(item, f"{where}: files[{i}]"), options=opts))
        except UnitError as exc:
            raise ManifestError(f"{where}: files[{i}]: {exc}") from None
    try:
        return CellSpec.from_strings(
            str(name), thickness=merged.get("thickness"), diameter=merged.get("diameter"), area=merged.get("area"),
            pellet_mass=merged.get("pellet_mass"), formula=merged.get("formula"), material=merged.get("material"),
            electrodes=merged.get("electrodes", "Au|Au"), temperature=merged.get("temperature"),
            active_mass=merged.get("active_mass"), files=files, notes=merged.get("notes"))
    except UnitError as exc:
        raise ManifestError(f"{where}: {exc}") from None


def _resolve(base: Path, item: str, where: str) -> Path:
    p = Path(item)
    return p if p.is_absolute() else base / p


#: a manifest is a few KB of text; these bounds refuse YAML bombs and pathological nesting in milliseconds
MAX_MANIFEST_BYTES = 1_000_000
MAX_YAML_DEPTH = 40
MAX_YAML_NODES = 100_000  # after expanding aliases


def _safe_yaml(text: str, src):
    """``yaml.safe_load`` with bounds: nesting depth, and the node count with every alias expanded (a 400-byte
    "billion laughs" document expands to 10^9 nodes)."""
    import yaml

    class Loader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent, index):
            self.depth += 1
            try:
                if self.depth > MAX_YAML_DEPTH:
                    mark = self.peek_event().start_mark
                    raise ManifestError(f"{src}: line {mark.line + 1}: nested more than {MAX_YAML_DEPTH} levels deep: "
                                        "not a cell manifest")
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def construct_document(self, node):
            sizes: dict[int, int] = {}

            def size(n) -> int:  # memoised over the node graph: aliases are shared nodes
                k = id(n)
                if k in sizes:
                    return sizes[k]
                sizes[k] = 1  # provisional (cycles)
                if isinstance(n, yaml.SequenceNode):
                    total = 1 + sum(size(c) for c in n.value)
                elif isinstance(n, yaml.MappingNode):
                    total = 1 + sum(size(a) + size(b) for a, b in n.value)
                else:
                    total = 1
                sizes[k] = total
                return total

            total = size(node)
            if total > MAX_YAML_NODES:
                raise ManifestError(f"{src}: its aliases expand to {total:.3g} values (more than {MAX_YAML_NODES}): "
                                    "refused (a YAML bomb?)")
            return super().construct_document(node)

    loader = Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _read_yaml(path: Path, what: str = "cell manifest"):
    """A small YAML document read with sselab's guards (size, regular file, UTF-8, no alias bombs or deep nesting);
    every problem is one :class:`ManifestError` line naming the file."""
    import yaml

    try:
        if path.is_file() and path.stat().st_size > MAX_MANIFEST_BYTES:
            raise ManifestError(f"{path}: {path.stat().st_size} bytes — too large for a {what} "
                                f"(limit {MAX_MANIFEST_BYTES})")
        if path.exists() and not path.is_file() and not path.is_dir():
            raise ManifestError(f"{path}: not a regular file (a FIFO or device?): refused")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise ManifestError(f"{path}: is a directory, not a {what}") from None
    except PermissionError:
        raise ManifestError(f"{path}: permission denied") from None
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{path}: not a UTF-8 text file (byte {exc.start}), not a YAML {what}") from None
    try:
        return _safe_yaml(text, path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise ManifestError(f"{path}:{line} not valid YAML ({problem})") from None
    except RecursionError:
        raise ManifestError(f"{path}: nested too deeply: not a {what}") from None


def load_manifest(path, check_files: bool = True) -> Manifest:
    """Read and validate a cell manifest; every problem is one line naming the file and the cell.  The per-file
    options sselab keeps beside it (:func:`settings_path`) are merged in."""
    path = Path(path)
    doc = _read_yaml(path)
    man = manifest_from_dict(doc, base_dir=path.parent, source=path, check_files=check_files)
    side = settings_path(path)
    if side.exists():
        man = replace(man, settings=load_settings(side), settings_source=side)
    return man


#: the settings file sselab owns beside a manifest: ``cells.yaml`` → ``cells.sselab.yaml``
SETTINGS_SUFFIX = ".sselab.yaml"
SETTINGS_KEY = "sselab_settings"


def settings_path(manifest_or_dir) -> Path:
    """Where the per-file options of a manifest (or of a folder without one) are kept: ``cells.yaml`` →
    ``cells.sselab.yaml`` beside it; a folder → ``<folder>/cells.sselab.yaml``."""
    p = Path(manifest_or_dir)
    if p.is_dir():
        return p / ("cells" + SETTINGS_SUFFIX)
    return p.with_name(p.name.rsplit(".", 1)[0] + SETTINGS_SUFFIX)


def load_settings(path) -> dict:
    """The per-file options of a settings file (:func:`settings_path`): resolved file path → options mapping.
    Paths in it are relative to its folder.  A file that is not sselab's settings file is a one-line error."""
    path = Path(path)
    doc = _read_yaml(path, "settings file")
    if doc is None:
        return {}
    if not isinstance(doc, dict) or SETTINGS_KEY not in doc:
        raise ManifestError(f"{path}: not an sselab settings file (no '{SETTINGS_KEY}:' key)")
    files = doc.get("files") or {}
    if not isinstance(files, dict):
        raise ManifestError(f"{path}: 'files' must be a mapping file → options")
    out = {}
    for rel, opts in files.items():
        if opts is None:
            opts = {}
        if not isinstance(opts, dict):
            raise ManifestError(f"{path}: files: {rel}: options must be a mapping option → value")
        out[_resolve(path.parent, str(rel), str(path)).resolve()] = dict(opts)
    return out


def manifest_from_dict(doc, base_dir=".", source=None, check_files: bool = True) -> Manifest:
    src = source or "<manifest>"
    if not isinstance(doc, dict) or "cells" not in doc:
        raise ManifestError(f"{src}: expected a mapping with a 'cells' list")
    cells_raw = doc["cells"]
    if not isinstance(cells_raw, list) or not cells_raw:
        raise ManifestError(f"{src}: 'cells' must be a non-empty list, got {_type_name(cells_raw)}")
    defaults = doc.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise ManifestError(f"{src}: 'defaults' must be a mapping, got {_type_name(defaults)}")
    base = Path(base_dir)
    cells = []
    seen = set()
    for i, raw in enumerate(cells_raw):
        cell = _cell_from_mapping(raw, defaults, base, f"{src}: cells[{i}]")
        if cell.name in seen:
            raise ManifestError(f"{src}: cells[{i}]: duplicate cell name {cell.name!r}")
        seen.add(cell.name)
        if check_files:
            for fe in cell.files:
                if not fe.path.exists():
                    raise ManifestError(f"{src}: cell {cell.name!r}: file {fe.path} does not exist")
        cells.append(cell)
    extra = set(map(str, doc)) - {"cells", "defaults", "version"}
    if extra:
        raise ManifestError(f"{src}: unknown top-level key(s) {', '.join(sorted(extra))}")
    return Manifest(tuple(cells), base, Path(source) if source else None)
