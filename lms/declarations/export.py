"""Declarations as workbooks, through ``lms.files.export``."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _

from lms.declarations.models import Declaration
from lms.files import export
from lms.records.services import CITY_TIME


def queue_workbook(declarations: Iterable[Declaration]) -> bytes:
    """The reviewer's queue as it stands: one row per declaration, ID numbers masked."""
    book = export.Workbook()
    sheet = book.sheet(_("待审核"), widths=(8, 10, 20, 24, 12, 30, 24, 12, 12, 10, 14, 10, 20),
                       freeze="A2")
    sheet.header([
        _("编号"), _("姓名"), _("身份证号"), _("单位"), _("类型"), _("项目名称"),
        _("主办单位或颁发机构"), _("开始日期"), _("结束日期"), _("年度"), _("计入类别"),
        _("申报学时"), _("提交时间"),
    ])
    for d in declarations:
        submitted = d.review.submitted_at.astimezone(CITY_TIME).replace(tzinfo=None) \
            if d.review else None
        sheet.row([
            d.id, d.user.name, d.user.masked_id_number, d.unit.name, d.type.label, d.title,
            d.organiser, d.start_date.isoformat(), d.end_date.isoformat(), d.year,
            d.category.label, float(d.claimed_hours), submitted,
        ])
    return book.save()
