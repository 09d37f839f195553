"""Files in: every untrusted upload is read here, under caps, and refused with a reason.

Workbooks (.xlsx) are zip archives of XML. Before any XML is parsed the archive's directory is
checked against the caps (upload size, members, each member's and all members' unpacked size,
compression ratio, no encrypted or unknown members), and every member is then read through a
counter that stops at the cap whatever the directory declared. The XML is parsed by defusedxml's
expat reader (no DTDs, no entities, no external references) as a stream of events, with no tree
kept: a row is handed on as soon as its ``</row>`` is read, so memory holds one row, whatever
the sheet says its size is.

openpyxl is not used for reading. Measured (see docs/files.md): openpyxl's read-only mode pads
every row to the width the sheet's ``<dimension>`` declares (16,384 columns for ``XFD``), hands
out a padded row for every row number up to the declared last one (1,048,576), keeps every
shared string as a Python object and parses styles.xml into a tree; a 27 KB staff sheet took
707 MB and a 20 KB one more than 190 s of CPU. Here only cells that are in the file are read,
only the first ``MAX_COLUMNS`` columns are kept, and the shared strings are kept packed.

CSV (UTF-8, UTF-8 with BOM, or GBK/GB 18030) gives the same rows under the same caps.

Images (JPEG, PNG) and PDFs are identified by their bytes, never by their names.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import posixpath
import re
import zipfile
import zlib
from array import array
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast
from xml.sax import SAXException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser
from flask import current_app, has_app_context
from flask_babel import gettext as _

from lms.config import FILE_LIMITS
from lms.files.template import SheetTemplate, cell_text

logger = logging.getLogger(__name__)

#: Columns read from each row; cells further right are not read (no template has more than 14).
MAX_COLUMNS = 256
#: Excel's own limit on the characters in one cell.
MAX_CELL_CHARS = 32_767
#: Nesting of XML elements: spreadsheet XML goes about 6 deep.
MAX_XML_DEPTH = 64
#: A member of at least this size must not unpack to more than SHEET_MAX_RATIO times its zipped
#: size (small members may compress any amount: they are bounded anyway).
RATIO_FLOOR = 1024 * 1024
#: A CSV line longer than this is not a row of a sheet.
MAX_CSV_LINE = 1024 * 1024
CHUNK = 64 * 1024
#: Excel's grid.
MAX_ROW_NUMBER, MAX_COLUMN_NUMBER = 1_048_576, 16_384

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


class Refused(ValueError):
    """An upload refused as a whole: ``message`` says why in Chinese, for the person who sent
    it; ``line`` is the row or line it is about, when there is one."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _("第 %(n)d 行：%(message)s", n=self.line, message=self.message)


class TooManyRows(Refused):
    """More filled rows below the header than the caller takes; callers may say it their way."""

    def __init__(self, limit: int, line: int) -> None:
        super().__init__(_("表格超过 %(n)d 行，请分批导入。", n=limit), line)
        self.limit = limit


def limit(name: str) -> int:
    """A cap from the app's config (``LMS_<name>``), or its default outside an app."""
    if has_app_context():
        return int(current_app.config.get(name, FILE_LIMITS[name]))
    return FILE_LIMITS[name]


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# --- rows of a sheet ---------------------------------------------------------------------------


class Formula(str):
    """A cell's formula as written (``=…``); never computed here. Only given to callers that
    ask for formulas, so that they can refuse them."""


@dataclass(frozen=True)
class Row:
    #: The row number as the spreadsheet shows it (CSV: the record's number).
    number: int
    cells: tuple[object, ...]
    #: Why this row is refused on its own (a template's example row), or None.
    refused: str | None = None


@dataclass(frozen=True)
class MergedCells:
    coord: str
    min_row: int
    max_row: int


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
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise Refused(_("工作簿设置了打开密码，请在 Excel 中取消密码后再上传。"))
        raise Refused(_("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后上传。"))
    if not data.startswith(XLSX_MAGIC):
        raise Refused(_("文件不是 Excel（.xlsx）工作簿。"))
    archive = _open_archive(data)
    try:
        sheet_path, strings_path = _locate_first_sheet(archive)
        strings = _read_strings(archive, strings_path) if strings_path else _Strings()
    except (Refused, MemoryError):
        raise
    except Exception as exc:
        raise _damaged(exc) from None
    merged: list[MergedCells] = []
    raw = _sheet_rows(archive, sheet_path, strings, keep_formulas, merged)
    return Sheet(_filled(raw, max_rows, template), merged)


def read_table(data: bytes, *, max_rows: int, template: SheetTemplate | None = None) -> Sheet:
    """An .xlsx workbook's first sheet, or a CSV file, told apart by content; formulas give
    their computed values. As ``read_workbook`` otherwise."""
    if not data:
        raise Refused(_("文件是空的。"))
    if data.startswith((XLSX_MAGIC, OLE_MAGIC)):
        return read_workbook(data, max_rows=max_rows, template=template)
    if b"\x00" in data[:4096]:
        raise Refused(_("无法识别文件内容，请上传 .xlsx 工作簿或 CSV 文件。"))
    _check_size(data, limit("SHEET_MAX_BYTES"))
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


# --- the zip archive ---------------------------------------------------------------------------


def _check_size(data: bytes, cap: int) -> None:
    if len(data) > cap:
        raise Refused(_("文件大小 %(size)s，超过上限 %(limit)s。", size=megabytes(len(data)),
                        limit=megabytes(cap)))


def _too_big() -> Refused:
    return Refused(_("工作簿解压后过大，请拆分成几个文件。"))


def _damaged(exc: BaseException | None = None) -> Refused:
    if exc is not None:
        logger.info("unreadable workbook: %r", exc)
    return Refused(_("文件不是有效的 Excel（.xlsx）工作簿，或已损坏。"))


def _declared_members(data: bytes) -> int:
    """How many members the zip's end record says it has, read before zipfile builds an object
    for each (a 5 MB directory of 60,000 empty members costs zipfile 30 MB and 0.3 s)."""
    end = data.rfind(b"PK\x05\x06", max(len(data) - 65_557, 0))
    if end < 0 or end + 22 > len(data):
        raise _damaged(ValueError("no end of central directory"))
    count = int.from_bytes(data[end + 10:end + 12], "little")
    if count == 0xFFFF:  # ZIP64: the count is in the ZIP64 end record
        end64 = data.rfind(b"PK\x06\x06", 0, end)
        if end64 < 0 or end64 + 40 > len(data):
            raise _damaged(ValueError("no ZIP64 end of central directory"))
        count = int.from_bytes(data[end64 + 32:end64 + 40], "little")
    return count


def _open_archive(data: bytes) -> zipfile.ZipFile:
    """The archive, once its directory is within every cap; nothing is unpacked yet."""
    _check_size(data, limit("SHEET_MAX_BYTES"))
    declared = _declared_members(data)
    if declared > limit("SHEET_MAX_PARTS"):
        raise Refused(_("工作簿中的部件过多（%(n)d 个），无法读取。", n=declared))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _damaged(exc) from None
    if len(members) > limit("SHEET_MAX_PARTS"):
        raise Refused(_("工作簿中的部件过多（%(n)d 个），无法读取。", n=len(members)))
    part_cap, ratio = limit("SHEET_MAX_PART_BYTES"), limit("SHEET_MAX_RATIO")
    total = 0
    names: set[str] = set()
    for member in members:
        if member.flag_bits & 0x1:
            raise Refused(_("工作簿已加密，请在 Excel 中取消密码后再上传。"))
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _damaged(ValueError(f"compression {member.compress_type}"))
        name = member.filename
        if name in names or "\x00" in name or ".." in name.split("/"):
            raise _damaged(ValueError(f"odd member {name!r}"))
        names.add(name)
        if member.file_size > part_cap:
            raise _too_big()
        if member.file_size > RATIO_FLOOR and member.file_size > ratio * member.compress_size:
            raise Refused(_("工作簿的压缩比异常（疑似压缩炸弹），已拒绝。"))
        total += member.file_size
        if total > limit("SHEET_MAX_UNPACKED_BYTES"):
            raise _too_big()
    return archive


def _chunks(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    """A member's bytes as they unpack, stopped at its declared size and at the part cap
    (zipfile already stops at the declared size; the count does not trust that)."""
    member = archive.getinfo(name)
    cap = min(member.file_size, limit("SHEET_MAX_PART_BYTES"))
    read = 0
    with archive.open(member) as part:
        while chunk := part.read(CHUNK):
            read += len(chunk)
            if read > cap:
                raise _too_big()
            yield chunk


class _Parser(DefusedExpatParser):
    """defusedxml's expat reader, refusing DTDs too (no spreadsheet has one), handing over
    text in whole runs rather than in pieces."""

    def __init__(self) -> None:
        super().__init__(forbid_dtd=True, forbid_entities=True, forbid_external=True)

    def reset(self) -> None:
        super().reset()
        # expat's parser object, which the SAX reader keeps privately (typeshed omits it).
        cast(Any, self)._parser.buffer_text = True


class _Stop(Exception):
    """A handler has what it needs: the rest of the part is not read."""


class _Handler(ContentHandler):
    """Tracks depth, and names elements without their namespace prefix."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0

    def startElement(self, name: str, attrs: AttributesImpl) -> None:  # noqa: N802
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise _damaged(ValueError("XML nested too deep"))
        self.start(name.rpartition(":")[2], attrs)

    def endElement(self, name: str) -> None:  # noqa: N802
        self.depth -= 1
        self.end(name.rpartition(":")[2])

    def start(self, name: str, attrs: AttributesImpl) -> None:
        pass

    def end(self, name: str) -> None:
        pass


def _parse(archive: zipfile.ZipFile, name: str, handler: _Handler) -> Iterator[None]:
    """Feed a member to ``handler``; yields after each chunk, so that a caller can take what
    the handler has found so far."""
    parser = _Parser()
    parser.setContentHandler(handler)
    try:
        for chunk in _chunks(archive, name):
            parser.feed(chunk)
            yield
        parser.close()
        yield
    except _Stop:
        return
    except Refused:
        raise
    except DefusedXmlException as exc:
        logger.info("XML refused in %s: %r", name, exc)
        raise Refused(_("工作簿中含有不安全的 XML 内容（DTD 或实体定义），已拒绝。")) from None
    except (SAXException, zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError,
            KeyError, IndexError) as exc:
        raise _damaged(exc) from None


def _parse_all(archive: zipfile.ZipFile, name: str, handler: _Handler) -> None:
    for _step in _parse(archive, name, handler):
        pass


class _Relationships(_Handler):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, tuple[str, str]] = {}

    def start(self, name: str, attrs: AttributesImpl) -> None:
        if name == "Relationship" and attrs.get("TargetMode") != "External":
            self.found[attrs.get("Id", "")] = (attrs.get("Type", ""), attrs.get("Target", ""))


class _SheetList(_Handler):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []

    def start(self, name: str, attrs: AttributesImpl) -> None:
        if name == "sheet":
            # the relationship id's attribute is r:id, with whatever prefix the file gives r
            self.ids += [value for key, value in attrs.items() if key.endswith(":id")][:1]

    def end(self, name: str) -> None:
        if name == "sheets":
            raise _Stop


def _member(archive: zipfile.ZipFile, path: str) -> str:
    names = {name.lower(): name for name in archive.namelist()}
    found = names.get(path.lower())
    if found is None:
        raise _damaged(KeyError(path))
    return found


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id → (type, the target's path in the archive)."""
    folder, base = posixpath.split(part)
    rels_path = posixpath.join(folder, "_rels", base + ".rels")
    handler = _Relationships()
    _parse_all(archive, _member(archive, rels_path), handler)
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
    _parse_all(archive, book, sheets)
    parts = _relationships(archive, book)
    worksheets = [parts[rid][1] for rid in sheets.ids
                  if rid in parts and parts[rid][0].endswith("/worksheet")]
    if not worksheets:
        raise _damaged(ValueError("no worksheet"))
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


class _SharedStrings(_Handler):
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
    _parse_all(archive, name, _SharedStrings(strings))
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


class _Worksheet(_Handler):
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
    for _step in _parse(archive, name, handler):
        while handler.rows:
            yield handler.rows.popleft()


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


# --- images and PDFs, by content ---------------------------------------------------------------


@dataclass(frozen=True)
class Identified:
    """What a file's bytes show it to be."""

    kind: Literal["image", "pdf"]
    mime_type: str
    size: int
    sha256: str
    #: A PDF's pages.
    pages: int | None = None
    #: An image's pixels.
    width: int | None = None
    height: int | None = None


Source = bytes | str | os.PathLike[str]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
PDF_MAGIC = b"%PDF-"


def identify(source: Source, *, accept: Iterable[str] = ("image", "pdf")) -> Identified:
    """A JPEG, PNG or PDF checked by its content, whatever it is called; ``Refused`` otherwise.
    ``accept`` narrows the kinds taken."""
    kinds = set(accept)
    cap = max(limit("IMAGE_MAX_BYTES") if "image" in kinds else 0,
              limit("PDF_MAX_BYTES") if "pdf" in kinds else 0)
    data = _load(source, cap)
    if "image" in kinds and data.startswith((PNG_MAGIC, JPEG_MAGIC)):
        return _image(data)
    if "pdf" in kinds and data.startswith(PDF_MAGIC):
        return _pdf(data)
    if kinds == {"image"}:
        raise Refused(_("请上传 JPG 或 PNG 格式的图片（按文件内容判断，与文件名无关）。"))
    if kinds == {"pdf"}:
        raise Refused(_("文件不是 PDF（按文件内容判断，与文件名无关）。"))
    raise Refused(_("文件不是 PDF、JPG 或 PNG（按文件内容判断，与文件名无关）。"))


def read_image(source: Source) -> Identified:
    return identify(source, accept=("image",))


def read_pdf(source: Source) -> Identified:
    return identify(source, accept=("pdf",))


def _load(source: Source, cap: int) -> bytes:
    """The bytes of ``source``, never more than ``cap`` of them read."""
    if isinstance(source, bytes):
        data = source
    else:
        with Path(source).open("rb") as handle:
            data = handle.read(cap + 1)  # one byte more than allowed tells it is too big
    if not data:
        raise Refused(_("文件是空的。"))
    _check_size(data, cap)
    return data


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """A JPEG's (width, height) from its frame header, read before anything is decoded."""
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):
            at += 2
            continue
        length = int.from_bytes(data[at + 2:at + 4], "big")
        if length < 2:
            return None
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE,
                      0xCF):
            if at + 9 > len(data):
                return None
            height = int.from_bytes(data[at + 5:at + 7], "big")
            width = int.from_bytes(data[at + 7:at + 9], "big")
            return width, height
        if marker == 0xDA:  # image data before any frame header
            return None
        at += 2 + length
    return None


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _image(data: bytes) -> Identified:
    # Pillow is imported here: only image uploads pay for it.
    from PIL import Image, UnidentifiedImageError

    png = data.startswith(PNG_MAGIC)
    size = _png_size(data) if png else _jpeg_size(data)
    if size is None or not all(size):
        raise Refused(_("图片无法读取，可能已损坏。"))
    width, height = size
    cap = limit("IMAGE_MAX_PIXELS")
    if width * height > cap:
        raise Refused(_("图片尺寸 %(w)d×%(h)d 像素，超过上限 %(n)d 万像素。", w=width, h=height,
                        n=cap // 10_000))
    kind = "PNG" if png else "JPEG"
    try:
        with Image.open(io.BytesIO(data), formats=(kind,)) as image:
            if image.size != size:
                raise Refused(_("图片无法读取，可能已损坏。"))
            image.verify()  # PNG: every chunk's checksum
        with Image.open(io.BytesIO(data), formats=(kind,)) as image:
            if not png:
                # a JPEG decoded at an eighth of its size still reads all of its data
                image.draft("RGB", (max(width // 8, 1), max(height // 8, 1)))
            image.load()
    except Refused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            EOFError, zlib.error) as exc:
        logger.info("unreadable image: %r", exc)
        raise Refused(_("图片无法读取，可能已损坏。")) from None
    return Identified("image", "image/png" if png else "image/jpeg", len(data), _digest(data),
                      width=width, height=height)


#: PDF names that make a document do something when opened or clicked, or carry other files.
_ACTIVE_NAMES = re.compile(
    rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|OpenAction|AA)(?=[\s/<>\[\]()%{}]|$)"
)
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _active_names(data: bytes) -> set[str]:
    """Active names in PDF bytes; ``#xx`` escapes in names are undone first (``/J#61vaScript``
    is ``/JavaScript``)."""
    if b"#" in data:
        data = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)
    return {match.group(1).decode() for match in _ACTIVE_NAMES.finditer(data)}


def _pdf(data: bytes) -> Identified:
    if b"%%EOF" not in data[-1024:]:
        raise Refused(_("PDF 文件不完整（缺少结尾标记），可能上传时被截断。"))
    found = _active_names(data)
    pages = 0
    try:
        pages, hidden = _pdf_structure(data)
    except Refused:
        raise
    except Exception as exc:  # pypdf raises many kinds of error on a damaged file
        logger.info("unreadable PDF: %r", exc)
        raise Refused(_("PDF 文件已损坏，无法读取。")) from None
    # /OpenAction that only names the page to show first is harmless (and common); the
    # structure check tells it from an action
    active = (found | hidden) - {"OpenAction"}
    if active:
        logger.info("PDF refused for %s", sorted(active))
        raise Refused(_("PDF 中含有脚本、自动动作或嵌入的文件（%(names)s），请导出为普通 PDF 后"
                        "再上传。", names="、".join(sorted(active))))
    return Identified("pdf", "application/pdf", len(data), _digest(data), pages=pages)


def _pdf_structure(data: bytes) -> tuple[int, set[str]]:
    """Pages, and active names inside compressed object streams or as an opening action;
    pypdf runs with every decompression capped at the PDF size cap."""
    from pypdf import PdfReader, apply_configuration
    from pypdf.generic import ArrayObject, DictionaryObject, NullObject

    cap = limit("PDF_MAX_BYTES") * 4
    with apply_configuration(
        maximum_declared_stream_length=cap, array_based_stream_maximum_output_length=cap,
        zlib_maximum_output_length=cap, lzw_maximum_output_length=cap,
        run_length_maximum_output_length=cap, brotli_maximum_output_length=cap,
        jbig2_maximum_output_length=cap, image_maximum_buffer_size=cap,
        stream_decoding_work_maximum_length=cap, page_tree_maximum_entries=20_000,
    ):
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Refused(_("PDF 设置了密码，请取消密码后再上传。"))
        found: set[str] = set()
        unpacked = 0
        for stream_number in {number for number, _index in reader.xref_objStm.values()}:
            stream = reader.get_object(stream_number)
            content: bytes = stream.get_data()  # type: ignore[union-attr]
            unpacked += len(content)
            if unpacked > cap:
                raise Refused(_("PDF 解压后过大，无法检查。"))
            found |= _active_names(content)
        root = reader.trailer["/Root"].get_object()
        action = root.get("/OpenAction") if isinstance(root, DictionaryObject) else None
        if action is not None and not isinstance(action.get_object(), ArrayObject | NullObject):
            found.add("OpenAction!")
        return len(reader.pages), found

