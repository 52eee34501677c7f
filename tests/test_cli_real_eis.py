"""Issue 13, "done when": `sselab eis fit` with ``R0-p(R1,CPE1)-CPE2`` and with ``R0-p(R1,CPE1)-p(R2,CPE2)`` on every
impedance file under ../shared/data exits 0 or 2 (one line), never a traceback; so does the circuit chosen from the
data, on every eighth file (the whole set takes half a minute more)."""
from typer.testing import CliRunner

from conftest import readable_files
from sselab.cli import app

CIRCUITS = ("R0-p(R1,CPE1)-CPE2", "R0-p(R1,CPE1)-p(R2,CPE2)", None)


def _eis_files():
    # cyclers/ and structure/ hold no impedance
    return [p for p, m in readable_files("data", "instruments") if m.technique == "EIS" or m.is_eis]


def test_eis_fit_on_every_real_file_exits_0_or_2():
    files = _eis_files()
    assert len(files) >= 50
    runner = CliRunner()
    bad = []
    for k, p in enumerate(files):
        for c in CIRCUITS if k % 8 == 0 else CIRCUITS[:2]:
            args = ["eis", "fit", str(p), "--json"] + (["--circuit", c] if c else [])
            r = runner.invoke(app, args)
            if r.exit_code == 0:
                continue
            lines = [ln for ln in r.output.splitlines() if ln.strip()]
            if r.exit_code != 2 or len(lines) != 1 or not lines[0].startswith("error:") or "Traceback" in r.output:
                bad.append((p.name, c, r.exit_code, type(r.exception).__name__, r.output[-300:]))
    assert not bad, bad
