"""A course's cover is read like every other untrusted image (``lms.files``): a JPEG or PNG by
its content, under the pixel cap, before ffmpeg ever sees it."""

from __future__ import annotations

import io
import time

import flask_migrate
import pytest
import sqlalchemy as sa
from PIL import Image

from lms import jobs
from lms.auth.models import Role
from lms.courses import services, storage, tasks
from lms.courses.models import Category, Course
from lms.extensions import db
from lms.orgs.models import OrgKind
from tests.conftest import make_app
from tests.databases import fresh_database
from tests.factories import make_org, make_user
from tests.files import bombs


def post_cover(client, course: Course, data: bytes, name: str = "cover.png"):
    return client.submit(f"/courses/{course.id}/cover", {"cover": (io.BytesIO(data), name)},
                         content_type="multipart/form-data", follow_redirects=True)


def test_a_png_becomes_the_cover(client, login_as, people, course):
    login_as(people.provider)
    page = post_cover(client, course, bombs.png(2000, 1000)).get_data(as_text=True)
    assert "封面已收到" in page
    db.session.refresh(course)  # the job ran as the test app's jobs do: at once
    assert course.cover and course.cover.endswith(".jpg")
    with Image.open(storage.media_root() / course.cover) as made:
        assert (made.format, made.size) == ("JPEG", (960, 480))  # re-encoded, at most 960 wide
    assert storage.incoming_covers() == []


@pytest.mark.parametrize(("data", "name", "message"), [
    # 8000 × 8000 pixels in a few hundred KB: 64 megapixels, over the 40 allowed
    (bombs.png_bomb(8000, 8000), "big.png", "超过上限 4000 万像素"),
    (bombs.png_bomb(), "huge.png", "超过上限 4000 万像素"),
    (b"GIF89a" + bytes(100), "cover.png", "请上传 JPG 或 PNG"),
    (bombs.pdf_that_is_a_zip(), "cover.jpg", "请上传 JPG 或 PNG"),
])
def test_what_is_not_a_usable_image_is_refused_with_the_reason(client, login_as, people, course,
                                                               data, name, message):
    login_as(people.provider)
    page = post_cover(client, course, data, name).get_data(as_text=True)
    assert message in page
    db.session.refresh(course)
    assert course.cover is None


def test_the_cover_is_re_encoded_by_a_job_not_in_the_request_and_survives_a_stop(tmp_path, runs):
    """Taking the upload runs no ffmpeg; the in-process job runner makes the cover. An upload
    whose job never ran (the process stopped first) is found again when a runner starts."""
    with fresh_database("covers", tmp_path) as url:
        app = make_app(url, JOBS_EAGER=False, MEDIA_ROOT=tmp_path / "media")
        with app.app_context():
            flask_migrate.upgrade()
            provider = make_org(OrgKind.provider, "机构")
            keeper = make_user(Role.provider, org=provider)
            course = Course(title="课", category=Category.professional, provider=provider)
            db.session.add(course)
            db.session.commit()
            first = services.receive_cover(keeper, course, bombs.png(320, 200))
            left = services.receive_cover(keeper, course, bombs.jpeg(640, 480))
            assert runs == []  # the request's part: checked and kept, nothing decoded
            assert {w for _, w in storage.incoming_covers()} == {first, left}
            course_id = course.id
            db.session.rollback()  # as a request ends: the runner's thread writes next

            jobs.enqueue(tasks.REENCODE_COVER, course_id, first)  # ``left``'s job is lost
            jobs.start_runner(app)  # sends what the recoverers find, then runs it all

            def cover() -> str | None:
                found = db.session.scalar(sa.select(Course.cover).where(Course.id == course_id))
                db.session.rollback()
                return found

            deadline = time.monotonic() + 30
            while (storage.incoming_covers() or cover() is None) and time.monotonic() < deadline:
                time.sleep(0.2)
            jobs.stop_runner(app)
            assert storage.incoming_covers() == [] and len(runs) == 2
            covers = list((tmp_path / "media" / "covers").glob("*.jpg"))
            assert [str(path.relative_to(tmp_path / "media")) for path in covers] == [cover()]
            db.engine.dispose()
