"""Cycler exports saved as .xlsx: a real Arbin export (navani's example) and workbooks written here with known
content (several channels, continuation sheets, |I| with a state column, header-only sheets, damage)."""
from __future__ import annotations

import zipfile
from xml.sax.saxutils import escape

import numpy as np
import pytest
from conftest import shared_path

import python_calamine  # noqa: F401 — the test extra (pip install -e '.[test]')

from sselab.cycling import analyze_full_cell  # noqa: E402
from sselab.errors import EmptyFileError, ReaderError  # noqa: E402
from sselab.io import channels, detect, read, read_all  # noqa: E402


def write_xlsx(path, sheets: dict[str, list[list]]):
    """A minimal valid .xlsx (inline strings, numbers) — no spreadsheet library needed."""
    def cell(ref, v):
        if v is None:
            return ""
        if isinstance(v, str):
            return f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
        return f'<c r="{ref}"><v>{float(v)!r}</v></c>'

    def col(k):
        s = ""
        k += 1
        while k:
            k, r = divmod(k - 1, 26)
            s = chr(65 + r) + s
        return s

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                   'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
                   'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+'
                   'xml"/>' + "".join(
                       f'<Override PartName="/xl/worksheets/sheet{k + 1}.xml" ContentType="application/vnd.openxml'
                       f'formats-officedocument.spreadsheetml.worksheet+xml"/>' for k in range(len(sheets))) + "</Types>")
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
                   'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships"><sheets>' + "".join(
                       f'<sheet name="{escape(n)}" sheetId="{k + 1}" r:id="rId{k + 1}"/>' for k, n in enumerate(sheets))
                   + "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships">' + "".join(
                       f'<Relationship Id="rId{k + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       f'relationships/worksheet" Target="worksheets/sheet{k + 1}.xml"/>' for k in range(len(sheets)))
                   + "</Relationships>")
        for k, rows in enumerate(sheets.values()):
            body = "".join(f'<row r="{r + 1}">' + "".join(cell(f"{col(c)}{r + 1}", v) for c, v in enumerate(row))
                           + "</row>" for r, row in enumerate(rows))
            z.writestr(f"xl/worksheets/sheet{k + 1}.xml",
                       '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                       f'spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>')
    return path


ARBIN_HEADER = ["Date_Time", "Test_Time(s)", "Step_Time(s)", "Step_Index", "Cycle_Index", "Voltage(V)", "Current(A)",
                "Charge_Capacity(Ah)", "Discharge_Capacity(Ah)"]


def _arbin_rows(t0, n, current):
    rows = []
    q = 0.0
    for k in range(n):
        t = t0 + 10.0 * k
        q += abs(current) * 10.0 / 3600 if k else 0.0
        rows.append([None, t, 10.0 * k, 1, 1, 3.0 + 1e-3 * k, current, q if current > 0 else 0.0,
                     q if current < 0 else 0.0])
    return rows


def test_real_arbin_xlsx_export():
    p = shared_path("data", "instruments", "be-smith+navani", "Example_data",
                    "bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx")
    assert detect(p) == "spreadsheet"
    assert channels(p) == ["Channel_11"]   # the summary sheet Global_Info is not a channel
    m = read(p)
    d = m.data
    assert len(d) == 4526 and m.instrument == "Arbin" and str(m.start_time) == "2020-10-19 11:31:46.582000"
    # 50 µA graphite|Li half cell between 50 mV and 1 V
    assert 45e-6 < np.nanmax(np.abs(d["current_A"])) < 55e-6
    assert 0.0 < d["potential_V"].min() < 0.06 and 2.5 < d["potential_V"].iloc[0] < 3.0  # OCV of a fresh cell
    # Arbin's own counters against sselab's integration of the records.  This schedule loops discharge/charge
    # without advancing Cycle_Index, so Arbin's counters add up both discharges: compare totals over the record
    res = analyze_full_cell(m, active_mass_kg=1e-6)
    per = d.groupby("cycle").agg(ch=("charge_capacity_C", "max"), dis=("discharge_capacity_C", "max"))
    assert res.first_direction == "discharge" and res.n_cycles == 2
    np.testing.assert_allclose(np.nansum(res.discharge_capacity_C), per["dis"].sum(), rtol=2e-3)
    np.testing.assert_allclose(np.nansum(res.charge_capacity_C), per["ch"].sum(), rtol=2e-3)


def test_channels_and_continuation_sheets(tmp_path):
    p = write_xlsx(tmp_path / "two.xlsx", {
        "Global_Info": [["TEST REPORT"], ["Channel", "Start DateTime"], [1, "2020-01-01"]],
        "Channel_1_1": [ARBIN_HEADER] + _arbin_rows(0.0, 50, 1e-3),
        "Channel_1_2": [ARBIN_HEADER] + _arbin_rows(500.0, 30, 1e-3),
        "Channel_2_1": [ARBIN_HEADER] + _arbin_rows(0.0, 20, -2e-3),
    })
    assert channels(p) == ["Channel_1", "Channel_2"]
    with pytest.raises(ReaderError) as exc:
        read(p)
    msg = str(exc.value)
    assert str(p) in msg and "2 channels" in msg and "'Channel_1', 'Channel_2'" in msg and "\n" not in msg
    ms = read_all(p)
    assert [m.extra["channel"] for m in ms] == ["Channel_1", "Channel_2"]
    one, two = ms
    assert len(one) == 80 and one.extra["sheets"] == ["Channel_1_1", "Channel_1_2"]
    np.testing.assert_allclose(one.data["time_s"], np.r_[np.arange(50) * 10.0, 500 + np.arange(30) * 10.0])
    assert len(two) == 20 and np.all(two.data["current_A"] == -2e-3)
    np.testing.assert_allclose(two.data["charge_C"].iloc[-1], -2e-3 * 190.0, rtol=1e-9)
    assert read(p, channel="Channel_2").extra["channel"] == "Channel_2"
    assert read(p, channel=0).extra["channel"] == "Channel_1"


def test_unsigned_current_signed_from_the_state_column(tmp_path):
    header = ["Record", "TestTime/s", "Voltage/V", "Current/mA", "Capacity/mAh", "State"]
    rows = [[k + 1, 10.0 * k, 3.5, 2.0, 2.0 * 10 * k / 3600, "C_CC"] for k in range(10)]
    rows += [[11 + k, 100 + 10.0 * k, 3.3, 2.0, 2.0 * 10 * k / 3600, "D_CC"] for k in range(10)]
    p = write_xlsx(tmp_path / "landt.xlsx", {"Record": [header] + rows})
    m = read(p)
    i = m.data["current_A"].to_numpy()
    np.testing.assert_allclose(i, np.r_[np.full(10, 2e-3), np.full(10, -2e-3)])
    assert m.extra["current_sign"] == "step_type" and any("|I|" in w for w in m.warnings)
    np.testing.assert_allclose(m.data["charge_C"].iloc[9], 2e-3 * 90, rtol=1e-9)
    np.testing.assert_allclose(m.data["charge_C"].iloc[-1], 2e-3 * 90 - 2e-3 * 90, atol=1e-12)


def test_header_only_sheet_is_an_empty_table_with_a_warning(tmp_path):
    p = write_xlsx(tmp_path / "empty.xlsx", {"Channel_3_1": [ARBIN_HEADER]})
    m = read(p)
    assert len(m) == 0 and m.extra["empty_table"] and any("no data rows" in w for w in m.warnings)


def test_workbook_without_a_data_sheet(tmp_path):
    p = write_xlsx(tmp_path / "notes.xlsx", {"Notes": [["cell", "pellet 3"], ["mass", 1.2]]})
    with pytest.raises(EmptyFileError) as exc:
        read(p)
    assert "Notes" in str(exc.value) and str(p) in str(exc.value)


def test_damaged_workbook_is_one_line(tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", {"Channel_1_1": [ARBIN_HEADER] + _arbin_rows(0.0, 50, 1e-3)})
    raw = good.read_bytes()
    for cut in (len(raw) // 2, len(raw) - 30):
        q = tmp_path / f"cut{cut}.xlsx"
        q.write_bytes(raw[:cut])
        with pytest.raises(ReaderError) as exc:
            read(q)
        assert str(q) in str(exc.value) and "\n" not in str(exc.value)
