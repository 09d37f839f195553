"""The arithmetic of verified watching: an honest viewer earns what was watched; a skip, a
sped-up player, a hidden tab or a long silence earns nothing more than the rules allow."""

import random

import pytest

from lms.watching.coverage import Rules, Verdict, furthest, merge, step, total

RULES = Rules(rate=1.0, grace=2.5, longest_gap=30.0)
DURATION = 600.0


def watch(beats, rules=RULES, duration=DURATION, every=15.0):
    """Replay heartbeats — (position, watching from now on[, server seconds since the last]) —
    of a player that started playing at 0, and return (coverage, verdicts)."""
    coverage: list[tuple[float, float]] = []
    last, watching, slack, verdicts = 0.0, True, rules.grace, []
    for position, now_watching, *elapsed in beats:
        judged = step(start=last, end=position, watching=watching,
                      elapsed=elapsed[0] if elapsed else every, slack=slack,
                      coverage=coverage, duration=duration, rules=rules)
        if judged.interval:
            coverage = merge([*coverage, judged.interval])
        last, watching, slack = position, now_watching, judged.slack
        verdicts.append(judged.verdict)
    return coverage, verdicts


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
    coverage, verdicts = watch([(t, True) for t in range(15, 601, 15)])
    assert total(coverage) == DURATION
    assert set(verdicts) == {Verdict.watched}


def test_jumping_to_the_end_earns_nothing_past_the_jump():
    coverage, verdicts = watch([(15, True), (30, True), (600, True), (600, True)])
    assert coverage == [(0, 30)]
    assert verdicts[2:] == [Verdict.too_fast, Verdict.idle]


def test_starting_past_the_furthest_verified_point_is_a_skip():
    coverage, verdicts = watch([(15, True), (100, True, 0.5), (115, True)])
    assert coverage == [(0, 15)]
    assert verdicts == [Verdict.watched, Verdict.too_fast, Verdict.ahead]


@pytest.mark.parametrize("speed", [2, 16])
def test_a_sped_up_player_earns_nothing(speed):
    coverage, _ = watch([(15 * speed * n, True) for n in range(1, 600 // (15 * speed) + 1)])
    assert total(coverage) == 0


def test_a_slightly_fast_player_earns_the_clock_and_leaves_holes():
    coverage, verdicts = watch([(16.5 * n, True) for n in range(1, 11)])  # 1.1×
    assert total(coverage) <= 15 * 10 + RULES.grace
    assert len(coverage) > 1 and furthest(coverage) > total(coverage)  # never 95% this way
    assert Verdict.ahead not in verdicts


def test_a_heartbeat_held_up_by_the_network_costs_at_most_the_excess():
    # The third heartbeat arrives 4 s late, the fourth on time: 19 s, then 11 s, for 15 and 15.
    coverage, verdicts = watch([(15, True), (30, True), (45, True, 19), (60, True, 11),
                                (75, True), (90, True)])
    assert verdicts == [Verdict.watched] * 6
    assert total(coverage) == 90 - 1.5 and furthest(coverage) == 90


def test_jitter_in_arrival_times_is_absorbed():
    # Heartbeats arrive 1.5 s late, then 1.5 s early; the player itself plays at 1×.
    coverage, _ = watch([(15, True, 13.5), (30, True, 16.5), (45, True, 13.5), (60, True, 16.5)])
    assert total(coverage) == 60


def test_many_quick_heartbeats_cannot_pump_the_slack():
    beats = [(2.5 * n, n % 2 == 0, 0.1) for n in range(1, 40)]
    coverage, _ = watch(beats)
    assert total(coverage) <= RULES.grace + 39 * 0.1


def test_hidden_or_paused_earns_nothing():
    coverage, verdicts = watch([(0, False), (15, False), (30, False)])
    assert coverage == [] and set(verdicts) == {Verdict.idle}


def test_the_interval_counts_by_the_state_it_was_played_in():
    # Playing 0→15, then paused at the beat: the 15 s before the pause count, nothing after.
    coverage, _ = watch([(15, False), (15, False), (15, True), (30, True)])
    assert coverage == [(0, 30)]


def test_a_pending_presence_check_stops_credit():
    judged = step(start=0, end=15, watching=True, elapsed=15, slack=2.5, coverage=[],
                  duration=DURATION, rules=RULES, presence_pending=True)
    assert judged.interval is None and judged.verdict is Verdict.presence


def test_going_back_earns_nothing_new_and_going_on_from_there_is_fine():
    beats = [(15, True), (30, True), (10, True, 15),  # rewound to 0, played 10
             (25, True), (40, True), (55, True)]
    coverage, _ = watch(beats)
    assert coverage == [(0, 55)] and furthest(coverage) == 55


def test_a_long_silence_earns_one_gap_from_where_the_viewer_was():
    coverage, verdicts = watch([(15, True), (3615, True, 3600)], duration=4000)
    assert coverage == [(0, 15 + 30 + 2.5)]
    assert verdicts[-1] is Verdict.silence


def test_a_silence_while_paused_loses_nothing():
    coverage, _ = watch([(15, True), (20, False, 3600), (20, True, 1), (35, True)])
    assert total(coverage) == 35


def test_rate_setting_allows_a_faster_player_when_the_city_says_so():
    fast = Rules(rate=1.5, grace=2.5, longest_gap=30.0)
    coverage, _ = watch([(22.5 * n, True) for n in range(1, 5)], rules=fast)
    assert total(coverage) == 90


def test_whatever_is_sent_credit_stays_within_the_clock():
    rng = random.Random(4)
    for _ in range(200):
        beats, clock = [], 0.0
        for _ in range(rng.randint(1, 30)):
            elapsed = rng.choice([0.0, 0.2, 5.0, 15.0, 16.0, 40.0])
            clock += min(elapsed, RULES.longest_gap)
            beats.append((rng.uniform(0, 600), rng.random() < 0.8, elapsed))
        coverage, _ = watch(beats)
        assert total(coverage) <= RULES.grace + clock * RULES.rate + 1e-9
