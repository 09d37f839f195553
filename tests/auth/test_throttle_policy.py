"""The throttle's schedule: a few free tries, growing waits, then a lock — never longer."""

from datetime import timedelta

from lms.auth.throttle import Policy


def test_waits_grow_then_lock_and_never_exceed_the_lock():
    policy = Policy(slow_after=3, lock_after=5, lock=timedelta(minutes=15))
    waits = [policy.block_for(n) for n in range(1, 8)]
    assert waits[:2] == [timedelta(0), timedelta(0)]
    assert waits[2] == timedelta(seconds=5) and waits[3] == timedelta(seconds=15)
    assert waits[4:] == [timedelta(minutes=15)] * 3
    huge = Policy(slow_after=100, lock_after=300, lock=timedelta(minutes=15))
    assert huge.block_for(299) == timedelta(minutes=15)
