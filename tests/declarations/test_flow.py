"""A declaration through its chain, as its declarant and its reviewers see it in their pages."""

from __future__ import annotations

import io

import sqlalchemy as sa

from lms.declarations.models import Declaration, Status
from lms.extensions import db
from lms.records import services as records
from lms.records.models import LearningRecord, Source
from lms.reviews.models import Decision
from tests.declarations.conftest import form


def test_declare_return_resubmit_and_three_approvals(client, login_as, people, orgs):
    login_as(people.learner)
    response = client.submit("/declarations/new", form(), content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    declaration = db.session.scalars(sa.select(Declaration)).one()
    assert declaration.status is Status.in_review
    assert declaration.claimed_seconds == 12 * 2700
    assert len(declaration.evidence) == 1

    client.submit("/logout")
    login_as(people.unit_reviewer)
    page = client.get("/declarations/review").get_data(as_text=True)
    assert "全国医院感染管理培训班" in page
    response = client.submit(f"/declarations/{declaration.id}/decide",
                             {"action": "return", "reason": "证书照片不清晰"})
    assert response.status_code == 302, response.get_data(as_text=True)

    client.submit("/logout")
    login_as(people.learner)
    page = client.get(f"/declarations/{declaration.id}/edit").get_data(as_text=True)
    assert "证书照片不清晰" in page
    response = client.submit(f"/declarations/{declaration.id}/edit",
                             form(hours="10"), content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert declaration.status is Status.in_review and declaration.review.round == 2

    for reviewer, data in (
        (people.unit_reviewer, {"action": "approve"}),
        (people.department_reviewer, {"action": "approve", "hours": "8", "reason": "超出当天学时"}),
        (people.district_reviewer, {"action": "approve"}),
    ):
        client.submit("/logout")
        login_as(reviewer)
        response = client.submit(f"/declarations/{declaration.id}/decide", data)
        assert response.status_code == 302, response.get_data(as_text=True)

    db.session.expire_all()
    assert declaration.status is Status.approved
    assert declaration.approved_seconds == 8 * 2700
    record = db.session.scalars(sa.select(LearningRecord)).one()
    assert (record.source, record.seconds, record.declaration_id) == (
        Source.declaration, 8 * 2700, declaration.id)
    assert records.year(people.learner, declaration.year).total.seconds == 8 * 2700
    decisions = db.session.scalars(sa.select(Decision).order_by(Decision.id)).all()
    assert [(d.round, d.position, d.action.value) for d in decisions] == [
        (1, 0, "return"), (2, 0, "approve"), (2, 1, "approve"), (2, 2, "approve")]
    assert decisions[2].reviewer_name == "刘洋" and decisions[2].reason == "超出当天学时"

    client.submit("/logout")
    login_as(people.learner)
    page = client.get(f"/declarations/{declaration.id}").get_data(as_text=True)
    assert "超出当天学时" in page and "内容一致" in page
    assert client.get(f"/declarations/evidence/{declaration.evidence[0].id}").status_code == 200


def test_corrected_without_a_new_file_keeps_the_evidence(client, login_as, people, orgs):
    """Resubmitted with the certificate already uploaded and no file chosen: the form's empty
    file field once held the uploaded evidence rows, and saving them failed (500)."""
    login_as(people.learner)
    client.submit("/declarations/new", form(), content_type="multipart/form-data")
    declaration = db.session.scalars(sa.select(Declaration)).one()
    client.submit("/logout")
    login_as(people.unit_reviewer)
    client.submit(f"/declarations/{declaration.id}/decide",
                  {"action": "return", "reason": "学时有误"})
    client.submit("/logout")
    login_as(people.learner)
    for files in (None, (io.BytesIO(b""), "")):  # no part at all; the part of an empty input
        response = client.submit(f"/declarations/{declaration.id}/edit",
                                 form(hours="10", evidence=files, submit_declaration=None,
                                      save="保存草稿"),
                                 content_type="multipart/form-data")
        assert response.status_code == 302, response.get_data(as_text=True)
    response = client.submit(f"/declarations/{declaration.id}/edit", form(hours="10",
                             evidence=None), content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert declaration.status is Status.in_review and declaration.review.round == 2
    assert declaration.claimed_seconds == 10 * 2700
    assert [e.attachment.filename for e in declaration.evidence] == ["结业证书.pdf"]
