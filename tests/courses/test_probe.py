"""Probing decides from the content: every bad file gets its reason, with the measured figure."""

import pytest

from lms.courses.probe import Refused, probe

LIMITS = {"max_seconds": 2700, "max_bytes": 4 * 1024**3}


@pytest.mark.parametrize(
    "name, reason",
    [
        ("empty", "文件是空的（0 字节）"),
        ("text", "不是视频文件"),
        ("truncated", "文件头显示时长 0:10，实际只能读出 0:04"),
        ("audio", "只有声音，没有视频画面"),
        ("long", "视频时长 46:00，超过 45 分钟上限"),
        ("picture", "这是一张图片"),
    ],
)
def test_bad_files_are_refused_with_a_reason(files, name, reason):
    with pytest.raises(Refused) as refused:
        probe(files[name], **LIMITS)
    assert reason in str(refused.value)


def test_size_limit_names_both_figures(files):
    with pytest.raises(Refused, match=r"文件大小 .* MB，超过上限 0.5 MB"):
        probe(files["good"], max_seconds=2700, max_bytes=512 * 1024)


def test_a_good_video_is_measured(files):
    info = probe(files["good"], **LIMITS)
    assert info.duration == pytest.approx(8, abs=0.1)
    assert (info.width, info.height, info.has_audio) == (640, 360, True)


def test_phone_video_rotation_flag_gives_portrait_size(files):
    info = probe(files["rotated"], **LIMITS)
    assert info.rotation in (90, 270)
    assert (info.width, info.height) == (360, 640)


def test_webm_without_duration_header_is_measured_by_reading_it(files):
    info = probe(files["vfr_webm"], **LIMITS)
    assert info.header_duration is None
    assert info.duration == pytest.approx(4, abs=0.2)


def test_two_video_streams_use_the_first(files):
    info = probe(files["two_streams"], **LIMITS)
    assert info.video_streams == 2 and (info.width, info.height) == (640, 360)


def test_name_and_extension_do_not_matter(files, tmp_path):
    disguised = tmp_path / "课程视频.txt"
    disguised.write_bytes(files["good"].read_bytes())
    assert probe(disguised, **LIMITS).duration == pytest.approx(8, abs=0.1)
