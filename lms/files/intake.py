"""Files in: every untrusted upload is read through here, under caps, and refused with a reason.

This is the face every caller uses; the reading is done in the modules beside it:

- ``lms.files.refusals``: ``Refused``, the error every reader raises, and the caps (``limit``);
- ``lms.files.archive``: an .xlsx's zip archive, checked before anything unpacks, and its XML
  parsed by defusedxml as a stream of events;
- ``lms.files.xlsx``: the first worksheet's rows and merged cells, from that XML;
- ``lms.files.documents``: images (JPEG, PNG) and PDFs, by content.

Here, a sheet's raw rows (from an .xlsx, or from CSV) become the filled rows callers take:
numbered as the sheet shows them, the first being the header, capped at the caller's
``max_rows``, a template's example rows refused. CSV (UTF-8, UTF-8 with BOM, or GBK/GB 18030)
gives the same rows under the same caps.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _

from lms.files import xlsx
from lms.files.documents import (
    Identified,
    identify,
    read_image,
    read_pdf,
)
from lms.files.refusals import Refused, TooManyRows, check_size, limit
from lms.files.template import SheetTemplate, cell_text
from lms.files.xlsx import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    OLE_MAGIC,
    XLSX_MAGIC,
    Formula,
    MergedCells,
)

#: What features use: the readers, what they give, and how they refuse.
__all__ = [
    "Formula", "Identified", "MergedCells", "Refused", "Row", "Sheet", "TooManyRows", "identify",
    "read_image", "read_pdf", "read_table", "read_workbook",
]

#: A CSV line longer than this is not a row of a sheet.
MAX_CSV_LINE = 1024 * 1024


# --- rows of a sheet ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    #: The row number as the spreadsheet shows it (CSV: the record's number).
    number: int
    cells: tuple[object, ...]
    #: Why this row is refused on its own (a template's example row), or None.
    refused: str | None = None


class Sheet:
    """A sheet's filled rows, read as they are iterated (once); ``merged`` lists its merged
    cells once every row has been read (a worksheet keeps them after its rows)."""

    def __init__(self, rows: Iterator[Row], merged: list[MergedCells]) -> None:
        self._rows = rows
        self.merged = merged

    def __iter__(self) -> Iterator[Row]:
        return self._rows


def read_workbook(
    data: bytes, *, max_rows: int, keep_formulas: bool = False,
    template: SheetTemplate | None = None,
) -> Sheet:
    """The first worksheet of an .xlsx workbook.

    ``max_rows``: filled rows taken below the header (the first filled row); one more raises
    ``TooManyRows``. ``keep_formulas``: a formula cell gives its ``Formula`` instead of the value
    Excel last computed for it. ``template``: rows that are its examples come with ``refused``
    set. Raises ``Refused`` when the file cannot be read, possibly only while iterating.
    """
    rows, merged = xlsx.read_first_sheet(data, keep_formulas=keep_formulas)
    return Sheet(_filled(rows, max_rows, template), merged)


def read_table(data: bytes, *, max_rows: int, template: SheetTemplate | None = None) -> Sheet:
    """An .xlsx workbook's first sheet, or a CSV file, told apart by content; formulas give
    their computed values. As ``read_workbook`` otherwise."""
    if not data:
        raise Refused(_("文件是空的。"))
    if data.startswith((XLSX_MAGIC, OLE_MAGIC)):
        return read_workbook(data, max_rows=max_rows, template=template)
    if b"\x00" in data[:4096]:
        raise Refused(_("无法识别文件内容，请上传 .xlsx 工作簿或 CSV 文件。"))
    check_size(data, limit("SHEET_MAX_BYTES"))
    return Sheet(_filled(_csv_rows(data), max_rows, template), [])


def _filled(
    raw: Iterator[tuple[int, list[object]]], max_rows: int, template: SheetTemplate | None
) -> Iterator[Row]:
    """The rows with any text, numbered as the sheet shows them, up to the (``max_rows`` + 1)-th
    below the header. Empty rows are passed over wherever they are, never taken for the end of
    the data: a row after a gap is still imported (or refused) rather than silently left out.
    Only rows present in the file are read, so a gap costs nothing."""
    below_header = -1  # the first filled row is the header
    for number, cells in raw:
        if not any(cell_text(cell) for cell in cells):
            continue
        below_header += 1
        if below_header > max_rows:
            raise TooManyRows(max_rows, number)
        refused = None
        if below_header and template is not None and template.is_example(cells):
            refused = _("这是模板中的示例行，请删除后再导入。")
        yield Row(number, tuple(cells), refused)


# --- CSV ---------------------------------------------------------------------------------------


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[object]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Refused(_("文件编码无法识别，请使用 UTF-8 或 GBK 编码的 CSV，或 .xlsx 工作簿。"))
    reader = csv.reader(_csv_lines(text))
    try:
        for number, record in enumerate(reader, start=1):
            for cell in record:
                if len(cell) > MAX_CELL_CHARS:
                    raise Refused(_("有单元格超过 %(n)d 个字符。", n=MAX_CELL_CHARS), number)
            yield number, list(record[:MAX_COLUMNS])
    except csv.Error:
        raise Refused(_("CSV 文件格式有误：某一格内容过长，或引号不成对。")) from None


def _csv_lines(text: str) -> Iterator[str]:
    for line in io.StringIO(text, newline=""):
        if len(line) > MAX_CSV_LINE:
            raise csv.Error("line too long")
        yield line
