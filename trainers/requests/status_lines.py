"""One line, in plain words, of where a request stands for its group and what
(if anything) they should do: the request's page, lists and emails say it alike.

Each line claims only what has happened: how many trainers it is offered to,
never "the trainers" when it is one, and nobody looking once it is cancelled.
"""

from trainers.requests.models import RequestStatus


def status_line(
    status: str, *, offered_to: int = 0, trainer_name: str | None = None
) -> str:
    """Where a request in `status` stands and what its group should do.

    `offered_to`: how many trainers it waits on; `trainer_name`: who runs it,
    once booked or delivered."""
    match RequestStatus(status):
        case RequestStatus.SUBMITTED:
            return (
                "Received: we are looking for a trainer who teaches it and is free "
                "and near enough at one of your times. Nothing to do yet."
            )
        case RequestStatus.OFFERED:
            return _offered(offered_to)
        case RequestStatus.BOOKED:
            who = trainer_name or "A trainer"
            return (
                f"Booked: {who} will run it. Nothing to do now; if your plans "
                "change, reschedule or cancel it here."
            )
        case RequestStatus.UNFILLED:
            return (
                "No trainer is free and near enough at these times yet, and the "
                "national office has been told. Adding more times, or making it "
                "online if the topic allows, would help."
            )
        case RequestStatus.CANCELLED:
            return (
                "Cancelled: nobody is looking for a trainer for it any more. Ask for "
                "a new session whenever you are ready."
            )
        case RequestStatus.DELIVERED:
            by = f" by {trainer_name}" if trainer_name else ""
            return (
                f"Delivered{by}. If you haven't yet, say how it went on the "
                "session's page."
            )


def _offered(trainers: int) -> str:
    if trainers == 1:
        return (
            "Offered to 1 trainer. We'll email you when they accept; if they can't, "
            "we ask another. Nothing to do yet."
        )
    if trainers > 1:
        return (
            f"Offered to {trainers} trainers: the first to accept runs it, and we'll "
            "email you then. Nothing to do yet."
        )
    return "Waiting for a trainer's answer. We'll email you when one accepts."


def sent_message(status: str, offered_to: int) -> str:
    """What the group is told when its request has just been sent."""
    return f"Your request has been sent. {status_line(status, offered_to=offered_to)}"
