"""The throttle table and the logs name no ID number and no client address: rows are keyed by an
HMAC with the app's secret key; migration 0009 clears the rows keyed the old way."""

import logging

import flask_migrate
import sqlalchemy as sa

from lms.auth import throttle
from lms.auth.models import LoginThrottle
from lms.extensions import db
from tests.conftest import make_app
from tests.databases import fresh_database

ADDRESS = "10.7.7.7"
UNKNOWN = "110105194912310021"


def test_no_row_key_and_no_log_line_holds_an_id_number(client, people, caplog):
    caplog.set_level(logging.DEBUG)
    number = people.learner.id_number
    for guess in (number, UNKNOWN):
        for _ in range(6):  # enough to lock the pair, which logs a warning
            db.session.execute(sa.update(LoginThrottle).values(blocked_until=None))
            client.submit(
                "/login",
                {"id_number": guess, "password": "Wrong4guess"},
                environ_base={"REMOTE_ADDR": ADDRESS},
            )
    keys = db.session.scalars(sa.select(LoginThrottle.key)).all()
    assert len(keys) == 5  # two accounts, two pairs, one address
    assert throttle.pair_key(number, ADDRESS) in keys
    assert any("locked" in record.getMessage() for record in caplog.records)
    for text in [*keys, caplog.text]:
        for secret in (number, number[:14], UNKNOWN, UNKNOWN[:14], ADDRESS):
            assert secret not in text


def test_keys_depend_on_the_secret_key(app, monkeypatch):
    with app.app_context():
        key = throttle.account_key(UNKNOWN)
        assert key == throttle.account_key(UNKNOWN.lower() + " ")
        monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret")
        assert throttle.account_key(UNKNOWN) != key


def test_migration_0009_clears_rows_keyed_by_id_number(tmp_path):
    with fresh_database("throttle_keys", tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            flask_migrate.upgrade(revision="0008")
            with db.engine.begin() as connection:
                connection.execute(
                    sa.text(
                        "INSERT INTO login_throttles (key, failures, last_failure_at) "
                        "VALUES (:key, 5, CURRENT_TIMESTAMP)"
                    ),
                    {"key": f"account:{UNKNOWN}"},
                )
            flask_migrate.upgrade(revision="0009")
            with db.engine.connect() as connection:
                count = connection.scalar(sa.text("SELECT count(*) FROM login_throttles"))
            assert count == 0
            db.engine.dispose()
