"""A learner's declarations: drafting with evidence, the rules at submission, withdrawing; the
reviewers' decisions, queues and batches; revoking approved hours; integrity of what was
decided."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from lms import clock
from lms.attachments import services as attachments
from lms.attachments.services import Integrity, Upload
from lms.audit import services as audit
from lms.auth.models import Role, User
from lms.courses.models import Category, credit_hours
from lms.declarations import rectification
from lms.declarations.models import (
    HALF_HOUR_SECONDS,
    Declaration,
    DeclarationType,
    Evidence,
    Status,
)
from lms.declarations.rules import cutoff, rule_for
from lms.declarations.workflow import WORKFLOW, approved_this_year
from lms.extensions import db
from lms.files.refusals import Refused
from lms.forms import Invalid
from lms.orgs.models import Organisation
from lms.records import services as records
from lms.records.models import LearningRecord, Source
from lms.records.services import today
from lms.reviews import services as reviews
from lms.reviews.models import Action, Decision, Review, ReviewState, ReviewStep

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fields:
    """A declaration's fields as the learner entered them."""

    type: DeclarationType
    title: str
    organiser: str
    start_date: date
    end_date: date
    category: Category
    claimed_seconds: int
    description: str = ""


def mine(user: User) -> list[Declaration]:
    return list(db.session.scalars(
        sa.select(Declaration).where(Declaration.user_id == user.id)
        .options(selectinload(Declaration.review))
        .order_by(Declaration.created_at.desc(), Declaration.id.desc())
    ))


def status_counts(user: User) -> dict[Status, int]:
    """How many of the learner's declarations stand where, for their home page."""
    counts: dict[Status, int] = {}
    for declaration in mine(user):
        counts[declaration.status] = counts.get(declaration.status, 0) + 1
    return counts


def _locked(declaration: Declaration) -> Declaration:
    """The declaration as it stands now, its row locked until the transaction ends: a double
    click, or an edit racing a submission, waits for the other and then sees what it did."""
    if declaration.id is not None:
        db.session.execute(sa.select(Declaration.id).where(Declaration.id == declaration.id)
                           .with_for_update())
        db.session.refresh(declaration)
    return declaration


# --- drafting --------------------------------------------------------------------------------


def save(user: User, declaration: Declaration | None, fields: Fields,
         uploads: Sequence[Upload] = ()) -> Declaration:
    """Create or change a draft (or a returned or withdrawn declaration) and add evidence;
    ``Invalid`` (nothing written) for a file that is refused or one too many."""
    if not user.has_role(Role.learner) or user.unit is None:
        raise PermissionError
    if declaration is None:
        declaration = Declaration(user=user)
    elif not _locked(declaration).can_edit(user):
        raise PermissionError
    errors = _shape(fields)
    limit = current_app.config["DECLARATION_MAX_FILES"]
    if len(declaration.evidence) + len(uploads) > limit:
        errors["evidence"] = _("证明材料最多 %(n)d 个文件。", n=limit)
    max_bytes = current_app.config["DECLARATION_FILE_MAX_BYTES"]
    for name, data in uploads:
        try:
            attachments.accept(data, name, max_bytes=max_bytes)
        except Refused as exc:
            errors.setdefault("evidence", exc.message)
    if errors:
        raise Invalid(errors)
    declaration.unit = user.unit
    declaration.type = fields.type
    declaration.title = fields.title.strip()
    declaration.organiser = fields.organiser.strip()
    declaration.start_date = fields.start_date
    declaration.end_date = fields.end_date
    declaration.year = fields.end_date.year
    declaration.category = fields.category
    declaration.claimed_seconds = fields.claimed_seconds
    declaration.description = fields.description.strip()
    db.session.add(declaration)
    db.session.flush()
    for name, data in uploads:  # every one accepted above: none is refused half-way
        attachment = attachments.store(data, name, "evidence", uploaded_by_id=user.id,
                                       max_bytes=max_bytes)
        declaration.evidence.append(Evidence(attachment=attachment))
    db.session.flush()
    return declaration


def _shape(fields: Fields) -> dict[str, str]:
    """What is wrong whatever the rules: dates and hours as such."""
    errors = {}
    if fields.start_date.year < 2000:
        errors["start_date"] = _("开始日期不能早于 2000 年。")
    if fields.end_date < fields.start_date:
        errors["end_date"] = _("结束日期不能早于开始日期。")
    elif fields.end_date > today():
        errors["end_date"] = _("结束日期不能晚于今天：活动结束后才能申报。")
    if fields.claimed_seconds <= 0 or fields.claimed_seconds % HALF_HOUR_SECONDS:
        errors["hours"] = _("学时须为 0.5 的整数倍，且大于 0。")
    return errors


def remove_evidence(user: User, evidence: Evidence) -> None:
    """Take a file off an editable declaration. One a decision was made over (the declaration
    was submitted before) stays kept, so that decision can still be checked against it."""
    declaration = _locked(evidence.declaration)
    if not declaration.can_edit(user):
        raise PermissionError
    attachment = evidence.attachment
    declaration.evidence.remove(evidence)
    db.session.flush()
    if declaration.review is None:
        attachments.discard(attachment)


def delete_draft(user: User, declaration: Declaration) -> None:
    """A draft never submitted goes, with its files."""
    if declaration.status is not Status.draft or not declaration.can_edit(user):
        raise PermissionError
    files = [e.attachment for e in declaration.evidence]
    db.session.delete(declaration)
    db.session.flush()
    for attachment in files:
        attachments.discard(attachment)


# --- submitting ------------------------------------------------------------------------------


def problems(declaration: Declaration) -> dict[str, str]:
    """Why it cannot be submitted as it is, by field: the year's cut-off, the type's rule
    (categories, caps, evidence), and the dates and hours themselves."""
    errors = _shape(Fields(
        declaration.type, declaration.title, declaration.organiser, declaration.start_date,
        declaration.end_date, declaration.category, declaration.claimed_seconds,
    ))
    closes = cutoff(declaration.year)
    if today() > closes:
        errors.setdefault("end_date", _(
            "%(year)d 年度的学时申报已于 %(date)s 截止。", year=declaration.year,
            date=closes.isoformat()))
    rule = rule_for(declaration.year, declaration.type)
    kind = declaration.type.label
    if declaration.category not in rule.categories:
        errors["category"] = _("「%(type)s」只能计入：%(allowed)s。", type=kind,
                               allowed="、".join(c.label for c in rule.categories))
    claimed = declaration.claimed_seconds
    if rule.max_seconds_per_day and claimed > rule.max_seconds_per_day * declaration.days:
        errors.setdefault("hours", _(
            "「%(type)s」每天最多 %(h)s 学时，%(days)d 天最多 %(max)s 学时。", type=kind,
            h=credit_hours(rule.max_seconds_per_day), days=declaration.days,
            max=credit_hours(rule.max_seconds_per_day * declaration.days)))
    if rule.max_seconds_per_item and claimed > rule.max_seconds_per_item:
        errors.setdefault("hours", _("「%(type)s」每项最多 %(h)s 学时。", type=kind,
                                     h=credit_hours(rule.max_seconds_per_item)))
    if rule.max_seconds_per_year:
        so_far = approved_this_year(declaration.user_id, declaration.year, declaration.type)
        if so_far + claimed > rule.max_seconds_per_year:
            errors.setdefault("hours", _(
                "「%(type)s」每人每年最多 %(cap)s 学时，本年度已核定 %(so_far)s 学时。",
                type=kind, cap=credit_hours(rule.max_seconds_per_year),
                so_far=credit_hours(so_far)))
    if rule.evidence_required and not declaration.evidence:
        errors["evidence"] = _("「%(type)s」须上传证明材料。", type=kind)
    return errors


def duplicates(declaration: Declaration) -> list[str]:
    """Warnings before submission: the learner's own declaration of the same item, or an
    online course of the same name credited for the same year."""
    warnings = []
    same = db.session.scalars(
        sa.select(Declaration).outerjoin(Review, Review.id == Declaration.review_id).where(
            Declaration.user_id == declaration.user_id, Declaration.id != declaration.id,
            Declaration.type == declaration.type, Declaration.title == declaration.title,
            Declaration.start_date == declaration.start_date,
            Declaration.end_date == declaration.end_date,
            sa.or_(Review.id.is_(None),  # a draft
                   Review.state.not_in([ReviewState.rejected, ReviewState.withdrawn])),
        ).limit(1)
    ).first()
    if same is not None:
        warnings.append(_("您已申报过相同的项目（%(status)s）：%(title)s。",
                          status=same.status.label, title=same.title))
    course = db.session.scalars(
        sa.select(LearningRecord).where(
            LearningRecord.user_id == declaration.user_id,
            LearningRecord.year == declaration.year,
            LearningRecord.source == Source.online_course, LearningRecord.counts(),
            LearningRecord.title == declaration.title,
        ).limit(1)
    ).first()
    if course is not None:
        warnings.append(_("本平台已记入同名网络课程「%(title)s」的学时。市平台已同步的学时无需重复申报。",
                          title=course.title))
    return warnings


def submit(user: User, declaration: Declaration, *, acknowledged: bool = False) -> list[str]:
    """Submit to the chain; the warnings instead, unsubmitted, when there are some the learner
    has not acknowledged. ``Invalid`` for what the rules refuse."""
    if not _locked(declaration).can_edit(user):
        raise PermissionError
    order = rectification.standing_order(declaration.unit)
    if order is not None:
        raise Invalid({"form": _(
            "您的单位正在责令整改（%(reason)s），整改期间不能提交学时申报。", reason=order.reason)})
    if errors := problems(declaration):
        raise Invalid(errors)
    if (warnings := duplicates(declaration)) and not acknowledged:
        return warnings
    try:
        declaration.review = reviews.submit(WORKFLOW, declaration, declaration.review,
                                            clock.now())
    except reviews.ReviewRefused as exc:
        raise Invalid({"form": exc.message}) from None
    db.session.flush()
    return []


def withdraw(user: User, declaration: Declaration) -> None:
    if not declaration.can_withdraw(user) or declaration.review is None:
        raise PermissionError
    try:
        reviews.withdraw(declaration.review, clock.now())
    except reviews.ReviewRefused as exc:
        raise Invalid({"form": exc.message}) from None


# --- deciding --------------------------------------------------------------------------------


def decide(user: User, declaration: Declaration, action: Action, *, reason: str | None,
           seconds: int | None = None, seen: tuple[int, int] | None = None) -> Decision:
    """One reviewer's decision on the step waiting; ``reviews.ReviewRefused`` says why not."""
    review = declaration.review
    if review is None:
        raise reviews.ReviewRefused(_("该申报尚未提交。"))
    return reviews.decide(WORKFLOW, declaration, review, user, action, reason=reason,
                          amount=seconds, when=clock.now(), seen=seen)


def approve_each(user: User, ids: Sequence[int]) -> reviews.Batch[Declaration]:
    """Approve each of ``ids`` as claimed (or as the previous level approved), on its own."""
    # Declarants in one order, so that two batches lock them (at final approval) in the same
    # order; declarations the reviewer may not see are left out unnamed.
    found = db.session.scalars(
        sa.select(Declaration).where(Declaration.id.in_(ids))
        .order_by(Declaration.user_id, Declaration.id)
    ).all()
    items = []
    batch: reviews.Batch[Declaration] = reviews.Batch()
    for declaration in found:
        if declaration.review is not None and declaration.can_review(user):
            items.append((declaration, declaration.review))
    batch.unseen = len(set(ids)) - len(items)
    done = reviews.decide_each(WORKFLOW, items, user, Action.approve, when=clock.now())
    batch.decided.extend(done.decided)
    batch.skipped.extend(done.skipped)
    return batch


def can_decide(user: User, declaration: Declaration) -> bool:
    review = declaration.review
    return review is not None and reviews.capacity(user, review) is not None


@audit.privileged("record.revoke")
def revoke(user: User, declaration: Declaration, reason: str) -> None:
    """Revoke approved hours: the record stays, marked revoked, and counts no more."""
    if not declaration.can_revoke(user):
        raise PermissionError
    reason = reason.strip()
    if not reason:
        raise Invalid({"reason": _("请填写撤销理由。")})
    record = db.session.scalars(
        sa.select(LearningRecord).where(LearningRecord.declaration_id == declaration.id)
    ).first()
    if record is None:
        raise Invalid({"form": _("该申报没有记入学时。")})
    try:
        records.revoke(record, user, reason, clock.now())
    except records.AlreadyRevoked:
        raise Invalid({"form": _("该学时已被撤销。")}) from None
    district = declaration.unit.district
    audit.record(user, "record.revoke", declaration, reason=reason,
                 acting_as=[Role.city_admin, (Role.district_reviewer, district)],
                 details={"seconds": record.seconds, "year": record.year})


def credited_record(declaration: Declaration) -> LearningRecord | None:
    return db.session.scalars(
        sa.select(LearningRecord).where(LearningRecord.declaration_id == declaration.id)
    ).first()


# --- queues ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    type: DeclarationType | None = None
    unit_id: int | None = None
    year: int | None = None
    #: None: waiting for the user's decision; else the declarations in the user's scope whose
    #: review is in this state (in review anywhere in the chain, approved, rejected, ...).
    state: ReviewState | None = None


def queue(user: User, wanted: QueueFilter) -> sa.Select[tuple[Declaration]]:
    """Declarations waiting for a decision ``user`` may make (or, with ``wanted.state``, those
    of the units in the user's scope in that state), oldest first."""
    if wanted.state is None:
        waiting = reviews.waiting_for(user, WORKFLOW).subquery()
        query = (sa.select(Declaration).join(waiting, waiting.c.id == Declaration.review_id)
                 .order_by(waiting.c.submitted_at, Declaration.id))
    else:
        query = (
            sa.select(Declaration).join(Review, Review.id == Declaration.review_id)
            .join(Organisation, Organisation.id == Declaration.unit_id)
            .where(Review.state == wanted.state, user.overseen_units(),
                   Declaration.user_id != user.id)
            .order_by(Review.submitted_at, Declaration.id)
        )
    query = query.options(selectinload(Declaration.user), selectinload(Declaration.unit),
                          selectinload(Declaration.evidence), selectinload(Declaration.review))
    if wanted.type is not None:
        query = query.where(Declaration.type == wanted.type)
    if wanted.unit_id is not None:
        query = query.where(Declaration.unit_id == wanted.unit_id)
    if wanted.year is not None:
        query = query.where(Declaration.year == wanted.year)
    return query


def waiting_count(user: User) -> int:
    waiting = reviews.waiting_for(user, WORKFLOW).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(waiting)) or 0


def reviewer_of_anything(user: User) -> bool:
    return any(user.has_role(role) for role in (
        Role.unit_reviewer, Role.department_reviewer, Role.district_reviewer, Role.city_admin))


def units_in_scope(user: User) -> list[Organisation]:
    """The units whose declarations ``user`` reviews at some level, by name."""
    return list(db.session.scalars(
        sa.select(Organisation).where(user.overseen_units())
        .order_by(Organisation.name)))


def unstaffed_units() -> list[tuple[Organisation, int]]:
    """Units whose declarations wait at a step nobody can decide, with how many: for the city,
    which may decide them in place (and should see that a reviewer is missing)."""
    rows = db.session.execute(
        sa.select(Organisation, sa.func.count(Declaration.id))
        .join(Declaration, Declaration.unit_id == Organisation.id)
        .join(Review, Review.id == Declaration.review_id)
        .join(ReviewStep, sa.and_(ReviewStep.review_id == Review.id,
                                  ReviewStep.round == Review.round,
                                  ReviewStep.position == Review.position))
        .where(Review.state == ReviewState.in_review, reviews.current_step_vacant())
        .group_by(Organisation.id)
        .order_by(Organisation.name)
    )
    return [(org, count) for org, count in rows]


# --- integrity -------------------------------------------------------------------------------


@dataclass
class Check:
    """Whether what was decided is still what is stored."""

    #: Decisions of the current round whose digest no longer matches the declaration.
    changed_decisions: list[Decision] = field(default_factory=list)
    #: Evidence files whose bytes are changed or missing on disk.
    changed_files: list[tuple[Evidence, Integrity]] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.changed_decisions and not self.changed_files


def check(declaration: Declaration, *, rehash: bool = False) -> Check:
    """Recompute the digest from the row and the recorded hashes, and ``stat()`` the files
    (``rehash``: read every file again)."""
    result = Check()
    review = declaration.review
    if review is None:
        return result
    if not declaration.status.editable:  # returned or withdrawn: changed as it should be
        current = reviews.digest(WORKFLOW.fields(declaration))
        result.changed_decisions = [d for d in review.round_decisions if d.digest != current]
    for evidence in declaration.evidence:
        state = attachments.integrity(evidence.attachment, rehash=rehash)
        if state is not Integrity.unchanged:
            result.changed_files.append((evidence, state))
    return result


def decided_declarations() -> sa.Select[tuple[Declaration]]:
    """Every declaration with a decision, for ``lms declarations verify``."""
    return (
        sa.select(Declaration)
        .join(Review, Review.id == Declaration.review_id)
        .where(sa.exists().where(Decision.review_id == Review.id))
        .order_by(Declaration.id)
    )

