"""An uploaded document, as it was recorded when it arrived."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base, UTCDateTime, utcnow


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (sa.CheckConstraint("size > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Under the media root; made from a random token, never from the uploaded name.
    path: Mapped[str] = mapped_column(sa.String(200), unique=True)
    #: The name it was uploaded under, shown and offered when it is downloaded.
    filename: Mapped[str] = mapped_column(sa.String(200))
    #: "pdf" or "image", as its bytes showed, and the matching media type.
    kind: Mapped[str] = mapped_column(sa.String(10))
    mime_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    #: The file's modification time when it was written: a file whose size and time still
    #: match is taken to be unchanged without reading it again.
    mtime_ns: Mapped[int] = mapped_column(sa.BigInteger)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Attachment {self.id} {self.filename!r}>"
