"""Crafted hostile files, built in memory from nothing: workbooks (a zip bomb, a sheet declaring
the whole grid, sparse rows near row 1,048,576, a shared-strings bomb, rows 16,384 columns wide,
too many rows, entity expansion, deep nesting, lying sizes) and images and PDFs that are not what
they say. Used by the tests and by ``bench/sheet_bombs.py``; each builder returns the file's
bytes and never holds the unpacked content in memory."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
    f'<Relationship Id="rId1" Type="{OFFICE}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{OFFICE}">'
    '<sheets><sheet name="人员" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
    f'<Relationship Id="rId1" Type="{OFFICE}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{OFFICE}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
#: The staff sheet's header as shared strings 0-2.
STRINGS = (f'<sst xmlns="{MAIN}"><si><t>身份证号</t></si><si><t>姓名</t></si>'
           "<si><t>手机号</t></si></sst>")
HEADER = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
          '<c r="C1" t="s"><v>2</v></c></row>')
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
                    for n in range(1, 10))
          + "]>")


def workbook(sheet: str | bytes, strings: str | bytes = STRINGS) -> bytes:
    """An .xlsx of the given sheet XML and shared strings, the rest minimal."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/sharedStrings.xml", strings)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def worksheet(rows: str, before: str = "") -> str:
    return f'<worksheet xmlns="{MAIN}">{before}<sheetData>{HEADER}{rows}</sheetData></worksheet>'


def person_row(number: int, extra: str = "") -> str:
    return (f'<row r="{number}"><c r="A{number}" t="inlineStr"><is><t>37100219900307{number:04d}'
            f'</t></is></c><c r="B{number}" t="inlineStr"><is><t>人{number}</t></is></c>'
            f'<c r="C{number}"><v>13800000000</v></c>{extra}</row>')


def zip_bomb(megabytes: int = 300) -> bytes:
    """One sheet of ``megabytes`` MB of zeros, deflated to a few hundred KB; it is written a
    megabyte at a time, never held whole."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/sharedStrings.xml", STRINGS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            chunk = bytes(1024 * 1024)
            for _ in range(megabytes):
                part.write(chunk)
    return out.getvalue()


def whole_grid(rows: int = 5000) -> bytes:
    """``<dimension ref="A1:XFD1048576">`` and a cell in the last column of every row: 27 KB
    that openpyxl's read-only mode turned into 5,000 rows of 16,384 cells (707 MB)."""
    body = "".join(f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>' for n in range(2, rows + 2))
    return workbook(worksheet(body, '<dimension ref="A1:XFD1048576"/>'))


def sparse_rows(step: int = 400) -> bytes:
    """The whole grid declared, a row every ``step`` rows down to row 1,048,576 (the last one
    at row 1,000,000 and beyond): more than 190 s of CPU for openpyxl's padded rows."""
    body = "".join(f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>'
                   for n in range(2, 1_048_576, step))
    return workbook(worksheet(body, '<dimension ref="A1:XFD1048576"/>'))


def wide_rows(rows: int = 5000) -> bytes:
    """Real people, each row with one more cell in column XFD."""
    body = "".join(person_row(n, f'<c r="XFD{n}"><v>1</v></c>') for n in range(2, rows + 2))
    return workbook(worksheet(body))


def shared_strings_bomb(count: int = 1_000_000) -> bytes:
    """A million shared strings (26 MB, under the part cap) zipped to ~60 KB."""
    strings = f'<sst xmlns="{MAIN}">' + "<si><t>身份证号</t></si>" * count + "</sst>"
    return workbook(worksheet(""), strings)


def too_many_rows(rows: int = 100_000) -> bytes:
    return workbook(worksheet("".join(person_row(n) for n in range(2, rows + 2))))


def laughs_in_strings() -> bytes:
    """Entity expansion ("billion laughs") in the shared strings."""
    return workbook(worksheet(""), LAUGHS + f'<sst xmlns="{MAIN}"><si><t>&lol9;</t></si></sst>')


def laughs_in_sheet() -> bytes:
    return workbook(LAUGHS + worksheet('<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t>'
                                       "</is></c></row>"))


def deep_nesting(depth: int = 100_000) -> bytes:
    """Elements nested 100,000 deep (700 KB unzipped, under the ratio check's floor)."""
    return workbook(worksheet("<x>" * depth + "</x>" * depth))


def lying_sizes() -> bytes:
    """A sheet whose zip headers say 200 bytes while its data unpacks to 20 MB."""
    data = bytearray(workbook(worksheet(" " * (20 * 1024 * 1024))))
    name = b"xl/worksheets/sheet1.xml"
    # (signature, where the name starts, where the unpacked size is) in a local file header
    # and in a central directory entry
    for signature, name_at, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        at = data.find(signature)
        while at != -1:
            if data[at + name_at:at + name_at + len(name)] == name:
                data[at + size_at:at + size_at + 4] = struct.pack("<I", 200)
            at = data.find(signature, at + 4)
    return bytes(data)


def many_members(count: int = 60_000) -> bytes:
    """A valid workbook and 60,000 empty members: a 5 MB directory."""
    out = io.BytesIO(workbook(worksheet("")))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_STORED) as archive:
        for number in range(count):
            archive.writestr(f"m/{number}", b"")
    return out.getvalue()


# --- images and PDFs ---------------------------------------------------------------------------


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))


def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A PNG declaring 60,000 × 60,000 pixels (3.6 gigapixels, 10.8 GB decoded): 1 KB of
    zeros, well-formed up to its header."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(bytes(1024 * 1024), 9)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", rows)
            + _png_chunk(b"IEND", b""))


def jpeg(width: int = 64, height: int = 48) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def png(width: int = 64, height: int = 48) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 90, 200, 255)).save(out, "PNG")
    return out.getvalue()


def pdf(*objects: str, catalog: str = "", trailer_eof: bool = True) -> bytes:
    """A one-page PDF with a correct cross-reference table; ``catalog`` adds entries to the
    document catalog, ``objects`` adds objects from number 4 on."""
    bodies = [
        f"<< /Type /Catalog /Pages 2 0 R {catalog}>>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        *objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(bodies) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(bodies) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n".encode()
    if trailer_eof:
        out += b"%%EOF\n"
    return bytes(out)


def pdf_with_hidden_script() -> bytes:
    """A script run on opening, kept where a byte scan cannot see it: inside a compressed
    object stream (PDF 1.5), found only through a cross-reference stream."""
    script = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
    index = b"4 0 "
    packed = zlib.compress(index + script)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in (
        (1, b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"),
        (2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        (3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"),
        (5, b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (len(index), len(packed)) + packed + b"\nendstream"),
    ):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    offsets[6] = len(out)
    entries = [b"\x00" + bytes(4) + b"\xff\xff"]
    for number in range(1, 7):
        if number == 4:  # in object stream 5, at index 0
            entries.append(b"\x02" + struct.pack(">I", 5) + b"\x00\x00")
        else:
            entries.append(b"\x01" + struct.pack(">I", offsets[number]) + b"\x00\x00")
    table = b"".join(entries)
    out += (b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
            % len(table) + table + b"\nendstream\nendobj\n")
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[6]
    return bytes(out)


def pdf_that_is_a_zip() -> bytes:
    return workbook(worksheet(""))


def jpeg_named_pdf() -> bytes:
    return jpeg()


#: name → (what reads it, builder), for the measurements.
BOMBS = {
    "zip_bomb": ("sheet", zip_bomb),
    "whole_grid": ("sheet", whole_grid),
    "sparse_rows": ("sheet", sparse_rows),
    "wide_rows": ("sheet", wide_rows),
    "shared_strings_bomb": ("sheet", shared_strings_bomb),
    "too_many_rows": ("sheet", too_many_rows),
    "laughs_in_strings": ("sheet", laughs_in_strings),
    "laughs_in_sheet": ("sheet", laughs_in_sheet),
    "deep_nesting": ("sheet", deep_nesting),
    "lying_sizes": ("sheet", lying_sizes),
    "many_members": ("sheet", many_members),
    "png_bomb": ("image", png_bomb),
    "pdf_that_is_a_zip": ("pdf", pdf_that_is_a_zip),
    "jpeg_named_pdf": ("pdf", jpeg_named_pdf),
    "pdf_with_hidden_script": ("pdf", pdf_with_hidden_script),
}
