"""One page of a query's results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from lms.extensions import db

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    pages: int
    total: int


def paginate(query: sa.Select[Any], page: int, per_page: int) -> Page[Any]:
    """Page ``page`` (clamped to the pages there are) of an ordered ``query``."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, (total + per_page - 1) // per_page)
    page = min(max(page, 1), pages)
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    return Page(list(items), page, pages, total)
