"""Excel exports of sessions, bookings, reception records and hand-overs for a date range."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("casework_exports", __name__, url_prefix="/staff/exports")
