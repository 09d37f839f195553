"""A course from draft to the learner: credit from measured seconds, review, catalog, streaming."""

import re
import time

import pytest

from lms.courses import services, storage, streaming
from lms.courses.models import Category, Course, CourseStatus, Video, credit_hours
from lms.extensions import db
from tests.courses.uploading import upload


@pytest.mark.parametrize(
    "seconds, shown",
    [(0, "0.0"), (269, "0.0"), (270, "0.1"), (2699, "0.9"), (2700, "1.0"), (5399, "1.9"),
     (8100, "3.0")],
)
def test_credit_hours_are_seconds_over_2700_rounded_down(seconds, shown):
    assert credit_hours(seconds) == shown


def published_course(client, people, login_as, course, files, app):
    """The provider uploads and submits; the city admin publishes."""
    login_as(people.provider)
    upload(client, course.id, files["good"])
    upload(client, course.id, files["small"])
    assert client.submit(f"/courses/{course.id}/submit").status_code == 302
    client.submit("/logout")
    login_as(people.city_admin)
    assert client.submit(f"/courses/{course.id}/publish").status_code == 302
    client.submit("/logout")
    db.session.refresh(course)
    return course


def test_provider_submits_city_publishes_learner_finds_and_plays(
    client, people, login_as, course, files, app
):
    published_course(client, people, login_as, course, files, app)
    assert course.status is CourseStatus.published
    assert course.duration_seconds == 11 and course.credit_hours == "0.0"

    login_as(people.learner)
    catalog = client.get("/courses/?category=professional").get_data(as_text=True)
    assert course.title in catalog and "0.0 学时" in catalog
    assert course.title not in client.get("/courses/?category=public_elective").get_data(
        as_text=True
    )
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "good" in page and "0:08" in page

    video = course.ready_videos[0]
    player = client.get(f"/courses/{course.id}/videos/{video.id}").get_data(as_text=True)
    master = re.search(r'data-src="([^"]+)"', player).group(1)
    playlist = client.get(master)
    assert playlist.status_code == 200
    assert playlist.mimetype == "application/vnd.apple.mpegurl"
    variant = master.rsplit("/", 1)[0] + "/" + playlist.get_data(as_text=True).split("\n")[3]
    segments = client.get(variant).get_data(as_text=True)
    first = variant.rsplit("/", 1)[0] + "/" + re.search(r"^(seg_\d+\.m4s)$", segments, re.M)[1]
    ranged = client.get(first, headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.data) == 100

    assert course.title not in client.get("/courses/my").get_data(as_text=True)
    csrf = re.search(r'data-csrf="([^"]+)"', player).group(1)
    start = re.search(r'data-start-url="([^"]+)"', player).group(1)
    assert client.post(start, headers={"X-CSRFToken": csrf}).status_code == 200
    assert course.title in client.get("/courses/my").get_data(as_text=True)


def test_links_are_signed_and_expire(client, people, login_as, course, files, app):
    published_course(client, people, login_as, course, files, app)
    video = course.ready_videos[0]
    links = streaming.playback(video, people.learner.id)
    assert client.get(links.master).status_code == 403  # not signed in
    login_as(people.learner)
    assert client.get(links.master).status_code == 200
    # Another learner, signed in, cannot use this learner's link.
    other = login_as(people.unit_reviewer, browser=client.application.test_client())
    assert other.get(links.master).status_code == 403
    sig, expires, user = links.master.split("/")[3:6]
    forged_user = links.master.replace(f"/{expires}/{user}/", f"/{expires}/{people.exam_admin.id}/")
    assert client.get(forged_user).status_code == 403
    forged_sig = links.master.replace(sig, "A" * len(sig))
    assert client.get(forged_sig).status_code == 403
    for sneaky in ("v0/../../../../etc/passwd", "v0/%2e%2e/%2e%2e/x.m3u8", "v0\\..\\x.m3u8",
                   "master.m3u8/../../r2/master.m3u8"):
        with pytest.raises(streaming.LinkRefused):
            streaming.resolve(sig, int(expires), int(user), f"{video.rendition}/{sneaky}")
    assert client.get(links.master.replace(sig, "é" * len(sig))).status_code == 403

    past = int(time.time()) - 10
    expired = (f"/media/s/{streaming.signature(past, people.learner.id, video.rendition)}/{past}/"
               f"{people.learner.id}/{video.rendition}/master.m3u8")
    answer = client.get(expired)
    assert answer.status_code == 410 and "已过期" in answer.get_data(as_text=True)


def test_learners_cannot_see_a_draft_or_get_its_links(client, people, login_as, course, files):
    login_as(people.provider)
    video = upload(client, course.id, files["small"])
    client.submit("/logout")
    login_as(people.learner)
    assert client.get(f"/courses/{course.id}").status_code == 403
    assert client.get(f"/courses/{course.id}/videos/{video['id']}").status_code == 403
    assert client.get(f"/api/v1/videos/{video['id']}/playback").status_code == 403
    assert course.title not in client.get("/courses/").get_data(as_text=True)


def test_a_public_course_needs_a_topic_of_its_category(client, people, login_as, orgs):
    login_as(people.provider)
    elective = services.topics(services.topic_year(), Category.public_elective)[0]
    form = {"provider_id": orgs.provider.id, "title": "网络安全基础", "description": "",
            "category": "public_compulsory", "topic_id": elective.id}
    html = client.submit("/courses/new", form).get_data(as_text=True)
    assert "须选择本类别的专题" in html
    answer = client.submit("/courses/new", {**form, "category": "public_elective"})
    assert answer.status_code == 302
    created = db.session.query(Course).filter_by(title="网络安全基础").one()
    assert created.topic == elective and created.status is CourseStatus.draft


def test_submitting_needs_every_video_ready(client, people, login_as, course, files):
    login_as(people.provider)
    upload(client, course.id, files["audio"])  # refused
    html = client.submit(f"/courses/{course.id}/submit", follow_redirects=True).get_data(
        as_text=True
    )
    assert "不符合要求" in html
    db.session.refresh(course)
    assert course.status is CourseStatus.draft


def test_city_returns_a_course_with_a_reason(client, people, login_as, course, files):
    login_as(people.provider)
    upload(client, course.id, files["small"])
    client.submit(f"/courses/{course.id}/submit")
    client.submit("/logout")
    login_as(people.city_admin)
    client.submit(f"/courses/{course.id}/return", {"note": "视频画面不清晰"})
    db.session.refresh(course)
    assert course.status is CourseStatus.returned and course.review_note == "视频画面不清晰"


def test_ladder_never_upscales_and_keeps_portrait(client, people, login_as, course, files):
    login_as(people.provider)
    expected = {"hd": ["1280x720", "640x360"], "good": ["640x360"], "small": ["320x240"],
                "rotated": ["360x640"], "vfr_webm": ["320x240"], "two_streams": ["640x360"],
                "two_audio": ["640x360"]}
    for name, resolutions in expected.items():
        video = upload(client, course.id, files[name])
        assert video["state"] == "ready", (name, video["reason"])
        row = db.session.get(Video, video["id"])
        master = (storage.media_root() / row.rendition / "master.m3u8").read_text()
        assert re.findall(r"RESOLUTION=(\d+x\d+)", master) == resolutions, name
