"""Resident ID numbers: GB 11643 check character, a real birth date, masking."""

import pytest

from lms.auth.idcard import InvalidIdNumber, check_character, mask_id_number, normalize_id_number


@pytest.mark.parametrize(
    "first17, expected",
    [
        ("11010519491231002", "X"),  # the standard's own example
        ("44052418800101001", "4"),
        ("37100219900307123", "3"),
        ("37100219790202604", "X"),
    ],
)
def test_check_character_follows_gb11643(first17: str, expected: str) -> None:
    assert check_character(first17) == expected


def test_lower_case_x_is_accepted_and_stored_upper_case() -> None:
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("", "18 位"),
        ("1101051949123100", "18 位"),
        ("11010519491231002X1", "18 位"),
        ("1101051949123100AX", "前 17 位"),
        ("110105194912310021", "校验位"),
        ("110105194902300021", "出生日期 19490230 不存在"),
        ("110105189901010011", "不合理"),
        ("110105299901010011", "不合理"),
    ],
)
def test_bad_id_numbers_say_what_is_wrong(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdNumber, match=reason):
        normalize_id_number(raw)


def test_every_wrong_check_character_is_refused() -> None:
    first17 = "37100219900307123"
    right = check_character(first17)
    for wrong in "0123456789X":
        if wrong != right:
            with pytest.raises(InvalidIdNumber):
                normalize_id_number(first17 + wrong)


def test_masking_keeps_first_and_last_four() -> None:
    assert mask_id_number("37100219900307123X") == "3710**********123X"


def test_full_width_digits_from_chinese_input_methods_count_as_ascii() -> None:
    assert normalize_id_number("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"


@pytest.mark.parametrize("raw", ["²1010519491231002X", "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X"])
def test_other_unicode_digits_are_refused_not_crashed_on(raw: str) -> None:
    with pytest.raises(InvalidIdNumber):
        normalize_id_number(raw)
