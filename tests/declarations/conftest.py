"""Declarations in tests: a form filled as a learner would, and a declaration in review."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest

from lms.courses.models import Category
from lms.declarations import services
from lms.declarations.models import Declaration, DeclarationType
from tests.files import bombs


def a_pdf() -> bytes:
    return bombs.pdf()


def form(**changes: Any) -> dict[str, Any]:
    """The declaration form as a learner fills it: a three-day training ended last week."""
    end = services.today() - timedelta(days=7)
    fields = {
        "type": "training", "title": "全国医院感染管理培训班", "organiser": "山东省卫生健康委员会",
        "start_date": (end - timedelta(days=2)).isoformat(), "end_date": end.isoformat(),
        "category": "professional", "hours": "12", "description": "线下培训三天。",
        "submit_declaration": "提交审核",
    }
    fields.update(changes)
    fields.setdefault("evidence", (io.BytesIO(a_pdf()), "结业证书.pdf"))
    return {k: v for k, v in fields.items() if v is not None}


def draft(user: Any, *, hours: float = 12, files: int = 1, title: str = "全国医院感染管理培训班",
          kind: DeclarationType = DeclarationType.training,
          end: date | None = None, days: int = 3,
          category: Category = Category.professional) -> Declaration:
    end = end or services.today() - timedelta(days=7)
    fields = services.Fields(
        type=kind, title=title, organiser="山东省卫生健康委员会",
        start_date=end - timedelta(days=days - 1), end_date=end, category=category,
        claimed_seconds=int(hours * 2700),
    )
    uploads = [(f"证书{i}.pdf", a_pdf()) for i in range(files)]
    return services.save(user, None, fields, uploads)


def submitted(user: Any, **kwargs: Any) -> Declaration:
    declaration = draft(user, **kwargs)
    assert services.submit(user, declaration, acknowledged=True) == []
    return declaration


@pytest.fixture
def declaration(people: Any) -> Declaration:
    return submitted(people.learner)


def post_large(client: Any, url: str, data: dict[str, Any]) -> Any:
    """POST a multipart form too large for Werkzeug to build in memory (it spools it to a
    temporary file that its test client leaves open): the same request, its body closed after."""
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=url, method="POST", content_type="multipart/form-data",
                             data={"csrf_token": client.csrf_token(), **data})
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
