"""What the account pages read."""
from __future__ import annotations

from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.role, User.username)))
