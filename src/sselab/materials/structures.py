"""Crystal structures of the knowledge base (``data/structures.yaml``): Li2NH (ordered Fd-3m and disordered
Fm-3m), Li3N, LiNH2, Li metal and the diffraction standards (LaB6, CeO2, Si, Cu3Au, PbSO4).

>>> from sselab.materials.structures import structure, structure_keys
>>> s = structure("Li2NH")            # aliases work; case-insensitive
>>> s.space_group, round(s.a_angstrom, 2)
(227, 10.09)
"""
from __future__ import annotations

from functools import lru_cache

from ..errors import SselabError

__all__ = ["structure", "structure_keys", "all_structures", "StructureNotFoundError"]


class StructureNotFoundError(SselabError, KeyError):
    """No structure of that name in the knowledge base."""

    def __str__(self) -> str:          # KeyError would quote the message
        return self.args[0] if self.args else ""


@lru_cache(maxsize=1)
def _load() -> dict:
    from importlib import resources

    import yaml

    from ..structure.crystal import Crystal, Site

    doc = yaml.safe_load(resources.files(__package__).joinpath("data/structures.yaml").read_text(encoding="utf-8"))
    out = {}
    for e in doc["structures"]:
        sites = tuple(Site(s["element"], tuple(float(v) for v in s["xyz"]), float(s.get("occupancy", 1.0)),
                           float(s.get("b", 1.0)), s.get("label", ""), s.get("wyckoff", "")) for s in e["sites"])
        c = Crystal(name=e["name"], space_group=int(e["space_group"]), a_angstrom=float(e["a_angstrom"]),
                    b_angstrom=e.get("b_angstrom"), c_angstrom=e.get("c_angstrom"),
                    alpha_deg=float(e.get("alpha_deg", 90.0)), beta_deg=float(e.get("beta_deg", 90.0)),
                    gamma_deg=float(e.get("gamma_deg", 90.0)), sites=sites, formula=e.get("formula", ""),
                    z=e.get("z"), source=" ".join(str(e.get("source", "")).split()),
                    note=" ".join(str(e.get("note", "")).split()), key=e["key"])
        out[e["key"]] = (c, [e["key"], *e.get("aliases", [])])
    return out


def structure_keys() -> list[str]:
    """Keys of every structure in the knowledge base."""
    return list(_load())


def all_structures() -> list:
    return [c for c, _ in _load().values()]


def structure(name: str):
    """The :class:`sselab.structure.crystal.Crystal` called ``name`` (key or alias, case-insensitive)."""
    want = str(name).strip().lower().replace(" ", "")
    for c, names in _load().values():
        if any(want == n.lower().replace(" ", "") for n in names):
            return c
    raise StructureNotFoundError(f"no structure {name!r} in the knowledge base (known: {', '.join(_load())})")
