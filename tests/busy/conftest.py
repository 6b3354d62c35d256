"""The board's world (a group in Hastings; Priya and Sam free on Tuesday
evenings there, Kim far away), the clock at its NOW, and a calendar server on
loopback."""

from collections.abc import Iterator

import pytest

from tests.board.conftest import NOW, World
from tests.busy.feeds import FeedServer, running_feed_server


@pytest.fixture
def world(clock, make_group, make_topic, make_user, make_trainer) -> World:
    clock.set(NOW)
    return World(make_group, make_topic, make_user, make_trainer)


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with running_feed_server() as server:
        yield server
