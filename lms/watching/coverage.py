"""Verified watching as pure arithmetic: coverage kept as merged intervals, and what one
heartbeat may add to it.

The web layer (playback sessions, sequence numbers, presence checks, the server's clock) feeds
:func:`step`; nothing here reads a clock or a database.

Speed is checked with a small bucket of *slack*: every second of the server's clock lets the
player advance ``rate`` seconds of media, and at most ``grace`` seconds may be carried over for
network jitter. So whatever a client sends, the media it is credited with never exceeds
``grace + rate × elapsed server time``. An interval up to ``grace`` longer than that (network
jitter of a few seconds) is clipped to what the clock allows; a longer one is a seek.
"""

from __future__ import annotations

import enum
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
    #: Slack for network jitter, in seconds: the most that may be carried from one heartbeat
    #: to the next, and how far past the furthest verified point an interval may start.
    grace: float = 2.5
    #: The longest gap between heartbeats that still counts in full, in seconds of the
    #: server's clock; a longer silence (sleep, lost network) earns at most this much.
    longest_gap: float = 30.0


class Verdict(enum.StrEnum):
    """What the server made of one heartbeat."""

    #: The interval since the last heartbeat was watched (it may add nothing new).
    watched = "watched"
    #: After a long silence: one gap's worth credited, the rest not.
    silence = "silence"
    #: Paused, hidden, or not moving forward.
    idle = "idle"
    #: A presence check is waiting for its answer.
    presence = "presence"
    #: Started past the furthest verified point: a skip ahead.
    ahead = "ahead"
    #: Advanced faster than the server's clock allows: a seek or a sped-up player.
    too_fast = "too_fast"
    #: A sequence number seen before: answered, not counted.
    replay = "replay"
    #: The playback had already ended (another one started).
    ended = "ended"


@dataclass(frozen=True)
class Step:
    #: The media interval to add to coverage, if any.
    interval: Interval | None
    #: Slack carried to the next heartbeat.
    slack: float
    verdict: Verdict


def step(
    *,
    start: float,
    end: float,
    watching: bool,
    elapsed: float,
    slack: float,
    coverage: list[Interval],
    duration: float,
    rules: Rules,
    presence_pending: bool = False,
) -> Step:
    """Judge the interval from ``start`` (the position at the last heartbeat) to ``end`` (the
    position now), ``elapsed`` server seconds later.

    ``watching`` is whether the player was playing and visible at the last heartbeat, that
    is, during the interval. ``coverage`` is merged.
    """
    counted = min(max(elapsed, 0.0), rules.longest_gap)
    available = slack + counted * rules.rate
    refilled = min(rules.grace, available)
    start, end = max(0.0, start), min(end, duration)
    if presence_pending:
        return Step(None, refilled, Verdict.presence)
    if not watching or end <= start:
        return Step(None, refilled, Verdict.idle)
    if start > furthest(coverage) + rules.grace:
        return Step(None, refilled, Verdict.ahead)
    advance = end - start
    if advance <= available:
        return Step((start, end), min(rules.grace, available - advance), Verdict.watched)
    if elapsed > rules.longest_gap and advance <= elapsed * rules.rate + rules.grace:
        return Step((start, start + available), 0.0, Verdict.silence)
    if advance <= available + rules.grace:  # a late heartbeat, then a prompt one: clipped
        return Step((start, start + available), 0.0, Verdict.watched)
    return Step(None, refilled, Verdict.too_fast)
