"""The city admin reads the audit record."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.wrappers import Response

from lms.audit import bp, services
from lms.audit.forms import FULL_ID_NUMBER_REFUSED, SearchForm, has_full_id_number
from lms.auth.guards import require_role
from lms.auth.models import ROLE_LABELS, Role
from lms.orgs.models import ORG_KIND_LABELS, OrgKind

#: What the keys of an entry's details are called on the page.
DETAIL_LABELS = {
    "count": _l("数量"), "role": _l("角色"), "org": _l("机构"), "unit": _l("单位"),
    "bank": _l("题库"), "file": _l("文件"), "provider": _l("培训机构"), "kind": _l("类型"),
    "changed": _l("修改"),
}
#: The exam settings a saving may change.
SETTING_LABELS = {
    "banks": _l("题库"), "tags": _l("标签"), "counts": _l("题型与题数"), "pass_mark": _l("及格分"),
    "minutes": _l("考试时长"), "shuffle_questions": _l("题目乱序"),
    "shuffle_options": _l("选项乱序"), "show_after": _l("交卷后显示"),
    "partial_credit": _l("多选题部分得分"),
}


@bp.route("/")
@login_required
def index() -> str | Response:
    require_role(Role.city_admin)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    if has_full_id_number(args.get("who")):
        flash(str(FULL_ID_NUMBER_REFUSED), "error")
        kept: dict[str, Any] = {k: v for k, v in args.items() if k != "who"}
        return redirect(url_for("audit.index", **kept))
    form = SearchForm(request.args)
    found = None
    if form.validate():
        found = services.search(form.search(request.args.get("page", 1, type=int)))
    return render_template("audit/index.html", form=form, page=found, args=args,
                           describe=describe)


def describe(details: dict[str, Any] | None) -> list[str]:
    """An entry's details as short lines of text."""
    lines = []
    for key, value in (details or {}).items():
        if value is None:
            continue
        label = DETAIL_LABELS.get(key, key)
        if key == "role" and value in Role.__members__:
            value = ROLE_LABELS[Role(value)]
        if key == "kind" and value in OrgKind.__members__:
            value = ORG_KIND_LABELS[OrgKind(value)]
        if key == "changed" and isinstance(value, dict):
            value = "、".join(_change(name, pair) for name, pair in value.items()) or _l("无变化")
        lines.append(f"{label}：{value}")
    return lines


def _change(name: str, pair: Any) -> str:
    label = str(SETTING_LABELS.get(name, name))
    old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, None)
    simple = (str, int, float, bool)
    if isinstance(old, simple) and isinstance(new, simple):
        return f"{label} {_plain(old)} → {_plain(new)}"
    return label


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return str(_l("是") if value else _l("否"))
    return str(value)
