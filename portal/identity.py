"""Personal identifiers as citizens type them: resident ID numbers, mobile phone numbers and
the reference numbers the rules key on (matter numbers, booking codes).

Every identifier is made canonical once, here, before any rule or keyed hash sees it: NFKC
(full-width digits and letters become ASCII), whitespace, dashes and invisible format
characters removed, upper case. After that an ID number or phone must be ASCII ``[0-9]`` (and
``X``): other digit scripts (Arabic-Indic, Devanagari, ...) are refused, never folded into a
second spelling of the same person. Both domains validate through this module, so a citizen
meets the same messages everywhere.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

ID_NUMBER_RE = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
PHONE_RE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
# U+2212 MINUS SIGN is not in category Pd, but people type it as a hyphen.
_EXTRA_DASHES = {"\u2212", "\u30fc"}


def _dropped(ch: str) -> bool:
    """Spaces, dashes and invisible format characters (zero-width space, BOM) separate nothing."""
    return ch.isspace() or ch in _EXTRA_DASHES or unicodedata.category(ch) in ("Pd", "Cf")


def canonical(value: str | None) -> str:
    """NFKC, separators removed, upper case: '１３８ ００１３-８０００' -> '13800138000'."""
    value = unicodedata.normalize("NFKC", value or "")
    return "".join(ch for ch in value if not _dropped(ch)).upper()


def canonical_reference(value: str | None) -> str:
    """A matter number or similar key: like ``canonical`` but dashes stay (as one '-') and a
    digit of any script counts as its ASCII digit, so no spelling makes a second key."""
    value = unicodedata.normalize("NFKC", value or "")
    out = []
    for ch in value:
        if ch in _EXTRA_DASHES or unicodedata.category(ch) == "Pd":
            out.append("-")
        elif ch.isspace() or unicodedata.category(ch) == "Cf":
            continue
        elif unicodedata.category(ch) == "Nd":
            out.append(str(unicodedata.decimal(ch)))
        else:
            out.append(ch)
    return "".join(out).upper()


def normalise_id_number(value: str | None) -> str:
    return canonical(value)


def normalise_phone(value: str | None) -> str:
    """Canonical, without the country code autofill likes to add ('+86 138…', '0086138…')."""
    phone = canonical(value)
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix) and len(phone) == len(prefix) + 11:
            return phone[len(prefix):]
    return phone


def is_canonical_id_number(value: str) -> bool:
    return bool(ID_NUMBER_RE.fullmatch(value))


def is_canonical_phone(value: str) -> bool:
    return bool(PHONE_RE.fullmatch(value))


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
    if not is_canonical_id_number(number):
        return "身份证号格式不正确：前 17 位为数字 0–9，最后一位为数字或 X"
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
    if not is_canonical_phone(phone):
        return "手机号码应为 11 位数字，以 13–19 开头"
    return None


# --- numbers hidden in free text ---------------------------------------------------------------

# A run of digits (any script) with spaces, hyphens, dashes or dots between them:
# '138 1234 5678', '138-1234-5678', '138.1234.5678', '３３０７８１ 19700517 1235'.
_DIGIT_RUN = re.compile(r"\d(?:[\s.·．\-\u2010-\u2015\u2212\uff0d]*[\dXxＸｘ])+")
_PERSONAL_NUMBER = re.compile(r"[0-9]{17}[0-9X]|[0-9]{15}|1[3-9][0-9]{9}", re.ASCII)


def _run_digits(run: str) -> str:
    return "".join(str(unicodedata.decimal(ch)) if unicodedata.category(ch) == "Nd" else "X"
                   for ch in run if unicodedata.category(ch) == "Nd" or ch in "XxＸｘ")


def personal_number_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds something shaped like an ID number (18 or 15 digits) or a mobile
    number, once the spaces, hyphens and dots between its digits are removed."""
    return [m.span() for m in _DIGIT_RUN.finditer(text or "")
            if _PERSONAL_NUMBER.search(_run_digits(m.group()))]


def contains_personal_number(text: str) -> bool:
    return bool(personal_number_spans(text))


def redact_personal_numbers(text: str, mask: str = "****") -> str:
    """Replace every ID- or phone-shaped number (separators allowed) with ``mask``."""
    text = text or ""
    for start, end in reversed(personal_number_spans(text)):
        text = text[:start] + mask + text[end:]
    return text


# --- what the database checks ------------------------------------------------------------------

def id_tail_check_sql(column: str) -> str:
    """A CHECK (SQLite and PostgreSQL alike) that ``column`` holds the canonical last four
    characters of an ID number: ASCII digits, the last possibly 'X'. Equality with literals
    compares exactly on both databases (no collation folds '１' into '1')."""
    digits = ", ".join(f"'{d}'" for d in "0123456789")
    parts = [f"length({column}) = 4"]
    parts += [f"substr({column}, {i}, 1) IN ({digits})" for i in (1, 2, 3)]
    parts.append(f"substr({column}, 4, 1) IN ({digits}, 'X')")
    return " AND ".join(parts)


def keyed_hash_check_sql(*columns: str) -> str:
    """A CHECK that each column holds a hex SHA-256 (what ``privacy.lookup_hash`` makes)."""
    return " AND ".join(f"length({c}) = 64" for c in columns)
