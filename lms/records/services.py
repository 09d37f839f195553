"""Crediting hours into the learning record, and reading a learner's year back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.auth.models import User
from lms.courses import hooks
from lms.courses.models import SECONDS_PER_CREDIT_HOUR, Category, Course, credit_hours
from lms.db import insert_once
from lms.extensions import db
from lms.records.models import LearningRecord, Source

#: Hours count in the calendar year of the city.
CITY_TIME = ZoneInfo("Asia/Shanghai")


def year_of(moment: datetime) -> int:
    return moment.astimezone(CITY_TIME).year


def credit_course(user_id: int, course: Course, when: datetime) -> bool:
    """Credit ``course``'s hours to the learner, once ever; True when this call credited it."""
    return insert_once(
        db.session, LearningRecord,
        user_id=user_id, course_id=course.id, title=course.title, category=course.category,
        seconds=course.duration_seconds, year=year_of(when), source=Source.online_course,
        credited_at=when,
    ) is not None


@hooks.course_page_part
def _course_page_credit(user: User, course: Course) -> dict[str, Any]:
    return {"credited": has_credit(user.id, course.id)}


def has_credit(user_id: int, course_id: int) -> bool:
    found = db.session.scalar(
        sa.select(LearningRecord.id).where(
            LearningRecord.user_id == user_id, LearningRecord.course_id == course_id
        ).limit(1)
    )
    return found is not None


@dataclass(frozen=True)
class Requirement:
    """One line of the annual completion: hours earned against hours required."""

    label: str
    seconds: int
    target_hours: int

    @property
    def hours(self) -> str:
        return credit_hours(self.seconds)

    @property
    def percent(self) -> int:
        return min(100, self.seconds * 100 // (self.target_hours * SECONDS_PER_CREDIT_HOUR))

    @property
    def met(self) -> bool:
        return self.seconds >= self.target_hours * SECONDS_PER_CREDIT_HOUR


@dataclass(frozen=True)
class Year:
    year: int
    records: list[LearningRecord]
    #: Public compulsory, public elective, public total, professional, total.
    requirements: list[Requirement]

    @property
    def complete(self) -> bool:
        return all(r.met for r in self.requirements)

    @property
    def total(self) -> Requirement:
        return self.requirements[-1]


def year(user: User, year: int) -> Year:
    """The learner's record for ``year`` and how far it is from the required 90 hours."""
    records = list(
        db.session.scalars(
            sa.select(LearningRecord)
            .where(LearningRecord.user_id == user.id, LearningRecord.year == year)
            .order_by(LearningRecord.credited_at.desc(), LearningRecord.id.desc())
        )
    )
    by_category = {c: sum(r.seconds for r in records if r.category is c) for c in Category}
    compulsory = by_category[Category.public_compulsory]
    elective = by_category[Category.public_elective]
    professional = by_category[Category.professional]
    return Year(year, records, [
        Requirement(str(_l("公需科目·必修")), compulsory, 20),
        Requirement(str(_l("公需科目·选修")), elective, 10),
        Requirement(str(_l("公需科目合计")), compulsory + elective, 30),
        Requirement(str(_l("专业科目")), professional, 60),
        Requirement(str(_l("总学时")), compulsory + elective + professional, 90),
    ])


def years(user: User, this_year: int) -> list[int]:
    """Years with credit, and this one, newest first."""
    found = db.session.scalars(
        sa.select(LearningRecord.year).where(LearningRecord.user_id == user.id).distinct()
    )
    return sorted({this_year, *found}, reverse=True)
