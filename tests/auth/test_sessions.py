"""The after-request hook keeps a noted last-seen time, and never the request's own writes."""

from datetime import timedelta

import sqlalchemy as sa

from lms.auth import sessions
from lms.auth.models import LoginSession
from lms.db import utcnow
from lms.extensions import db
from lms.orgs.models import Organisation, OrgKind


def committed_session(user) -> LoginSession:
    row = LoginSession(token_hash="x" * 64, user=user, last_seen_at=utcnow() - timedelta(hours=1))
    db.session.add(row)
    db.session.commit()
    return row


def last_seen(row: LoginSession) -> timedelta:
    seen = db.session.scalar(sa.select(LoginSession.last_seen_at).where(LoginSession.id == row.id))
    return utcnow() - seen


def test_noted_touch_is_kept_when_the_request_wrote_nothing(app, people):
    row = committed_session(people.learner)
    with app.test_request_context():
        sessions._note(row, last_seen_at=utcnow())
        sessions.save_noted()
    db.session.rollback()  # only what was committed survives this
    assert last_seen(row) < timedelta(minutes=1)


def test_request_work_is_not_committed_by_the_hook(app, people):
    row = committed_session(people.learner)
    with app.test_request_context():
        sessions._note(row, last_seen_at=utcnow())
        db.session.add(Organisation(kind=OrgKind.district, name="半途而废区"))
        db.session.flush()  # a view's work, which it then decides not to commit
        sessions.save_noted()
    db.session.rollback()
    assert db.session.scalar(
        sa.select(Organisation).where(Organisation.name == "半途而废区")
    ) is None
    assert last_seen(row) > timedelta(minutes=59)
