"""Keeping an upload, telling whether it is still what was kept, and serving it."""

from __future__ import annotations

import enum
import hashlib
import logging
import os
import secrets
import unicodedata
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, send_file
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from lms.attachments.models import Attachment
from lms.extensions import db
from lms.files import intake
from lms.files.refusals import Refused, megabytes

logger = logging.getLogger(__name__)
#: An uploaded file: the name it came with, and its bytes.
Upload = tuple[str | None, bytes]
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


class Integrity(enum.StrEnum):
    unchanged = "unchanged"
    #: The bytes on disk are not those recorded.
    changed = "changed"
    missing = "missing"


def media_root() -> Path:
    return Path(current_app.config["MEDIA_ROOT"])


def clean_filename(name: str | None) -> str:
    """The uploaded name without folders or control characters, for showing only."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return base[:200] or _("附件")


def accept(data: bytes, filename: str | None, *, max_bytes: int) -> intake.Identified:
    """What a PDF, JPEG or PNG is, read by its content; ``Refused`` (naming the file) when it
    is none of those, or over ``max_bytes``."""
    name = clean_filename(filename)
    if len(data) > max_bytes:
        raise Refused(_("「%(name)s」超过 %(limit)s，请压缩后再上传。",
                        name=name, limit=megabytes(max_bytes)))
    try:
        return intake.identify(data)
    except Refused as exc:
        raise Refused(_("「%(name)s」：%(reason)s", name=name, reason=exc.message)) from None


def store(data: bytes, filename: str | None, folder: str, *, max_bytes: int,
          uploaded_by_id: int | None) -> Attachment:
    """Keep an upload ``accept`` takes (``Refused`` before anything is written otherwise).
    Flushed; the file is on disk before the row is, so a row always has its bytes."""
    found = accept(data, filename, max_bytes=max_bytes)
    name = clean_filename(filename)
    relative = f"{folder}/{secrets.token_hex(16)}{EXTENSIONS[found.mime_type]}"
    target = media_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".part")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(target)
    attachment = Attachment(
        path=relative, filename=name, kind=found.kind, mime_type=found.mime_type,
        size=found.size, sha256=found.sha256, mtime_ns=target.stat().st_mtime_ns,
        uploaded_by_id=uploaded_by_id,
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def location(attachment: Attachment) -> Path:
    return media_root() / attachment.path


def integrity(attachment: Attachment, *, rehash: bool = False) -> Integrity:
    """Whether the bytes on disk are still those recorded: a file whose size and modification
    time match is taken as it is, unless ``rehash``; any other is read and hashed again."""
    try:
        found = location(attachment).stat()
    except FileNotFoundError:
        return Integrity.missing
    if found.st_size != attachment.size:
        return Integrity.changed
    if found.st_mtime_ns == attachment.mtime_ns and not rehash:
        return Integrity.unchanged
    return Integrity.unchanged if sha256_of(location(attachment)) == attachment.sha256 \
        else Integrity.changed


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def send(attachment: Attachment) -> Response:
    """The file as a download (never shown inline: it is someone else's upload)."""
    return send_file(
        location(attachment), mimetype=attachment.mime_type, as_attachment=True,
        download_name=attachment.filename, max_age=0, conditional=False,
    )


def discard(attachment: Attachment) -> None:
    """Delete the row, and its file once the deletion is committed (a rolled-back request
    leaves both)."""
    db.session.info.setdefault(_UNLINK_AFTER_COMMIT, []).append(location(attachment))
    db.session.delete(attachment)
    db.session.flush()


_UNLINK_AFTER_COMMIT = "attachments-unlink-after-commit"


@sa.event.listens_for(Session, "after_commit")
def _unlink_discarded(session: Session) -> None:
    for path in session.info.pop(_UNLINK_AFTER_COMMIT, []):
        path.unlink(missing_ok=True)


@sa.event.listens_for(Session, "after_rollback")
def _keep_discarded(session: Session) -> None:
    session.info.pop(_UNLINK_AFTER_COMMIT, None)
