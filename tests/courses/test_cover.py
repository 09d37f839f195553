"""A course's cover is read like every other untrusted image (``lms.files``): a JPEG or PNG by
its content, under the pixel cap, before ffmpeg ever sees it."""

from __future__ import annotations

import io

import pytest

from lms.courses.models import Course
from lms.extensions import db
from tests.files import bombs


def post_cover(client, course: Course, data: bytes, name: str = "cover.png"):
    return client.submit(f"/courses/{course.id}/cover", {"cover": (io.BytesIO(data), name)},
                         content_type="multipart/form-data", follow_redirects=True)


def test_a_png_becomes_the_cover(client, login_as, people, course):
    login_as(people.provider)
    page = post_cover(client, course, bombs.png(320, 200)).get_data(as_text=True)
    assert "封面已更新" in page
    db.session.refresh(course)
    assert course.cover and course.cover.endswith(".jpg")


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
