"""Authorisation by role: every view says who may open it."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def role_required(*roles: str) -> Callable:
    """Signed in and holding at least one of `roles`, or 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not set(roles) & set(current_user.roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


office_required = role_required("office")
