"""Rectification orders (责令整改): while one stands over a unit (its own, or its supervising
department's), its staff's declarations cannot be submitted or approved."""

from __future__ import annotations

import sqlalchemy as sa

from lms.declarations.models import RectificationOrder
from lms.extensions import db
from lms.orgs.models import Organisation


def standing_order(unit: Organisation) -> RectificationOrder | None:
    """The oldest order standing over ``unit``: on the unit itself, or on its department."""
    over = [unit.id] + ([unit.department_id] if unit.department_id else [])
    return db.session.scalars(
        sa.select(RectificationOrder)
        .where(RectificationOrder.org_id.in_(over), RectificationOrder.lifted_at.is_(None))
        .order_by(RectificationOrder.issued_at)
        .limit(1)
    ).first()
