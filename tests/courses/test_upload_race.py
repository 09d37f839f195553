"""Two requests sending bytes for the same place at once, on real connections: one wins whole,
the other is told where to resume, and the file holds exactly the winner's bytes."""

import os
import threading

import flask_migrate

from lms.auth.models import Role
from lms.courses import storage
from lms.courses.models import Category, Course
from lms.extensions import db
from lms.orgs.models import OrgKind
from tests.conftest import Client, make_app
from tests.databases import fresh_database
from tests.factories import PASSWORD, make_org, make_user


def test_parallel_chunks_at_one_offset(tmp_path):
    size = 2 * 1024 * 1024
    bodies = [os.urandom(size), os.urandom(size)]
    with fresh_database("chunks", tmp_path) as url:
        app = make_app(url, MEDIA_ROOT=tmp_path / "media")
        app.test_client_class = Client
        with app.app_context():
            flask_migrate.upgrade()
            provider = make_org(OrgKind.provider, "机构")
            user = make_user(Role.provider, provider)
            course = Course(title="课", category=Category.professional, provider=provider)
            db.session.add(course)
            db.session.commit()
            number, course_id = user.id_number, course.id

        browsers = [app.test_client(), app.test_client()]
        for browser in browsers:
            browser.submit("/login", {"id_number": number, "password": PASSWORD})
        tokens = [b.csrf_token("/courses/") for b in browsers]
        started = browsers[0].post(
            f"/api/v1/courses/{course_id}/videos",
            json={"filename": "a.mp4", "size": size + 1},  # one byte short: not processed yet
            headers={"X-CSRFToken": tokens[0]},
        ).get_json()
        barrier = threading.Barrier(2)
        answers: dict[int, int] = {}

        def send(index: int) -> None:
            barrier.wait()
            answers[index] = browsers[index].put(
                started["upload_url"], data=bodies[index],
                headers={"X-CSRFToken": tokens[index], "Upload-Offset": "0"},
                content_type="application/offset+octet-stream",
            ).status_code

        threads = [threading.Thread(target=send, args=(i,)) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(answers.values()) == [200, 409]
        winner = next(i for i, status in answers.items() if status == 200)
        with app.app_context():
            stored = storage.upload_path(started["id"]).read_bytes()
            assert stored == bodies[winner]
            assert not list(storage.upload_path(started["id"]).parent.glob("*.chunk-*"))
            db.engine.dispose()
