"""How declarations go through ``lms.reviews``: the chain from the organisation tree, the
fields a decision signs, and crediting the hours at final approval."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lms import clock
from lms.auth.models import Role, User
from lms.courses.models import credit_hours
from lms.declarations import rectification
from lms.declarations.models import Declaration, DeclarationType
from lms.declarations.rules import rule_for
from lms.extensions import db
from lms.records import services as records
from lms.records.models import LearningRecord, Source
from lms.reviews.models import Action, Decision, Review, ReviewState
from lms.reviews.services import Level, ReviewRefused, Workflow, register


class Declarations(Workflow[Declaration]):
    name = "declaration"

    def levels(self, subject: Declaration) -> list[Level]:
        """The declarant's unit, its supervising department (if it has one), then the bureau
        with jurisdiction: the district's HR bureau, or the city's for a 市直 unit."""
        unit = subject.unit
        chain = [Level(Role.unit_reviewer, unit)]
        if unit.department is not None:
            chain.append(Level(Role.department_reviewer, unit.department))
        chain.append(Level(Role.district_reviewer, unit.district) if unit.district is not None
                     else Level(Role.city_admin))
        return chain

    def owner(self, subject: Declaration) -> User:
        return subject.user

    def amount(self, subject: Declaration) -> int:
        return subject.claimed_seconds

    def fields(self, subject: Declaration) -> Mapping[str, Any]:
        return {
            "id": subject.id, "user": subject.user_id, "unit": subject.unit_id,
            "type": subject.type.value, "title": subject.title, "organiser": subject.organiser,
            "start": subject.start_date.isoformat(), "end": subject.end_date.isoformat(),
            "year": subject.year, "category": subject.category.value,
            "claimed_seconds": subject.claimed_seconds, "description": subject.description,
            "evidence": [[e.attachment.filename, e.attachment.size, e.attachment.sha256]
                         for e in subject.evidence],
        }

    def refusal(self, user: User, subject: Declaration, action: Action) -> str | None:
        order = rectification.standing_order(subject.unit)
        if action is Action.approve and order is not None:
            return _("%(unit)s 正在责令整改（%(reason)s），整改期间不能审核通过其申报。",
                     unit=order.org.name, reason=order.reason)
        return None

    def decided(self, subject: Declaration, review: Review, decision: Decision) -> None:
        if review.state is ReviewState.approved:
            assert decision.amount is not None
            credit(subject, decision.amount)


def approved_this_year(user_id: int, year: int, kind: DeclarationType) -> int:
    """Seconds of ``kind`` credited to the person for ``year`` from declarations (revoked
    rows do not count)."""
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LearningRecord.seconds), 0))
        .join(Declaration, Declaration.id == LearningRecord.declaration_id)
        .where(LearningRecord.user_id == user_id, LearningRecord.year == year,
               LearningRecord.counts(), Declaration.type == kind)
    ) or 0


def credit(subject: Declaration, seconds: int) -> None:
    """Credit approved hours once, within the type's yearly cap, checked under a lock on the
    declarant so that two approvals at once cannot pass it together."""
    db.session.execute(
        sa.select(User.id).where(User.id == subject.user_id).with_for_update()
    ).one()
    cap = rule_for(subject.year, subject.type).max_seconds_per_year
    if cap is not None:
        so_far = approved_this_year(subject.user_id, subject.year, subject.type)
        if so_far + seconds > cap:
            raise ReviewRefused(_(
                "超过「%(type)s」每人每年 %(cap)s 学时的上限：本年度已核定 %(so_far)s 学时，"
                "本项最多还可核定 %(left)s 学时。",
                type=subject.type.label, cap=credit_hours(cap), so_far=credit_hours(so_far),
                left=credit_hours(max(0, cap - so_far)),
            ), field="amount")
    subject.approved_seconds = seconds
    records.credit(
        subject.user_id, title=subject.title, category=subject.category, seconds=seconds,
        year=subject.year, source=Source.declaration, when=clock.now(),
        declaration_id=subject.id,
    )
    db.session.flush()


WORKFLOW = register(Declarations())
