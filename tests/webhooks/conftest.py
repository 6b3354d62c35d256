"""A real receiver on loopback (receiver.py), and an endpoint for it."""

from collections.abc import Iterator

import pytest

from tests.webhooks.receiver import Receiver, running_receiver
from trainers.extensions import db
from trainers.timeutil import utcnow
from trainers.webhooks import services
from trainers.webhooks.models import EventType, WebhookEndpoint


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as found:
        yield found


@pytest.fixture
def endpoint(app, clock, receiver) -> WebhookEndpoint:
    """An endpoint for the receiver, wanting every event, its secret given to it."""
    made, secret = services.add_endpoint(receiver.url, list(EventType), utcnow())
    db.session.commit()
    receiver.secret = secret
    return made
