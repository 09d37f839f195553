"""Declarations' routes in the permission matrix (tests/test_permissions.py), and the
declarations they are tried on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lms.extensions import db
from lms.reviews.models import Action
from tests.declarations.conftest import draft, submitted
from tests.test_permissions_base import ADMIN, Route, allow

LEARNER = {"learner"}
#: Everyone whose scope covers the learner's unit (a unit of the department, in the district).
IN_SCOPE = {"learner", "unit_reviewer", "department_reviewer", "district_reviewer", "city_admin"}
REVIEWERS_IN_SCOPE = IN_SCOPE - LEARNER
REVIEWERS = REVIEWERS_IN_SCOPE | {"other_unit_reviewer"}
REVOKERS = {"district_reviewer"} | ADMIN


@dataclass
class Declarations:
    draft: Any
    in_review: Any
    approved: Any


def build(people: Any) -> Declarations:
    """The learner's draft, one waiting at the unit, and one approved at every level."""
    approved = submitted(people.learner, title="医学论文发表", hours=4)
    from lms.declarations import services

    for reviewer in (people.unit_reviewer, people.department_reviewer, people.district_reviewer):
        services.decide(reviewer, approved, Action.approve, reason=None)
    declarations = Declarations(draft(people.learner, title="草稿"),
                                submitted(people.learner), approved)
    db.session.flush()
    return declarations


def _d(w: Any) -> Declarations:
    return w.declarations  # type: ignore[no-any-return]


ROUTES = [
    Route("declarations.mine", "GET", lambda w: "/declarations/", allow(LEARNER)),
    Route("declarations.new", "GET", lambda w: "/declarations/new", allow(LEARNER)),
    Route("declarations.new", "POST", lambda w: "/declarations/new", allow(LEARNER)),
    Route("declarations.edit", "GET", lambda w: f"/declarations/{_d(w).draft.id}/edit",
          allow(LEARNER)),
    Route("declarations.edit", "POST", lambda w: f"/declarations/{_d(w).draft.id}/edit",
          allow(LEARNER)),
    Route("declarations.edit", "GET", lambda w: f"/declarations/{_d(w).in_review.id}/edit",
          allow(set()), label="in review"),
    Route("declarations.submit", "POST", lambda w: f"/declarations/{_d(w).draft.id}/submit",
          allow(LEARNER, 302)),
    Route("declarations.submit", "POST", lambda w: f"/declarations/{_d(w).approved.id}/submit",
          allow(set()), label="approved"),
    Route("declarations.withdraw", "POST",
          lambda w: f"/declarations/{_d(w).in_review.id}/withdraw", allow(LEARNER, 302)),
    Route("declarations.delete", "POST", lambda w: f"/declarations/{_d(w).draft.id}/delete",
          allow(LEARNER, 302)),
    Route("declarations.delete", "POST", lambda w: f"/declarations/{_d(w).in_review.id}/delete",
          allow(set()), label="in review"),
    Route("declarations.evidence", "GET",
          lambda w: f"/declarations/evidence/{_d(w).in_review.evidence[0].id}", allow(IN_SCOPE)),
    Route("declarations.delete_evidence", "POST",
          lambda w: f"/declarations/evidence/{_d(w).draft.evidence[0].id}/delete",
          allow(LEARNER, 302)),
    Route("declarations.delete_evidence", "POST",
          lambda w: f"/declarations/evidence/{_d(w).in_review.evidence[0].id}/delete",
          allow(set()), label="in review"),
    Route("declarations.detail", "GET", lambda w: f"/declarations/{_d(w).in_review.id}",
          allow(IN_SCOPE)),
    # An empty decision is shown again (400) to whoever may take part in the review.
    Route("declarations.decide", "POST", lambda w: f"/declarations/{_d(w).in_review.id}/decide",
          allow(REVIEWERS_IN_SCOPE, 400)),
    Route("declarations.revoke", "POST", lambda w: f"/declarations/{_d(w).approved.id}/revoke",
          allow(REVOKERS, 400)),
    Route("declarations.revoke", "POST", lambda w: f"/declarations/{_d(w).in_review.id}/revoke",
          allow(set()), label="in review"),
    Route("declarations.queue", "GET", lambda w: "/declarations/review", allow(REVIEWERS)),
    Route("declarations.approve_batch", "POST", lambda w: "/declarations/review/approve",
          allow(REVIEWERS, 302)),
    Route("declarations.export_queue", "GET", lambda w: "/declarations/review.xlsx",
          allow(REVIEWERS)),
]
