"""Content sniffing for structure data (called by :func:`sselab.io.detect.detect`): powder XRD formats, JCAMP-DX
NMR, and files that belong to a structure experiment but hold no readable pattern (detector images, PONI
calibrations, CIFs, GSAS instrument files) — those fail with one line saying what they are and what to do."""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import UnknownFormatError

__all__ = ["sniff"]


def sniff(path: Path, head: bytes) -> str | None:
    from . import nmr, xrd

    h = head.lstrip(b"\xef\xbb\xbf")
    if h[:4] in (b"II*\x00", b"MM\x00*"):
        raise UnknownFormatError(path, "a TIFF image (2-D detector frame?): integrate it with its PONI calibration "
                                       "(sselab xrd IMAGE --poni FILE, needs sselab[xrd2d])")
    if h.startswith(b"###CBF") or h.startswith(b"{\n") and b"HeaderID" in h[:2000]:
        raise UnknownFormatError(path, "a 2-D detector image (CBF/EDF): integrate it with its PONI calibration "
                                       "(sselab xrd IMAGE --poni FILE, needs sselab[xrd2d])")
    fmt = xrd.sniff(head, path)
    if fmt:
        return fmt
    fmt = nmr.sniff(path, head)
    if fmt:
        return fmt
    if b"\x00" in h[:4096]:
        return None
    text = h[:16384].decode("latin-1")
    if re.search(r"^\s*(PixelSize1|Poni1|Distance)\s*:", text, re.M) and re.search(r"^\s*Rot1\s*:", text, re.M):
        raise UnknownFormatError(path, "a pyFAI PONI calibration, not a pattern: pass it with --poni to integrate "
                                       "a detector image")
    if re.search(r"^\s*data_\S+", text, re.M) and re.search(r"^\s*(_cell_length_a|loop_|_symmetry|_pd_)", text, re.M):
        raise UnknownFormatError(path, "a CIF (crystal structure / pdCIF): not read as a pattern — export the "
                                       "profile as .xy")
    if re.search(r"^INS\s+(BANK|\d+\s*(IRAD|ICONS|PRCF|HTYPE))", text, re.M):
        raise UnknownFormatError(path, "a GSAS instrument parameter file (.prm), not a pattern")
    return None
