"""Bulk import of a unit's staff from an Excel sheet (or CSV): all rows or none.

The sheet is read and every row checked before anything is written; any problem is reported
with its row number and nothing is imported.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from lms.audit import services as audit
from lms.auth.guards import require
from lms.auth.idcard import InvalidIdNumber, normalize_id_number
from lms.auth.models import Role, RoleAssignment, User
from lms.extensions import db
from lms.files import export, intake
from lms.files.intake import Refused
from lms.files.template import MARKER, SheetTemplate, cell_text
from lms.forms import PHONE
from lms.orgs.models import Organisation, TitleSeries
from lms.orgs.services import title_series_by_name
from lms.staff.services import NewAccount, one_time_account

logger = logging.getLogger(__name__)

#: Column header → the field it fills; several spellings people use are accepted.
HEADERS = {
    "身份证号": "id_number", "身份证号码": "id_number", "公民身份号码": "id_number",
    "姓名": "name",
    "手机号": "phone", "手机号码": "phone", "联系电话": "phone",
    "职称系列": "title_series",
}
REQUIRED = ("id_number", "name", "phone")
TEMPLATE_HEADERS = ("身份证号", "姓名", "手机号", "职称系列")
#: The downloadable template; its example row is refused if left in.
TEMPLATE = SheetTemplate(
    "人员", TEMPLATE_HEADERS,
    examples=(("371002199003071233", f"{MARKER}张三", "13800000000", "卫生"),),
    keys=(0,),  # the example's ID number belongs to nobody, whoever is named beside it
)



@dataclass
class StaffRow:
    line: int
    id_number: str
    name: str
    phone: str
    title_series: TitleSeries | None


@dataclass
class SheetCheck:
    rows: list[StaffRow] = field(default_factory=list)
    #: (row number as the spreadsheet shows it, message)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def check_sheet(data: bytes) -> SheetCheck:
    """Read and check every row; nothing is written."""
    result = SheetCheck()
    max_rows = current_app.config["STAFF_IMPORT_MAX_ROWS"]
    series = title_series_by_name()
    columns: dict[str, int] | None = None
    seen: dict[str, int] = {}
    try:
        for row in intake.read_table(data, max_rows=max_rows, template=TEMPLATE):
            if columns is None:
                columns = _header(row.number, row.cells, result)
                if columns is None:
                    return result
                continue
            if row.refused:
                result.errors.append((row.number, row.refused))
                continue
            checked = _check_row(row.number, row.cells, columns, series, seen, result)
            if checked is not None:
                result.rows.append(checked)
    except intake.TooManyRows as exc:
        result.errors.append((exc.line or 0, _("一次最多导入 %(n)d 人，请分批导入。", n=max_rows)))
        return result
    if columns is None:
        result.errors.append((1, _("表格中没有内容。")))
    elif not result.rows and not result.errors:
        result.errors.append((1, _("表头下面没有人员数据。")))
    _check_existing(result)
    return result


def _header(number: int, cells: Sequence[object], result: SheetCheck) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = HEADERS.get(cell_text(cell).replace(" ", ""))
        if key and key not in columns:
            columns[key] = index
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        labels = {"id_number": "身份证号", "name": "姓名", "phone": "手机号"}
        result.errors.append(
            (number, _("表头缺少列：%(cols)s。请使用导入模板。",
                       cols="、".join(labels[m] for m in missing)))
        )
        return None
    return columns


def _check_row(
    number: int,
    cells: Sequence[object],
    columns: dict[str, int],
    series: dict[str, TitleSeries],
    seen: dict[str, int],
    result: SheetCheck,
) -> StaffRow | None:
    def cell(key: str) -> object:
        index = columns.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    problems: list[str] = []
    raw_id = cell("id_number")
    id_number = ""
    if isinstance(raw_id, (int, float)):
        problems.append(_("身份证号被存成了数字，末几位已丢失，请把该列设为“文本”后重新填写。"))
    else:
        try:
            id_number = normalize_id_number(cell_text(raw_id))
        except InvalidIdNumber as exc:
            problems.append(str(exc))
    if id_number in seen:
        problems.append(_("身份证号与第 %(n)d 行重复。", n=seen[id_number]))
    elif id_number:
        seen[id_number] = number
    name = cell_text(cell("name"))
    if not name:
        problems.append(_("姓名为空。"))
    elif len(name) > 50:
        problems.append(_("姓名过长。"))
    phone = cell_text(cell("phone")).replace(" ", "").replace("-", "")
    if not PHONE.match(phone):
        problems.append(_("手机号“%(p)s”不是有效的 11 位手机号码。", p=phone))
    series_name = cell_text(cell("title_series"))
    title_series = series.get(series_name) if series_name else None
    if series_name and title_series is None:
        problems.append(_("职称系列“%(s)s”不在列表中。", s=series_name))
    for problem in problems:
        result.errors.append((number, problem))
    if problems:
        return None
    return StaffRow(number, id_number, name, phone, title_series)


def _check_existing(result: SheetCheck) -> None:
    by_id = {row.id_number: row.line for row in result.rows}
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = sa.select(User.id_number).where(
            User.id_number.in_(chunk), User.holding_id_number()
        )
        for id_number in db.session.scalars(query):
            result.errors.append((by_id[id_number], _("该身份证号已有账号。")))
    result.errors.sort()


@audit.privileged("staff.import")
def import_staff(
    actor: User, unit: Organisation, data: bytes
) -> tuple[SheetCheck, list[NewAccount]]:
    """Check the sheet and, only if every row is right, create active learner accounts."""
    require(actor.can_manage_unit(unit))
    check = check_sheet(data)
    if not check.ok:
        return check, []
    return check, create_accounts(unit, check.rows, by=actor)


def create_accounts(
    unit: Organisation, rows: list[StaffRow], by: User | None = None
) -> list[NewAccount]:
    """Create checked rows as active learners with one-time passwords, all or none."""
    created: list[NewAccount] = []
    try:
        with db.session.begin_nested():
            for row in rows:
                account = one_time_account(
                    id_number=row.id_number, name=row.name, phone=row.phone, unit=unit,
                    by=by, title_series=row.title_series,
                )
                account.user.roles.append(
                    RoleAssignment(role=Role.learner, granted_by_id=by.id if by else None)
                )
                db.session.add(account.user)
                created.append(account)
    except sa.exc.IntegrityError:
        # Someone registered one of these ID numbers since the check: nothing is kept.
        raise Refused(_("导入期间有人员刚刚注册了账号，请重新上传以查看详情。")) from None
    logger.info("imported %d staff into unit %s", len(created), unit.id)
    audit.record(by, "staff.import", unit, acting_as=[Role.city_admin, (Role.unit_reviewer, unit)],
                 details={"count": len(created)})
    return created


def template_workbook() -> bytes:
    """The import template: Chinese headers, every column as text (ID numbers keep their last
    digits), one example row that is refused if left in."""
    return export.template_workbook(TEMPLATE, widths=(24, 12, 16, 16), text_columns=4)
