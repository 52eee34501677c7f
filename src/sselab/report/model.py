"""The small objects a report is made of: files, figures, tables, numbers and sections."""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field


def slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-").lower()
    return s or "x"


#: one input file (read or failed) — the routing layer's item
from ..recipes.routing import Item as FileRecord  # noqa: E402,F401


@dataclass
class Figure:
    name: str
    title: str
    svg: bytes
    caption: str = ""
    files: tuple[str, ...] = ()
    paper_figure: str | None = None      # the paper's figure this one reproduces ("Fig. 1e"), when it does

    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg).decode("ascii")


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list]
    note: str = ""


@dataclass
class Number:
    """One reported quantity (field units for display; ``value``/``stderr`` in the named unit)."""

    section: str
    subject: str            # cell or material
    quantity: str           # key, e.g. "Ea_eV", "sigma_30C_mS_per_cm"
    label: str              # human label, e.g. "Ea"
    value: float | str | None
    stderr: float | None = None
    unit: str = ""
    truth: float | str | None = None
    T_K: float | None = None    # temperature of the result the number came from (when it has one)
    bound: str | None = None    # ">=" / "<=" when the number is only a bound


@dataclass
class Section:
    id: str
    title: str
    kind: str
    subject: str = ""
    status: str = "ok"       # ok | error
    intro: str = ""
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    numbers: list[Number] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    recipe: str = ""               # the recipe whose results the section shows ("" for material-level sections)
    results: list = field(default_factory=list)   # RecipeResult(s), in results.json
    data: object | None = None     # what a material-level section computed, in results.json

    def note(self, text: str) -> None:
        if text and text not in self.notes:
            self.notes.append(text)
