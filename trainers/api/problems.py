"""Every API error as RFC 9457 problem details: `application/problem+json`
with type, title, status and detail, and for bad input `errors` (field ->
messages). The pages' messages are used as they are."""

from typing import Any

from flask import Response, json, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from trainers.api import PREFIX
from trainers.errors import DomainError

MEDIA_TYPE = "application/problem+json"
# Documented on the reference page, where each has its heading.
VALIDATION = f"{PREFIX}/docs#validation-error"
DOMAIN = f"{PREFIX}/docs#rule-broken"
CONFLICT = f"{PREFIX}/docs#conflict"
CONFIRM = f"{PREFIX}/docs#needs-confirmation"


class Problem(Exception):  # noqa: N818 - what the client receives
    """Raised in an API view or hook: answered as a problem (see `response`)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type_: str = "about:blank",
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status, self.detail, self.type = status, detail, type_
        self.title = title or HTTP_STATUS_CODES.get(status, "Error")
        self.headers = headers or {}
        self.extra = extra


def is_api_call() -> bool:
    """Whether this request is to the API (answered as problems, not pages)."""
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def response(problem: Problem) -> Response:
    """The problem as its HTTP response."""
    body = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        **problem.extra,
    }
    answer = Response(json.dumps(body), problem.status, mimetype=MEDIA_TYPE)
    answer.headers.update(problem.headers)
    return answer


def from_domain_error(error: DomainError, status: int = 422) -> Problem:
    """A service's refusal, in its own words and naming its field."""
    extra = {"field": error.field} if error.field else {}
    if error.field:
        extra["errors"] = {error.field: [error.message]}
    type_ = CONFLICT if status == 409 else DOMAIN
    return Problem(status, error.message, type_=type_, **extra)


def from_http_exception(error: HTTPException) -> Problem:
    """Werkzeug's and flask-smorest's errors; webargs' validation messages,
    by where they were sent (json, query), become one `errors` by field."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if messages:
        return Problem(
            status,
            "Some of what was sent is not valid: see errors.",
            type_=VALIDATION,
            errors=_by_field(messages),
        )
    return Problem(status, error.description or HTTP_STATUS_CODES.get(status, ""))


def _by_field(messages: dict) -> dict[str, list]:
    errors: dict[str, list] = {}
    for where in messages.values():
        if not isinstance(where, dict):
            errors.setdefault("_schema", []).append(where)
            continue
        for field, said in where.items():
            errors.setdefault(str(field), []).extend(
                said if isinstance(said, list) else [said]
            )
    return errors
