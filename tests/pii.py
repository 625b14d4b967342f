"""Finding personal identifiers in text: resident ID numbers (18 characters with a valid check
digit, python-stdnum) and mainland mobile numbers, in any spelling a page or a log line could
hold them: full-width digits (NFKC), spaces, dashes or invisible characters between digits.
Used by the privacy crawl (tests/test_privacy_crawl.py) and the log scan (tests/logscan.py)."""
from __future__ import annotations

import re
import unicodedata

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from portal import identity

ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
PHONE_PATTERN = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
# Between two digits: what people and programs put there (space, dash, dot, zero-width space...).
_BETWEEN_DIGITS = re.compile(r"(?<=[0-9])[\s\-\u2010-\u2015\u2212\u00b7.\u200b-\u200d\ufeff]+(?=[0-9Xx])")


def spellings(text: str) -> tuple[str, str]:
    """The text as NFKC (full-width digits become ASCII), and that with the separators
    between digits removed."""
    folded = unicodedata.normalize("NFKC", text)
    return folded, _BETWEEN_DIGITS.sub("", folded)


def looks_like_an_id_number(candidate: str) -> bool:
    """Check digit, birth date and province: stdnum's ``is_valid`` also wants the county to
    exist in its table for the birth year, which real (and the demo's) numbers can miss."""
    number = candidate.upper()
    try:
        ric.get_birth_date(number)
    except ValidationError:
        return False
    return number[-1] == ric.calc_check_digit(number) and number[:2] in identity.PROVINCES


def id_numbers(text: str) -> set[str]:
    return {m.group().upper() for variant in spellings(text)
            for m in ID_PATTERN.finditer(variant) if looks_like_an_id_number(m.group())}


def phones(text: str) -> set[str]:
    return {m.group() for variant in spellings(text) for m in PHONE_PATTERN.finditer(variant)}


def identifiers(text: str) -> set[str]:
    """Every ID number or mobile number in the text, in canonical form."""
    return id_numbers(text) | phones(text)


def secrets_in(text: str, secrets: set[str]) -> set[str]:
    """Which of the given values (names, canonical numbers) the text holds, in any spelling."""
    haystacks = spellings(text)
    return {s for s in secrets if any(s in h or s.lower() in h for h in haystacks)}
