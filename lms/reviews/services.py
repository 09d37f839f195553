"""Submitting a subject to its chain, deciding a step, queues and batches.

A workflow registers a ``Workflow``; every function here takes it with the subject, so this
module never learns what a subject is. Decisions are made in a savepoint of their own: the
decision row (one per step: a unique key), the review's move to its next state (an UPDATE that
must still find the step it read) and the workflow's consequences (``Workflow.decided``) are
kept together or not at all — of two reviewers deciding at once, one is told the step is taken.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from lms.audit import services as audit
from lms.auth.models import AccountState, Role, RoleAssignment, User
from lms.db import rowcount
from lms.extensions import db
from lms.orgs.models import Organisation
from lms.reviews.models import Action, Decision, Review, ReviewState, ReviewStep

logger = logging.getLogger(__name__)
S = TypeVar("S")


@dataclass(frozen=True)
class Level:
    """Who decides one step: holders of ``role`` in ``org`` (None for an unscoped role)."""

    role: Role
    org: Organisation | None = None


class Workflow(Generic[S]):
    """What a workflow tells the machinery about its subjects. Subclass and register."""

    #: Stored on each review; names the workflow in queues and the audit record.
    name: str = ""

    def levels(self, subject: S) -> list[Level]:
        """The chain for ``subject``, in order, resolved when it is submitted."""
        raise NotImplementedError

    def owner(self, subject: S) -> User:
        raise NotImplementedError

    def amount(self, subject: S) -> int | None:
        """What a reviewer approves and may reduce (never above it); None: nothing to reduce."""
        return None

    def fields(self, subject: S) -> Mapping[str, Any]:
        """What a decision is signed over: the subject's fields and its files' recorded hashes."""
        raise NotImplementedError

    def refusal(self, user: User, subject: S, action: Action) -> str | None:
        """Why ``user`` may not take ``action`` on ``subject`` now (beyond the chain's own
        rules), or None."""
        return None

    def decided(self, subject: S, review: Review, decision: Decision) -> None:
        """What follows a decision (``review.state`` says whether it was final), inside its
        savepoint: raising ``ReviewRefused`` undoes the decision."""


WORKFLOWS: dict[str, Workflow[Any]] = {}
W = TypeVar("W", bound=Workflow[Any])


def register(workflow: W) -> W:
    if WORKFLOWS.setdefault(workflow.name, workflow) is not workflow:
        raise ValueError(f"workflow {workflow.name!r} is registered already")
    return workflow


class ReviewRefused(ValueError):
    """A submission or decision refused: ``message`` in Chinese, ``field`` the form field it
    is about, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class AlreadyDecided(ReviewRefused):
    """Someone else decided the step (or the owner withdrew) first."""


# --- digests ---------------------------------------------------------------------------------


def digest(fields: Mapping[str, Any]) -> str:
    """SHA-256 of ``fields`` in one canonical JSON form: the same fields, the same digest."""
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# --- submitting ------------------------------------------------------------------------------


def submit(workflow: Workflow[S], subject: S, review: Review | None, when: datetime) -> Review:
    """Start ``subject``'s review (``review`` None), or its next round after it was returned
    or withdrawn; the chain is resolved now and fixed for the round."""
    levels = workflow.levels(subject)
    if not levels:
        raise ValueError("a chain has at least one level")
    if review is None:
        review = Review(workflow=workflow.name, owner_id=workflow.owner(subject).id,
                        state=ReviewState.in_review, round=1, position=0, submitted_at=when)
        db.session.add(review)
        db.session.flush()
    else:
        moved = db.session.execute(
            sa.update(Review)
            .where(Review.id == review.id, Review.round == review.round,
                   Review.state.in_([ReviewState.returned, ReviewState.withdrawn]))
            .values(round=Review.round + 1, position=0, state=ReviewState.in_review,
                    submitted_at=when, closed_at=None)
            .execution_options(synchronize_session=False)
        )
        if rowcount(moved) != 1:
            raise AlreadyDecided(_("已提交，请勿重复提交。"))
        db.session.refresh(review)
    for position, level in enumerate(levels):
        db.session.add(ReviewStep(review_id=review.id, round=review.round, position=position,
                                  role=level.role, org_id=level.org.id if level.org else None))
    db.session.flush()
    db.session.expire(review, ["steps"])
    return review


def withdraw(review: Review, when: datetime) -> None:
    """Take the subject back before anyone decided it in this round."""
    moved = db.session.execute(
        sa.update(Review)
        .where(Review.id == review.id, Review.round == review.round, Review.position == 0,
               Review.state == ReviewState.in_review,
               ~sa.exists().where(Decision.review_id == review.id,
                                  Decision.round == review.round))
        .values(state=ReviewState.withdrawn, closed_at=when)
        .execution_options(synchronize_session=False)
    )
    if rowcount(moved) != 1:
        raise AlreadyDecided(_("审核已开始，不能撤回。"))
    db.session.refresh(review)


# --- who decides -----------------------------------------------------------------------------


def _holders(role: Any, org_id: Any, owner_id: Any) -> sa.Exists:
    """Someone other than the owner, with an active account, holds ``role`` in ``org_id``
    (values, or the columns of a step in a query; an unscoped role has no organisation)."""
    if org_id is None:
        same_org: sa.ColumnElement[bool] = RoleAssignment.org_id.is_(None)
    elif isinstance(org_id, int):
        same_org = RoleAssignment.org_id == org_id
    else:
        same_org = sa.or_(RoleAssignment.org_id == org_id,
                          sa.and_(org_id.is_(None), RoleAssignment.org_id.is_(None)))
    return sa.exists().where(
        RoleAssignment.role == role, same_org,
        RoleAssignment.user_id == User.id,
        User.state == AccountState.active,
        User.id != owner_id,
    )


def vacant(review: Review, step: ReviewStep) -> bool:
    """Nobody can decide ``step``: no one holds its role there, or only the owner does."""
    return not db.session.scalar(sa.select(_holders(step.role, step.org_id, review.owner_id)))


@dataclass(frozen=True)
class Capacity:
    """The role (and organisation) a reviewer decides a step in, and whether in place of a
    step nobody could decide."""

    role: Role
    org: Organisation | None
    in_place: bool = False


def capacity(user: User, review: Review, step: ReviewStep | None = None) -> Capacity | None:
    """How ``user`` may decide ``step`` (the current one by default), or None. Never their own
    subject; the step's own reviewers; else, when the step is vacant, a reviewer of a later
    step of the round, or a city admin, in its place."""
    step = step or review.current_step
    if step is None or user.id == review.owner_id:
        return None
    if user.has_role(step.role, step.org):
        return Capacity(step.role, step.org)
    if not vacant(review, step):
        return None
    for later in review.round_steps:
        if later.position > step.position and user.has_role(later.role, later.org):
            return Capacity(later.role, later.org, in_place=True)
    if user.is_city_admin:
        return Capacity(Role.city_admin, None, in_place=True)
    return None


def _scopes(user: User) -> list[tuple[Role, int | None]]:
    return [(a.role, a.org_id) for a in user.roles]


def _holds_step(step: Any, scopes: Sequence[tuple[Role, int | None]]) -> sa.ColumnElement[bool]:
    return sa.or_(sa.false(), *[
        sa.and_(step.role == role,
                step.org_id == org_id if org_id is not None else step.org_id.is_(None))
        for role, org_id in scopes
    ])


def current_step_vacant() -> sa.ColumnElement[bool]:
    """In a query joining ``Review`` with its current ``ReviewStep`` (``current_step``): that
    step is vacant."""
    return ~_holders(ReviewStep.role, ReviewStep.org_id, Review.owner_id)


def waiting_for(user: User, workflow: Workflow[Any]) -> sa.Select[tuple[Review, ReviewStep]]:
    """Reviews of ``workflow`` waiting for a decision ``user`` may make, with their current
    step, oldest first: the workflow joins its subjects and filters further."""
    scopes = _scopes(user)
    later = aliased(ReviewStep)
    someone_later = sa.exists().where(
        later.review_id == ReviewStep.review_id, later.round == ReviewStep.round,
        later.position > ReviewStep.position, _holds_step(later, scopes),
    )
    return (
        sa.select(Review, ReviewStep)
        .join(ReviewStep, sa.and_(ReviewStep.review_id == Review.id,
                                  ReviewStep.round == Review.round,
                                  ReviewStep.position == Review.position))
        .where(
            Review.workflow == workflow.name,
            Review.state == ReviewState.in_review,
            Review.owner_id != user.id,
            sa.or_(
                _holds_step(ReviewStep, scopes),
                sa.and_(current_step_vacant(),
                        sa.true() if user.is_city_admin else someone_later),
            ),
        )
        .order_by(Review.submitted_at, Review.id)
    )


# --- deciding --------------------------------------------------------------------------------


@audit.privileged("review.approve", "review.reject", "review.return")
def decide(
    workflow: Workflow[S], subject: S, review: Review, user: User, action: Action, *,
    reason: str | None, when: datetime, amount: int | None = None,
    seen: tuple[int, int] | None = None,
) -> Decision:
    """Decide the current step of ``subject``'s review: approve (with ``amount`` reduced, a
    reason then required), reject or return (a reason required). ``seen``: the (round, step)
    the reviewer was shown. ``ReviewRefused`` says why not; ``AlreadyDecided`` when another
    decision came first."""
    step = review.current_step
    if step is None or (seen is not None and seen != (step.round, step.position)):
        raise AlreadyDecided(_("该事项已由他人处理，请刷新后查看。"))
    if user.id == review.owner_id:
        raise ReviewRefused(_("不能审核本人提交的事项。"))
    acting = capacity(user, review, step)
    if acting is None:
        raise ReviewRefused(_("该事项当前不在您的审核范围内。"))
    reason = (reason or "").strip() or None
    if action is not Action.approve and reason is None:
        raise ReviewRefused(_("请填写理由。"), field="reason")
    amount = _approved_amount(workflow, subject, review, action, amount, reason)
    if refused := workflow.refusal(user, subject, action):
        raise ReviewRefused(refused)
    last = step.position == len(review.round_steps) - 1
    decision = _signed(review, step, user, acting, action, reason, amount, when,
                       digest(workflow.fields(subject)))
    _keep(workflow, subject, review, step, decision, last, when)
    audit.record(
        user, f"review.{action.value}", subject,
        acting_as=[(acting.role, acting.org) if acting.org else acting.role], reason=reason,
        details={"workflow": workflow.name, "level": decision.step_label,
                 "in_place": acting.in_place, "amount": amount, "final": last},
    )
    logger.info("review %s round %s step %s: %s by %s", review.id, review.round,
                step.position, action.value, user.id)
    return decision


def close(workflow: Workflow[S], subject: S, review: Review, user: User, reason: str,
          when: datetime, capacity: Capacity) -> Decision:
    """Reject the current step on an authority's order, not a reviewer's judgement of it: the
    decision is signed by ``user`` in ``capacity``, in place of the step (whoever holds it),
    with the order's ``reason`` and the digest of what stood. The caller records the order in
    the audit record; ``AlreadyDecided`` when the step was decided meanwhile."""
    step = review.current_step
    if step is None:
        raise AlreadyDecided(_("该事项当前不在审核中，可能已由他人处理。"))
    reason = reason.strip()
    if not reason:
        raise ReviewRefused(_("请填写理由。"), field="reason")
    acting = Capacity(capacity.role, capacity.org, in_place=True)
    decision = _signed(review, step, user, acting, Action.reject, reason, None, when,
                       digest(workflow.fields(subject)))
    _keep(workflow, subject, review, step, decision, False, when)
    logger.info("review %s round %s step %s: closed by %s", review.id, review.round,
                step.position, user.id)
    return decision


def _keep(workflow: Workflow[S], subject: S, review: Review, step: ReviewStep,
          decision: Decision, last: bool, when: datetime) -> None:
    """The decision, the review's move and what follows from it, in one savepoint: kept
    together or not at all. When not, the review and the subject are read again as the
    database has them (nothing of the attempt stays in memory)."""
    try:
        with db.session.begin_nested():
            db.session.add(decision)
            db.session.flush()
            _move(review, step, decision.action, last, when)
            workflow.decided(subject, review, decision)
    except (sa.exc.IntegrityError, ReviewRefused) as exc:
        db.session.expire(review)
        db.session.expire(subject)
        if isinstance(exc, ReviewRefused):
            raise
        # The one decision per step, or the step's move, found another decision first.
        raise AlreadyDecided(_("该事项已由他人处理，请刷新后查看。")) from None


def _approved_amount(workflow: Workflow[S], subject: S, review: Review, action: Action,
                     amount: int | None, reason: str | None) -> int | None:
    """What an approval approves: as given (never above the claim, a reduction below what
    the previous level approved needing a reason), else what the previous level approved."""
    claimed = workflow.amount(subject)
    if action is not Action.approve or claimed is None:
        return None
    before = next((d.amount for d in reversed(review.round_decisions)
                   if d.action is Action.approve and d.amount is not None), claimed)
    if amount is None:
        return before
    if not 0 < amount <= claimed:
        raise ReviewRefused(_("核定数不能超过申报数，且须大于零。"), field="amount")
    if amount < before and reason is None:
        raise ReviewRefused(_("核减须填写理由。"), field="reason")
    return amount


class _Taken(sa.exc.IntegrityError):
    def __init__(self) -> None:
        super().__init__("the step was decided or withdrawn meanwhile", None, ValueError())


def _move(review: Review, step: ReviewStep, action: Action, last: bool, when: datetime) -> None:
    if action is Action.approve:
        values: dict[str, Any] = (
            {"position": step.position + 1, "state": ReviewState.approved, "closed_at": when}
            if last else {"position": step.position + 1}
        )
    else:
        state = ReviewState.rejected if action is Action.reject else ReviewState.returned
        values = {"state": state, "closed_at": when}
    moved = db.session.execute(
        sa.update(Review)
        .where(Review.id == review.id, Review.state == ReviewState.in_review,
               Review.round == step.round, Review.position == step.position)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if rowcount(moved) != 1:
        raise _Taken()
    db.session.refresh(review)


def _signed(review: Review, step: ReviewStep, user: User, acting: Capacity, action: Action,
            reason: str | None, amount: int | None, when: datetime, digested: str) -> Decision:
    # The organisation the reviewer acts for; an unscoped role (the city) names none.
    org = acting.org
    return Decision(
        review_id=review.id, round=step.round, position=step.position,
        step_role=step.role, step_org_id=step.org_id,
        step_org_name=step.org.name if step.org else None,
        action=action, reason=reason[:500] if reason else None, amount=amount,
        decided_at=when, reviewer_id=user.id, reviewer_name=user.name,
        reviewer_role=acting.role, reviewer_role_label=audit.chinese(acting.role.label),
        reviewer_org_name=org.name if org else None, in_place=acting.in_place,
        digest=digested,
    )


# --- batches ---------------------------------------------------------------------------------


@dataclass
class Batch(Generic[S]):
    decided: list[S] = field(default_factory=list)
    #: Each subject left alone, with why.
    skipped: list[tuple[S, str]] = field(default_factory=list)
    #: Asked for but not the reviewer's to see: left alone, never named.
    unseen: int = 0


def decide_each(workflow: Workflow[S], items: Iterable[tuple[S, Review]], user: User,
                action: Action, *, when: datetime, reason: str | None = None) -> Batch[S]:
    """Decide each item on its own (its own decision, digest and savepoint): one refused is
    reported and skipped, the others go on."""
    batch: Batch[S] = Batch()
    for subject, review in items:
        try:
            decide(workflow, subject, review, user, action, reason=reason, when=when)
        except ReviewRefused as exc:
            batch.skipped.append((subject, exc.message))
        else:
            batch.decided.append(subject)
    return batch
