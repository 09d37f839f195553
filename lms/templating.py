"""What every page's layout needs: language list, navigation for the user's roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.auth.idcard import mask_id_number
from lms.auth.models import Role
from lms.courses.models import credit_hours
from lms.declarations import services as declarations
from lms.records.services import CITY_TIME


@dataclass(frozen=True)
class NavItem:
    label: Any
    endpoint: str
    #: What waits there for the user, shown beside the link.
    count: int = 0


def navigation() -> list[NavItem]:
    """Links for the roles the current user holds; the views enforce access themselves."""
    if not current_user.is_authenticated:
        return []
    items = [NavItem(_l("首页"), "main.home"), NavItem(_l("选课中心"), "courses.catalog")]
    if current_user.has_role(Role.learner):
        items.append(NavItem(_l("我的课程"), "courses.my"))
        items.append(NavItem(_l("学习档案"), "records.year"))
        items.append(NavItem(_l("学时申报"), "declarations.mine"))
    if declarations.reviewer_of_anything(current_user):
        items.append(NavItem(_l("申报审核"), "declarations.queue",
                             declarations.waiting_count(current_user)))
    if current_user.is_city_admin or current_user.has_role(Role.district_reviewer):
        items.append(NavItem(_l("整改通知"), "declarations.orders"))
    if current_user.has_role(Role.provider):
        items.append(NavItem(_l("课程管理"), "courses.mine"))
    if current_user.has_role(Role.exam_admin) or current_user.has_role(Role.provider):
        items.append(NavItem(_l("题库"), "exam.banks"))
    if current_user.has_role(Role.unit_reviewer) or current_user.is_city_admin:
        items.append(NavItem(_l("人员管理"), "staff.index"))
    if (current_user.is_city_admin or current_user.has_role(Role.department_reviewer)
            or current_user.has_role(Role.district_reviewer)):
        items.append(NavItem(_l("学时统计"), "records.units"))
    elif current_user.has_role(Role.unit_reviewer):
        items.append(NavItem(_l("本单位学时"), "records.units"))
    if current_user.is_city_admin:
        items.append(NavItem(_l("账号与角色"), "staff.accounts"))
        items.append(NavItem(_l("机构"), "staff.organisations"))
        items.append(NavItem(_l("课程审核"), "courses.review"))
        items.append(NavItem(_l("申报规则"), "declarations.rules_page"))
        items.append(NavItem(_l("操作记录"), "audit.index"))
    items.append(NavItem(_l("我的账号"), "auth.account"))
    return items


def file_size(size: int) -> str:
    """A file's size as people read it: KB under a megabyte, MB from there."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["file_size"] = file_size
    app.jinja_env.filters["mask_id"] = mask_id_number
    app.jinja_env.filters["credit_hours"] = credit_hours

    @app.context_processor
    def layout() -> dict[str, Any]:
        locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
        return {
            "navigation": navigation(),
            "Role": Role,
            "city_time": CITY_TIME,
            "languages": current_app.config["LANGUAGES"],
            "current_language": locale,
            "html_lang": "zh-CN" if locale.startswith("zh") else locale,
            "language_url": lambda code: url_for(
                "main.language", code=code, next=request.full_path.rstrip("?")
            ),
        }
