"""The learner's declarations over the JSON API: their own, newest first, each with where it
stands and every decision on it (as the declaration's page shows them to its declarant).

Reading only: declaring, with evidence files, is done on the pages. As there, the list is a
learner's; a declaration is its declarant's alone (another's is 403, as another's exam attempt
is; one that does not exist is 404).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from lms.auth.guards import require, require_login
from lms.auth.models import Role
from lms.courses.models import credit_hours
from lms.declarations import services
from lms.declarations.models import Declaration
from lms.declarations.schemas import DeclarationView
from lms.extensions import db
from lms.jsonapi import operation, respond
from lms.reviews.models import Action, Decision, Review, ReviewStep

NOT_FOUND = "no such declaration"
NOT_YOURS = "forbidden: not a learner (the list), or another person's declaration"


def _loaded() -> sa.Select[tuple[Declaration]]:
    return sa.select(Declaration).options(
        selectinload(Declaration.review).selectinload(Review.decisions),
        selectinload(Declaration.review).selectinload(Review.steps)
        .selectinload(ReviewStep.org),
    )


@operation("GET", "/declarations", "The caller's own declarations, newest first, each with "
           "its state and decisions (learners)", tag="declarations", response=DeclarationView,
           many=True, errors={403: NOT_YOURS})
def list_declarations() -> Any:
    user = require_login()
    require(user.has_role(Role.learner), _("学时申报由专业技术人员本人提交。"))
    found = db.session.scalars(
        _loaded().where(Declaration.user_id == user.id)
        .order_by(Declaration.created_at.desc(), Declaration.id.desc())
    ).all()
    return respond(DeclarationView, [_view(d) for d in found])


@operation("GET", "/declarations/<int:declaration_id>", "One of the caller's declarations, "
           "with its state and every decision", tag="declarations", response=DeclarationView,
           errors={403: NOT_YOURS, 404: NOT_FOUND})
def get_declaration(declaration_id: int) -> Any:
    user = require_login()
    declaration = db.first_or_404(_loaded().where(Declaration.id == declaration_id))
    require(declaration.user_id == user.id)
    return respond(DeclarationView, _view(declaration))


def _view(declaration: Declaration) -> dict[str, Any]:
    review = declaration.review
    record = services.credited_record(declaration) if declaration.approved_seconds else None
    revoked = record is not None and record.revoked
    step = review.current_step if review is not None else None
    status = declaration.status
    return {
        "id": declaration.id,
        "type": declaration.type.value,
        "type_label": declaration.type.label,
        "title": declaration.title,
        "organiser": declaration.organiser,
        "start_date": declaration.start_date,
        "end_date": declaration.end_date,
        "year": declaration.year,
        "category": declaration.category.value,
        "category_label": declaration.category.label,
        "claimed_hours": declaration.claimed_hours,
        "approved_hours": (credit_hours(declaration.approved_seconds)
                           if declaration.approved_seconds else None),
        "status": status.value,
        "status_label": status.label,
        "revoked": revoked,
        "revoke_reason": record.revoke_reason if record is not None and revoked else None,
        "waiting_for": step.label if step is not None else None,
        "decisions": [_decision(d) for d in review.decisions] if review is not None else [],
    }


def _decision(decision: Decision) -> dict[str, Any]:
    return {
        "round": decision.round,
        "level": decision.step_label,
        "action": decision.action.value,
        "action_label": decision.action.label,
        "reason": decision.reason,
        "approved_hours": (credit_hours(decision.amount)
                           if decision.amount and decision.action is Action.approve else None),
        "reviewer_name": decision.reviewer_name,
        "reviewer_role": decision.reviewer_role.value,
        "reviewer_role_label": decision.reviewer_role_label,
        "reviewer_org": decision.reviewer_org_name,
        "decided_at": decision.decided_at,
        "in_place": decision.in_place,
    }
