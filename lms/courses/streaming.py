"""Signed, expiring links to a video's renditions.

A link names the rendition directory, the learner and an expiry, signed with a secret shared
with nginx, which checks it by itself (``secure_link``) and sends the bytes: the app is not in
the path of any segment. In the embedded set-up the app checks the same signature and sends
the files with range support.

    /media/s/<signature>/<expires>/<user id>/renditions/<video id>/r<attempt>/<file>
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from lms.courses.models import Video

LINK = re.compile(
    r"(?P<directory>renditions/\d+/r\d+)/(?P<file>(?:v\d+/)?[A-Za-z0-9_]+\.(?:m3u8|m4s|mp4|jpg))"
)
MEDIA_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
}


def media_secret() -> str:
    """The secret nginx knows too: ``LMS_MEDIA_SECRET``, else derived from the app's key."""
    configured = current_app.config.get("MEDIA_SECRET")
    if configured:
        return str(configured)
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"lms media links", hashlib.sha256).hexdigest()


def signature(expires: int, user_id: int, directory: str) -> str:
    """nginx's ``secure_link_md5 "$expires/$uid/$dir $secret"``, base64url without padding."""
    digest = hashlib.md5(f"{expires}/{user_id}/{directory} {media_secret()}".encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class Playback:
    master: str
    poster: str
    expires: int


def playback(video: Video, user_id: int) -> Playback:
    """Links for one learner to play ``video`` (whose course they may view: checked before)."""
    assert video.rendition is not None
    expires = int(time.time()) + current_app.config["STREAM_LINK_SECONDS"]
    base = (
        f"/media/s/{signature(expires, user_id, video.rendition)}/{expires}/{user_id}/"
        f"{video.rendition}"
    )
    return Playback(f"{base}/master.m3u8", f"{base}/poster.jpg", expires)


class LinkRefused(Exception):
    """The link is forged, malformed (403) or expired (410)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def resolve(sig: str, expires: int, user_id: int, rest: str) -> Path:
    """The file a link points at, once its signature and expiry are checked."""
    match = LINK.fullmatch(rest)
    if match is None:
        raise LinkRefused(403)
    expected = signature(expires, user_id, match["directory"])
    if not hmac.compare_digest(sig.encode("utf-8", "replace"), expected.encode()):
        raise LinkRefused(403)
    if expires < time.time():
        raise LinkRefused(410)
    return Path(match["directory"]) / match["file"]
