"""Rectification orders' routes in the permission matrix (tests/test_permissions.py), and the
orders they are tried on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from lms.attachments import services as attachments
from lms.db import utcnow
from lms.declarations.models import RectificationOrder
from lms.extensions import db
from tests.declarations.conftest import a_pdf
from tests.test_permissions_base import ADMIN, Route, allow

ISSUERS = ADMIN | {"district_reviewer"}
#: Who sees the district's order on the learner's unit: who may order it, the unit's reviewer
#: and its department's.
SEE_UNIT = ISSUERS | {"unit_reviewer", "department_reviewer"}
#: Who sees the city's order on the department: the city, the department's reviewer and the
#: reviewers of its units (the unit is in the district, the other unit in the other district).
SEE_DEPARTMENT = ADMIN | {"department_reviewer", "unit_reviewer", "other_unit_reviewer"}


@dataclass
class Orders:
    unit: Any
    department: Any


def build(people: Any, orgs: Any) -> Orders:
    """The district's order on the unit, with its report, and the city's on the department;
    made without the service, which would reject the declarations the matrix needs in review."""
    now = utcnow()
    report = attachments.store(a_pdf(), "整改报告.pdf", "rectification", max_bytes=10**7,
                               uploaded_by_id=people.unit_reviewer.id)
    unit = RectificationOrder(org=orgs.unit, reason="审核把关不严",
                              deadline=now.date() + timedelta(days=30), issued_at=now,
                              issued_by_id=people.district_reviewer.id, report=report,
                              reported_at=now)
    department = RectificationOrder(org=orgs.department, reason="申报材料弄虚作假",
                                    deadline=now.date() + timedelta(days=30), issued_at=now,
                                    issued_by_id=people.city_admin.id)
    db.session.add_all([unit, department])
    db.session.flush()
    return Orders(unit, department)


def _o(w: Any) -> Orders:
    return w.rectification  # type: ignore[no-any-return]


ROUTES = [
    Route("declarations.orders", "GET", lambda w: "/declarations/orders", allow(ISSUERS)),
    # An empty form is shown again, saying what is missing.
    Route("declarations.orders", "POST", lambda w: "/declarations/orders", allow(ISSUERS)),
    Route("declarations.order", "GET", lambda w: f"/declarations/orders/{_o(w).unit.id}",
          allow(SEE_UNIT)),
    Route("declarations.order", "GET", lambda w: f"/declarations/orders/{_o(w).department.id}",
          allow(SEE_DEPARTMENT), label="department"),
    # No file: shown again (400) to whoever reports for the order.
    Route("declarations.report_order", "POST",
          lambda w: f"/declarations/orders/{_o(w).unit.id}/report", allow({"unit_reviewer"}, 400)),
    Route("declarations.report_order", "POST",
          lambda w: f"/declarations/orders/{_o(w).department.id}/report",
          allow({"department_reviewer"}, 400), label="department"),
    Route("declarations.lift_order", "POST",
          lambda w: f"/declarations/orders/{_o(w).unit.id}/lift", allow(ISSUERS, 302)),
    Route("declarations.lift_order", "POST",
          lambda w: f"/declarations/orders/{_o(w).department.id}/lift", allow(ADMIN, 302),
          label="department"),
    Route("declarations.order_report", "GET",
          lambda w: f"/declarations/orders/{_o(w).unit.id}/report-file", allow(SEE_UNIT)),
    Route("declarations.order_report", "GET",
          lambda w: f"/declarations/orders/{_o(w).department.id}/report-file",
          allow(SEE_DEPARTMENT, 404), label="department, no report"),
]
