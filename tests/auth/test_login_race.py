"""Parallel guesses at one account, on real connections: the throttle sees every one of them."""

import threading

import flask_migrate

from lms.extensions import db
from lms.orgs.models import OrgKind
from tests.conftest import Client, make_app
from tests.databases import fresh_database
from tests.factories import make_org, make_user


def test_parallel_wrong_passwords_are_checked_one_after_another(tmp_path):
    with fresh_database("race", tmp_path) as url:
        app = make_app(url)
        app.test_client_class = Client
        with app.app_context():
            flask_migrate.upgrade()
            district = make_org(OrgKind.district, "环翠区")
            department = make_org(OrgKind.department, "卫健委")
            unit = make_org(OrgKind.unit, "医院", district=district, department=department)
            number = make_user(unit=unit).id_number
            db.session.commit()

        attempts = 12
        start = threading.Barrier(attempts)
        pages: list[str] = []

        def guess() -> None:
            browser = app.test_client()
            token = browser.csrf_token("/login")
            start.wait()
            response = browser.post(
                "/login",
                data={"csrf_token": token, "id_number": number, "password": "Wrong4guess"},
            )
            pages.append(response.get_data(as_text=True))

        threads = [threading.Thread(target=guess) for _ in range(attempts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with app.app_context():
            db.engine.dispose()

    checked = sum("身份证号或密码不正确" in page for page in pages)
    refused = sum("再试" in page for page in pages)
    assert checked + refused == attempts
    assert checked == app.config["LOGIN_ACCOUNT_SLOW_AFTER"]
