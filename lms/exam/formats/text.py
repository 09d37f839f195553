"""Text files as exam admins save them: UTF-8 with or without a BOM, or GBK from Chinese
Windows Notepad and Excel."""

from __future__ import annotations

import re

from flask_babel import gettext as _

#: Characters no question file has: a decoding that yields them decoded a binary file.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class NotText(ValueError):
    """The bytes are not text in any encoding we read (a binary file, most likely)."""


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL.search(text):
            break
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise NotText(_("这不是文本文件，或编码无法识别：请另存为 UTF-8 或 GBK 编码的文本文件"))
