"""What learners receive: H.264 + AAC in fMP4 segments of about six seconds, keyframes at the
same instants in every rendition, a poster, playlists as long as the source."""

import json
import re
import subprocess

from lms.courses import media_tools, storage
from lms.courses.models import Video
from lms.extensions import db
from tests.courses.uploading import upload


def ffprobe(path, *args):
    done = subprocess.run(
        [media_tools.executable("ffprobe"), "-v", "error", "-of", "json", *args, str(path)],
        capture_output=True, check=True, timeout=60,
    )
    return json.loads(done.stdout)


def test_ladder_output_is_h264_aac_fmp4_with_aligned_six_second_segments(
    client, people, login_as, course, files
):
    login_as(people.provider)
    video = upload(client, course.id, files["hd"])  # 7 s of 1280×720
    root = storage.media_root() / db.session.get(Video, video["id"]).rendition
    master = (root / "master.m3u8").read_text()
    assert 'CODECS="avc1.' in master and "mp4a.40.2" in master

    keyframes = []
    for variant in ("v0", "v1"):
        playlist = (root / variant / "index.m3u8").read_text()
        init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', playlist).group(1)
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist
        durations = [float(d) for d in re.findall(r"#EXTINF:([0-9.]+)", playlist)]
        assert durations[0] == 6.0 and abs(sum(durations) - 7) < 0.1
        segment = root / variant / "seg_00000.m4s"
        joined = (root / variant / init).read_bytes() + segment.read_bytes()
        probe_file = root / variant / "probe.mp4"
        probe_file.write_bytes(joined)
        streams = ffprobe(probe_file, "-show_streams")["streams"]
        assert {s["codec_name"] for s in streams} == {"h264", "aac"}
        frames = ffprobe(probe_file, "-select_streams", "v:0", "-skip_frame", "nokey",
                         "-show_entries", "frame=pts_time", "-show_frames")["frames"]
        keyframes.append([round(float(f["pts_time"]), 2) for f in frames])
    assert keyframes[0] == keyframes[1]  # a player can switch quality at any boundary
    assert (root / "poster.jpg").stat().st_size > 1000
