"""The server's clock. Watch time is measured by it alone; a test may set its own on the app
as ``app.extensions["clock"]`` to play an hour of heartbeats in a second."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from lms.db import utcnow


def now() -> datetime:
    clock = current_app.extensions.get("clock")
    return clock() if clock is not None else utcnow()
