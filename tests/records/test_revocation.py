"""Credits and revocations, written by ``lms.records.services`` alone: a credit goes in once,
a revoked record stays on record (who, when, why) and counts in no total, a record is revoked
once even by two requests at the same moment."""

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa

from lms.auth.models import Role
from lms.courses.models import Category
from lms.db import utcnow
from lms.extensions import db
from lms.orgs.models import OrgKind
from lms.records import services
from lms.records.models import LearningRecord, Source
from tests.conftest import make_app
from tests.databases import fresh_database
from tests.factories import make_org, make_user

HOUR = 2700  # seconds in one 学时


@contextmanager
def sent(signal: Any) -> Iterator[list[Any]]:
    """What ``signal`` is sent with while the block runs, from any thread."""
    received: list[Any] = []

    def receiver(sender: Any, **_: Any) -> None:
        received.append(sender)

    with signal.connected_to(receiver):
        yield received


def credit(user: Any, course: Any, seconds: int = 10 * HOUR,
           category: Category = Category.professional) -> LearningRecord | None:
    when = utcnow()
    return services.credit(
        user.id, title=course.title, category=category, seconds=seconds,
        year=services.year_of(when), source=Source.online_course, when=when,
        course_id=course.id,
    )


def count_records(user: Any) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(LearningRecord.user_id == user.id)
    )


# --- credit ---------------------------------------------------------------------------------


def test_a_credit_goes_in_once_and_is_announced_once(people, course):
    with sent(services.credited) as credited:
        first = credit(people.learner, course)
        again = credit(people.learner, course)  # a retry, a double click, another server
    assert first is not None and again is None
    assert credited == [first]
    assert count_records(people.learner) == 1
    assert (first.user_id, first.course_id, first.seconds, first.source) == (
        people.learner.id, course.id, 10 * HOUR, Source.online_course)
    assert first.revoked is False and services.has_credit(people.learner.id, course.id)


# --- revoke ---------------------------------------------------------------------------------


def test_a_revoked_record_stays_with_who_when_and_why(people, course):
    record = credit(people.learner, course)
    when = utcnow()
    with sent(services.revoked) as revoked:
        services.revoke(record, people.city_admin, "重复登记", when)
    assert revoked == [record]
    stored = db.session.get(LearningRecord, record.id)
    assert stored.revoked and stored.revoked_at == when
    assert (stored.revoked_by, stored.revoke_reason) == (people.city_admin, "重复登记")
    assert count_records(people.learner) == 1  # still on record
    assert not services.has_credit(people.learner.id, course.id)


def test_a_record_is_revoked_once(people, course):
    record = credit(people.learner, course)
    first = utcnow()
    services.revoke(record, people.city_admin, "重复登记", first)
    with sent(services.revoked) as revoked, pytest.raises(services.AlreadyRevoked):
        services.revoke(record, people.unit_reviewer, "又一次", first + timedelta(hours=1))
    assert revoked == []
    db.session.refresh(record)
    assert (record.revoked_at, record.revoked_by, record.revoke_reason) == (
        first, people.city_admin, "重复登记")


def test_the_year_lists_a_revoked_record_and_counts_it_nowhere(people, course, provider_course):
    kept = credit(people.learner, course, seconds=20 * HOUR)
    gone = credit(people.learner, provider_course, seconds=30 * HOUR)
    services.revoke(gone, people.city_admin, "证明材料不实", utcnow())
    summary = services.year(people.learner, kept.year)
    assert [r.id for r in summary.records] == [kept.id, gone.id]  # the revoked one last
    assert [(r.label, r.seconds) for r in summary.requirements] == [
        ("公需科目·必修", 0), ("公需科目·选修", 0), ("公需科目合计", 0),
        ("专业科目", 20 * HOUR), ("总学时", 20 * HOUR)]
    # A revoked credit for the course may not be earned again: the row keeps its place.
    assert credit(people.learner, provider_course) is None


@pytest.fixture
def provider_course(course: Any, people: Any, orgs: Any) -> Any:
    from lms.courses.models import Course

    other = Course(title="临床合理用药", category=Category.professional, provider=orgs.provider,
                   created_by_id=people.provider.id)
    db.session.add(other)
    db.session.flush()
    return other


# --- the learner's page ---------------------------------------------------------------------


def test_the_year_page_shows_a_revoked_record_struck_through_and_not_counted(
    client, people, course, provider_course, login_as
):
    credit(people.learner, course, seconds=20 * HOUR)
    gone = credit(people.learner, provider_course, seconds=30 * HOUR)
    services.revoke(gone, people.city_admin, "证明材料不实", utcnow())
    db.session.commit()
    login_as(people.learner)
    html = client.get("/record/").get_data(as_text=True)
    row = re.search(r'<tr class="revoked">(.*?)</tr>', html, re.S)
    assert row, html
    cells = row.group(1)
    assert "<del>临床合理用药</del>" in cells and "已撤销" in cells
    revoked_on = gone.revoked_at.astimezone(services.CITY_TIME).strftime("%Y-%m-%d")
    assert f"{revoked_on} 撤销：证明材料不实；不计入学时。" in cells
    assert "<del>30.0</del>" in cells  # its hours struck through
    assert "<a " not in cells  # not offered as a credit to follow
    # Counted: the 20 hours kept, not the 30 revoked.
    assert 'aria-label="总学时 20.0 / 90"' in html
    assert "20.0 / 60" in html and "50.0 / 60" not in html


# --- two requests at once -------------------------------------------------------------------


def test_two_sessions_revoking_at_once_revoke_once(tmp_path):
    """Two requests, each with its own connection, revoke the same record at the same moment:
    the second waits for the first, then finds it revoked (``AlreadyRevoked``), whatever it
    read before. On PostgreSQL the second is seen waiting on the first's row lock — it read
    the record unrevoked — before the first commits; SQLite lets one writer in at a time
    (BEGIN IMMEDIATE), so there the second waits to begin."""
    with fresh_database("revoke_race", tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            flask_migrate.upgrade()
            postgres = db.engine.dialect.name == "postgresql"
            district = make_org(OrgKind.district, "环翠区")
            unit = make_org(OrgKind.unit, "医院", district=district)
            learner = make_user(Role.learner, unit=unit)
            reviewers = [make_user(Role.city_admin, name=n).id for n in ("甲", "乙")]
            when = utcnow()
            record_id = services.credit(
                learner.id, title="专题培训", category=Category.professional, seconds=HOUR,
                year=services.year_of(when), source=Source.special_training, when=when,
            ).id
            db.session.commit()
            db.session.remove()

        first_revoked = threading.Event()
        second_started = threading.Event()
        outcomes: dict[str, Any] = {}

        def second_is_waiting() -> bool:
            if not postgres:  # nothing shows a waiter: give it time to reach the lock
                started = second_started.wait(10)
                time.sleep(0.5)
                return started
            with app.app_context():
                for _ in range(200):
                    with db.engine.connect() as watcher:
                        waiting = watcher.exec_driver_sql(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                            "'Lock' AND datname = current_database()").scalar_one()
                    if waiting:
                        return True
                    time.sleep(0.05)
            return False

        def revoke(name: str, reviewer_id: int, reason: str) -> None:
            from lms.auth.models import User

            with app.app_context():
                try:
                    if name == "second":
                        first_revoked.wait(10)
                        second_started.set()
                    record = db.session.get(LearningRecord, record_id)
                    outcomes[f"{name} saw revoked"] = record.revoked
                    services.revoke(record, db.session.get(User, reviewer_id), reason, utcnow())
                    if name == "first":
                        first_revoked.set()
                        outcomes["second waited"] = second_is_waiting()
                    db.session.commit()
                    outcomes[name] = "revoked"
                except services.AlreadyRevoked:
                    db.session.rollback()
                    outcomes[name] = "already revoked"
                except Exception as exc:  # reported below, not lost in the thread
                    db.session.rollback()
                    outcomes[name] = repr(exc)
                    first_revoked.set()
                finally:
                    db.session.remove()

        announced: list[int] = []

        def announce(record: LearningRecord, **_: Any) -> None:
            announced.append(record.id)

        with services.revoked.connected_to(announce):
            threads = [threading.Thread(target=revoke, args=("first", reviewers[0], "原因甲")),
                       threading.Thread(target=revoke, args=("second", reviewers[1], "原因乙"))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)

        with app.app_context():
            stored = db.session.get(LearningRecord, record_id)
            revoked = (stored.revoked_by_id, stored.revoke_reason)
            db.session.remove()
            db.engine.dispose()

    assert (outcomes["first"], outcomes["second"]) == ("revoked", "already revoked"), outcomes
    assert outcomes["second waited"] is True
    assert outcomes["first saw revoked"] is False
    if postgres:  # it read the record unrevoked, and still could not revoke it again
        assert outcomes["second saw revoked"] is False
    assert announced == [record_id]
    assert revoked == (reviewers[0], "原因甲")
