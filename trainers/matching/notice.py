"""Changes close to a session: confirmed first, then flagged to the office."""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from trainers import mail
from trainers.auth.models import User
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.links import absolute_url
from trainers.requests.models import TrainingRequest


class NeedsConfirmation(DomainError):
    """A change inside the notice window: the person must confirm it first."""

    def __init__(self):
        hours = current_app.config["NOTICE_WINDOW_HOURS"]
        super().__init__(
            f"This session starts within {hours} hours. Tick the box to confirm the "
            "change; the national office will be told.",
            field="confirm",
        )


def is_short_notice(now: datetime, *starts: datetime | None) -> bool:
    """Whether any of these starts is inside the notice window from now."""
    window = timedelta(hours=current_app.config["NOTICE_WINDOW_HOURS"])
    return any(start - now < window for start in starts if start is not None)


def check_notice(now: datetime, confirmed: bool, *starts: datetime | None) -> bool:
    """Whether the change is at short notice; raises NeedsConfirmation if it is
    and the person has not confirmed it."""
    short = is_short_notice(now, *starts)
    if short and not confirmed:
        raise NeedsConfirmation()
    return short


def tell_office(training_request: TrainingRequest, what: str) -> None:
    """Email every active member of the office about a request."""
    link = absolute_url("requests.show", request_id=training_request.id)
    for person in db.session.scalars(
        select(User).where(User.is_office, User.is_active)
    ):
        mail.send_email(
            person.email,
            "office_alert",
            person=person,
            training_request=training_request,
            what=what,
            link=link,
        )


def flag(
    training_request: TrainingRequest,
    action: str,
    detail: str,
    by: User | None,
    now: datetime,
) -> None:
    """A flagged line in the request's history, and the office told at once."""
    training_request.note(action, detail, by, now, is_flagged=True)
    tell_office(training_request, detail)
