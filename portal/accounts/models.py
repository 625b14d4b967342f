from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import UTCDateTime, db

ROLES = {
    "admin": "管理员",
    "reception": "接待科",
    "evaluation": "评价办",
    "panel": "评价员",
}


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'reception', 'evaluation', 'panel')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the login cookie: bumping it ends every session of this account.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    def has_role(self, *roles: str) -> bool:
        return self.role in roles
