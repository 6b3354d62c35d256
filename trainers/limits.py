"""Rate limits per client: how many sign-ins, password resets, invitations
and calendar polls one address on the internet may make in a while.

Flask-Limiter with its counters in our own database (trainers.limitstore), so
they hold across web workers and hosts. The client is the address the app
sees, which ProxyFix takes from the proxy when PROXY_FIX_HOPS is set. Each
limit is a setting (config.py), read at every request so tests may change it.
"""

import hashlib
import math
from collections.abc import Callable

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse_many

# Imported for its storage, which registers the "database://" scheme.
from trainers import limitstore  # noqa: F401
from trainers.timeutil import utcnow

limiter = Limiter(key_func=get_remote_address, strategy="fixed-window")


def client_address() -> str:
    """The address of the client making this request, as the limits count it."""
    return get_remote_address()


def limit(setting: str, methods: list[str] | None = None) -> Callable:
    """Decorate a view with the per-client limit named by a setting, such as
    "10/minute;50/hour"; with `methods`, only those requests count."""
    return limiter.limit(lambda: current_app.config[setting], methods=methods)


def allow(setting: str, *identifiers: str) -> bool:
    """Count one use of the limit named by `setting` for `identifiers` (say, an
    email address): whether it is still within every one of its limits."""
    # Counted under a digest: an address of any length fits the key, and the
    # counters never hold the address itself.
    digest = hashlib.sha256("\0".join(identifiers).encode()).hexdigest()
    items = parse_many(current_app.config[setting])
    return all([limiter.limiter.hit(item, setting, digest) for item in items])


def seconds_to_wait() -> int:
    """How long until the limit this request broke lets the client in again."""
    broken = limiter.current_limit
    if broken is None:
        return 60
    # To the millisecond first: the window's end comes back as a float.
    left = round(broken.window.reset_time - utcnow().timestamp(), 3)
    return max(1, math.ceil(left))
