"""Files out: every workbook the platform produces is written here.

Workbooks are written streaming (openpyxl's write-only mode): each row goes to openpyxl's
temporary file as it is appended and no cell objects are kept, so a results sheet of 50,000
attempts costs no more memory than one of 50. The finished .xlsx is returned as bytes: it is
the zipped sheet, ~60 bytes a row (3 MB for 50,000 exam results), and every caller sends it in
one response (``send_file`` of the bytes); streaming the zip itself would save little.

Every text value is written as a string, never as a formula: openpyxl takes a str beginning
with "=" for a formula, so a question stem ``=HYPERLINK("http://x","y")`` would reach Excel as
a live link. Cells are made here with their type forced to text (an inline string, ``t="inlineStr"``
in the sheet XML), whatever the text begins with. Characters that XML cannot carry (control
characters other than tab and newline) are dropped rather than failing the export.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation

from lms.files.template import SheetTemplate

logger = logging.getLogger(__name__)

#: What an .xlsx file is sent as.
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Excel's "text" number format: what people type into such a column stays as typed (ID numbers
#: keep their last digits).
TEXT_FORMAT = "@"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAP = Alignment(wrap_text=True, vertical="top")


class Workbook:
    """A workbook written sheet by sheet, row by row."""

    def __init__(self) -> None:
        self._book = openpyxl.Workbook(write_only=True)

    def sheet(
        self, title: str, *, widths: Sequence[float] = (), freeze: str | None = None,
        text_columns: int = 0, wrap: bool = False,
    ) -> Sheet:
        """A new sheet. ``widths``: of the columns from A on. ``freeze``: the top-left cell
        that stays in view (e.g. "A2" keeps the header). ``text_columns``: that many columns
        from A on are formatted as text, rows yet to be typed in too. ``wrap``: body cells wrap
        and align to the top."""
        sheet = self._book.create_sheet(title)
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        for index in range(1, text_columns + 1):
            sheet.column_dimensions[get_column_letter(index)].number_format = TEXT_FORMAT
        if freeze:
            sheet.freeze_panes = freeze
        return Sheet(sheet, text=text_columns > 0, wrap=wrap)

    def save(self) -> bytes:
        out = io.BytesIO()
        self._book.save(out)
        return out.getvalue()


class Sheet:
    def __init__(self, sheet: WriteOnlyWorksheet, *, text: bool = False,
                 wrap: bool = False) -> None:
        self._sheet = sheet
        self._text = text
        self._wrap = wrap

    def header(self, titles: Iterable[str]) -> None:
        """The header row: bold on light blue, as every export of the platform."""
        cells = []
        for title in titles:
            cell = self._cell(title)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            cells.append(cell)
        self._sheet.append(cells)

    def row(self, values: Iterable[object]) -> None:
        """One row: text as text (never a formula), numbers, dates and durations as they are;
        None leaves the cell empty. In a sheet with text columns every body cell is formatted
        as text, as people will type into them."""
        styled = self._text or self._wrap
        cells: list[object] = []
        for value in values:
            if not styled and not isinstance(value, str | datetime):
                cells.append(value)  # openpyxl makes the cell; nothing to force
                continue
            cell = self._cell(value)
            if self._text:
                cell.number_format = TEXT_FORMAT
            if self._wrap:
                cell.alignment = WRAP
            cells.append(cell)
        self._sheet.append(cells)

    def rows(self, rows: Iterable[Iterable[object]]) -> None:
        for values in rows:
            self.row(values)

    def choices(self, cells: str, options: Sequence[str]) -> None:
        """A drop-down list of ``options`` in ``cells`` (e.g. "A2:A10001")."""
        listed = ",".join(options)
        validation = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=False)
        validation.add(cells)
        # The write-only sheet keeps validations like any sheet; openpyxl's stubs omit it.
        cast(Any, self._sheet).data_validations.append(validation)

    def _cell(self, value: Any) -> Cell:
        if isinstance(value, str):
            if ILLEGAL_CHARACTERS_RE.search(value):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = WriteOnlyCell(self._sheet, value)
            cell.data_type = "s"  # after the value: openpyxl has just made "=…" a formula
            return cell
        cell = WriteOnlyCell(self._sheet, value)
        if isinstance(value, datetime):
            cell.number_format = DATETIME_FORMAT
        return cell


def template_workbook(template: SheetTemplate, *, widths: Sequence[float] = (),
                      text_columns: int = 0, wrap: bool = False,
                      notes: Sequence[str] = (), freeze: str | None = None,
                      choices: dict[str, Sequence[str]] | None = None) -> bytes:
    """A downloadable template: its header, its example rows, and a sheet of notes if any."""
    book = Workbook()
    sheet = book.sheet(template.title, widths=widths, freeze=freeze, text_columns=text_columns,
                       wrap=wrap)
    for cells, options in (choices or {}).items():
        sheet.choices(cells, options)
    sheet.header(template.headers)
    sheet.rows(template.examples)
    if notes:
        book.sheet("填写说明", widths=(100,)).rows([line] for line in notes)
    return book.save()
