"""Files out: workbooks are written row by row, and text from users is text — a cell that
begins with "=", "+", "-" or "@" is never a formula — checked in the XML Excel will read."""

import io
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal

import openpyxl

from lms.files import export
from lms.files.template import MARKER, SheetTemplate

#: What a spreadsheet would run as a formula (or DDE) if it were written as one.
HOSTILE = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-1+1")


def sheet_xml(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [archive.read(name).decode() for name in archive.namelist()
                if name.startswith("xl/worksheets/")]


def test_text_that_looks_like_a_formula_is_written_as_text():
    book = export.Workbook()
    sheet = book.sheet("导出")
    sheet.header(HOSTILE)
    sheet.row(HOSTILE)
    data = book.save()
    for xml in sheet_xml(data):
        assert "<f>" not in xml and "<f " not in xml
        assert xml.count('t="inlineStr"') == 8
    read = openpyxl.load_workbook(io.BytesIO(data)).active
    for row in read.iter_rows():
        assert [cell.value for cell in row] == list(HOSTILE)
        assert {cell.data_type for cell in row} == {"s"}


def test_numbers_dates_and_durations_keep_their_types():
    book = export.Workbook()
    sheet = book.sheet("成绩", widths=(10, 20), freeze="A2")
    sheet.header(("甲", "乙"))
    when = datetime(2026, 3, 1, 8, 30, 5)
    sheet.row((Decimal("87.5"), when, timedelta(minutes=5), 3, None, "ok\x0b"))
    data = book.save()
    read = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = list(read.iter_rows(min_row=2))[0]
    assert [c.value for c in cells] == [87.5, when, timedelta(minutes=5), 3, None, "ok"]
    assert cells[1].number_format == "yyyy-mm-dd hh:mm:ss"
    assert read["A1"].font.b and read["A1"].fill.fgColor.rgb.endswith("DDEBF7")
    assert read.freeze_panes == "A2" and read.column_dimensions["B"].width == 20


def test_a_template_has_its_header_examples_and_text_columns():
    template = SheetTemplate("人员", ("身份证号", "姓名"),
                             examples=(("371002199003071233", f"{MARKER}张三"),))
    data = export.template_workbook(template, widths=(24, 12), text_columns=2)
    read = openpyxl.load_workbook(io.BytesIO(data)).active
    assert read.title == "人员"
    assert [[c.value for c in row] for row in read.iter_rows()] == [
        ["身份证号", "姓名"], ["371002199003071233", f"{MARKER}张三"]]
    assert read.column_dimensions["A"].number_format == "@"
    assert read["A2"].number_format == "@"
