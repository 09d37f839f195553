"""Running ffmpeg (and the stream describer): argument lists, a timeout, stderr drained,
progress read.

Every run on a file someone uploaded opens it through :func:`input_args` (or
:func:`input_options` with ffmpeg-python): local files only (``-protocol_whitelist file``) and
only the demuxers named (``-format_whitelist``), by default the real video containers in
:data:`VIDEO_FORMATS`. A playlist or manifest renamed ``.mp4`` (HLS, DASH, ffconcat, SDP, …)
would otherwise have ffmpeg fetch the URLs and files it names, and make a rendition of them.
Once the probe has found the container, later runs also name it (``-f``).

ffmpeg is the one the ``imageio-ffmpeg`` package installs from PyPI, even where the system has
one on PATH, so that every machine (and CI) runs what ``pip`` gives; ``LMS_FFMPEG`` names
another (a system ffmpeg). There is no ffprobe: :data:`DESCRIBE` describes the streams with
PyAV (``av``), in a process of its own, through the same :func:`input_args`.
"""

from __future__ import annotations

import collections
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

logger = logging.getLogger(__name__)


class ToolMissing(RuntimeError):
    """Neither the system nor the Python environment has the program."""


@cache
def executable(name: str = "ffmpeg") -> str:
    """Absolute path of ffmpeg: ``LMS_FFMPEG``, else the binary inside ``imageio-ffmpeg``."""
    if name != "ffmpeg":
        raise ValueError(f"{name}: only ffmpeg is run (streams are described with PyAV)")
    override = os.environ.get("LMS_FFMPEG")
    if override:
        return override
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as error:
        raise ToolMissing(f"ffmpeg not found ({error}): `pip install imageio-ffmpeg`") from None


#: The describer: ``python -I describe.py <input_args>`` prints a file's container and streams
#: as JSON (PyAV, in a child process so a crash or a hang in a demuxer costs nothing else).
DESCRIBE = (sys.executable, "-I", str(Path(__file__).with_name("describe.py")))


#: Demuxers that may read an uploaded video: containers that hold their media themselves and
#: name no other file or URL. Not here: hls, dash, concat, sdp, rtsp, image sequences, devices.
#: (Names as ``ffmpeg -formats`` lists them; ``mov`` matches ``mov,mp4,m4a,3gp,3g2,mj2``.)
VIDEO_FORMATS = (
    "mov", "mp4", "m4a", "3gp", "3g2", "mj2",  # MP4, MOV, 3GP
    "matroska", "webm",  # MKV, WebM
    "avi",
    "mpegts",  # MPEG-TS, M2TS
    "mpeg",  # MPEG-PS (.mpg, .vob)
    "flv",
    "asf",  # WMV
)
#: Demuxers that may read a cover image (already checked to be a JPEG or PNG).
IMAGE_FORMATS = ("image2", "png_pipe", "jpeg_pipe")
#: Protocols an input may be opened with: the local file we name, nothing it names.
PROTOCOLS = ("file",)


def input_options(
    format_name: str | None = None, *, allowed: Sequence[str] = VIDEO_FORMATS
) -> dict[str, str]:
    """The options that go before ``-i`` for an untrusted input: the protocols and formats it
    may be read with, and ``format_name`` (what the probe found, e.g. ``mov,mp4,…``) forced.

    Raises ValueError if ``format_name`` is not among ``allowed``.
    """
    options = {"protocol_whitelist": ",".join(PROTOCOLS), "format_whitelist": ",".join(allowed)}
    if format_name:
        names = [name for name in format_name.split(",") if name in allowed]
        if not names:
            raise ValueError(f"format {format_name!r} is not one of {','.join(allowed)}")
        options["f"] = names[0]
    return options


def input_url(path: Path | str) -> str:
    """``path`` as a ``file:`` URL, so no part of it is read as another protocol."""
    return f"file:{Path(path).absolute()}"


def input_args(
    path: Path | str, format_name: str | None = None, *, allowed: Sequence[str] = VIDEO_FORMATS
) -> list[str]:
    """``-protocol_whitelist file -format_whitelist … [-f …] -i file:path`` for ffmpeg or
    :data:`DESCRIBE` (see :func:`input_options`)."""
    args: list[str] = []
    for key, value in input_options(format_name, allowed=allowed).items():
        args += [f"-{key}", value]
    return [*args, "-i", input_url(path)]


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    #: The last lines ffmpeg wrote to stderr: where its reasons are.
    stderr: str
    timed_out: bool
    #: The progress callback asked to stop, and the program was killed.
    stopped: bool = False


def run(
    args: Sequence[str],
    *,
    timeout: float,
    nice: int = 0,
    on_progress: Callable[[dict[str, str]], bool] | None = None,
) -> Completed:
    """Run a program to completion (or until ``timeout`` seconds, then kill it).

    With ``on_progress``, stdout is read as ffmpeg's ``-progress`` key=value blocks and each
    completed block is passed on; a False answer kills the program. Otherwise stdout is
    returned whole.
    """
    proc = subprocess.Popen(
        list(args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=(lambda: os.nice(nice)) if nice else None,  # noqa: PLW1509
    )
    stderr_tail: collections.deque[str] = collections.deque(maxlen=60)

    def drain_stderr() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            stderr_tail.append(raw.decode("utf-8", "replace").rstrip())

    drainer = threading.Thread(target=drain_stderr, daemon=True)
    drainer.start()
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        proc.kill()

    timer = threading.Timer(timeout, kill)
    timer.start()
    started = time.monotonic()
    stopped = False
    try:
        assert proc.stdout is not None
        if on_progress is None:
            stdout = proc.stdout.read().decode("utf-8", "replace")
        else:
            stdout = ""
            block: dict[str, str] = {}
            for raw in proc.stdout:
                key, _, value = raw.decode("utf-8", "replace").strip().partition("=")
                block[key] = value
                if key == "progress":
                    if on_progress(block) is False:
                        stopped = True
                        proc.kill()
                        break
                    block = {}
        proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        drainer.join(timeout=5)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    logger.debug("%s finished in %.1fs: %s", args[0], time.monotonic() - started, proc.returncode)
    return Completed(
        proc.returncode, stdout, "\n".join(stderr_tail), timed_out.is_set(), stopped
    )
