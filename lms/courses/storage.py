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


#: The demuxer that reads each kind of cover upload, by the suffix it was kept under.
_IMAGE_DEMUXERS = {".jpg": "jpeg_pipe", ".png": "png_pipe"}


#: Cover uploads waiting for their re-encoding job, named ``<course id>-<random>.<jpg|png>``.
INCOMING_COVERS = "covers/incoming"
_COVER_SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png"}


def keep_incoming_cover(course_id: int, data: bytes, mime_type: str) -> str:
    """Write an uploaded cover (already checked by ``lms.files``) where its job will find it,
    atomically; return its path under the media root."""
    folder = media_root() / INCOMING_COVERS
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{course_id}-{os.urandom(4).hex()}{_COVER_SUFFIXES[mime_type]}"
    partial = folder / f".{name}.part"
    partial.write_bytes(data)
    os.replace(partial, folder / name)
    return f"{INCOMING_COVERS}/{name}"


def incoming_covers() -> list[tuple[int, str]]:
    """Every cover upload still waiting: (course id, path under the media root)."""
    folder = media_root() / INCOMING_COVERS
    found = []
    for path in sorted(folder.glob("*-*.*")) if folder.is_dir() else []:
        course_id = path.name.split("-", 1)[0]
        if course_id.isdigit() and path.suffix in _COVER_SUFFIXES.values():
            found.append((int(course_id), f"{INCOMING_COVERS}/{path.name}"))
    return found


def reencode_image(source: Path, target: Path, max_width: int) -> bool:
    """Decode an image with ffmpeg and write it again as a JPEG; False if it cannot be read.

    ``source`` was checked by ``lms.files.intake.read_image`` and named for what it is: ffmpeg
    reads it as that image format only, from the local file only (``media_tools.input_args``)."""
    demuxer = _IMAGE_DEMUXERS.get(source.suffix)
    if demuxer is None:
        return False
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
