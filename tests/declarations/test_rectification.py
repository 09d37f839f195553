"""Rectification orders (责令整改): who may order what; while an order stands its staff's
declarations in review are rejected with its reason (signed by the issuer, in each review's
history), none can be submitted or approved; the unit sees it on its home page and uploads its
report; the issuer or the city lifts it; each step in the audit record."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from lms.attachments.models import Attachment
from lms.audit.models import AuditEntry
from lms.auth.models import Role
from lms.db import utcnow
from lms.declarations import rectification, services
from lms.declarations.models import RectificationOrder, Status
from lms.extensions import db
from lms.reviews.models import Action, Decision
from lms.reviews.services import ReviewRefused
from tests.declarations.conftest import a_pdf, draft, submitted
from tests.factories import make_user


def tomorrow() -> str:
    return (rectification.today() + timedelta(days=1)).isoformat()


def order_form(target: Any, **changes: Any) -> dict[str, Any]:
    fields = {"org": str(target.id), "reason": "申报材料弄虚作假", "deadline": tomorrow()}
    fields.update(changes)
    return fields


def orders() -> list[RectificationOrder]:
    return list(db.session.scalars(sa.select(RectificationOrder)))


def entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def issue(user: Any, org: Any, reason: str = "申报材料弄虚作假") -> RectificationOrder:
    return rectification.issue(user, org, reason, rectification.today() + timedelta(days=30))


# --- issuing, and what follows -----------------------------------------------------------------


def test_a_district_orders_its_unit_and_every_declaration_in_review_is_rejected(
        client, login_as, people, orgs):
    waiting = submitted(people.learner, title="在单位审核")
    further = submitted(people.learner, title="在主管部门审核")
    services.decide(people.unit_reviewer, further, Action.approve, reason=None)
    returned = submitted(people.learner, title="已退回")
    services.decide(people.unit_reviewer, returned, Action.send_back, reason="证书不清晰")
    colleague = make_user(Role.learner, unit=orgs.unit, name="赵敏")
    elsewhere = submitted(colleague, title="同事的申报")
    db.session.commit()

    login_as(people.district_reviewer)
    response = client.submit("/declarations/orders", order_form(orgs.unit))
    assert response.status_code == 302, response.get_data(as_text=True)
    order = orders()[0]
    assert (order.org_id, order.reason, order.issued_by_id) == (
        orgs.unit.id, "申报材料弄虚作假", people.district_reviewer.id)
    assert order.standing and response.location.endswith(f"/declarations/orders/{order.id}")

    db.session.expire_all()
    assert waiting.status is further.status is elsewhere.status is Status.rejected
    assert returned.status is Status.returned  # not in review: it just cannot come back
    last = {d.review_id: d for d in db.session.scalars(sa.select(Decision))}
    for declaration, position in ((waiting, 0), (further, 1)):
        decision = last[declaration.review_id]
        assert (decision.action, decision.reason, decision.position) == (
            Action.reject, "申报材料弄虚作假", position)
        assert (decision.reviewer_id, decision.reviewer_name, decision.reviewer_org_name,
                decision.in_place) == (people.district_reviewer.id, "陈静", "环翠区", True)
        assert len(decision.digest) == 64

    [entry] = entries("rectification.order")
    assert (entry.actor_id, entry.actor_role, entry.actor_org_name) == (
        people.district_reviewer.id, "district_reviewer", "环翠区")
    assert (entry.object_type, entry.object_id, entry.object_label) == (
        "rectification_orders", order.id, "威海市立医院")
    assert sorted(entry.details["rejected"]) == sorted([waiting.id, further.id, elsewhere.id])
    assert entry.reason == "申报材料弄虚作假"
    assert entries("review.reject") == []  # the order is the one entry

    page = client.get(f"/declarations/{waiting.id}").get_data(as_text=True)
    assert "申报材料弄虚作假" in page and "陈静" in page and "代为审核" in page
    page = client.get(f"/declarations/orders/{order.id}").get_data(as_text=True)
    assert "整改中" in page and "威海市立医院" in page

    # Returned ones cannot come back, new ones cannot be submitted.
    with pytest.raises(services.Invalid) as refused:
        services.submit(people.learner, returned, acknowledged=True)
    assert "责令整改" in refused.value.errors["form"]
    fresh = draft(people.learner, title="新申报")
    with pytest.raises(services.Invalid):
        services.submit(people.learner, fresh, acknowledged=True)
    db.session.rollback()
    assert returned.status is Status.returned and fresh.status is Status.draft


def test_no_approval_while_an_order_stands_until_it_is_lifted(client, login_as, people, orgs):
    declaration = submitted(people.learner)
    # An order made without its service (which would have rejected the declaration), as one
    # issued while the declaration was being submitted would stand.
    order = RectificationOrder(org=orgs.unit, reason="审核把关不严",
                               deadline=rectification.today(), issued_at=utcnow(),
                               issued_by_id=people.city_admin.id)
    db.session.add(order)
    db.session.commit()
    with pytest.raises(ReviewRefused, match="整改期间不能审核通过"):
        services.decide(people.unit_reviewer, declaration, Action.approve, reason=None)
    db.session.rollback()
    batch = services.approve_each(people.unit_reviewer, [declaration.id])
    assert batch.decided == [] and "责令整改" in batch.skipped[0][1]

    login_as(people.district_reviewer)  # not the issuer, but the district may order the unit
    assert client.submit(f"/declarations/orders/{order.id}/lift").status_code == 403
    client.submit("/logout")
    login_as(people.city_admin)
    response = client.submit(f"/declarations/orders/{order.id}/lift")
    assert response.status_code == 302
    db.session.expire_all()
    assert not order.standing and order.lifted_by_id == people.city_admin.id
    assert len(entries("rectification.lift")) == 1
    services.decide(people.unit_reviewer, declaration, Action.approve, reason=None)
    assert declaration.review.position == 1
    # Lifted once: again is refused, and writes nothing.
    assert client.submit(f"/declarations/orders/{order.id}/lift").status_code == 403
    assert len(entries("rectification.lift")) == 1


def test_the_issuer_lifts_and_the_unit_may_submit_again(client, login_as, people, orgs):
    order = issue(people.district_reviewer, orgs.unit)
    db.session.commit()
    login_as(people.unit_reviewer)
    assert client.submit(f"/declarations/orders/{order.id}/lift").status_code == 403
    client.submit("/logout")
    login_as(people.district_reviewer)
    assert client.submit(f"/declarations/orders/{order.id}/lift").status_code == 302
    db.session.expire_all()
    assert not order.standing
    assert services.submit(people.learner, draft(people.learner), acknowledged=True) == []


def test_the_city_orders_a_department_and_all_its_units(client, login_as, people, orgs):
    here = submitted(people.learner)
    there = submitted(make_user(Role.learner, unit=orgs.other_unit, name="钱进"), title="文登")
    db.session.commit()
    login_as(people.city_admin)
    response = client.submit("/declarations/orders", order_form(orgs.department))
    assert response.status_code == 302, response.get_data(as_text=True)
    order = orders()[0]
    db.session.expire_all()
    assert here.status is there.status is Status.rejected
    [entry] = entries("rectification.order")
    assert entry.actor_role == "city_admin"
    assert db.session.scalars(sa.select(Decision).where(
        Decision.review_id == here.review_id)).one().reviewer_role_label == "市人社局管理员"

    # The department's reviewer and its units' reviewers see it on their home page; the
    # department reports for all of them; a district's bureau may not lift the city's order.
    for person, may_report in ((people.department_reviewer, True),
                               (people.unit_reviewer, False),
                               (people.other_unit_reviewer, False)):
        client.submit("/logout")
        login_as(person)
        page = client.get("/home").get_data(as_text=True)
        assert "整改通知" in page and "申报材料弄虚作假" in page and tomorrow() in page
        assert ("上传整改报告" in page) is may_report
        assert order.can_report(person) is may_report
    client.submit("/logout")
    login_as(people.district_reviewer)
    assert "申报材料弄虚作假" not in client.get("/home").get_data(as_text=True)
    assert client.get(f"/declarations/orders/{order.id}").status_code == 403
    assert client.submit(f"/declarations/orders/{order.id}/lift").status_code == 403


def test_a_second_order_on_the_same_organisation_is_refused(people, orgs):
    issue(people.district_reviewer, orgs.unit)
    with pytest.raises(rectification.Invalid) as refused:
        issue(people.city_admin, orgs.unit)
    assert "已有未解除的整改通知" in refused.value.errors["org"]


# --- who may order what ------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["other_unit", "department"])
def test_a_district_may_not_order_another_districts_unit_or_a_department(
        target, client, login_as, people, orgs):
    login_as(people.district_reviewer)
    page = client.get("/declarations/orders").get_data(as_text=True)
    assert "威海市立医院" in page and getattr(orgs, target).name not in page
    response = client.submit("/declarations/orders", order_form(getattr(orgs, target)))
    assert response.status_code == 403
    assert "本区市的单位" in response.get_data(as_text=True)
    assert orders() == [] and entries("rectification.order") == []
    with pytest.raises(PermissionError):
        issue(people.district_reviewer, getattr(orgs, target))


@pytest.mark.parametrize("who", ["unit_reviewer", "department_reviewer", "learner"])
def test_only_the_city_and_the_districts_order(who, client, login_as, people, orgs):
    login_as(getattr(people, who))
    assert client.get("/declarations/orders").status_code == 403
    assert client.submit("/declarations/orders", order_form(orgs.unit)).status_code == 403
    assert orders() == []


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "message"), [
    ({"reason": "  "}, "请填写整改原因。"),
    ({"reason": "字" * 501}, "整改原因最多 500 个字。"),
    ({"deadline": "2020-01-01"}, "整改期限不能早于今天。"),
    ({"deadline": "2026-13-45"}, "请按“年-月-日”填写日期"),
    ({"deadline": "明天"}, "请按“年-月-日”填写日期"),
    ({"deadline": ""}, "请填写整改期限。"),
    ({"org": ""}, "请选择整改对象。"),
    ({"org": "abc"}, "请从列表中选择。"),
    ({"org": str(2**64)}, "请从列表中选择。"),
    ({"org": "999999"}, "请从列表中选择。"),
])
def test_bad_input_is_named_and_saves_nothing(changes, message, client, login_as, people, orgs):
    declaration = submitted(people.learner)
    db.session.commit()
    login_as(people.city_admin)
    response = client.submit("/declarations/orders", order_form(orgs.unit, **changes))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert orders() == [] and entries("rectification.order") == []
    db.session.expire_all()
    assert declaration.status is Status.in_review


# --- the report --------------------------------------------------------------------------------


def test_the_unit_uploads_its_report_from_its_home_page(client, login_as, people, orgs):
    order = issue(people.district_reviewer, orgs.unit)
    db.session.commit()
    login_as(people.unit_reviewer)
    page = client.get("/home").get_data(as_text=True)
    assert "申报材料弄虚作假" in page and "整改中" in page and "上传整改报告" in page
    response = client.submit(f"/declarations/orders/{order.id}/report",
                             {"report": (io.BytesIO(a_pdf()), "整改报告.pdf")},
                             content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert order.report is not None and order.report.filename == "整改报告.pdf"
    assert order.reported_at is not None
    [entry] = entries("rectification.report")
    assert (entry.actor_role, entry.actor_org_name) == ("unit_reviewer", "威海市立医院")
    assert entry.details["sha256"] == order.report.sha256
    download = client.get(f"/declarations/orders/{order.id}/report-file")
    assert download.status_code == 200 and download.data == a_pdf()

    # The issuer sees it, and the lifted order leaves the unit's home page.
    client.submit("/logout")
    login_as(people.district_reviewer)
    assert "整改报告.pdf" in client.get(f"/declarations/orders/{order.id}").get_data(
        as_text=True)
    assert client.get(f"/declarations/orders/{order.id}/report-file").status_code == 200
    client.submit(f"/declarations/orders/{order.id}/lift")
    client.submit("/logout")
    login_as(people.unit_reviewer)
    assert "申报材料弄虚作假" not in client.get("/home").get_data(as_text=True)
    assert client.submit(f"/declarations/orders/{order.id}/report",
                         {"report": (io.BytesIO(a_pdf()), "再次.pdf")},
                         content_type="multipart/form-data").status_code == 403


@pytest.mark.parametrize(("upload", "message"), [
    ((b"MZ\x90\x00" + b"\x00" * 200, "整改报告.pdf"), "「整改报告.pdf」"),
    (None, "请选择整改报告文件。"),
    ((a_pdf(), "大.pdf"), "「大.pdf」超过"),
])
def test_a_refused_report_is_named_and_keeps_nothing(upload, message, app, client, login_as,
                                                     people, orgs, monkeypatch):
    monkeypatch.setitem(app.config, "DECLARATION_FILE_MAX_BYTES", len(a_pdf()) - 1)
    order = issue(people.district_reviewer, orgs.unit)
    db.session.commit()
    login_as(people.unit_reviewer)
    data = {"report": (io.BytesIO(upload[0]), upload[1])} if upload else {}
    response = client.submit(f"/declarations/orders/{order.id}/report", data,
                             content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert order.report_id is None and order.reported_at is None
    assert db.session.scalars(sa.select(Attachment)).all() == []
    assert entries("rectification.report") == []


def test_others_may_not_report_see_or_download(client, login_as, people, orgs):
    order = issue(people.district_reviewer, orgs.unit)
    rectification.report(people.unit_reviewer, order, ("整改报告.pdf", a_pdf()))
    db.session.commit()
    for person in (people.other_unit_reviewer, people.learner, people.provider):
        login_as(person)
        assert client.get(f"/declarations/orders/{order.id}").status_code == 403
        assert client.get(f"/declarations/orders/{order.id}/report-file").status_code == 403
        assert client.submit(f"/declarations/orders/{order.id}/report",
                             {"report": (io.BytesIO(a_pdf()), "x.pdf")},
                             content_type="multipart/form-data").status_code == 403
        client.submit("/logout")
    # The department's reviewer sees a unit's order, but the unit reports.
    login_as(people.department_reviewer)
    assert client.get(f"/declarations/orders/{order.id}").status_code == 200
    assert not order.can_report(people.department_reviewer)


# --- past the deadline -------------------------------------------------------------------------


def test_an_order_past_its_deadline_shows_as_overdue(app, client, login_as, people, orgs):
    order = rectification.issue(people.district_reviewer, orgs.unit, "审核把关不严",
                                rectification.today())
    db.session.commit()
    login_as(people.unit_reviewer)
    assert "已逾期" not in client.get("/home").get_data(as_text=True)
    app.extensions["clock"] = lambda: utcnow() + timedelta(days=2)
    try:
        assert "已逾期" in client.get("/home").get_data(as_text=True)
        client.submit("/logout")
        login_as(people.district_reviewer)
        assert "已逾期" in client.get("/declarations/orders").get_data(as_text=True)
        assert order.overdue_on(rectification.today()) and order.standing
    finally:
        del app.extensions["clock"]


def test_the_database_keeps_one_standing_order_per_organisation(people, orgs):
    first = issue(people.district_reviewer, orgs.unit)
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(RectificationOrder(org=orgs.unit, reason="重复", deadline=first.deadline,
                                          issued_at=utcnow(), issued_by_id=people.city_admin.id))
    rectification.lift(people.district_reviewer, first)
    assert issue(people.city_admin, orgs.unit, "再次抽查").standing
