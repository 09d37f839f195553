"""A decision is signed over the declaration as decided: a change afterwards, in the database or
on disk, shows on the page as changed since approved."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

from lms.attachments.services import Integrity, integrity
from lms.declarations import services
from lms.extensions import db
from lms.reviews.models import Action


def approve_all(people, declaration):
    for reviewer in (people.unit_reviewer, people.department_reviewer, people.district_reviewer):
        services.decide(reviewer, declaration, Action.approve, reason=None)


def test_an_untouched_declaration_is_intact(people, declaration):
    approve_all(people, declaration)
    assert services.check(declaration).intact


def test_an_evidence_file_edited_on_disk_after_approval_shows_as_changed(
        app, client, login_as, people, declaration):
    approve_all(people, declaration)
    attachment = declaration.evidence[0].attachment
    path = Path(app.config["MEDIA_ROOT"]) / attachment.path
    path.write_bytes(path.read_bytes().replace(b"/Count 1", b"/Count 2"))
    login_as(people.district_reviewer)
    page = client.get(f"/declarations/{declaration.id}").get_data(as_text=True)
    assert "审核后已变更" in page and "的内容与上传时不一致" in page
    assert integrity(attachment) is Integrity.changed


def test_a_file_rewritten_with_the_same_size_and_time_is_caught_only_by_rehashing(
        app, people, declaration):
    attachment = declaration.evidence[0].attachment
    path = Path(app.config["MEDIA_ROOT"]) / attachment.path
    data = path.read_bytes()
    path.write_bytes(data.replace(b"595 842", b"842 595"))  # same length
    os.utime(path, ns=(attachment.mtime_ns, attachment.mtime_ns))
    assert integrity(attachment) is Integrity.unchanged  # stat() alone cannot tell
    assert integrity(attachment, rehash=True) is Integrity.changed


def test_a_missing_file_shows_as_missing(app, client, login_as, people, declaration):
    attachment = declaration.evidence[0].attachment
    (Path(app.config["MEDIA_ROOT"]) / attachment.path).unlink()
    login_as(people.unit_reviewer)
    page = client.get(f"/declarations/{declaration.id}").get_data(as_text=True)
    assert "已从服务器上丢失" in page
    assert client.get(f"/declarations/evidence/{declaration.evidence[0].id}").status_code == 410


def test_a_field_changed_in_the_database_after_approval_shows_as_changed(
        client, login_as, people, declaration):
    approve_all(people, declaration)
    db.session.execute(sa.text("UPDATE declarations SET claimed_seconds = claimed_seconds * 2"))
    db.session.expire_all()
    check = services.check(declaration)
    assert len(check.changed_decisions) == 3
    login_as(people.learner)
    page = client.get(f"/declarations/{declaration.id}").get_data(as_text=True)
    assert page.count("审核后已变更") >= 2


def test_a_recorded_hash_changed_in_the_database_shows_as_changed(people, declaration):
    approve_all(people, declaration)
    db.session.execute(sa.text("UPDATE attachments SET sha256 = :fake"), {"fake": "0" * 64})
    db.session.expire_all()
    assert not services.check(declaration).intact


def test_a_returned_declaration_being_corrected_is_not_flagged_as_changed(people, declaration):
    services.decide(people.unit_reviewer, declaration, Action.send_back, reason="补充证明")
    corrected = services.Fields(
        type=declaration.type, title="更正后的名称", organiser=declaration.organiser,
        start_date=declaration.start_date, end_date=declaration.end_date,
        category=declaration.category, claimed_seconds=declaration.claimed_seconds)
    services.save(people.learner, declaration, corrected)
    assert services.check(declaration).intact


def test_evidence_a_decision_was_made_over_stays_kept_when_taken_off(app, people, declaration):
    services.decide(people.unit_reviewer, declaration, Action.send_back, reason="换一份证明")
    evidence = declaration.evidence[0]
    attachment = evidence.attachment
    services.remove_evidence(people.learner, evidence)
    db.session.commit()
    assert declaration.evidence == []
    assert (Path(app.config["MEDIA_ROOT"]) / attachment.path).exists()
    assert db.session.get(type(attachment), attachment.id) is not None
