"""Personal identifiers as citizens type them: resident ID numbers and mobile phone numbers.

Both domains validate through this module, so a citizen meets the same messages everywhere.
"""
from __future__ import annotations

import re
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalise_id_number(value: str) -> str:
    return "".join((value or "").split()).upper()


def normalise_phone(value: str) -> str:
    return "".join((value or "").split())


# Province-level codes (the first two digits of a resident ID number).
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
}


def id_number_error(value: str, today: date) -> str | None:
    """The Chinese message for a malformed resident ID number, or None when it is valid.

    Length, format, check digit and birth date come from python-stdnum. Its county check is
    left out on purpose: it compares the county code with the *birth* year, while numbers
    issued from 1985 carry the county code of the year of issue, so it refuses real numbers of
    older citizens (e.g. 330781, created 1985, for anyone born before). We check the province.
    """
    number = normalise_id_number(value)
    if not number:
        return "请填写身份证号"
    if len(number) != 18:
        return "身份证号应为 18 位"
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return "身份证号格式不正确：前 17 位为数字，最后一位为数字或 X"
    if number[17] != ric.calc_check_digit(number):
        return "身份证号校验位不正确，请核对后重新填写"
    try:
        birth = ric.get_birth_date(number)
    except (InvalidComponent, ValueError):
        return "身份证号中的出生日期不正确"
    if birth > today or birth.year < today.year - 120:
        return "身份证号中的出生日期不正确"
    if number[:2] not in PROVINCES:
        return "身份证号前两位（省级地区码）不正确"
    return None


def phone_error(value: str) -> str | None:
    phone = normalise_phone(value)
    if not phone:
        return "请填写手机号码"
    if not PHONE_RE.match(phone):
        return "手机号码应为 11 位，以 13–19 开头"
    return None
