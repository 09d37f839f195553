"""Where media lives under the media root. Paths come from ids, never from uploaded names."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import unicodedata
from pathlib import Path

from flask import current_app

from lms.courses import media_tools


def media_root() -> Path:
    return Path(current_app.config["MEDIA_ROOT"])


def upload_path(video_id: int) -> Path:
    """The original file: written to while uploading, kept afterwards."""
    return media_root() / "originals" / f"{video_id}"


def chunk_path(video_id: int) -> Path:
    """A private file for one incoming chunk, beside the original."""
    folder = media_root() / "originals"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{video_id}.chunk-{secrets.token_hex(6)}"


def free_bytes() -> int:
    root = media_root()
    root.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(root).free


def rendition_root(video_id: int) -> Path:
    return media_root() / "renditions" / str(video_id)


def new_work_dir(video_id: int) -> Path:
    """A fresh private directory for one transcode attempt, beside where it will be published."""
    root = rendition_root(video_id)
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob(".work-*"):  # left by an attempt that died
        shutil.rmtree(stale, ignore_errors=True)
    path = root / f".work-{secrets.token_hex(6)}"
    path.mkdir()
    return path


def tree_bytes(directory: Path) -> int:
    """Bytes of every file under ``directory``."""
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def publish(work_dir: Path, video_id: int, attempt: int) -> str:
    """Move a finished attempt into place in one rename; return its path under the media root."""
    final = rendition_root(video_id) / f"r{attempt}"
    if final.exists():
        shutil.rmtree(final)
    os.replace(work_dir, final)
    return str(final.relative_to(media_root()))


def remove_video_files(video_id: int) -> None:
    upload_path(video_id).unlink(missing_ok=True)
    for chunk in upload_path(video_id).parent.glob(f"{video_id}.chunk-*"):
        chunk.unlink(missing_ok=True)
    shutil.rmtree(rendition_root(video_id), ignore_errors=True)


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def display_name(raw: str) -> str:
    """An uploaded file name fit to show: no directories, no control characters, not too long."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    return name[:200] or "video"


#: The demuxer that reads each image type a cover may be (``lms.files`` checked which it is).
_IMAGE_DEMUXERS = {"image/jpeg": "jpeg_pipe", "image/png": "png_pipe"}


def reencode_image(data: bytes, target: Path, max_width: int, mime_type: str) -> bool:
    """Decode an image with ffmpeg and write it again as a JPEG; False if it cannot be read.

    ``mime_type`` is what ``lms.files.intake.read_image`` found: ffmpeg reads the file as that
    image format only, from the local file only (``media_tools.input_args``)."""
    demuxer = _IMAGE_DEMUXERS.get(mime_type)
    if demuxer is None:
        return False
    source = target.with_suffix(".upload")
    source.write_bytes(data)
    try:
        done = media_tools.run(
            [
                media_tools.executable("ffmpeg"), "-nostdin", "-v", "error", "-y",
                *media_tools.input_args(source, demuxer, allowed=media_tools.IMAGE_FORMATS),
                "-frames:v", "1",
                "-vf", f"scale='min({max_width},iw)':-2", "-q:v", "3", str(target),
            ],
            timeout=60,
        )
        return done.returncode == 0 and target.exists() and target.stat().st_size > 0
    finally:
        source.unlink(missing_ok=True)
