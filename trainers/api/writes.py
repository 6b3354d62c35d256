"""How every API call that changes something ends: the service's domain
error becomes a problem and nothing is kept; otherwise, with an
Idempotency-Key, the response is kept in the same transaction, then it
commits. A retry with the same key and body gets the first response again."""

import hashlib
import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from flask import Response, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from trainers.api.auth import current_token
from trainers.api.models import IdempotentCall
from trainers.api.problems import VALIDATION, Problem, from_domain_error
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.timeutil import utcnow

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(hours=24)
MAX_KEY = 255


def writes(conflicts: tuple[type[DomainError], ...] = ()) -> Callable:
    """Wrap a view that changes something (outside flask-smorest's decorators):
    a DomainError rolls back as a 422 problem (409 for `conflicts`), else it
    commits, keeping the response under the call's Idempotency-Key if any."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            key = _key()
            if key is not None:
                kept = _kept(key)
                if kept is not None:
                    return kept
            try:
                answer = view(*args, **kwargs)
            except DomainError as error:
                db.session.rollback()
                raise from_domain_error(
                    error, 409 if isinstance(error, conflicts) else 422
                ) from None
            try:
                if key is not None and answer.status_code < 300:
                    _keep(key, answer)
                db.session.commit()
            except IntegrityError:
                # The same key sent twice at once: the other call won; its answer.
                db.session.rollback()
                kept = _kept(key) if key is not None else None
                if kept is None:
                    raise
                return kept
            return answer

        return wrapped

    return decorator


def _key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not (1 <= len(key) <= MAX_KEY and key.isascii() and key.isprintable()):
        raise Problem(
            400,
            f"An {HEADER} is 1 to {MAX_KEY} printable ASCII characters, such as "
            "a UUID.",
            type_=VALIDATION,
            errors={HEADER: [f"1 to {MAX_KEY} printable ASCII characters."]},
        )
    return key


def _fingerprint() -> str:
    sent = b"\0".join(
        (request.method.encode(), request.path.encode(), request.get_data())
    )
    return hashlib.sha256(sent).hexdigest()


def _kept(key: str) -> Response | None:
    """The response kept for this token's key, if it is under a day old."""
    call = db.session.scalar(
        select(IdempotentCall).where(
            IdempotentCall.token_id == current_token().id,
            IdempotentCall.key == key,
            IdempotentCall.created_at > utcnow() - KEPT_FOR,
        )
    )
    if call is None:
        return None
    if call.fingerprint != _fingerprint():
        raise Problem(
            422,
            f"This {HEADER} was used with another request in the last 24 hours: "
            "use a new key for a new request.",
            type_=VALIDATION,
            errors={HEADER: ["Used before with another request."]},
        )
    answer = Response(call.body, call.status, mimetype="application/json")
    answer.headers["Idempotent-Replayed"] = "true"
    return answer


def _keep(key: str, answer: Response) -> None:
    token_id, now = current_token().id, utcnow()
    # The token's keys older than a day are forgotten, so a key may come again.
    db.session.execute(
        delete(IdempotentCall).where(
            IdempotentCall.token_id == token_id,
            IdempotentCall.created_at <= now - KEPT_FOR,
        )
    )
    db.session.add(
        IdempotentCall(
            token_id=token_id,
            key=key,
            fingerprint=_fingerprint(),
            status=answer.status_code,
            body=answer.get_data(as_text=True),
            created_at=now,
        )
    )
    db.session.flush()
    logger.info("API call kept under an idempotency key for token %s", token_id)
