"""How an upload is refused: the ``Refused`` error every reader of a file raises, with its
message for the person who sent the file, and the caps it is raised at (``LMS_*`` settings, or
their defaults outside an app)."""

from __future__ import annotations

from flask import current_app, has_app_context
from flask_babel import gettext as _

from lms.config import FILE_LIMITS


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


def check_size(data: bytes, cap: int) -> None:
    if len(data) > cap:
        raise Refused(_("文件大小 %(size)s，超过上限 %(limit)s。", size=megabytes(len(data)),
                        limit=megabytes(cap)))

