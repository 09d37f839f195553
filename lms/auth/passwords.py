"""Password policy and hashing."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 8
MAX_LENGTH = 64
#: Passwords people pick first; refused whatever else they satisfy.
COMMON = frozenset(
    {
        "password1", "password123", "passw0rd", "qwerty123", "abc12345", "abcd1234",
        "a1234567", "a12345678", "aa123456", "admin123", "1qaz2wsx", "qwer1234",
        "woaini520", "iloveyou1", "weihai123", "zxcvbn123", "asdf1234", "123456abc",
        "123456aa", "1234qwer", "q1w2e3r4", "abc123456",
    }
)
#: Characters for generated passwords: no 0/O, 1/l/I that people misread on paper.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class WeakPassword(ValueError):
    """The password does not meet the policy; str() says why, in words a person understands."""


def check_strength(password: str, id_number: str | None = None) -> None:
    """Raise :class:`WeakPassword` unless ``password`` meets the policy."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(_("密码至少 %(n)d 位。", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise WeakPassword(_("密码不能超过 %(n)d 位。", n=MAX_LENGTH))
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        raise WeakPassword(_("密码须同时包含字母和数字。"))
    if password.lower() in COMMON or len(set(password)) < 4:
        raise WeakPassword(_("密码过于常见，容易被猜到，请换一个。"))
    if id_number and (id_number[-6:].upper() in password.upper() or id_number[6:14] in password):
        raise WeakPassword(_("密码不能包含身份证号中的出生日期或末 6 位。"))


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def hash_one_time_password(password: str) -> str:
    """Hash a generated password that must be replaced at first login (see config)."""
    return generate_password_hash(
        password, method=current_app.config["ONE_TIME_PASSWORD_HASH_METHOD"]
    )


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


def generate_password(length: int = 10) -> str:
    """A random password with letters and digits, easy to read aloud or from paper."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


#: How long checking a full-cost password takes here, per hash method (measured once).
_FULL_CHECK_SECONDS: dict[str, float] = {}


def _full_check_seconds() -> float:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _FULL_CHECK_SECONDS:
        sample = generate_password_hash("calibration-0", method=method)
        started = time.perf_counter()
        check_password_hash(sample, "calibration-1")
        _FULL_CHECK_SECONDS[method] = time.perf_counter() - started
    return _FULL_CHECK_SECONDS[method]


@contextmanager
def constant_time() -> Iterator[None]:
    """Make a login check last as long as checking a full-cost password, so the response time
    tells nothing: not whether the account exists, nor whether it still has a cheap one-time
    password."""
    floor = _full_check_seconds()
    started = time.perf_counter()
    yield
    left = floor - (time.perf_counter() - started)
    if left > 0:
        time.sleep(left)
