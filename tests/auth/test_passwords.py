"""Password policy: long enough, letters and digits, not common, not from the ID number."""

import pytest

from lms.auth.passwords import WeakPassword, check_strength, generate_password


@pytest.mark.parametrize(
    "password, reason",
    [
        ("abc123", "至少 8 位"),
        ("abcdefgh", "字母和数字"),
        ("12345678", "字母和数字"),
        ("Passw0rd", "过于常见"),
        ("aaaa1111", "过于常见"),
        ("x" * 60 + "12345", "不能超过"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, reason: str) -> None:
    with pytest.raises(WeakPassword, match=reason):
        check_strength(password)


def test_password_may_not_contain_the_id_numbers_birth_date_or_tail() -> None:
    id_number = "371002199003071233"
    with pytest.raises(WeakPassword, match="出生日期"):
        check_strength("ab19900307", id_number)
    with pytest.raises(WeakPassword, match="末 6 位"):
        check_strength("xy071233ab", id_number)
    check_strength("Correct4horse", id_number)


def test_generated_passwords_pass_the_policy_and_differ() -> None:
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        check_strength(password)
