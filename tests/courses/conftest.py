"""Fixtures of the course tests."""

from __future__ import annotations

import pytest

from lms.courses import media_tools


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The argv of every ffmpeg and describer run, which still run for real."""
    seen: list[list[str]] = []
    real = media_tools.run

    def recording(args, **kwargs):
        seen.append(list(args))
        return real(args, **kwargs)

    monkeypatch.setattr(media_tools, "run", recording)
    return seen
