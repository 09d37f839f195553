"""Looking up and creating organisations."""

from __future__ import annotations

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import gettext as _

from lms.extensions import db
from lms.orgs.models import ORG_KIND_LABELS, Organisation, OrgKind, TitleSeries

#: Sent with the new organisation, inside the transaction that adds it: the audit record
#: (a package above this one) listens.
organisation_created = Namespace().signal("organisation-created")


class DuplicateOrganisation(ValueError):
    """An organisation of this kind and name, or with this code, exists already."""


class MisplacedLink(ValueError):
    """A link the tree does not have: a district inside a district, a supervising department
    for anything but a unit. ``field`` names it: ``district`` or ``department``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def organisations(kind: OrgKind | None = None) -> list[Organisation]:
    query = sa.select(Organisation).order_by(Organisation.kind, Organisation.name)
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    return list(db.session.scalars(query))


def get_org(org_id: int | None, kind: OrgKind | None = None) -> Organisation | None:
    org = db.session.get(Organisation, org_id) if org_id else None
    if org is not None and kind is not None and org.kind is not kind:
        return None
    return org


def org_named(name: str, kind: OrgKind | None = None) -> Organisation | None:
    """The organisation called ``name`` (of ``kind``), if exactly one is."""
    query = sa.select(Organisation).where(Organisation.name == name)
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    found = db.session.scalars(query.limit(2)).all()
    return found[0] if len(found) == 1 else None


def get_unit(unit_id: int | None) -> Organisation | None:
    return get_org(unit_id, OrgKind.unit)


def get_title_series(series_id: int | None) -> TitleSeries | None:
    return db.session.get(TitleSeries, series_id) if series_id else None


def title_series() -> list[TitleSeries]:
    return list(db.session.scalars(sa.select(TitleSeries).order_by(TitleSeries.position)))


def title_series_by_name() -> dict[str, TitleSeries]:
    return {s.name: s for s in db.session.scalars(sa.select(TitleSeries))}


def create_organisation(
    kind: OrgKind,
    name: str,
    code: str | None = None,
    district: Organisation | None = None,
    department: Organisation | None = None,
) -> Organisation:
    """Add an organisation. A unit without a district is a city-level (市直) unit; only a unit
    has a supervising department, and it may have none."""
    if kind is OrgKind.district and district is not None:
        raise MisplacedLink("district", _("区市不属于其他区市：添加区市时“所在区市”请不选。"))
    if department is not None and kind is not OrgKind.unit:
        raise MisplacedLink("department", _(
            "只有单位有主管部门：添加%(kind)s时“主管部门”请不选。", kind=ORG_KIND_LABELS[kind]
        ))
    if district is not None and district.kind is not OrgKind.district:
        raise ValueError("district must be a district")
    if department is not None and department.kind is not OrgKind.department:
        raise ValueError("department must be a department")
    org = Organisation(
        kind=kind, name=name.strip(), code=(code or "").strip() or None,
        district=district, department=department,
    )
    try:
        with db.session.begin_nested():
            db.session.add(org)
    except sa.exc.IntegrityError:
        raise DuplicateOrganisation(_("同类机构中已有该名称，或该代码已被使用。")) from None
    organisation_created.send(org)
    return org
