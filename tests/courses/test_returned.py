"""A course the city returns is shown as returned, with the reason, on its provider's list and
pages, not as a draft; the provider edits it and submits it again; the catalog never shows it."""

import re

import pytest

from lms.courses import services
from lms.courses.models import Category, Course, CourseStatus, Video, VideoState
from lms.extensions import db

REASON = "第1讲声音太小"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_returned_course_says_so_with_the_reason_and_can_be_resubmitted(client, people,
                                                                          login_as, course, app):
    course.videos.append(Video(title="第1讲", original_filename="1.mp4", size=1, received=1,
                               state=VideoState.ready, duration_seconds=600, rendition="r/1"))
    db.session.commit()
    provider = login_as(people.provider)
    admin = login_as(people.city_admin, browser=app.test_client())
    assert provider.submit(f"/courses/{course.id}/submit").status_code == 302
    assert admin.submit(f"/courses/{course.id}/return", {"note": REASON}).status_code == 302
    db.session.refresh(course)
    assert course.status is CourseStatus.returned and course.review_note == REASON

    for page in ("/courses/mine", f"/courses/{course.id}/edit", f"/courses/{course.id}"):
        shown = text(provider.get(page).get_data(as_text=True))
        assert "已退回" in shown and f"退回原因：{REASON}" in shown, page
        assert "草稿" not in shown, page
    assert course.title not in provider.get("/courses/").get_data(as_text=True)  # the catalog

    # Edited and submitted again, like a draft.
    edited = provider.submit(f"/courses/{course.id}/edit", {
        "title": "职业道德（修订）", "description": "", "category": "professional",
        "topic_id": "0"})
    assert edited.status_code == 302
    assert provider.submit(f"/courses/{course.id}/submit").status_code == 302
    db.session.refresh(course)
    assert (course.title, course.status, course.review_note) == (
        "职业道德（修订）", CourseStatus.submitted, None)
    assert "已退回" not in text(provider.get("/courses/mine").get_data(as_text=True))


@pytest.mark.parametrize("transition", [
    lambda admin, course: services.return_to_draft(admin, course, "again"),
    services.publish, services.archive])
def test_a_returned_course_is_not_returned_again_published_or_archived(people, orgs, transition):
    returned = Course(title="已退回", category=Category.professional, provider=orgs.provider,
                      status=CourseStatus.returned)
    db.session.add(returned)
    db.session.flush()
    with pytest.raises(services.CourseError):
        transition(people.city_admin, returned)
    assert returned.status is CourseStatus.returned
    assert returned not in services.awaiting_review()
