"""Organisations and the title series (职称系列) list."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, UTCDateTime, str_enum, utcnow


class OrgKind(enum.StrEnum):
    #: 区市 — the national development zones count as districts.
    district = "district"
    #: 主管部门
    department = "department"
    #: 单位
    unit = "unit"
    #: 继续教育基地 / 部门 offering courses
    provider = "provider"


ORG_KIND_LABELS = {
    OrgKind.district: _l("区市"),
    OrgKind.department: _l("主管部门"),
    OrgKind.unit: _l("单位"),
    OrgKind.provider: _l("培训机构"),
}


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        sa.UniqueConstraint("kind", "name"),
        # Only a unit has a supervising department. A unit may have none, and a 市直 unit
        # (city-level) sits in no district: its declarations go to the city HR bureau.
        sa.CheckConstraint(
            "kind = 'unit' OR department_id IS NULL", name="only_units_have_a_department"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind, "org_kind"))
    name: Mapped[str] = mapped_column(sa.String(100))
    #: 统一社会信用代码 or another code the city uses; unique when given.
    code: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    #: The district a unit, department or provider sits in; None for city-level (市直) bodies.
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    #: A unit's supervising department, the second level of review; None when it has none.
    department_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    district: Mapped[Organisation | None] = relationship(
        remote_side=[id], foreign_keys=[district_id]
    )
    department: Mapped[Organisation | None] = relationship(
        remote_side=[id], foreign_keys=[department_id]
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.kind.value} {self.name!r}>"

    @property
    def kind_label(self) -> str:
        return str(ORG_KIND_LABELS[self.kind])

    @property
    def city_level(self) -> bool:
        """市直: a body of the city itself, in no district."""
        return self.district_id is None

    @property
    def place(self) -> str:
        """Where it sits: its district's name, 市直 for a unit or department of the city itself,
        else nothing (a district; a provider of no district)."""
        if self.district is not None:
            return self.district.name
        if self.kind in (OrgKind.unit, OrgKind.department):
            return str(_l("市直"))
        return ""


class TitleSeries(Base):
    """A title series (职称系列); the list is data, seeded by the first migration."""

    __tablename__ = "title_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True)
    position: Mapped[int] = mapped_column(default=0)
