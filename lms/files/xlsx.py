"""Workbooks (.xlsx): the first worksheet's rows, read from the sheet XML as it streams.

An .xlsx is a zip of XML parts, checked and parsed safely by ``lms.files.archive``. Here the
workbook's relationships lead to the first worksheet and the shared strings, and the sheet is
read as a stream of events: a row is handed on as soon as its ``</row>`` is read, so memory
holds one row, whatever the sheet says its size is.

openpyxl is not used for reading. Measured (see docs/files.md): openpyxl's read-only mode pads
every row to the width the sheet's ``<dimension>`` declares (16,384 columns for ``XFD``), hands
out a padded row for every row number up to the declared last one (1,048,576), keeps every
shared string as a Python object and parses styles.xml into a tree; a 27 KB staff sheet took
707 MB and a 20 KB one more than 190 s of CPU. Here only cells that are in the file are read,
only the first ``MAX_COLUMNS`` columns are kept, and the shared strings are kept packed.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from array import array
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from xml.sax.xmlreader import AttributesImpl

from flask_babel import gettext as _

from lms.files.archive import Handler, Stop, damaged, open_archive, parse, parse_all
from lms.files.refusals import Refused

#: Columns read from each row; cells further right are not read (no template has more than 14).
MAX_COLUMNS = 256
#: Excel's own limit on the characters in one cell.
MAX_CELL_CHARS = 32_767
#: Excel's grid.
MAX_ROW_NUMBER, MAX_COLUMN_NUMBER = 1_048_576, 16_384

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


class Formula(str):
    """A cell's formula as written (``=…``); never computed here. Only given to callers that
    ask for formulas, so that they can refuse them."""


@dataclass(frozen=True)
class MergedCells:
    coord: str
    min_row: int
    max_row: int


def read_first_sheet(
    data: bytes, *, keep_formulas: bool
) -> tuple[Iterator[tuple[int, list[object]]], list[MergedCells]]:
    """The first worksheet of an .xlsx workbook: its rows as ``(number, cells)``, cells from
    column A, read as they are iterated (once); and its merged cells, listed once every row has
    been read. ``keep_formulas``: a formula cell gives its ``Formula``. Raises ``Refused`` when
    the file cannot be read, possibly only while iterating."""
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise Refused(_("工作簿设置了打开密码，请在 Excel 中取消密码后再上传。"))
        raise Refused(_("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后上传。"))
    if not data.startswith(XLSX_MAGIC):
        raise Refused(_("文件不是 Excel（.xlsx）工作簿。"))
    archive = open_archive(data)
    try:
        sheet_path, strings_path = _locate_first_sheet(archive)
        strings = _read_strings(archive, strings_path) if strings_path else _Strings()
    except (Refused, MemoryError):
        raise
    except Exception as exc:
        raise damaged(exc) from None
    merged: list[MergedCells] = []
    return _sheet_rows(archive, sheet_path, strings, keep_formulas, merged), merged


class _Relationships(Handler):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, tuple[str, str]] = {}

    def start(self, name: str, attrs: AttributesImpl) -> None:
        if name == "Relationship" and attrs.get("TargetMode") != "External":
            self.found[attrs.get("Id", "")] = (attrs.get("Type", ""), attrs.get("Target", ""))


class _SheetList(Handler):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []

    def start(self, name: str, attrs: AttributesImpl) -> None:
        if name == "sheet":
            # the relationship id's attribute is r:id, with whatever prefix the file gives r
            self.ids += [value for key, value in attrs.items() if key.endswith(":id")][:1]

    def end(self, name: str) -> None:
        if name == "sheets":
            raise Stop


def _member(archive: zipfile.ZipFile, path: str) -> str:
    names = {name.lower(): name for name in archive.namelist()}
    found = names.get(path.lower())
    if found is None:
        raise damaged(KeyError(path))
    return found


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id → (type, the target's path in the archive)."""
    folder, base = posixpath.split(part)
    rels_path = posixpath.join(folder, "_rels", base + ".rels")
    handler = _Relationships()
    parse_all(archive, _member(archive, rels_path), handler)
    return {
        rid: (kind, target.lstrip("/") if target.startswith("/")
              else posixpath.normpath(posixpath.join(folder, target)))
        for rid, (kind, target) in handler.found.items()
    }


def _locate_first_sheet(archive: zipfile.ZipFile) -> tuple[str, str | None]:
    """The first worksheet's member, and the shared strings' (if any)."""
    office = [target for kind, target in _relationships(archive, "").values()
              if kind.endswith("/officeDocument")]
    book = _member(archive, office[0] if office else "xl/workbook.xml")
    sheets = _SheetList()
    parse_all(archive, book, sheets)
    parts = _relationships(archive, book)
    worksheets = [parts[rid][1] for rid in sheets.ids
                  if rid in parts and parts[rid][0].endswith("/worksheet")]
    if not worksheets:
        raise damaged(ValueError("no worksheet"))
    strings = [target for kind, target in parts.values() if kind.endswith("/sharedStrings")]
    return _member(archive, worksheets[0]), _member(archive, strings[0]) if strings else None


class _Strings:
    """The shared strings, packed into one buffer: a million short strings take ~12 MB here,
    ~100 MB as Python objects."""

    def __init__(self) -> None:
        self._text = bytearray()
        self._ends = array("q")

    def append(self, text: str) -> None:
        self._text += text.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._text))

    def __getitem__(self, index: int) -> str:
        if index < 0:
            raise IndexError(index)
        start = self._ends[index - 1] if index else 0
        return self._text[start:self._ends[index]].decode("utf-8", "surrogatepass")

    def __len__(self) -> int:
        return len(self._ends)


class _Text:
    """Text gathered from character data, refused past Excel's limit for one cell."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def add(self, content: str) -> None:
        self.length += len(content)
        if self.length > MAX_CELL_CHARS:
            raise Refused(_("有单元格超过 %(n)d 个字符。", n=MAX_CELL_CHARS))
        self.parts.append(content)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts, self.length = [], 0
        return text


class _SharedStrings(Handler):
    """``<si>`` items: their ``<t>`` runs, not the phonetic ones (``<rPh>``), as openpyxl."""

    def __init__(self, strings: _Strings) -> None:
        super().__init__()
        self.strings = strings
        self.text = _Text()
        self.capture = False
        self.phonetic = False

    def start(self, name: str, attrs: AttributesImpl) -> None:
        if name == "t":
            self.capture = not self.phonetic
        elif name == "rPh":
            self.phonetic = True

    def end(self, name: str) -> None:
        if name == "t":
            self.capture = False
        elif name == "rPh":
            self.phonetic = False
        elif name == "si":
            # openpyxl's reading of the _x005F_ escape, kept so values read as before
            self.strings.append(self.text.take().replace("x005F_", ""))

    def characters(self, content: str) -> None:
        if self.capture:
            self.text.add(content)


def _read_strings(archive: zipfile.ZipFile, name: str) -> _Strings:
    strings = _Strings()
    parse_all(archive, name, _SharedStrings(strings))
    return strings


_COLUMN = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)?$")


def _column_number(reference: str) -> int:
    match = _COLUMN.match(reference)
    if match is None:
        raise ValueError(f"cell reference {reference!r}")
    number = 0
    for letter in match.group(1).upper():
        number = number * 26 + ord(letter) - 64
    if number > MAX_COLUMN_NUMBER:
        raise ValueError(f"column {reference!r}")
    return number


def _number(text: str) -> int | float:
    """As openpyxl reads a number cell."""
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


class _Worksheet(Handler):
    """Rows of a worksheet as ``(number, cells)`` in ``rows``, cells from column A; merged
    cells in ``merged``."""

    def __init__(self, strings: _Strings, keep_formulas: bool, merged: list[MergedCells]):
        super().__init__()
        self.strings = strings
        self.keep_formulas = keep_formulas
        self.merged = merged
        self.rows: deque[tuple[int, list[object]]] = deque()
        self.row_number = 0
        self.cells: dict[int, object] = {}
        self.column = 0
        self.kind = "n"
        self.formula: str | None = None
        self.value: str | None = None
        self.inline: str | None = None
        self.text = _Text()
        self.capture: str | None = None
        self.phonetic = False
        self.in_inline = False

    def start(self, name: str, attrs: AttributesImpl) -> None:
        if name == "c":
            reference = attrs.get("r")
            self.column = _column_number(reference) if reference else self.column + 1
            self.kind = attrs.get("t", "n")
            self.formula = self.value = self.inline = None
        elif name == "v":
            self.capture = "v"
        elif name == "f":
            self.capture = "f"
        elif name == "is":
            self.in_inline = True
            self.inline = ""
        elif name == "t" and self.in_inline and not self.phonetic:
            self.capture = "t"
        elif name == "rPh":
            self.phonetic = True
        elif name == "row":
            number = attrs.get("r")
            self.row_number = int(float(number)) if number else self.row_number + 1
            if not 1 <= self.row_number <= MAX_ROW_NUMBER:
                raise ValueError(f"row number {number!r}")
            self.cells = {}
            self.column = 0
        elif name == "mergeCell":
            self._merge(attrs.get("ref", ""))

    def end(self, name: str) -> None:
        if name in ("v", "f", "t") and self.capture == name:
            text = self.text.take()
            if name == "v":
                self.value = text
            elif name == "f":
                self.formula = "=" + text
            else:
                self.inline = (self.inline or "") + text
            self.capture = None
        elif name == "c":
            if self.column <= MAX_COLUMNS:
                self.cells[self.column] = self._cell_value()
        elif name == "row":
            width = max(self.cells, default=0)
            self.rows.append((self.row_number, [self.cells.get(c) for c in range(1, width + 1)]))
        elif name == "is":
            self.in_inline = False
        elif name == "rPh":
            self.phonetic = False

    def characters(self, content: str) -> None:
        if self.capture:
            self.text.add(content)

    def _cell_value(self) -> object:
        if self.formula is not None and self.keep_formulas:
            return Formula(self.formula)
        kind, value = self.kind, self.value
        if kind == "inlineStr":
            return self.inline
        if value is None or value == "":
            return None
        if kind == "s":
            return self.strings[int(value)]
        if kind == "b":
            return bool(int(value))
        if kind in ("str", "e", "d"):
            return value
        return _number(value)

    def _merge(self, reference: str) -> None:
        start, _sep, end = reference.partition(":")
        first = _COLUMN.match(start)
        last = _COLUMN.match(end or start)
        if first and last and first.group(2) and last.group(2):
            self.merged.append(MergedCells(reference, int(first.group(2)), int(last.group(2))))


def _sheet_rows(
    archive: zipfile.ZipFile, name: str, strings: _Strings, keep_formulas: bool,
    merged: list[MergedCells],
) -> Iterator[tuple[int, list[object]]]:
    handler = _Worksheet(strings, keep_formulas, merged)
    for _step in parse(archive, name, handler):
        while handler.rows:
            yield handler.rows.popleft()

