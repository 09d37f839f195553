"""What learners receive: H.264 + AAC in fMP4 segments of about six seconds, keyframes at the
same instants in every rendition, a poster, playlists as long as the source."""

import re

import av

from lms.courses import storage
from lms.courses.models import Video
from lms.extensions import db
from tests.courses.uploading import upload


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
        with av.open(str(probe_file)) as container:  # our own output: no allow-lists needed
            assert {s.codec_context.name for s in container.streams} == {"h264", "aac"}
            stream = container.streams.video[0]
            stream.codec_context.skip_frame = "NONKEY"
            keyframes.append([round(float(f.time), 2) for f in container.decode(stream)])
    assert keyframes[0] == keyframes[1]  # a player can switch quality at any boundary
    assert (root / "poster.jpg").stat().st_size > 1000
