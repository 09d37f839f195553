"""Rectification orders (责令整改): while one stands over a unit (its own, or its supervising
department's), its staff's declarations cannot be submitted or approved; those in review when
it is issued are rejected with its reason. The unit (or the department) uploads its report; the
issuer or the city lifts it."""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from lms import clock
from lms.attachments import services as attachments
from lms.attachments.services import Upload
from lms.audit import services as audit
from lms.auth.models import Role, User
from lms.db import rowcount
from lms.declarations import workflow
from lms.declarations.models import Declaration, RectificationOrder
from lms.extensions import db
from lms.files.refusals import Refused
from lms.forms import Invalid
from lms.orgs.models import Organisation, OrgKind
from lms.records.services import today
from lms.reviews import services as reviews
from lms.reviews.models import Review, ReviewState

logger = logging.getLogger(__name__)
#: An uploaded file: the name it came with, and its bytes.
REASON_MAX = 500


def standing_order(unit: Organisation) -> RectificationOrder | None:
    """The oldest order standing over ``unit``: on the unit itself, or on its department."""
    over = [unit.id] + ([unit.department_id] if unit.department_id else [])
    return db.session.scalars(
        sa.select(RectificationOrder)
        .where(RectificationOrder.org_id.in_(over), RectificationOrder.lifted_at.is_(None))
        .order_by(RectificationOrder.issued_at)
        .limit(1)
    ).first()


def _issuer_capacities(org: Organisation) -> list[audit.Capacity]:
    return [Role.city_admin, (Role.district_reviewer, org.district)]


def _capacity_of(user: User, org: Organisation) -> reviews.Capacity:
    """The capacity an issuer signs the rejections in."""
    if user.is_city_admin:
        return reviews.Capacity(Role.city_admin, None)
    return reviews.Capacity(Role.district_reviewer, org.district)


# --- issuing ---------------------------------------------------------------------------------


@audit.privileged("rectification.order")
def issue(user: User, org: Organisation, reason: str, deadline: date) -> RectificationOrder:
    """Order ``org`` (a unit, or a department and all its units) to rectify by ``deadline``,
    and reject every declaration of its staff in review with ``reason``. ``PermissionError``
    unless ``user`` may order it; ``Invalid`` (nothing written) for a missing reason, a past
    deadline, or an order standing on it already."""
    if not RectificationOrder.may_order(user, org):
        raise PermissionError
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("请填写整改原因。")
    elif len(reason) > REASON_MAX:
        errors["reason"] = _("整改原因最多 %(n)d 个字。", n=REASON_MAX)
    if deadline < today():
        errors["deadline"] = _("整改期限不能早于今天。")
    if _standing_on(org) is not None:
        errors["org"] = _("%(org)s 已有未解除的整改通知。", org=org.name)
    if errors:
        raise Invalid(errors)
    now = clock.now()
    order = RectificationOrder(org=org, reason=reason, deadline=deadline, issued_at=now,
                               issued_by_id=user.id)
    try:
        with db.session.begin_nested():  # one standing order per organisation: a unique index
            db.session.add(order)
    except sa.exc.IntegrityError:
        raise Invalid({"org": _("%(org)s 已有未解除的整改通知。", org=org.name)}) from None
    rejected = _reject_in_review(user, order)
    audit.record(user, "rectification.order", order, acting_as=_issuer_capacities(org),
                 reason=reason, details={"org": org.name, "kind": org.kind.value,
                                         "deadline": deadline.isoformat(),
                                         "rejected": rejected})
    return order


def _standing_on(org: Organisation) -> RectificationOrder | None:
    return db.session.scalars(
        sa.select(RectificationOrder)
        .where(RectificationOrder.org_id == org.id, RectificationOrder.lifted_at.is_(None))
        .limit(1)
    ).first()


def _reject_in_review(user: User, order: RectificationOrder) -> list[int]:
    """Reject the current step of each declaration in review under the order, signed by its
    issuer; the ids rejected. One decided meanwhile is tried again at the step it moved to."""
    org = order.org
    units = (sa.select(Organisation.id).where(Organisation.department_id == org.id)
             if org.kind is OrgKind.department else sa.select(sa.literal(org.id)))
    found = db.session.scalars(
        sa.select(Declaration).join(Review, Review.id == Declaration.review_id)
        .where(Declaration.unit_id.in_(units), Review.state == ReviewState.in_review)
        .options(selectinload(Declaration.review))
        .order_by(Declaration.id)
    ).all()
    capacity = _capacity_of(user, org)
    rejected = []
    for declaration in found:
        review = declaration.review
        assert review is not None
        for _attempt in range(3):
            try:
                reviews.close(workflow.WORKFLOW, declaration, review, user, order.reason,
                              order.issued_at, capacity)
            except reviews.AlreadyDecided:
                db.session.refresh(review)
                db.session.expire(review, ["steps", "decisions"])
                if review.state is not ReviewState.in_review:
                    break  # returned or withdrawn meanwhile: submitting it again is refused
                continue
            rejected.append(declaration.id)
            break
    logger.info("rectification order %s: %d declarations rejected", order.id, len(rejected))
    return rejected


# --- the report, and lifting -----------------------------------------------------------------


@audit.privileged("rectification.report")
def report(user: User, order: RectificationOrder, upload: Upload | None) -> None:
    """Keep the rectification report (PDF, JPEG or PNG, within the declarations' file cap),
    replacing one sent before. ``Invalid`` (nothing written) for no file or a refused one."""
    if not order.can_report(user):
        raise PermissionError
    if upload is None or not upload[1]:
        raise Invalid({"report": _("请选择整改报告文件。")})
    name, data = upload
    try:
        attachment = attachments.store(
            data, name, "rectification", uploaded_by_id=user.id,
            max_bytes=current_app.config["DECLARATION_FILE_MAX_BYTES"])
    except Refused as exc:
        raise Invalid({"report": exc.message}) from None
    order.report = attachment
    order.reported_at = clock.now()
    db.session.flush()
    role = Role.department_reviewer if order.on_department else Role.unit_reviewer
    audit.record(user, "rectification.report", order, acting_as=[(role, order.org)],
                 details={"file": attachment.filename, "size": attachment.size,
                          "sha256": attachment.sha256})


@audit.privileged("rectification.lift")
def lift(user: User, order: RectificationOrder) -> None:
    """Lift the order: its staff may submit again and its reviewers approve."""
    if not order.can_lift(user):
        raise PermissionError
    now = clock.now()
    moved = db.session.execute(
        sa.update(RectificationOrder)
        .where(RectificationOrder.id == order.id, RectificationOrder.lifted_at.is_(None))
        .values(lifted_at=now, lifted_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if rowcount(moved) != 1:
        raise Invalid({"form": _("该整改通知已解除。")})
    db.session.refresh(order)
    audit.record(user, "rectification.lift", order, acting_as=_issuer_capacities(order.org),
                 details={"reported": order.report_id is not None,
                          "overdue": today() > order.deadline})


# --- lists -----------------------------------------------------------------------------------


def orderable(user: User) -> list[Organisation]:
    """What ``user`` may order: for the city, every department and unit; for a district's
    bureau, its units; by kind and name."""
    if user.is_city_admin:
        where: sa.ColumnElement[bool] = Organisation.kind.in_([OrgKind.department, OrgKind.unit])
    else:
        districts = [o.id for o in user.scopes(Role.district_reviewer)]
        where = sa.and_(Organisation.kind == OrgKind.unit,
                        Organisation.district_id.in_(districts))
    return list(db.session.scalars(
        sa.select(Organisation).where(where).order_by(Organisation.kind, Organisation.name)))


def may_issue(user: User) -> bool:
    return user.is_city_admin or bool(user.scopes(Role.district_reviewer))


def issued_list(user: User) -> list[RectificationOrder]:
    """The orders page: for the city, every order; for a district's bureau, those on its
    units (whoever issued them). Standing ones first, newest first."""
    query = sa.select(RectificationOrder).options(selectinload(RectificationOrder.org))
    if not user.is_city_admin:
        districts = [o.id for o in user.scopes(Role.district_reviewer)]
        query = query.join(Organisation, Organisation.id == RectificationOrder.org_id).where(
            Organisation.district_id.in_(districts))
    return list(db.session.scalars(query.order_by(
        RectificationOrder.lifted_at.is_not(None), RectificationOrder.issued_at.desc(),
        RectificationOrder.id.desc())))


def standing_for(user: User) -> list[RectificationOrder]:
    """Standing orders over what ``user`` reviews, for their home page: a unit reviewer's
    unit and its department; a department reviewer's department and its units."""
    units = user.scopes(Role.unit_reviewer)
    departments = user.scopes(Role.department_reviewer)
    over = {u.id for u in units} | {u.department_id for u in units if u.department_id}
    over |= {d.id for d in departments}
    in_departments = sa.select(Organisation.id).where(
        Organisation.department_id.in_([d.id for d in departments]))
    if not over and not departments:
        return []
    return list(db.session.scalars(
        sa.select(RectificationOrder)
        .where(RectificationOrder.lifted_at.is_(None),
               sa.or_(RectificationOrder.org_id.in_(over),
                      RectificationOrder.org_id.in_(in_departments)))
        .order_by(RectificationOrder.deadline, RectificationOrder.id)))
