"""Sensitive personal information: encryption at rest, keyed hashes, masking.

ID numbers, phone numbers and case contents are encrypted with Fernet (AES-128-CBC + HMAC);
look-ups go through an HMAC-SHA256 of the normalised value, so the database never holds a
plain or a guessable (unkeyed) form. Both keys derive from the one DATA_KEY setting.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from portal import identity


@lru_cache(maxsize=8)
def _keys(data_key: str) -> tuple[Fernet, bytes]:
    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
            data_key.encode()
        )

    fernet = Fernet(base64.urlsafe_b64encode(derive(b"portal encryption v1")))
    return fernet, derive(b"portal lookup hash v1")


def _current() -> tuple[Fernet, bytes]:
    return _keys(current_app.config["DATA_KEY"])


def encrypt(value: str | None) -> str | None:
    if value is None:
        return None
    return _current()[0].encrypt(value.encode()).decode()


def decrypt(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        return _current()[0].decrypt(token.encode()).decode()
    except InvalidToken:
        # A wrong DATA_KEY must not take the page down; show that the value is unreadable.
        return "（无法解密）"


def lookup_hash(value: str) -> str:
    """Keyed hash of a canonical identifier (``identity.canonical``, ASCII only).

    Any other spelling is refused rather than hashed: a second spelling of one ID number
    would otherwise be a second person to every rule keyed on the hash (一人一号, 爽约, 满意).
    """
    if not value or not value.isascii() or value != identity.canonical(value):
        raise ValueError("lookup_hash needs a canonical identifier (see identity.canonical)")
    return hmac.new(_current()[1], value.encode(), hashlib.sha256).hexdigest()


def mask_tail(value: str | None, keep: int = 4) -> str:
    """'110101199003071234' -> '**************1234'."""
    if not value:
        return ""
    return "*" * max(len(value) - keep, 0) + value[-keep:]


def masked_id_number(last4: str) -> str:
    """How an ID number is shown: from the last four characters kept for that purpose."""
    return "*" * 14 + (last4 or "")


def mask_phone(value: str | None) -> str:
    """'13812345678' -> '138****5678'."""
    if not value or len(value) < 7:
        return mask_tail(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(name: str | None) -> str:
    """Published documents show the surname only: '张三' -> '张某某' (as courts publish)."""
    if not name:
        return ""
    name = name.strip()
    compound = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐")
    surname = name[:2] if len(name) > 2 and name[:2] in compound else name[:1]
    return surname + "某某"


class decrypted:  # lower case: read like a column declaration, ``phone = privacy.decrypted(...)``
    """A model attribute that reads (and writes) an encrypted column as plain text.

    ``phone = privacy.decrypted("phone_cipher")`` replaces a hand-written property pair:
    reading gives the decrypted value ("" when the column is empty), assigning encrypts into
    the cipher column. On the class it is the descriptor itself (no SQL: search with the keyed
    hash column instead).
    """

    def __init__(self, cipher_attribute: str, empty: str = ""):
        self.cipher_attribute = cipher_attribute
        self.empty = empty
        self.name = cipher_attribute

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return decrypt(getattr(obj, self.cipher_attribute)) or self.empty

    def __set__(self, obj, value: str | None) -> None:
        setattr(obj, self.cipher_attribute, encrypt(value))

    def __repr__(self) -> str:
        return f"privacy.decrypted({self.cipher_attribute!r})"
