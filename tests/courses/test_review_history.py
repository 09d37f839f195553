"""A course's review history survives resubmission: every return with its reason, every
submission and the publication, from the audit record, on the course's pages for its provider
and the city admin."""

import re

from lms.courses.models import CourseStatus, Video, VideoState
from lms.extensions import db


def history(html: str) -> list[str]:
    """The review history's lines, as plain text."""
    section = html.split('id="review-history"')[1].split("</section>")[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip()
            for item in section.split("<li>")[1:]]


def test_returns_submissions_and_publication_are_kept_in_order(client, people, login_as,
                                                               course, app):
    course.videos.append(Video(title="第1讲", original_filename="1.mp4", size=1, received=1,
                               state=VideoState.ready, duration_seconds=600, rendition="r/1"))
    db.session.commit()
    provider = login_as(people.provider)
    admin = login_as(people.city_admin, browser=app.test_client())

    for reason in ("第1讲声音太小", "简介与内容不符"):
        assert provider.submit(f"/courses/{course.id}/submit").status_code == 302
        assert admin.submit(f"/courses/{course.id}/return", {"note": reason}).status_code == 302
    provider.submit(f"/courses/{course.id}/submit")
    admin.submit(f"/courses/{course.id}/publish")
    db.session.refresh(course)
    assert course.status is CourseStatus.published

    for browser, page in ((provider, f"/courses/{course.id}"),
                          (provider, f"/courses/{course.id}/edit"),
                          (admin, f"/courses/{course.id}")):
        lines = history(browser.get(page).get_data(as_text=True))
        assert [line.split(" ", 2)[2].split(" ")[0] for line in lines] == [
            "提交课程审核", "退回课程", "提交课程审核", "退回课程",
            "提交课程审核", "发布课程"], page
        assert "退回原因：第1讲声音太小" in lines[1] and "孙丽（市人社局管理员）" in lines[1]
        assert "退回原因：简介与内容不符" in lines[3]
        assert "杨帆（培训机构管理员）" in lines[4] and "孙丽" in lines[5]

    learner = login_as(people.learner, browser=app.test_client())
    assert 'id="review-history"' not in learner.get(f"/courses/{course.id}").get_data(
        as_text=True)


def test_the_last_reason_is_still_shown_on_a_returned_draft(client, people, login_as, course,
                                                            app):
    course.videos.append(Video(title="第1讲", original_filename="1.mp4", size=1, received=1,
                               state=VideoState.ready, duration_seconds=600, rendition="r/1"))
    db.session.commit()
    provider = login_as(people.provider)
    admin = login_as(people.city_admin, browser=app.test_client())
    provider.submit(f"/courses/{course.id}/submit")
    admin.submit(f"/courses/{course.id}/return", {"note": "缺少课件"})
    html = provider.get(f"/courses/{course.id}/edit").get_data(as_text=True)
    assert 'class="flash flash-error">退回原因：缺少课件' in html
    assert "退回原因：缺少课件" in history(html)[-1]
