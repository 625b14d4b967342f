"""Role checks for staff views. Every /staff view is wrapped in ``role_required``."""
from __future__ import annotations

from functools import wraps

from flask import abort, request, url_for
from flask_login import current_user

from portal import hypermedia


def login_redirect():
    """Send an anonymous visitor to the login page (htmx calls navigate instead of swapping)."""
    target = url_for("accounts.login", next=request.full_path if request.method == "GET" else None)
    return hypermedia.see_other(target)


def role_required(*roles: str):
    """Allow the listed roles (administrators pass every staff check except panel voting)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_redirect()
            allowed = set(roles)
            if "panel" not in roles or len(roles) > 1:
                allowed.add("admin")
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator
