"""Real media files for tests, made by ffmpeg on the spot (nothing binary is committed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from lms.courses import media_tools


def ffmpeg(*args: str) -> None:
    subprocess.run(
        [media_tools.executable("ffmpeg"), "-v", "error", "-y", "-nostdin", *args],
        check=True, timeout=300,
    )


def video(
    path: Path,
    seconds: float = 4,
    size: str = "640x360",
    rate: int = 25,
    audio: bool = True,
    extra: tuple[str, ...] = (),
) -> Path:
    """An H.264 + AAC MP4 with a test picture and a tone."""
    inputs = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}"]
    ffmpeg(*inputs, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           *(["-c:a", "aac"] if audio else []), "-movflags", "+faststart", *extra, str(path))
    return path


def truncated_mp4(path: Path, seconds: float = 10) -> Path:
    """A fast-start MP4 cut off at 40%: its header still announces the full length."""
    whole = video(path.with_name("whole-" + path.name), seconds, size="320x240")
    data = whole.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.4)])
    return path


def audio_only(path: Path, seconds: float = 3) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"sine=duration={seconds}", "-c:a", "aac", str(path))
    return path


def long_tiny_video(path: Path, minutes: float = 46) -> Path:
    """A long video that is small on disk: 64×36 pixels, one frame a second."""
    return video(path, minutes * 60, size="64x36", rate=1, audio=False)


def rotated_phone_video(path: Path, seconds: float = 3) -> Path:
    """Portrait footage stored landscape with a 90° rotation flag, as phones record."""
    landscape = video(path.with_name("landscape-" + path.name), seconds, size="640x360")
    ffmpeg("-display_rotation:v:0", "90", "-i", str(landscape), "-c", "copy", str(path))
    return path


def vfr_webm_without_duration(path: Path, seconds: float = 4) -> Path:
    """A VP8 WebM with variable frame rate, written to a pipe so no duration is recorded."""
    args = [
        media_tools.executable("ffmpeg"), "-v", "error", "-nostdin",
        "-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=30:duration={seconds}",
        "-vf", r"select='not(mod(n\,3))+not(mod(n\,7))'", "-fps_mode", "vfr",
        "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k",
        "-f", "webm", "pipe:1",
    ]
    path.write_bytes(subprocess.run(args, check=True, capture_output=True, timeout=120).stdout)
    return path


def two_video_streams(path: Path, seconds: float = 3) -> Path:
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=25:duration={seconds}",
        "-f", "lavfi", "-i", f"smptebars=size=320x240:rate=25:duration={seconds}",
        "-map", "0:v", "-map", "1:v", "-c:v", "libx264", "-preset", "ultrafast", str(path),
    )
    return path


def picture(path: Path) -> Path:
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", str(path))
    return path


def two_audio_tracks(path: Path, seconds: float = 3) -> Path:
    """Microphone and desktop sound in two tracks, as screen recorders save them."""
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=25:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=880:duration={seconds}",
        "-map", "0:v", "-map", "1:a", "-map", "2:a",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(path),
    )
    return path


#: Codecs for each container the platform reads, from encoders the ffmpeg build has.
CONTAINERS = {
    "mp4": ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
    "mov": ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
    "mkv": ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
    "webm": ("-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"),
    "avi": ("-c:v", "mpeg4", "-q:v", "5", "-c:a", "mp3"),
    "flv": ("-c:v", "flv1", "-q:v", "5", "-c:a", "mp3", "-ar", "44100"),
    "wmv": ("-c:v", "wmv2", "-q:v", "5", "-c:a", "wmav2"),
    "mpg": ("-c:v", "mpeg2video", "-q:v", "5", "-c:a", "mp2"),  # MPEG-PS
    "ts": ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
    "m2ts": ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
    "3gp": ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
}


def container(path: Path, seconds: float = 2, size: str = "160x120") -> Path:
    """A short small video in the container its suffix names (one of :data:`CONTAINERS`)."""
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}",
        *CONTAINERS[path.suffix.lstrip(".")], str(path),
    )
    return path
