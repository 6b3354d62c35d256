"""gunicorn's logger, with tokens taken out of URLs in its access and error logs.

Used by deploy/trainers-web.service (`--logger-class`).
"""

from gunicorn.glogging import Logger

from trainers.logredact import RedactSecrets

_REDACT = RedactSecrets()


class RedactingLogger(Logger):
    """gunicorn's own logger; every line it writes goes through `redact`."""

    def setup(self, cfg) -> None:
        """Set up as gunicorn does (again on each reload), then add the filter."""
        super().setup(cfg)
        # On the loggers, not their handlers: setup replaces the handlers.
        self.access_log.addFilter(_REDACT)
        self.error_log.addFilter(_REDACT)
