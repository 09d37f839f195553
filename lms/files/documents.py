"""Images (JPEG, PNG) and PDFs, identified by their bytes, never by their names.

An image's size is read from its header and checked before Pillow decodes it; a PDF is refused
when it would act on its own (scripts, launches, embedded files, an opening action) and its
structure is read by pypdf with every decompression capped.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from flask_babel import gettext as _

from lms.files.refusals import Refused, check_size, limit

logger = logging.getLogger(__name__)


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
    check_size(data, cap)
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

