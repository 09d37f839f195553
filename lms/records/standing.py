"""The unit's view of its staff's year: each staff member's annual completion, and each unit's
count of complete and incomplete staff, for the reviewers who answer for them.

Every number is added up in SQL (a group-by over ``learning_records`` of the year, revoked rows
skipped), and every sort and filter runs over all the staff there are, before a page is cut.
Staff are a unit's active accounts holding the learner role. Who may see which unit is the
model's to say (``User.can_see_staff_year_of``, ``User.can_export_staff_of``); this module
checks it before any work and finds the units in scope with the same rule in SQL.

The staff workbook carries whole ID numbers, for the unit's own HR matching: writing it is a
privileged action, recorded once for each export.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from lms.audit import services as audit
from lms.auth.guards import require
from lms.auth.idcard import mask_id_number
from lms.auth.models import AccountState, Role, RoleAssignment, User
from lms.courses.models import SECONDS_PER_CREDIT_HOUR, Category, credit_hours
from lms.extensions import db
from lms.files import export
from lms.orgs.models import Organisation
from lms.pagination import Page
from lms.records.models import LearningRecord
from lms.records.services import Requirement

PAGE_SIZE = 50
#: No page is asked for past this one (the offset stays a number every database takes).
MAX_PAGE = 10**6
#: Rows read per round trip when an export streams them.
BATCH = 1000

#: The annual requirement, as the learner's year page states it: column → (label, 学时).
TARGETS: dict[str, tuple[Any, int]] = {
    "compulsory": (_l("公需科目·必修"), 20),
    "elective": (_l("公需科目·选修"), 10),
    "public": (_l("公需科目合计"), 30),
    "professional": (_l("专业科目"), 60),
    "total": (_l("总学时"), 90),
}
#: Staff table: what it sorts by. "completion": the incomplete first, fewest hours first.
STAFF_SORTS = ("completion", "name", *TARGETS)
#: Staff table: whom it shows.
STATUSES = ("all", "complete", "incomplete")
#: Per-unit table: what it sorts by. "rate": the share of staff complete, lowest first.
UNIT_SORTS = ("rate", "unit", "staff", "complete", "incomplete")


@dataclass(frozen=True)
class StaffQuery:
    year: int
    sort: str = "completion"
    descending: bool = False
    status: str = "all"
    #: Part of a name.
    search: str = ""
    page: int = 1

    def __post_init__(self) -> None:
        if self.sort not in STAFF_SORTS or self.status not in STATUSES:
            raise ValueError(f"no such sort or status: {self.sort!r}, {self.status!r}")


@dataclass(frozen=True)
class UnitQuery:
    year: int
    sort: str = "rate"
    descending: bool = False
    page: int = 1

    def __post_init__(self) -> None:
        if self.sort not in UNIT_SORTS:
            raise ValueError(f"no such sort: {self.sort!r}")


@dataclass(frozen=True)
class StaffYear:
    """One staff member's year: seconds credited by kind, revoked records left out."""

    user_id: int
    name: str
    id_number: str
    compulsory: int
    elective: int
    professional: int

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def public(self) -> int:
        return self.compulsory + self.elective

    @property
    def total(self) -> int:
        return self.public + self.professional

    @property
    def requirements(self) -> list[Requirement]:
        return [Requirement(str(label), getattr(self, key), hours)
                for key, (label, hours) in TARGETS.items()]

    @property
    def seconds(self) -> list[int]:
        """Compulsory, elective, public, professional, total: as ``TARGETS`` lists them."""
        return [self.compulsory, self.elective, self.public, self.professional, self.total]

    @property
    def complete(self) -> bool:
        return all(seconds >= hours * SECONDS_PER_CREDIT_HOUR
                   for seconds, (_, hours) in zip(self.seconds, TARGETS.values(), strict=True))


@dataclass(frozen=True)
class Counts:
    staff: int
    complete: int

    @property
    def incomplete(self) -> int:
        return self.staff - self.complete

    @property
    def percent(self) -> int:
        """Share of staff complete, rounded down (0 for a unit without staff)."""
        return self.complete * 100 // self.staff if self.staff else 0


@dataclass(frozen=True)
class UnitYear:
    unit_id: int
    name: str
    #: None: a 市直 unit, in no district.
    district: str | None
    counts: Counts


@dataclass(frozen=True)
class StaffTable:
    unit: Organisation
    query: StaffQuery
    #: All the unit's staff, whatever the filter.
    counts: Counts
    page: Page[StaffYear]


@dataclass(frozen=True)
class UnitTable:
    query: UnitQuery
    #: All staff of all the units in scope.
    counts: Counts
    page: Page[UnitYear]


# --- the SQL ------------------------------------------------------------------------------------


def _staff(units: sa.ColumnElement[bool], year: int) -> sa.Select[Any]:
    """One row per staff member of the units ``units`` picks (a condition on ``User.unit_id``):
    seconds credited in ``year`` by kind, and whether the year is complete (1) or not (0)."""
    lr = LearningRecord

    def seconds(category: Category) -> Any:
        return sa.func.sum(sa.case((lr.category == category, lr.seconds), else_=0))

    sums = (
        sa.select(lr.user_id,
                  seconds(Category.public_compulsory).label("compulsory"),
                  seconds(Category.public_elective).label("elective"),
                  seconds(Category.professional).label("professional"))
        .join(User, User.id == lr.user_id)
        .where(units, lr.year == year, lr.counts())
        .group_by(lr.user_id)
        .subquery("sums")
    )
    compulsory = sa.func.coalesce(sums.c.compulsory, 0)
    elective = sa.func.coalesce(sums.c.elective, 0)
    professional = sa.func.coalesce(sums.c.professional, 0)
    columns = {"compulsory": compulsory, "elective": elective,
               "public": compulsory + elective, "professional": professional,
               "total": compulsory + elective + professional}
    met = [columns[key] >= hours * SECONDS_PER_CREDIT_HOUR for key, (_, hours) in TARGETS.items()]
    learner = sa.exists().where(RoleAssignment.user_id == User.id,
                                RoleAssignment.role == Role.learner)
    return (
        sa.select(User.id.label("user_id"), User.name, User.id_number, User.unit_id,
                  *(column.label(key) for key, column in columns.items()),
                  sa.case((sa.and_(*met), 1), else_=0).label("complete"))
        .outerjoin(sums, sums.c.user_id == User.id)
        .where(units, User.state == AccountState.active, learner)
    )


def _counts(staff: sa.Subquery | sa.CTE) -> Counts:
    total, complete = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(staff.c.complete), 0))
    ).one()
    return Counts(int(total), int(complete))


def _staff_select(staff: sa.Subquery | sa.CTE, query: StaffQuery) -> sa.Select[Any]:
    """The staff the query shows, in its order (name, then id, break every tie)."""
    select = sa.select(staff.c.user_id, staff.c.name, staff.c.id_number, staff.c.compulsory,
                       staff.c.elective, staff.c.professional)
    if query.status != "all":
        select = select.where(staff.c.complete == (1 if query.status == "complete" else 0))
    if query.search:
        select = select.where(staff.c.name.contains(query.search, autoescape=True))
    keys: list[Any] = {
        "completion": [staff.c.complete, staff.c.total],
        "name": [staff.c.name],
    }.get(query.sort) or [staff.c[query.sort]]
    if query.descending:
        keys = [key.desc() for key in keys]
    return select.order_by(*keys, staff.c.name, staff.c.user_id)


def _page(select: sa.Select[Any], page: int) -> tuple[list[sa.Row[Any]], int, int]:
    """Page ``page`` of ``select``: its rows, the page it is after clamping, and how many rows
    match, counted in the same query (a page past the end costs a count and another try)."""
    page = min(max(page, 1), MAX_PAGE)
    counted = select.add_columns(sa.func.count().over().label("matched"))
    rows = list(db.session.execute(counted.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    if not rows and page > 1:  # fewer match than ``most``: the last page there is
        matched = db.session.scalar(sa.select(sa.func.count()).select_from(select.subquery()))
        page = max(1, -(-(matched or 0) // PAGE_SIZE))
        rows = list(db.session.execute(counted.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return rows, page, int(rows[0].matched) if rows else 0


def _staff_year(row: sa.Row[Any]) -> StaffYear:
    return StaffYear(row.user_id, row.name, row.id_number, int(row.compulsory),
                     int(row.elective), int(row.professional))


# --- a unit's staff -----------------------------------------------------------------------------


def staff_table(actor: User, unit: Organisation, query: StaffQuery) -> StaffTable:
    """A page of ``unit``'s staff with their year, sorted and filtered over all of them."""
    require(actor.can_see_staff_year_of(unit))
    # One statement: the sums are made once (PostgreSQL keeps a CTE named twice) for the page
    # and for the unit's counts.
    staff = _staff(User.unit_id == unit.id, query.year).cte("staff")
    everyone = sa.select(sa.func.count()).select_from(staff).scalar_subquery()
    complete = sa.select(sa.func.coalesce(sa.func.sum(staff.c.complete), 0)).scalar_subquery()
    select = _staff_select(staff, query).add_columns(everyone.label("everyone"),
                                                     complete.label("everyone_complete"))
    rows, page, matched = _page(select, query.page)
    counts = (Counts(int(rows[0].everyone), int(rows[0].everyone_complete)) if rows
              else _counts(staff))
    items = [_staff_year(row) for row in rows]
    return StaffTable(unit, query, counts,
                      Page(items, page, max(1, -(-matched // PAGE_SIZE)), matched))


def staff_rows(unit: Organisation, query: StaffQuery) -> Iterator[StaffYear]:
    """Every staff member the query shows, in its order, streamed."""
    result = db.session.execute(
        _staff_select(_staff(User.unit_id == unit.id, query.year).subquery("staff"), query)
        .execution_options(yield_per=BATCH)
    )
    for row in result:
        yield _staff_year(row)


STAFF_HEADERS = (_l("姓名"), _l("身份证号"), *(label for label, _ in TARGETS.values()),
                 _l("是否达标"))


@audit.privileged("staff.export_year")
def export_staff(actor: User, unit: Organisation, query: StaffQuery) -> bytes:
    """The staff the query shows, with whole ID numbers, as a workbook (streamed: memory does
    not grow with the rows); one audit entry says who took which unit's numbers."""
    require(actor.can_export_staff_of(unit))
    book = export.Workbook()
    sheet = book.sheet(_("%(y)d年度学时", y=query.year), widths=(12, 22, 14, 14, 14, 12, 10, 10),
                       freeze="A2")
    sheet.header(str(title) for title in STAFF_HEADERS)
    written = 0
    yes, no = _("是"), _("否")

    def rows() -> Iterable[list[object]]:
        nonlocal written
        for person in staff_rows(unit, query):
            written += 1
            yield [person.name, person.id_number, *map(_hours, person.seconds),
                   yes if person.complete else no]

    sheet.rows(rows())
    data = book.save()
    details: dict[str, Any] = {"year": query.year, "count": written}
    if query.status != "all":
        details["status"] = query.status
    if query.search:
        details["search"] = query.search
    audit.record(actor, "staff.export_year", unit,
                 acting_as=[(Role.unit_reviewer, unit), Role.city_admin], details=details)
    return data


def _hours(seconds: int) -> float:
    """学时 as the pages show them (one decimal, rounded down), as a number Excel can add."""
    return float(credit_hours(seconds))


# --- units in scope -----------------------------------------------------------------------------


def unit_scope(actor: User) -> sa.ColumnElement[bool]:
    """The units ``actor`` sees, in SQL: ``User.can_see_staff_year_of`` over ``Organisation``."""
    return actor.overseen_units()


def _unit_select(actor: User, year: int, query: UnitQuery | None = None
                 ) -> tuple[sa.Select[Any], sa.Subquery]:
    scope = unit_scope(actor)
    staff = _staff(User.unit_id.in_(sa.select(Organisation.id).where(scope)),
                   year).subquery("staff")
    per_unit = (sa.select(staff.c.unit_id, sa.func.count().label("staff"),
                          sa.func.sum(staff.c.complete).label("complete"))
                .group_by(staff.c.unit_id).subquery("per_unit"))
    district = aliased(Organisation)
    people = sa.func.coalesce(per_unit.c.staff, 0)
    complete = sa.func.coalesce(per_unit.c.complete, 0)
    select = (
        sa.select(Organisation.id, Organisation.name, district.name.label("district"),
                  people.label("staff"), complete.label("complete"))
        .outerjoin(per_unit, per_unit.c.unit_id == Organisation.id)
        .outerjoin(district, district.id == Organisation.district_id)
        .where(scope)
    )
    if query is not None:
        keys: list[Any] = [{
            # A unit without staff has no rate: below every unit that has one.
            "rate": sa.case((people > 0, complete * 1.0 / people), else_=-1.0),
            "unit": Organisation.name,
            "staff": people,
            "complete": complete,
            "incomplete": people - complete,
        }[query.sort]]
        if query.descending:
            keys = [key.desc() for key in keys]
        select = select.order_by(*keys, Organisation.name, Organisation.id)
    return select, staff


def _unit_year(row: sa.Row[Any]) -> UnitYear:
    return UnitYear(row.id, row.name, row.district, Counts(int(row.staff), int(row.complete)))


def unit_table(actor: User, query: UnitQuery) -> UnitTable:
    """A page of the units ``actor`` sees, each with its complete and incomplete staff."""
    require(actor.sees_units_standing)
    select, staff = _unit_select(actor, query.year, query)
    rows, page, matched = _page(select, query.page)
    items = [_unit_year(row) for row in rows]
    return UnitTable(query, _counts(staff),
                     Page(items, page, max(1, -(-matched // PAGE_SIZE)), matched))


UNIT_HEADERS = (_l("单位"), _l("所在区市"), _l("人数"), _l("达标"), _l("未达标"),
                _l("达标率（%）"))


def export_units(actor: User, query: UnitQuery) -> bytes:
    """Every unit in scope, in the query's order, as a workbook (no ID numbers: nothing to
    record)."""
    require(actor.sees_units_standing)
    select, _staff_rows = _unit_select(actor, query.year, query)
    book = export.Workbook()
    sheet = book.sheet(_("%(y)d年度各单位学时", y=query.year), widths=(32, 14, 8, 8, 8, 12),
                       freeze="A2")
    sheet.header(str(title) for title in UNIT_HEADERS)
    city = _("市直")
    sheet.rows(
        [unit.name, unit.district or city, unit.counts.staff, unit.counts.complete,
         unit.counts.incomplete, unit.counts.percent]
        for unit in map(_unit_year, db.session.execute(
            select.execution_options(yield_per=BATCH)))
    )
    return book.save()

