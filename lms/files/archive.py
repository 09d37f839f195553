"""The zip archive of an .xlsx workbook, and the XML parts in it, read safely.

Before any XML is parsed the archive's directory is checked against the caps (upload size,
members, each member's and all members' unpacked size, compression ratio, no encrypted or
unknown members), and every member is then read through a counter that stops at the cap
whatever the directory declared. The XML is parsed by defusedxml's expat reader (no DTDs, no
entities, no external references) as a stream of events handed to a ``Handler``, with no tree
kept. What the parts mean is read in ``lms.files.xlsx``.
"""

from __future__ import annotations

import io
import logging
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any, cast
from xml.sax import SAXException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser
from flask_babel import gettext as _

from lms.files.refusals import Refused, check_size, limit

logger = logging.getLogger(__name__)

#: Nesting of XML elements: spreadsheet XML goes about 6 deep.
MAX_XML_DEPTH = 64
#: A member of at least this size must not unpack to more than SHEET_MAX_RATIO times its zipped
#: size (small members may compress any amount: they are bounded anyway).
RATIO_FLOOR = 1024 * 1024
CHUNK = 64 * 1024


def _too_big() -> Refused:
    return Refused(_("工作簿解压后过大，请拆分成几个文件。"))


def damaged(exc: BaseException | None = None) -> Refused:
    if exc is not None:
        logger.info("unreadable workbook: %r", exc)
    return Refused(_("文件不是有效的 Excel（.xlsx）工作簿，或已损坏。"))


def _declared_members(data: bytes) -> int:
    """How many members the zip's end record says it has, read before zipfile builds an object
    for each (a 5 MB directory of 60,000 empty members costs zipfile 30 MB and 0.3 s)."""
    end = data.rfind(b"PK\x05\x06", max(len(data) - 65_557, 0))
    if end < 0 or end + 22 > len(data):
        raise damaged(ValueError("no end of central directory"))
    count = int.from_bytes(data[end + 10:end + 12], "little")
    if count == 0xFFFF:  # ZIP64: the count is in the ZIP64 end record
        end64 = data.rfind(b"PK\x06\x06", 0, end)
        if end64 < 0 or end64 + 40 > len(data):
            raise damaged(ValueError("no ZIP64 end of central directory"))
        count = int.from_bytes(data[end64 + 32:end64 + 40], "little")
    return count


def open_archive(data: bytes) -> zipfile.ZipFile:
    """The archive, once its directory is within every cap; nothing is unpacked yet."""
    check_size(data, limit("SHEET_MAX_BYTES"))
    declared = _declared_members(data)
    if declared > limit("SHEET_MAX_PARTS"):
        raise Refused(_("工作簿中的部件过多（%(n)d 个），无法读取。", n=declared))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise damaged(exc) from None
    if len(members) > limit("SHEET_MAX_PARTS"):
        raise Refused(_("工作簿中的部件过多（%(n)d 个），无法读取。", n=len(members)))
    part_cap, ratio = limit("SHEET_MAX_PART_BYTES"), limit("SHEET_MAX_RATIO")
    total = 0
    names: set[str] = set()
    for member in members:
        if member.flag_bits & 0x1:
            raise Refused(_("工作簿已加密，请在 Excel 中取消密码后再上传。"))
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise damaged(ValueError(f"compression {member.compress_type}"))
        name = member.filename
        if name in names or "\x00" in name or ".." in name.split("/"):
            raise damaged(ValueError(f"odd member {name!r}"))
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


class Stop(Exception):
    """A handler has what it needs: the rest of the part is not read."""


class Handler(ContentHandler):
    """Tracks depth, and names elements without their namespace prefix."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0

    def startElement(self, name: str, attrs: AttributesImpl) -> None:  # noqa: N802
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise damaged(ValueError("XML nested too deep"))
        self.start(name.rpartition(":")[2], attrs)

    def endElement(self, name: str) -> None:  # noqa: N802
        self.depth -= 1
        self.end(name.rpartition(":")[2])

    def start(self, name: str, attrs: AttributesImpl) -> None:
        pass

    def end(self, name: str) -> None:
        pass


def parse(archive: zipfile.ZipFile, name: str, handler: Handler) -> Iterator[None]:
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
    except Stop:
        return
    except Refused:
        raise
    except DefusedXmlException as exc:
        logger.info("XML refused in %s: %r", name, exc)
        raise Refused(_("工作簿中含有不安全的 XML 内容（DTD 或实体定义），已拒绝。")) from None
    except (SAXException, zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError,
            KeyError, IndexError) as exc:
        raise damaged(exc) from None


def parse_all(archive: zipfile.ZipFile, name: str, handler: Handler) -> None:
    for _step in parse(archive, name, handler):
        pass

