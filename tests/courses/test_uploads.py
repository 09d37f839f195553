"""Uploads: streamed to disk in chunks, resumable, refused with a reason, never by name."""

import io

import pytest

from lms.courses import services, storage
from lms.courses.models import Video, VideoState
from lms.extensions import db
from tests.courses.uploading import csrf_headers, send, start, upload


@pytest.fixture
def provider(client, people, login_as):
    return login_as(people.provider)


def test_a_good_video_becomes_playable_renditions(provider, course, files, app):
    video = upload(provider, course.id, files["good"])
    assert video["state"] == "ready", video["reason"]
    assert video["duration_seconds"] == 8 and video["progress"] == 100
    row = db.session.get(Video, video["id"])
    published = storage.media_root() / row.rendition
    assert (published / "master.m3u8").exists() and (published / "poster.jpg").exists()
    assert not list(storage.rendition_root(row.id).glob(".work-*"))
    # What the renditions take counts against the provider's quota.
    assert row.rendition_bytes == storage.tree_bytes(published) > 0


@pytest.mark.parametrize(
    "name, reason",
    [
        ("text", "不是视频文件"),
        ("truncated", "实际只能读出 0:04"),
        ("audio", "只有声音"),
        ("long", "视频时长 46:00，超过 45 分钟上限"),
    ],
)
def test_bad_files_are_refused_with_their_reason(provider, course, files, name, reason):
    video = upload(provider, course.id, files[name])
    assert video["state"] == "refused"
    assert reason in video["reason"]
    assert db.session.get(Video, video["id"]).rendition is None


def test_empty_and_oversize_files_are_refused_before_any_byte(provider, course, app, monkeypatch):
    headers = csrf_headers(provider)
    empty = start(provider, course.id, "empty.mp4", 0, headers)
    assert empty.status_code == 400 and "文件是空的" in empty.get_json()["message"]
    monkeypatch.setitem(app.config, "VIDEO_MAX_BYTES", 1024**3)
    huge = start(provider, course.id, "huge.mp4", 5 * 1024**3, headers)
    assert huge.status_code == 400
    assert "文件大小 5.00 GB，超过上限 1.00 GB" in huge.get_json()["message"]


@pytest.mark.parametrize(
    "name, shown",
    [
        ("培训视频-第一讲.mp4", "培训视频-第一讲.mp4"),
        ("../../../etc/passwd.mp4", "passwd.mp4"),
        ("..\\..\\windows\\evil.mp4", "evil.mp4"),
        ("a\x01b.mp4", "a_b.mp4"),
    ],
)
def test_file_names_are_shown_but_never_used_as_paths(provider, course, files, name, shown):
    video = upload(provider, course.id, files["small"], name=name)
    assert video["original_filename"] == shown
    assert video["state"] == "ready"
    assert storage.upload_path(video["id"]).parent == storage.media_root() / "originals"


def test_an_upload_cut_off_halfway_resumes_where_it_stopped(provider, course, files):
    data = files["good"].read_bytes()
    headers = csrf_headers(provider)
    video = start(provider, course.id, "good.mp4", len(data), headers).get_json()
    first = 300_000
    assert send(provider, video["upload_url"], data[:first], 0, headers).status_code == 200

    # The next chunk breaks off after 100 kB although 400 kB were announced.
    broken = provider.put(
        video["upload_url"],
        input_stream=io.BytesIO(data[first : first + 100_000]),
        headers={**headers, "Upload-Offset": str(first), "Content-Length": "400000"},
        content_type="application/offset+octet-stream",
    )
    assert broken.status_code == 200  # the server keeps what arrived; the client is gone
    state = provider.get(f"/api/v1/videos/{video['id']}").get_json()
    assert state["received"] == first + 100_000 and state["state"] == "uploading"

    # A chunk from the wrong place is answered with where to resume.
    wrong = send(provider, video["upload_url"], data[:10], 0, headers)
    assert wrong.status_code == 409 and wrong.get_json()["error"] == "offset_mismatch"
    assert wrong.get_json()["video"]["received"] == first + 100_000

    done = send(provider, video["upload_url"], data[first + 100_000 :], first + 100_000, headers)
    assert done.status_code == 200
    final = provider.get(f"/api/v1/videos/{video['id']}").get_json()
    assert final["state"] == "ready" and final["duration_seconds"] == 8
    assert storage.upload_path(video["id"]).read_bytes() == data


def test_bytes_beyond_the_announced_size_are_refused(provider, course):
    headers = csrf_headers(provider)
    video = start(provider, course.id, "x.mp4", 10, headers).get_json()
    answer = send(provider, video["upload_url"], b"0123456789AB", 0, headers)
    assert answer.status_code == 400
    assert db.session.get(Video, video["id"]).received == 0


def test_free_space_is_checked_again_for_every_chunk(provider, course, app, monkeypatch):
    """The volume fills while a long upload goes on: the next chunk is refused with the
    reason, nothing of it is stored, and the upload resumes from where it was once there is
    room again."""
    headers = csrf_headers(provider)
    video = start(provider, course.id, "x.mp4", 20, headers).get_json()
    assert send(provider, video["upload_url"], b"0123456789", 0, headers).status_code == 200
    monkeypatch.setitem(app.config, "MEDIA_FREE_RESERVE_BYTES", storage.free_bytes() + 1)
    refused = send(provider, video["upload_url"], b"ABCDEFGHIJ", 10, headers)
    assert refused.status_code == 400
    assert "存储空间不足" in refused.get_json()["message"]
    assert db.session.get(Video, video["id"]).received == 10
    monkeypatch.setitem(app.config, "MEDIA_FREE_RESERVE_BYTES", 0)
    assert send(provider, video["upload_url"], b"ABCDEFGHIJ", 10, headers).get_json()[
        "received"] == 20


def test_a_provider_is_held_to_its_storage_quota(provider, course, files, app, monkeypatch):
    """Originals and renditions together: once a ready video takes most of the quota, a new
    upload that would pass it is refused before any byte, with what is used and the limit."""
    ready = upload(provider, course.id, files["good"])
    row = db.session.get(Video, ready["id"])
    used = services.storage_used(course.provider)
    assert used == row.size + row.rendition_bytes
    monkeypatch.setitem(app.config, "PROVIDER_QUOTA_BYTES", used + 1000)
    headers = csrf_headers(provider)
    refused = start(provider, course.id, "next.mp4", 1001, headers)
    assert refused.status_code == 400
    assert "超过上限" in refused.get_json()["message"]
    assert start(provider, course.id, "small.mp4", 1000, headers).status_code == 201


def test_another_provider_cannot_touch_the_course(client, people, orgs, course, login_as):
    from lms.auth.models import Role
    from lms.orgs.models import OrgKind
    from tests.factories import make_org, make_user

    rival_org = make_org(OrgKind.provider, "别家培训机构")
    rival = make_user(Role.provider, rival_org)
    login_as(rival)
    headers = csrf_headers(client)
    assert start(client, course.id, "x.mp4", 100, headers).status_code == 403
    assert client.get(f"/courses/{course.id}/edit").status_code == 403
    assert client.submit(f"/courses/{course.id}/submit").status_code == 403
    assert client.get(f"/api/v1/courses/{course.id}/videos").status_code == 403


def test_uploading_needs_the_csrf_header_with_a_browser_login(provider, course):
    answer = start(provider, course.id, "x.mp4", 100, {})
    assert answer.status_code == 400
    assert db.session.query(Video).count() == 0


def test_state_stays_when_the_transcode_fails_and_retry_works(provider, course, files, monkeypatch):
    from lms.courses import tasks, transcode

    def broken(*args, **kwargs):
        raise transcode.TranscodeFailed("转码失败：测试")

    working = tasks.transcode
    monkeypatch.setattr(tasks, "transcode", broken)
    video = upload(provider, course.id, files["small"])
    assert video["state"] == "failed" and "转码失败" in video["reason"]
    assert storage.upload_path(video["id"]).exists()  # the original is kept

    monkeypatch.setattr(tasks, "transcode", working)
    provider.submit(f"/courses/videos/{video['id']}/retry")
    assert db.session.get(Video, video["id"]).state is VideoState.ready


def test_uploads_left_unfinished_for_a_week_are_pruned_with_their_bytes(
    provider, course, app
):
    from datetime import timedelta

    import sqlalchemy as sa

    from lms.db import utcnow

    headers = csrf_headers(provider)
    stale = start(provider, course.id, "old.mp4", 1000, headers).get_json()
    fresh = start(provider, course.id, "new.mp4", 1000, headers).get_json()
    for video in (stale, fresh):
        send(provider, video["upload_url"], b"x" * 100, 0, headers)
    db.session.execute(
        sa.update(Video).where(Video.id == stale["id"])
        .values(updated_at=utcnow() - timedelta(days=8))
    )
    result = app.test_cli_runner().invoke(args=["media", "prune"])
    assert "removed 1 unfinished uploads" in result.output
    assert db.session.get(Video, stale["id"]) is None
    assert not storage.upload_path(stale["id"]).exists()
    assert storage.upload_path(fresh["id"]).stat().st_size == 100
