"""Speed of sselab's BioLogic .mpt reader against galvani's ``MPTfile`` (datalab-org-galvani), same run, same files.

    .venv/bin/python benchmarks/bench_readers.py            # largest real .mpt + an ~80 MB synthetic one
    .venv/bin/python benchmarks/bench_readers.py --size-mb 20 --no-write

Files: the largest ``.mpt`` under ../shared/data, and a synthetic ``.mpt`` built in a temporary directory by repeating
the data rows of that real file under its own header (the header line count is unchanged, so the file stays a valid
EC-Lab export).  galvani rejects LF-only files: such a file is converted to a CRLF copy for galvani (reported).
Results go to ``benchmarks/results/readers.md`` unless ``--no-write``.
"""
from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
DATA = REPO.parent / "shared" / "data"


def _best(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def _galvani_read(path: Path, tmp: Path, notes: list[str]):
    from galvani.BioLogic import MPTfile

    raw_head = path.read_bytes()[:200]
    target = path
    if b"\r\n" not in raw_head:
        target = tmp / (path.stem + ".crlf.mpt")
        target.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        notes.append(f"{path.name}: LF-only, galvani read a CRLF copy (conversion not timed)")

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr, _comments = MPTfile(str(target), encoding="latin-1")
        return arr

    return run


def make_synthetic(src: Path, dst: Path, size_mb: float) -> int:
    """Header of ``src`` + its data rows repeated until ``size_mb``; returns the number of data rows."""
    import re

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


def bench(path: Path, tmp: Path, repeat: int, notes: list[str]) -> dict:
    from sselab.io import read

    t_s, m = _best(lambda: read(path), repeat)
    row = {"file": path.name, "MB": path.stat().st_size / 1e6, "rows": len(m), "sselab_s": t_s}
    try:
        run = _galvani_read(path, tmp, notes)
        t_g, arr = _best(run, repeat)
        row.update(galvani_s=t_g, galvani_rows=len(arr))
        if len(arr) != len(m):
            notes.append(f"{path.name}: galvani returned {len(arr)} rows, sselab {len(m)}")
    except ImportError:
        row.update(galvani_s=None, galvani_rows=None)
        notes.append("galvani not installed: only sselab timed")
    except Exception as exc:  # noqa: BLE001 - report, do not hide
        row.update(galvani_s=None, galvani_rows=None)
        notes.append(f"{path.name}: galvani failed ({type(exc).__name__}: {' '.join(str(exc).split())[:120]})")
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=float, default=80.0, help="size of the synthetic .mpt (default 80)")
    ap.add_argument("--repeat", type=int, default=3, help="repeats for the real file (best time is kept)")
    ap.add_argument("--no-write", action="store_true", help="do not write benchmarks/results/readers.md")
    args = ap.parse_args(argv)
    if not DATA.exists():
        print(f"{DATA} not found: nothing to benchmark")
        return 1
    mpts = sorted(DATA.rglob("*.mpt"), key=lambda p: p.stat().st_size)
    largest = mpts[-1]
    notes: list[str] = []
    rows = []
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        rows.append(bench(largest, tmp, args.repeat, notes))
        lf_only = [p for p in mpts if b"\r\n" not in p.read_bytes()[:4096]]
        if lf_only and lf_only[-1] != largest:
            rows.append(bench(lf_only[-1], tmp, args.repeat, notes))  # largest LF-only file: galvani needs a CRLF copy
        synth = tmp / f"synthetic_{int(args.size_mb)}MB.mpt"
        make_synthetic(largest, synth, args.size_mb)
        synth.read_bytes()  # warm the page cache for both readers alike
        rows.append(bench(synth, tmp, 2, notes))
    hdr = "| file | MB | rows | sselab s | sselab rows/s | galvani s | galvani rows/s | galvani / sselab |"
    lines = [hdr, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        g = r.get("galvani_s")
        lines.append(
            f"| {r['file']} | {r['MB']:.1f} | {r['rows']:,} | {r['sselab_s']:.3f} | {r['rows'] / r['sselab_s']:,.0f} | "
            + (f"{g:.3f} | {r['galvani_rows'] / g:,.0f} | {g / r['sselab_s']:.1f}× |" if g else "— | — | — |")
        )
    table = "\n".join(lines)
    print(table)
    for n in notes:
        print("note:", n)
    if not args.no_write:
        out = REPO / "benchmarks" / "results" / "readers.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        import numpy
        import pandas

        try:
            from importlib.metadata import version

            gv = version("datalab-org-galvani")
        except Exception:  # noqa: BLE001
            gv = "not installed"
        text = [
            "# BioLogic .mpt reading speed: sselab vs galvani",
            "",
            f"Command: `.venv/bin/python benchmarks/bench_readers.py --size-mb {args.size_mb:g} --repeat {args.repeat}`"
            f" (run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}).",
            "",
            f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
            f"pandas {pandas.__version__}, numpy {numpy.__version__}, datalab-org-galvani {gv}.",
            "sselab time is the whole `sselab.io.read()` (format sniffing, decimal detection, canonical SI columns);",
            "galvani time is `galvani.BioLogic.MPTfile(path, encoding='latin-1')` (structured numpy array, no unit conversion;",
            "its default `encoding='ascii'` fails on EC-Lab's latin-1 `µF` column names).  Other engineers share this machine:",
            "absolute times vary by up to 2× between runs (galvani 9–18 s on the 80 MB file), ratios less.",
            f"Real files: the largest `.mpt`, `{largest.relative_to(DATA.parent)}`, and the largest LF-only one (best of"
            f" {args.repeat}); synthetic file: the largest file's header plus its",
            "data rows repeated to the target size (best of 2).",
            "",
            table,
            "",
        ]
        text += [f"- {n}" for n in notes]
        out.write_text("\n".join(text) + "\n", encoding="utf-8")
        print(f"wrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
