"""Resident ID numbers (居民身份证号码, GB 11643-1999): validation and masking."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask_babel import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
_SHAPE = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)


class InvalidIdNumber(ValueError):
    """The text is not a valid 18-character resident ID number; str() is the reason."""


def check_character(first17: str) -> str:
    """The check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def normalize_id_number(raw: str) -> str:
    """Return the ID number upper-cased, or raise :class:`InvalidIdNumber` saying what is wrong.

    Full-width digits and Ｘ, which Chinese input methods produce, count as their ASCII selves.
    """
    value = unicodedata.normalize("NFKC", raw or "").strip().upper()
    if len(value) != 18:
        raise InvalidIdNumber(_("身份证号应为 18 位，当前为 %(n)d 位。", n=len(value)))
    if not _SHAPE.fullmatch(value):
        raise InvalidIdNumber(_("身份证号前 17 位应为数字，最后一位为数字或 X。"))
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdNumber(_("身份证号中的出生日期 %(d)s 不存在。", d=value[6:14])) from None
    if int(value[6:10]) < 1900 or value[6:14] > date.today().strftime("%Y%m%d"):
        raise InvalidIdNumber(_("身份证号中的出生日期 %(d)s 不合理。", d=value[6:14]))
    if check_character(value[:17]) != value[17]:
        raise InvalidIdNumber(_("身份证号校验位不正确，请核对后重新输入。"))
    return value


def mask_id_number(value: str) -> str:
    """Show the first four and last four characters only: ``3710**********123X``."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
