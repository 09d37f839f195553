"""From an uploaded original to HLS renditions: a 720p/360p ladder in fMP4 segments.

One ffmpeg process decodes the source once and encodes every rung, with keyframes forced at
the same instants in all of them so players can switch quality at any segment boundary.

The source is read as the container the probe found (``-f``), from the local file only, with
the same allow-lists as the probe (``media_tools.input_options``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
from flask_babel import gettext as _

from lms.courses import media_tools
from lms.courses.probe import MediaInfo

logger = logging.getLogger(__name__)

SEGMENT_SECONDS = 6
MAX_FRAME_RATE = 30


@dataclass(frozen=True)
class Rung:
    #: Short side in pixels: 720 means 1280×720 landscape or 720×1280 portrait.
    short_side: int
    max_kbps: int
    audio_kbps: int


LADDER = (Rung(720, 3000, 128), Rung(360, 900, 64))


class TranscodeFailed(RuntimeError):
    """ffmpeg could not produce good renditions; str() is the reason for the provider."""


class Stopped(RuntimeError):
    """The caller's progress callback asked to stop (its job is no longer its own)."""


def rungs_for(info: MediaInfo) -> list[Rung]:
    """The ladder's rungs the source can fill: never upscale. A source smaller than every rung
    gets one rendition at its own size."""
    fitting = [rung for rung in LADDER if rung.short_side <= info.short_side]
    if fitting:
        return fitting
    smallest = LADDER[-1]
    return [Rung(info.short_side - info.short_side % 2, smallest.max_kbps, smallest.audio_kbps)]


def command(source: Path, out: Path, info: MediaInfo) -> list[str]:
    """The ffmpeg argument list for the whole ladder."""
    rungs = rungs_for(info)
    stream = _input(source, info)
    video = stream.video
    if info.frame_rate > MAX_FRAME_RATE + 0.5:
        video = video.filter("fps", fps=MAX_FRAME_RATE)
    branches = video.filter_multi_output("split", len(rungs)) if len(rungs) > 1 else None
    outputs = []
    options: dict[str, object] = {}
    for index, rung in enumerate(rungs):
        branch = branches[index] if branches is not None else video
        if info.width >= info.height:
            scaled = branch.filter("scale", w=-2, h=rung.short_side)
        else:
            scaled = branch.filter("scale", w=rung.short_side, h=-2)
        outputs.append(scaled)
        if info.has_audio:
            outputs.append(stream["a:0"])  # the first track: screen recorders add a second
        options[f"maxrate:v:{index}"] = f"{rung.max_kbps}k"
        options[f"bufsize:v:{index}"] = f"{rung.max_kbps * 2}k"
        options[f"b:a:{index}"] = f"{rung.audio_kbps}k"
    stream_map = " ".join(
        f"v:{i},a:{i}" if info.has_audio else f"v:{i}" for i in range(len(rungs))
    )
    node = ffmpeg.output(
        *outputs,
        str(out / "v%v" / "index.m3u8"),
        vcodec="libx264",
        preset="veryfast",
        crf=23,
        pix_fmt="yuv420p",
        profile="high",
        force_key_frames=f"expr:gte(t,n_forced*{SEGMENT_SECONDS})",
        sc_threshold=0,
        acodec="aac",
        ac=2,
        format="hls",
        hls_time=SEGMENT_SECONDS,
        hls_playlist_type="vod",
        hls_segment_type="fmp4",
        hls_flags="independent_segments",
        hls_segment_filename=str(out / "v%v" / "seg_%05d.m4s"),
        hls_fmp4_init_filename="init.mp4",
        master_pl_name="master.m3u8",
        var_stream_map=stream_map,
        **options,
    ).global_args("-nostdin", "-v", "error", "-progress", "pipe:1", "-nostats")
    return node.compile(cmd=media_tools.executable("ffmpeg"), overwrite_output=True)


def transcode(
    source: Path,
    out: Path,
    info: MediaInfo,
    *,
    nice: int = 10,
    on_progress: Callable[[int], bool] | None = None,
) -> None:
    """Write the renditions and a poster into ``out``, then check them; raise on any failure.

    ``on_progress`` hears the percent done about twice a second; answering False stops ffmpeg
    (raising :class:`Stopped`).
    """

    def progress(block: dict[str, str]) -> bool:
        try:
            seconds = max(0, int(block.get("out_time_us", "0"))) / 1_000_000
        except ValueError:
            seconds = 0.0
        percent = max(0, min(99, int(seconds * 100 / info.duration)))
        return on_progress(percent) if on_progress is not None else True

    # Generous: the slowest machine transcodes well above a tenth of real time.
    timeout = 600 + info.duration * 10
    done = media_tools.run(command(source, out, info), timeout=timeout, nice=nice,
                           on_progress=progress)
    if done.stopped:
        raise Stopped()
    if done.timed_out:
        raise TranscodeFailed(_("转码超时，请稍后重试。"))
    if done.returncode != 0:
        logger.warning("ffmpeg failed on %s: %s", source, done.stderr[-2000:])
        raise TranscodeFailed(_("转码失败：文件中的视频无法解码。请重新导出后上传，或稍后重试。"))
    make_poster(source, out / "poster.jpg", info)
    verify(out, info.duration)


def make_poster(source: Path, target: Path, info: MediaInfo) -> None:
    done = media_tools.run(poster_command(source, target, info), timeout=120)
    if done.returncode != 0 or not target.exists():
        raise TranscodeFailed(_("无法生成视频封面，请稍后重试。"))


def poster_command(source: Path, target: Path, info: MediaInfo) -> list[str]:
    """The ffmpeg argument list for one frame, 360 pixels on its short side, a tenth in."""
    at = min(info.duration * 0.1, 5.0)
    # Decoded up to that point (``-ss`` after the input): seeking the input can land past the
    # only keyframe of a short MPEG-TS file, and then no frame comes out at all.
    frame = _input(source, info)
    if info.width >= info.height:
        scaled = frame.filter("scale", w=-2, h=360)
    else:
        scaled = frame.filter("scale", w=360, h=-2)
    # Full-range YUV, as JPEG is: newer ffmpeg refuses to write a JPEG from video's limited range.
    scaled = scaled.filter("format", "yuvj420p")
    node = ffmpeg.output(scaled, str(target), ss=f"{at:.2f}", vframes=1, q=3).global_args(
        "-nostdin", "-v", "error"
    )
    return node.compile(cmd=media_tools.executable("ffmpeg"), overwrite_output=True)


def _input(source: Path, info: MediaInfo, **options: str) -> ffmpeg.nodes.FilterableStream:
    """The uploaded file as ffmpeg-python's input: the probe's container, local file only."""
    return ffmpeg.input(
        media_tools.input_url(source), **media_tools.input_options(info.format_name), **options
    )


_EXTINF = re.compile(r"^#EXTINF:([0-9.]+)", re.MULTILINE)
_VARIANT = re.compile(r"^(?!#)(\S+\.m3u8)\s*$", re.MULTILINE)


def verify(out: Path, expected_seconds: float) -> None:
    """Every variant playlist lasts as long as the source (within a second), its files exist."""
    master = out / "master.m3u8"
    if not master.exists():
        raise TranscodeFailed(_("转码结果不完整（缺少播放列表），请重试。"))
    variants = _VARIANT.findall(master.read_text())
    if not variants:
        raise TranscodeFailed(_("转码结果不完整（没有清晰度），请重试。"))
    for variant in variants:
        playlist = out / variant
        text = playlist.read_text() if playlist.exists() else ""
        total = sum(float(x) for x in _EXTINF.findall(text))
        if abs(total - expected_seconds) > 1.0 or "#EXT-X-ENDLIST" not in text:
            raise TranscodeFailed(
                _("转码结果时长 %(got).1f 秒，与原视频 %(want).1f 秒不符，请重试。",
                  got=total, want=expected_seconds)
            )
        for name in re.findall(r'^(?!#)(\S+\.m4s)\s*$|URI="([^"]+)"', text, re.MULTILINE):
            file = playlist.parent / (name[0] or name[1])
            if not file.exists() or file.stat().st_size == 0:
                raise TranscodeFailed(_("转码结果缺少分段文件，请重试。"))
