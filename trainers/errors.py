"""Domain errors: services raise them, views turn them into messages."""


class DomainError(Exception):
    """A rule of the domain was broken; the message is shown to the user as is."""

    field: str | None = None

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field


class NotFound(Exception):  # noqa: N818 - reads as what the user gets
    """Missing, or not the current user's to see: both answer 404.

    Deliberately not a DomainError, so a view catching those never swallows it.
    """


class IllegalMove(Exception):  # noqa: N818 - reads as what happened
    """A service tried a change of status its transition table does not allow:
    a bug, not a user's error, as services check what users may do first."""
