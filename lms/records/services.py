"""Crediting hours into the learning record, revoking them, and reading a learner's year back.

This module is the one writer of credits and revocations. Each sends a signal inside the
transaction that made it (``credited``, ``revoked``): what hands hours on — the certificate, the
provincial outbox, the statistics — listens, and never writes records itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import lazy_gettext as _l

from lms import clock
from lms.auth.models import User
from lms.courses import hooks
from lms.courses.models import SECONDS_PER_CREDIT_HOUR, Category, Course, credit_hours
from lms.db import insert_once, rowcount
from lms.extensions import db
from lms.records.models import LearningRecord, Source

#: Hours count in the calendar year of the city.
CITY_TIME = ZoneInfo("Asia/Shanghai")


_signals = Namespace()
#: Sent with the new ``LearningRecord``, in the transaction that credited it.
credited = _signals.signal("record-credited")
#: Sent with the ``LearningRecord`` just revoked, in the transaction that revoked it.
revoked = _signals.signal("record-revoked")


class AlreadyRevoked(ValueError):
    """The record was revoked before."""


def year_of(moment: datetime) -> int:
    return moment.astimezone(CITY_TIME).year


def today() -> date:
    """The city's date now."""
    return clock.now().astimezone(CITY_TIME).date()


def credit(user_id: int, *, title: str, category: Category, seconds: int, year: int,
           source: Source, when: datetime, **source_key: int) -> LearningRecord | None:
    """Credit hours once: the new record, or None when the item (``source_key``: the course or
    the declaration it comes from) was credited before — by a retry, a double click or
    another server."""
    record = insert_once(
        db.session, LearningRecord,
        user_id=user_id, title=title[:120], category=category, seconds=seconds, year=year,
        source=source, credited_at=when, **source_key,
    )
    if record is not None:
        credited.send(record)
    return record


def credit_course(user_id: int, course: Course, when: datetime) -> bool:
    """Credit ``course``'s hours to the learner, once ever; True when this call credited it."""
    return credit(
        user_id, title=course.title, category=course.category,
        seconds=course.duration_seconds, year=year_of(when), source=Source.online_course,
        when=when, course_id=course.id,
    ) is not None


def revoke(record: LearningRecord, by: User, reason: str, when: datetime) -> None:
    """Mark ``record`` revoked (it stays, with who, when and why); the caller has checked who
    may. Refused for a record revoked already, even by a racing request."""
    done = db.session.execute(
        sa.update(LearningRecord)
        .where(LearningRecord.id == record.id, LearningRecord.revoked_at.is_(None))
        .values(revoked_at=when, revoked_by_id=by.id, revoke_reason=reason[:200])
        .execution_options(synchronize_session=False)
    )
    if rowcount(done) != 1:
        raise AlreadyRevoked(record.id)
    db.session.refresh(record)
    revoked.send(record)


@hooks.course_page_part
def _course_page_credit(user: User, course: Course) -> dict[str, Any]:
    return {"credited": has_credit(user.id, course.id)}


def has_credit(user_id: int, course_id: int) -> bool:
    found = db.session.scalar(
        sa.select(LearningRecord.id).where(
            LearningRecord.user_id == user_id, LearningRecord.course_id == course_id,
            LearningRecord.counts(),
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
            .order_by(LearningRecord.revoked_at.is_not(None))
            .order_by(LearningRecord.credited_at.desc(), LearningRecord.id.desc())
        )
    )
    counted = [r for r in records if not r.revoked]
    by_category = {c: sum(r.seconds for r in counted if r.category is c) for c in Category}
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
