"""The throttle's schedule: a few free tries, growing waits, then a lock — never longer; for the
account alone, waits capped at half a minute and never a lock."""

from datetime import timedelta

from lms.auth.throttle import Policy

LOCK = timedelta(minutes=15)


def test_waits_grow_then_lock_and_never_exceed_the_lock():
    policy = Policy(slow_after=3, lock_after=5, lock=LOCK, max_wait=LOCK)
    waits = [policy.block_for(n) for n in range(1, 8)]
    assert waits[:2] == [timedelta(0), timedelta(0)]
    assert waits[2] == timedelta(seconds=5) and waits[3] == timedelta(seconds=15)
    assert waits[4:] == [LOCK] * 3
    huge = Policy(slow_after=100, lock_after=300, lock=LOCK, max_wait=LOCK)
    assert huge.block_for(299) == LOCK


def test_an_account_alone_only_waits_and_never_locks():
    policy = Policy(slow_after=3, lock_after=None, lock=LOCK, max_wait=timedelta(seconds=30))
    assert [policy.block_for(n).total_seconds() for n in (2, 3, 4, 5)] == [0, 5, 15, 30]
    assert policy.block_for(10_000) == timedelta(seconds=30)
    assert not policy.locks(10_000)
