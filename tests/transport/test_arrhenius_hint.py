"""`sselab arrhenius` warns when an arc summed into R left the measured band (it merged into R0)."""
from types import SimpleNamespace

from sselab.commands.arrhenius import _out_of_window_hint
from sselab.eis import Circuit


def _fits(*flag_dicts):
    return [SimpleNamespace(flags=d) for d in flag_dicts]


def test_hint_names_the_lost_arc_and_the_fix():
    c = Circuit("R0-p(R1,CPE1)-p(R2,CPE2)-CPE3")
    notes = _out_of_window_hint(c, "R1+R2", _fits({}, {"R1": "outside-window"}, {"R1": "outside-window"}))
    assert len(notes) == 1
    assert "R1 lies above the measured band in 2 of 3 spectra" in notes[0]
    assert "--resistance R0+R1+R2" in notes[0]


def test_no_hint_when_resolved_or_already_included():
    c = Circuit("R0-p(R1,CPE1)-CPE2")
    assert _out_of_window_hint(c, "R1", _fits({}, {"R1": "poorly-determined"})) == []
    assert _out_of_window_hint(c, "R0+R1", _fits({"R1": "outside-window"})) == []
