"""ffmpeg reads an upload as a real video container from the local file, nothing else.

A playlist or manifest renamed ``.mp4`` names URLs and files; read by ffmpeg's hls, dash,
concat or sdp demuxer, they would be fetched (from the city intranet, from the media disk) and
become a playable rendition. Here each kind points at an HTTP server that counts requests and
at a sentinel file that is a real video, so that fetching it would succeed: the server hears
nothing, the sentinel's bytes appear nowhere, and the upload is refused with its reason.
Real ffmpeg throughout.
"""

from __future__ import annotations

import http.server
import io
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from lms.courses import media_tools, storage
from lms.courses.models import Video
from lms.courses.probe import MediaInfo, Refused, probe
from lms.courses.transcode import TranscodeFailed, transcode
from lms.extensions import db
from tests import media
from tests.courses.uploading import upload
from tests.files import bombs

LIMITS = {"max_seconds": 2700, "max_bytes": 4 * 1024**3}
NOT_SUPPORTED = "不支持这种文件格式"


class Server:
    """An HTTP server on 127.0.0.1 that answers every request with the sentinel video."""

    def __init__(self, body: bytes) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def sentinel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real small video outside the media root: what a manifest would have ffmpeg read."""
    return media.video(tmp_path_factory.mktemp("outside") / "sentinel.mp4", seconds=3,
                       size="176x144")


@pytest.fixture
def server(sentinel: Path) -> Iterator[Server]:
    running = Server(sentinel.read_bytes())
    yield running
    running.close()


def hls(target: str) -> str:
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n"
        f"#EXTINF:3.0,\n{target}\n#EXT-X-ENDLIST\n"
    )


def dash(target: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT3S"
     minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">
 <Period>
  <AdaptationSet mimeType="video/mp4">
   <Representation id="1" bandwidth="100000" width="176" height="144" codecs="avc1.42c00b">
    <BaseURL>{target}</BaseURL>
   </Representation>
  </AdaptationSet>
 </Period>
</MPD>
"""


def ffconcat(target: str) -> str:
    return f"ffconcat version 1.0\nfile '{target}'\nduration 3\n"


def sdp(port: int) -> str:
    return (
        "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=lecture\nc=IN IP4 127.0.0.1\nt=0 0\n"
        f"m=video {port} RTP/AVP 96\na=rtpmap:96 H264/90000\n"
    )


#: Each kind of manifest: its text, given the server's URL and the sentinel's path.
MANIFESTS = {
    "hls-http": lambda url, file: hls(f"{url}/seg.ts"),
    "hls-file-url": lambda url, file: hls(f"file://{file}"),
    "hls-bin": lambda url, file: hls(f"file://{file.with_name('sentinel.bin')}"),
    "dash-http": lambda url, file: dash(f"{url}/video.mp4"),
    "dash-file-url": lambda url, file: dash(f"file://{file}"),
    "ffconcat-http": lambda url, file: ffconcat(f"{url}/part.mp4"),
    "ffconcat-path": lambda url, file: ffconcat(str(file)),
    "sdp": lambda url, file: sdp(int(url.rsplit(":", 1)[1])),
}


def write_manifest(kind: str, folder: Path, server: Server, sentinel: Path) -> Path:
    sentinel.with_name("sentinel.bin").write_bytes(sentinel.read_bytes())
    path = folder / f"{kind}.mp4"
    path.write_text(MANIFESTS[kind](server.url, sentinel))
    return path


def holds_sentinel(root: Path, sentinel: Path) -> list[Path]:
    """Files under ``root`` that contain a piece of the sentinel's bytes."""
    data = sentinel.read_bytes()
    piece = data[len(data) // 2 : len(data) // 2 + 256]
    return [p for p in root.rglob("*") if p.is_file() and piece in p.read_bytes()]


@pytest.fixture
def provider(client, people, login_as):
    return login_as(people.provider)


@pytest.mark.parametrize("kind", sorted(MANIFESTS))
def test_an_uploaded_manifest_fetches_nothing_and_is_refused(
    provider, course, server, sentinel, tmp_path, kind
):
    manifest = write_manifest(kind, tmp_path, server, sentinel)
    video = upload(provider, course.id, manifest, name="第一讲.mp4")
    assert server.requests == []
    assert video["state"] == "refused", video
    assert NOT_SUPPORTED in video["reason"]
    assert db.session.get(Video, video["id"]).rendition is None
    assert holds_sentinel(storage.media_root(), sentinel) == []
    assert not list(storage.rendition_root(video["id"]).rglob("*.m4s"))


@pytest.mark.parametrize("kind", ["hls-http", "hls-file-url", "dash-http", "dash-file-url"])
def test_transcode_reads_only_the_container_the_probe_found(server, sentinel, tmp_path, kind):
    """Even handed a manifest with a probe's result for an MP4, transcode and poster read it as
    an MP4 (which it is not) from the local file: nothing is fetched, nothing is made."""
    manifest = write_manifest(kind, tmp_path, server, sentinel)
    info = MediaInfo(duration=3.0, header_duration=3.0, width=176, height=144, rotation=0,
                     has_audio=False, video_streams=1, frame_rate=25.0,
                     size=manifest.stat().st_size, format_name="mov,mp4,m4a,3gp,3g2,mj2")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(TranscodeFailed):
        transcode(manifest, out, info, nice=0)
    assert server.requests == []
    assert holds_sentinel(out, sentinel) == [] and not list(out.rglob("*.m4s"))


def test_a_format_outside_the_list_is_never_forced(tmp_path):
    with pytest.raises(ValueError, match="hls"):
        media_tools.input_options("hls")
    with pytest.raises(ValueError):
        media_tools.input_options("image2")  # a picture's format is no video's


def describe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*media_tools.DESCRIBE, *args], capture_output=True, text=True,
                          timeout=60)


def test_the_describer_honours_the_protocol_and_format_allow_lists(server, sentinel, tmp_path):
    """PyAV is handed the same options as ffmpeg, and libavformat applies them: an HLS playlist
    read as HLS (forced) fetches nothing over HTTP with only ``file`` allowed — and does with
    ``http`` allowed too, so a fetch would be seen; a real MPEG-TS file is refused when
    ``mpegts`` is not among the formats."""
    playlist = tmp_path / "list.m3u8"
    playlist.write_text(hls(f"{server.url}/seg.ts"))
    refused = describe(*media_tools.input_args(playlist, "hls", allowed=("hls",)))
    assert refused.returncode == 1 and server.requests == []
    describe("-protocol_whitelist", "file,http,tcp", "-format_whitelist", "hls", "-f", "hls",
             "-i", media_tools.input_url(playlist))
    assert server.requests, "with http allowed, the playlist's segment is fetched"

    recording = media.container(tmp_path / "lecture.ts")
    assert describe(*media_tools.input_args(recording)).returncode == 0
    refused = describe(*media_tools.input_args(recording, allowed=("mov", "matroska")))
    assert refused.returncode == 1 and "not on whitelist" in refused.stderr


def test_a_picture_is_still_called_a_picture(files):
    with pytest.raises(Refused, match="这是一张图片"):
        probe(files["picture"], **LIMITS)


# --- every run on user input carries the allow-lists -----------------------------------------



def program(argv: list[str]) -> str:
    """``ffmpeg`` or ``describe`` (PyAV's describer, run as a script by Python)."""
    if list(argv[: len(media_tools.DESCRIBE)]) == list(media_tools.DESCRIBE):
        return "describe"
    assert argv[0] == media_tools.executable("ffmpeg"), argv
    return "ffmpeg"


def input_part(argv: list[str]) -> tuple[dict[str, str], str]:
    """The options before ``-i`` (as a dict) and the input, for a one-input command."""
    assert argv.count("-i") == 1, argv
    at = argv.index("-i")
    options = {}
    skip = len(media_tools.DESCRIBE) if program(argv) == "describe" else 1
    for index, arg in enumerate(argv[skip:at], start=skip):
        if arg.startswith("-") and index + 1 < at and not argv[index + 1].startswith("-"):
            options[arg] = argv[index + 1]
    return options, argv[at + 1]


def assert_allow_listed(argv: list[str], allowed: tuple[str, ...], forced: str | None) -> None:
    options, source = input_part(argv)
    assert options["-protocol_whitelist"] == "file", argv
    assert set(options["-format_whitelist"].split(",")) == set(allowed), argv
    assert options.get("-f") == forced, argv
    assert source.startswith("file:/"), argv


def test_every_run_on_an_upload_names_its_formats_and_protocols(
    runs, files, tmp_path, provider, course
):
    info = probe(files["small"], **LIMITS)
    out = tmp_path / "out"
    out.mkdir()
    transcode(files["small"], out, info, nice=0)
    for refused in ("picture", "text"):
        with pytest.raises(Refused):
            probe(files[refused], **LIMITS)
    answer = provider.submit(f"/courses/{course.id}/cover",
                             {"cover": (io.BytesIO(bombs.png(320, 200)), "cover.png")},
                             content_type="multipart/form-data", follow_redirects=True)
    assert "封面已收到" in answer.get_data(as_text=True)

    programs = [program(argv) for argv in runs]
    assert programs.count("describe") >= 4 and programs.count("ffmpeg") >= 3, programs
    video_formats = media_tools.VIDEO_FORMATS
    describe_video, describe_picture, ffmpeg_video, ffmpeg_cover = [], [], [], []
    for argv in runs:
        options, _ = input_part(argv)
        if program(argv) == "describe":
            if "mov" in options["-format_whitelist"]:
                describe_video.append(argv)  # describes and reads every packet
                assert_allow_listed(argv, video_formats, None)
            else:
                describe_picture.append(argv)
        elif options.get("-f") == "png_pipe":
            ffmpeg_cover.append(argv)
            assert_allow_listed(argv, media_tools.IMAGE_FORMATS, "png_pipe")
        else:
            ffmpeg_video.append(argv)
            assert_allow_listed(argv, video_formats, "mov")  # transcode, poster
    assert len(describe_video) == 3 and len(ffmpeg_video) == 2 and len(ffmpeg_cover) == 1
    for argv in describe_picture:  # only to tell a picture from other files it refuses
        options, _ = input_part(argv)
        assert options["-protocol_whitelist"] == "file"
        assert "hls" not in options["-format_whitelist"].split(",")


def test_no_code_opens_an_input_but_through_the_allow_lists():
    """``-i`` and ``ffmpeg.input`` appear only where the options are built (and in the demo,
    which reads ffmpeg's own test pictures, and in the describer, which reads them);
    ``av.open`` only in the describer."""
    root = Path(__file__).resolve().parents[2] / "lms"
    for path in root.rglob("*.py"):
        text = path.read_text()
        relative = path.relative_to(root).as_posix()
        if re.search(r'"-i"', text):
            assert relative in {"courses/media_tools.py", "demo.py", "courses/describe.py"}, \
                relative
        if "av.open(" in text:
            assert relative == "courses/describe.py", relative
        if "ffmpeg.input(" in text:
            assert relative == "courses/transcode.py", relative
            assert text.count("ffmpeg.input(") == 1
            assert "media_tools.input_options(info.format_name)" in text
