"""Speed and memory of sselab's BioLogic readers against galvani (datalab-org-galvani), same run, same files.

    .venv/bin/python benchmarks/bench_readers.py            # .mpt: largest real + ~80 MB synthetic; .mpr: real + 2.7 M rows
    .venv/bin/python benchmarks/bench_readers.py --size-mb 20 --mpr-rows 500000 --no-write

.mpt files: the largest ``.mpt`` under ../shared/data, the largest LF-only one, and a synthetic ``.mpt`` built in a
temporary directory by repeating the data rows of the largest under its own header (the header line count is
unchanged, so it stays a valid EC-Lab export).  galvani rejects LF-only files: such a file is converted to a CRLF copy
for galvani (reported, not timed).  .mpr files: the largest real ones, and a synthetic ``.mpr`` made from a real CA
file by repeating the records of its data module (point count and module length patched; the other modules
unchanged) to ``--mpr-rows`` rows.  Timed, best of ``--repeat``:

* sselab ``read(path)`` (every column, canonical SI names, all checks) and ``read(path, columns=[time_s,
  potential_V, current_A])`` (what a cycling or CV analysis needs);
* galvani ``MPTfile`` / ``MPRfile`` alone (its structured record array: raw units, no table, no checks), and galvani
  plus the same three columns as SI arrays (``data["time/s"]``, ``data["Ewe/V"]``, ``data["I/mA"] * 1e-3``: what a
  galvani user writes to get what ``columns=`` returns).

Peak memory of each reader runs in a fresh subprocess (``ru_maxrss`` minus that of the same imports).  Results go to
``benchmarks/results/readers.md`` unless ``--no-write``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
DATA = REPO.parent / "shared" / "data"
TVI = ["time_s", "potential_V", "current_A"]


def _best(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


# -- synthetic files -------------------------------------------------------------------------------------------------
def make_synthetic(src: Path, dst: Path, size_mb: float) -> int:
    """Header of ``src`` + its data rows repeated until ``size_mb``; returns the number of data rows."""
    raw = src.read_bytes()
    nb = int(re.search(rb"Nb header lines\s*:\s*(\d+)", raw[:4096]).group(1))
    eol = b"\r\n" if b"\r\n" in raw[:4096] else b"\n"
    lines = raw.split(eol)
    header, rows = lines[:nb], [ln for ln in lines[nb:] if ln.strip()]
    block = eol.join(rows) + eol
    reps = max(1, int(size_mb * 1e6 // len(block)) + 1)
    with open(dst, "wb") as fh:
        fh.write(eol.join(header) + eol)
        for _ in range(reps):
            fh.write(block)
    return reps * len(rows)


_DATA_HEADER = {2: 405, 3: 406}  # bytes before the records in the data module, by module version


def _mpr_data_module(path: Path) -> tuple[bytes, dict]:
    """The bytes of a ``.mpr`` and its data module's header entry (galvani's public ``read_VMP_modules``)."""
    from galvani.BioLogic import read_VMP_modules

    raw = path.read_bytes()
    with open(path, "rb") as fh:
        fh.seek(len(b"BIO-LOGIC MODULAR FILE\x1a".ljust(48)) + 4)
        mods = list(read_VMP_modules(fh, read_module_data=False))
    return raw, next(m for m in mods if m["shortname"] == b"VMP data  ")


def _write_records(raw: bytes, data: dict, dst: Path, n: int, records: bytes) -> None:
    """``raw`` written to ``dst`` with its data module holding ``n`` points ``records`` (point count and module
    length patched; every other module unchanged)."""
    v2 = "max length" in data
    hdr_len = 6 + (59 if v2 else 51)  # "MODULE" + header (the v2 header has 'max length' and one more u4)
    start, length = int(data["offset"]), int(data["length"])
    skip = _DATA_HEADER[int(data["version"])]
    body = raw[start:start + length]
    new_body = n.to_bytes(4, "little") + body[4:skip] + records
    hdr = bytearray(raw[start - hdr_len:start])
    at = 6 + (39 if v2 else 35)
    hdr[at:at + 4] = len(new_body).to_bytes(4, "little")
    with open(dst, "wb") as fh:
        fh.write(raw[:start - hdr_len])
        fh.write(bytes(hdr))
        fh.write(new_body)
        fh.write(raw[start + length:])


def make_synthetic_mpr(src: Path, dst: Path, rows: int) -> int:
    """``src`` with the records of its data module repeated to ``rows`` points (point count and module length
    patched; every other module unchanged)."""
    raw, data = _mpr_data_module(src)
    start, length = int(data["offset"]), int(data["length"])
    skip = _DATA_HEADER[int(data["version"])]
    body = raw[start:start + length]
    n = int.from_bytes(body[:4], "little")
    rec = (length - skip) // n
    assert rec * n == length - skip, "record size does not divide the data block"
    records = body[skip:]
    reps, extra = divmod(rows, n)
    _write_records(raw, data, dst, rows, records * reps + records[: extra * rec])
    return rows


def write_ladder_mpr(template: Path, dst: Path, t, v, i_A) -> int:
    """A real CA ``.mpr`` (``template``) whose data module holds the given time / potential / current rows (other
    fields zero; stored in the template's own record layout: time float64, Ewe and I float32)."""
    import numpy as np
    from galvani.BioLogic import MPRfile

    dtype = MPRfile(str(template)).data.dtype
    rec = np.zeros(len(t), dtype=dtype)
    rec["time/s"] = t
    rec["Ewe/V"] = v
    rec["I/mA"] = np.asarray(i_A) * 1e3
    if "Ns" in dtype.names:
        rec["Ns"] = 0
    raw, data = _mpr_data_module(template)
    _write_records(raw, data, dst, len(t), rec.tobytes())
    return len(t)


# -- readers ---------------------------------------------------------------------------------------------------------
def _galvani_mpt(path: Path, tmp: Path, notes: list[str]):
    from galvani.BioLogic import MPTfile

    target = path
    if b"\r\n" not in path.read_bytes()[:200]:
        target = tmp / (path.stem + ".crlf.mpt")
        target.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        notes.append(f"{path.name}: LF-only, galvani read a CRLF copy (conversion not timed)")

    def alone():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr, _comments = MPTfile(str(target), encoding="latin-1")
        return arr

    def tvi():
        arr = alone()
        cur = "I/mA" if "I/mA" in arr.dtype.names else "<I>/mA"
        return arr["time/s"].astype(float), arr["Ewe/V"].astype(float), arr[cur].astype(float) * 1e-3

    return alone, tvi


def _galvani_mpr(path: Path):
    from galvani.BioLogic import MPRfile

    def alone():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return MPRfile(str(path)).data

    def tvi():
        d = alone()
        cur = "I/mA" if "I/mA" in d.dtype.names else "<I>/mA"
        return d["time/s"].astype(float), d["Ewe/V"].astype(float), d[cur].astype(float) * 1e-3

    return alone, tvi


_MEM_SNIPPET = r"""
import resource, sys, warnings, json, tracemalloc
warnings.simplefilter("ignore")
sys.path.insert(0, {src!r})
import numpy, pandas
from sselab.io import read
from galvani import BioLogic
path, what = {path!r}, {what!r}
tracemalloc.start()
if what == "sselab":
    out = read(path)
elif what == "sselab-tvi":
    out = read(path, columns=["time_s", "potential_V", "current_A"])
elif what == "galvani-mpr":
    out = BioLogic.MPRfile(path).data
elif what == "galvani-mpr-tvi":
    d = BioLogic.MPRfile(path).data
    cur = "I/mA" if "I/mA" in d.dtype.names else "<I>/mA"
    out = (d["time/s"].astype(float), d["Ewe/V"].astype(float), d[cur].astype(float) * 1e-3)
    del d
_, peak = tracemalloc.get_traced_memory()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"peak_MiB": peak / 2**20, "maxrss_MiB": rss / 1024}}))
"""


def peak_mib(path: Path, what: str) -> dict | None:
    """Peak traced allocations of one read (tracemalloc: numpy and bytes buffers) and the process's max RSS."""
    code = _MEM_SNIPPET.format(src=str(REPO / "src"), path=str(path), what=what)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def bench(path: Path, tmp: Path, repeat: int, notes: list[str], memory: bool) -> dict:
    from sselab.io import read

    kind = path.suffix.lower()
    t_full, m = _best(lambda: read(path), repeat)
    t_tvi, m3 = _best(lambda: read(path, columns=TVI), repeat)
    row = {"file": path.name, "kind": kind, "MB": path.stat().st_size / 1e6, "rows": len(m), "sselab_s": t_full,
           "sselab_tvi_s": t_tvi, "tvi_cols": list(m3.data.columns)}
    try:
        alone, tvi = _galvani_mpt(path, tmp, notes) if kind == ".mpt" else _galvani_mpr(path)
        t_g, arr = _best(alone, repeat)
        t_g3, _ = _best(tvi, repeat)
        row.update(galvani_s=t_g, galvani_tvi_s=t_g3, galvani_rows=len(arr))
        if len(arr) != len(m):
            notes.append(f"{path.name}: galvani returned {len(arr)} rows, sselab {len(m)}")
    except ImportError:
        notes.append("galvani not installed: only sselab timed")
    except Exception as exc:  # noqa: BLE001 - report, do not hide
        notes.append(f"{path.name}: galvani failed ({type(exc).__name__}: {' '.join(str(exc).split())[:120]})")
    if memory and kind == ".mpr":
        for what in ("sselab", "sselab-tvi", "galvani-mpr", "galvani-mpr-tvi"):
            row[f"mem_{what}"] = peak_mib(path, what)
    return row


def _fmt(x, spec=".3f"):
    return "—" if x is None else format(x, spec)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=float, default=80.0, help="size of the synthetic .mpt (default 80)")
    ap.add_argument("--mpr-rows", type=int, default=2_700_000, help="rows of the synthetic .mpr (default 2.7 M)")
    ap.add_argument("--repeat", type=int, default=3, help="repeats per reader (best time is kept)")
    ap.add_argument("--no-write", action="store_true", help="do not write benchmarks/results/readers.md")
    args = ap.parse_args(argv)
    if not DATA.exists():
        print(f"{DATA} not found: nothing to benchmark")
        return 1
    load0 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    mpts = sorted(DATA.rglob("*.mpt"), key=lambda p: p.stat().st_size)
    mprs = sorted(DATA.rglob("*.mpr"), key=lambda p: p.stat().st_size)
    largest = mpts[-1]
    mpr_src = next(p for p in mprs if p.name == "ca.issue_134.mpr")
    notes: list[str] = []
    rows = []
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        rows.append(bench(largest, tmp, args.repeat, notes, False))
        lf_only = [p for p in mpts if b"\r\n" not in p.read_bytes()[:4096]]
        if lf_only and lf_only[-1] != largest:
            rows.append(bench(lf_only[-1], tmp, args.repeat, notes, False))
        synth = tmp / f"synthetic_{int(args.size_mb)}MB.mpt"
        make_synthetic(largest, synth, args.size_mb)
        synth.read_bytes()  # warm the page cache for both readers alike
        rows.append(bench(synth, tmp, min(args.repeat, 2), notes, False))
        for p in (mprs[-1], mpr_src):
            rows.append(bench(p, tmp, args.repeat, notes, True))
        big = tmp / f"synthetic_{args.mpr_rows // 1000}k_rows.mpr"
        make_synthetic_mpr(mpr_src, big, args.mpr_rows)
        big.read_bytes()
        rows.append(bench(big, tmp, min(args.repeat, 3), notes, True))
        big.unlink()
    load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    hdr = ("| file | MB | rows | sselab `read` ms | sselab `columns=` t,E,I ms | galvani alone ms | galvani + t,E,I ms | "
           "galvani+t,E,I / sselab `columns=` | galvani+t,E,I / sselab `read` |")
    lines = [hdr, "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        g3 = r.get("galvani_tvi_s")
        ms = (lambda x: None if x is None else 1e3 * x)
        lines.append(
            f"| {r['file']} | {r['MB']:.1f} | {r['rows']:,} | {ms(r['sselab_s']):.1f} | {ms(r['sselab_tvi_s']):.1f} | "
            f"{_fmt(ms(r.get('galvani_s')), '.1f')} | {_fmt(ms(g3), '.1f')} | "
            + (f"{g3 / r['sselab_tvi_s']:.1f}× | {g3 / r['sselab_s']:.1f}× |" if g3 else "— | — |"))
    mem = ["| file | MB | rows | sselab `read` | sselab `columns=` t,E,I | galvani alone | galvani + t,E,I | "
           "t,E,I as float64 |", "|---|---:|---:|---:|---:|---:|---:|---:|"]

    def cell(m):
        return "—" if not m else f"{m['peak_MiB']:.0f} MiB"

    for r in rows:
        if "mem_sselab" in r:
            arrays = r["rows"] * 8 * 3 / 2**20
            mem.append(f"| {r['file']} | {r['MB']:.0f} | {r['rows']:,} | {cell(r['mem_sselab'])} | "
                       f"{cell(r['mem_sselab-tvi'])} | {cell(r['mem_galvani-mpr'])} | {cell(r['mem_galvani-mpr-tvi'])} | "
                       f"{arrays:.0f} MiB |")
    table, mtable = "\n".join(lines), "\n".join(mem)
    print(table)
    print()
    print(mtable)
    for n in notes:
        print("note:", n)
    print(f"load average {load0:.2f} before, {load1:.2f} after")
    if not args.no_write:
        import numpy
        import pandas

        try:
            from importlib.metadata import version

            gv = version("datalab-org-galvani")
        except Exception:  # noqa: BLE001
            gv = "not installed"
        text = [
            "# BioLogic .mpt / .mpr reading: sselab vs galvani",
            "",
            f"Command: `.venv/bin/python benchmarks/bench_readers.py --size-mb {args.size_mb:g} --mpr-rows "
            f"{args.mpr_rows} --repeat {args.repeat}` (run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
            f"load average {load0:.1f} before, {load1:.1f} after, on 2 cores shared with other jobs).",
            "",
            f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
            f"pandas {pandas.__version__}, numpy {numpy.__version__}, datalab-org-galvani {gv}.",
            "sselab `read` is the whole `sselab.io.read()` (format sniffing, canonical SI columns, every row check and the "
            "non-finite contract); `columns=` reads only time_s, potential_V, current_A.  galvani alone is",
            "`MPTfile(path, encoding='latin-1')` / `MPRfile(path).data` (a structured record array in the instrument's "
            "units, no checks); galvani + t,E,I adds what a galvani user writes to get the same three SI arrays.",
            "Best of the repeats; absolute times vary by up to 2× with the machine's load, ratios less.",
            "",
            table,
            "",
            "Peak memory of one read: traced allocations during the read (tracemalloc sees numpy and bytes buffers; "
            "a fresh process per reader).  galvani holds the whole .mpr while decoding it; sselab decodes the "
            "records 8 MB at a time:",
            "",
            mtable,
            "",
        ]
        text += [f"- {n}" for n in notes]
        text += ["", "`sselab cycle` peak memory on a 2.7 M-row record: see `bench_cycling.py` / "
                 "[`cycling.md`](cycling.md)."]
        out = REPO / "benchmarks" / "results" / "readers.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(text) + "\n", encoding="utf-8")
        print(f"wrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
