"""Who is calling: a personal access token in `Authorization: Bearer`, never
the session cookie, so a signed-in browser can call nothing here; and what
that token's account may do."""

from collections.abc import Callable
from functools import wraps

from flask import g, request

from trainers.api.problems import Problem
from trainers.auth import api_tokens
from trainers.auth.models import ApiToken, User
from trainers.limits import client_address
from trainers.profiles.roles import with_roles
from trainers.timeutil import utcnow

READING = frozenset({"GET", "HEAD", "OPTIONS"})
UNAUTHORISED = {"WWW-Authenticate": 'Bearer realm="api"'}


def current_token() -> ApiToken | None:
    """The live token this request carries, looked up once per request."""
    if "api_token" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        raw = raw.strip()
        g.api_token = (
            api_tokens.token_for(raw, utcnow(), *with_roles())
            if scheme.lower() == "bearer" and raw
            else None
        )
    return g.api_token


def rate_limit_key() -> str:
    """Calls are counted per token; calls with none, per client address."""
    token = current_token()
    return f"api-token:{token.id}" if token else f"api-address:{client_address()}"


def authenticate() -> None:
    """Refuse a call without a live token (401), writing with a read token
    (403), or a body that is not JSON (415). Runs before every API view; notes
    the token's use."""
    token = current_token()
    if token is None:
        raise Problem(
            401,
            "Send a live API token as 'Authorization: Bearer <token>'. Tokens "
            "are made on your account's API tokens page.",
            headers=UNAUTHORISED,
        )
    needed = "read" if request.method in READING else "write"
    if not token.allows(needed):
        raise Problem(403, "This token may only read: make one with write scope.")
    if request.content_length and not request.is_json:
        raise Problem(415, "Send the body as JSON (Content-Type: application/json).")
    api_tokens.note_use(token, utcnow())


def caller() -> User:
    """The account whose token made this call."""
    return current_token().user


def roles_required(*roles: str) -> Callable:
    """The caller holds one of `roles`, or 403 (as role_required for pages)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not set(roles) & set(caller().roles):
                raise Problem(403, "Your account cannot use this.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


# The office's own calls.
office_only = roles_required("office")
