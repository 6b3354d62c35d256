"""What every API resource's blueprint shares: its place under /api/v1, the
bearer token checked before each call, the per-token rate limit, and no CSRF
(no cookie is read, so no browser's session can be borrowed)."""

from collections.abc import Callable
from http import HTTPStatus

from flask import current_app
from flask_smorest import Blueprint

from trainers.api import PREFIX
from trainers.api.auth import authenticate, rate_limit_key
from trainers.extensions import csrf
from trainers.limits import limiter


def resource(name: str, description: str) -> Blueprint:
    """A blueprint for one resource, its calls authenticated and rate limited."""
    blueprint = Blueprint(
        f"api_{name}", __name__, url_prefix=PREFIX, description=description
    )
    blueprint.before_request(authenticate)
    csrf.exempt(blueprint)
    limiter.limit(lambda: current_app.config["RATELIMIT_API"], key_func=rate_limit_key)(
        blueprint
    )
    return blueprint


def may_answer(blueprint: Blueprint, *statuses: int) -> Callable:
    """Document the problems a call may answer (401 and 429 for every call),
    as the problem responses flask-smorest registered; put it right under the
    route, above every other decorator."""

    def decorator(view: Callable) -> Callable:
        for status in sorted({401, 429, *statuses}):
            view = blueprint.alt_response(status, HTTPStatus(status).name)(view)
        return view

    return decorator
