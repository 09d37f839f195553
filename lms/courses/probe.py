"""Deciding what an uploaded file really is, from its content alone.

The duration is measured by reading every packet of the video stream: container headers lie
(a truncated fast-start MP4 still announces its full length; a WebM from a browser recorder
announces none).

The streams are described and every packet read with PyAV (``describe.py``, in a process of
its own, under a timeout); it reads the file as one of the real video containers only, from
the local disk only (``media_tools.input_args``): a playlist or manifest (HLS, DASH, ffconcat,
SDP) renamed ``.mp4`` is refused without anything it names being fetched. The transcode and
the poster (the ffmpeg binary) then read the container the probe found (``-f``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from lms.courses import media_tools

logger = logging.getLogger(__name__)

#: Formats of still pictures: a file no video container reads is tried as one of these, only to
#: say it is a picture. No SVG: its decoder could follow references to other files.
IMAGE_FORMATS = ("image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "gif")
#: A header may overstate the readable length by this much before the file counts as cut short.
TRUNCATION_TOLERANCE = 1.5
MIN_SECONDS = 1.0


class Refused(ValueError):
    """The file cannot become a course video; str() says why, with the measured figures."""


@dataclass(frozen=True)
class MediaInfo:
    #: Seconds of video actually present, measured by reading the stream.
    duration: float
    #: What the container header claims, if anything.
    header_duration: float | None
    #: Display size, after any rotation flag is applied.
    width: int
    height: int
    rotation: int
    has_audio: bool
    video_streams: int
    frame_rate: float
    size: int
    format_name: str

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)


def clock(seconds: float) -> str:
    """Seconds as people read durations: ``46:00`` or ``1:02:03``."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size < 1024**3 else f"{size / 1024**3:.2f} GB"


def probe(path: Path, *, max_seconds: float, max_bytes: int, timeout: float = 600) -> MediaInfo:
    """Measure ``path`` or raise :class:`Refused` with a reason a provider understands."""
    size = path.stat().st_size
    if size == 0:
        raise Refused(_("文件是空的（0 字节），请重新选择视频文件。"))
    if size > max_bytes:
        raise Refused(
            _("文件大小 %(size)s，超过上限 %(limit)s。", size=megabytes(size),
              limit=megabytes(max_bytes))
        )
    described = _describe(path, timeout)
    format_name = str(described.get("format_name") or "")
    streams = described.get("streams") or []
    videos = [s for s in streams if s.get("type") == "video" and not s.get("attached_pic")]
    has_audio = any(s.get("type") == "audio" for s in streams)
    if not videos:
        if has_audio:
            raise Refused(_("文件中只有声音，没有视频画面。"))
        raise Refused(_("文件中没有视频画面。"))

    video = videos[0]
    frame_rate = _float(video.get("frame_rate")) or 25.0
    measured = _float(described.get("measured"))
    header = _float(described.get("duration")) or _float(video.get("duration"))
    if measured is None or measured < MIN_SECONDS:
        if header and header >= MIN_SECONDS:
            raise Refused(_("文件不完整或已损坏：无法读出视频内容。请重新导出后上传。"))
        raise Refused(_("视频太短（不足 1 秒）。"))
    if header and header - measured > max(TRUNCATION_TOLERANCE, header * 0.02):
        raise Refused(
            _("文件不完整：文件头显示时长 %(header)s，实际只能读出 %(measured)s。"
              "可能是上传或导出中断，请重新导出完整文件后上传。",
              header=clock(header), measured=clock(measured))
        )
    if measured > max_seconds + 0.5:
        raise Refused(
            _("视频时长 %(measured)s，超过 %(limit)d 分钟上限。"
              "请剪辑成不超过 %(limit)d 分钟的片段分别上传。",
              measured=clock(measured), limit=int(max_seconds // 60))
        )

    rotation = int(_float(video.get("rotation")) or 0) % 360
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if rotation in (90, 270):
        width, height = height, width
    if width < 16 or height < 16:
        raise Refused(_("视频画面尺寸 %(w)d×%(h)d 无法识别。", w=width, h=height))
    return MediaInfo(
        duration=measured,
        header_duration=header,
        width=width,
        height=height,
        rotation=rotation,
        has_audio=has_audio,
        video_streams=len(videos),
        frame_rate=frame_rate,
        size=size,
        format_name=format_name,
    )


def _describe(path: Path, timeout: float) -> dict[str, Any]:
    """The container and streams of ``path`` (see ``describe.py``), read as one of the video
    containers only."""
    done = _run_describe(path, media_tools.VIDEO_FORMATS, timeout)
    if done.timed_out:
        raise Refused(_("读取文件超时，文件可能已损坏。"))
    if done.returncode != 0:
        logger.info("describing refused %s: %s", path.name, done.stderr[-300:])
        # A format it recognised but no video container, or a manifest in text that newer
        # libavformat no longer recognises under a video's name (it then fails as an MP4).
        if "not on whitelist" in done.stderr or _is_manifest(path):
            if _is_picture(path):
                raise Refused(_("这是一张图片，不是视频。"))
            raise Refused(
                _("不支持这种文件格式：请上传 MP4、MOV、MKV、WebM、AVI、FLV、MPEG 或 WMV "
                  "视频文件。播放列表或流媒体清单（如 M3U8、MPD）不是视频文件。")
            )
        raise Refused(_not_a_video())
    try:
        return json.loads(done.stdout or "{}")
    except ValueError:
        raise Refused(_not_a_video()) from None


#: How the playlists and manifests ffmpeg could follow begin (HLS, DASH, ffconcat, SDP).
_MANIFEST_STARTS = (b"#EXTM3U", b"<?xml", b"<MPD", b"ffconcat version", b"v=0")


def _is_manifest(path: Path) -> bool:
    """Whether ``path`` is a text playlist or manifest (only to say so in the refusal)."""
    with path.open("rb") as file:
        head = file.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(_MANIFEST_STARTS) or b"<MPD" in head


def _not_a_video() -> str:
    return _("无法识别文件内容：这不是视频文件，或文件已损坏、不完整。")


def _run_describe(
    path: Path, formats: tuple[str, ...], timeout: float
) -> media_tools.Completed:
    args = [*media_tools.DESCRIBE, *media_tools.input_args(path, allowed=formats)]
    return media_tools.run(args, timeout=timeout)


def _is_picture(path: Path) -> bool:
    """Whether ``path`` reads as a still picture (only to say so in the refusal)."""
    done = _run_describe(path, IMAGE_FORMATS, timeout=60)
    return done.returncode == 0 and not done.timed_out


def _float(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN is no number
