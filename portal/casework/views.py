"""Supervision (督办): open hand-overs by unit and deadline, each hand-over's page (progress,
reminders, extension, conclusion), the unit list, the leaders' and units' ledgers."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("casework", __name__, url_prefix="/staff")
