"""The reception day at the desk, after check-in: the day view of a session, the reception
record of each visit (with its hand-over), the printable day list (接访登记表)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("casework_day", __name__, url_prefix="/staff/reception")
