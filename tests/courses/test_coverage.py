"""The arithmetic of verified watching: an honest viewer earns what was watched; a skip, a
sped-up player, a hidden tab or a long silence earns nothing more than the rules allow."""

import random

import pytest

from lms.courses.coverage import Beat, Rules, creditable, furthest, merge, total

RULES = Rules(rate=1.0, grace=2.5, longest_interval=30.0)
DURATION = 600.0


def watch(beats, rules=RULES, duration=DURATION, every=15.0):
    """Replay (position, playing, visible, seconds since the last beat) and return coverage."""
    coverage: list[tuple[float, float]] = []
    last = 0.0
    for position, playing, visible, *elapsed in beats:
        interval = creditable(last, Beat(position, playing, visible),
                              elapsed[0] if elapsed else every, coverage, duration, rules)
        if interval:
            coverage = merge([*coverage, interval])
        last = position
    return coverage


def test_merge_joins_overlaps_and_touches_and_drops_empty():
    assert merge([(10, 20), (0, 5), (5, 8), (15, 30), (40, 40)]) == [(0, 8), (10, 30)]


def test_merge_agrees_with_counting_covered_seconds():
    rng = random.Random(20261126)
    for _ in range(300):
        intervals = []
        for _ in range(rng.randint(0, 12)):
            start = rng.randint(0, 100)
            intervals.append((start, start + rng.randint(0, 30)))
        merged = merge(intervals)
        seconds = {s for a, b in intervals for s in range(a, b)}
        assert total(merged) == len(seconds)
        assert all(a < b for a, b in merged)
        assert all(merged[i][1] < merged[i + 1][0] for i in range(len(merged) - 1))


def test_an_honest_viewer_earns_the_whole_video():
    beats = [(t, True, True) for t in range(15, 601, 15)]
    assert total(watch(beats)) == DURATION


def test_jumping_to_the_end_earns_nothing_past_the_jump():
    beats = [(15, True, True), (30, True, True), (600, True, True), (600, True, True)]
    assert watch(beats) == [(0, 30)]


@pytest.mark.parametrize("speed", [2, 16])
def test_a_sped_up_player_earns_nothing(speed):
    beats = [(15 * speed * n, True, True) for n in range(1, 600 // (15 * speed) + 1)]
    assert total(watch(beats)) == 0


def test_slight_jitter_is_tolerated():
    beats = [(16.5, True, True), (30, True, True, 13.5), (46, True, True)]
    assert total(watch(beats)) == 46


def test_hidden_or_paused_earns_nothing():
    beats = [(15, True, False), (30, False, True), (45, True, False)]
    assert watch(beats) == []


def test_an_overdue_presence_check_stops_credit():
    assert creditable(0, Beat(15, True, True), 15, [], DURATION, RULES, presence_due=True) is None


def test_going_back_earns_nothing_new_and_going_on_from_there_is_fine():
    beats = [(15, True, True), (30, True, True), (10, True, True, 15),  # rewound to 0, played 10
             (25, True, True), (40, True, True), (55, True, True)]
    coverage = watch(beats)
    assert coverage == [(0, 55)] and furthest(coverage) == 55


def test_a_long_silence_earns_one_interval_from_where_the_viewer_was():
    beats = [(15, True, True), (3615, True, True, 3600)]  # an hour asleep, the video "played"
    assert watch(beats, duration=4000) == [(0, 45)]


def test_rate_setting_allows_a_faster_player_when_the_city_says_so():
    fast = Rules(rate=1.5, grace=2.5, longest_interval=30.0)
    beats = [(22.5 * n, True, True) for n in range(1, 5)]
    assert total(watch(beats, rules=fast)) == 90
