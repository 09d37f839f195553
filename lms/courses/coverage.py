"""Verified watching as pure arithmetic: coverage kept as merged intervals, and what one
heartbeat may add to it. The web layer (playback sessions, sequence numbers, presence checks,
the server's clock) feeds these functions; nothing here reads a clock or a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Seconds of media, [start, end).
Interval = tuple[float, float]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals covering exactly what ``intervals`` cover."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def total(coverage: Iterable[Interval]) -> float:
    """Seconds covered (``coverage`` merged)."""
    return sum(end - start for start, end in coverage)


def furthest(coverage: list[Interval]) -> float:
    """The furthest verified point: the end of the last interval (``coverage`` merged)."""
    return coverage[-1][1] if coverage else 0.0


@dataclass(frozen=True)
class Rules:
    #: Media seconds allowed per second of the server's clock (1.0: no fast-forwarding).
    rate: float = 1.0
    #: Slack for network jitter, in seconds.
    grace: float = 2.5
    #: The most one heartbeat can earn, in seconds of the server's clock: a long silence
    #: (sleep, lost network) earns at most this much.
    longest_interval: float = 30.0


@dataclass(frozen=True)
class Beat:
    #: Where the player says it is now, in media seconds.
    position: float
    playing: bool
    visible: bool


def creditable(
    last_position: float,
    beat: Beat,
    elapsed: float,
    coverage: list[Interval],
    duration: float,
    rules: Rules,
    presence_due: bool = False,
) -> Interval | None:
    """The media interval a heartbeat may add to ``coverage``, or None.

    ``last_position`` is where the player was at the last accepted heartbeat and ``elapsed``
    the server's seconds since then. Nothing is credited while paused, hidden or with a
    presence check overdue; an interval starting past the furthest verified point is a skip
    ahead; one that advanced faster than the clock allows is a seek. A long silence is cut to
    one interval's worth, from where the learner was.
    """
    if not (beat.playing and beat.visible) or presence_due or elapsed <= 0:
        return None
    start, end = max(0.0, last_position), min(beat.position, duration)
    if end <= start:
        return None  # paused in place, or went back: watching again earns nothing new
    if start > furthest(coverage) + rules.grace:
        return None  # skipped ahead of what was watched
    if end - start > elapsed * rules.rate + rules.grace:
        return None  # faster than the clock: a seek, or a sped-up player
    return (start, min(end, start + rules.longest_interval * rules.rate))
