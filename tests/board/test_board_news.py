"""Trainers who opt in are emailed, at most daily, the new requests they could
take; two schedulers never both send one; the stop link's GET changes nothing
(a link prefetcher may follow it) and its POST stops the emails."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.board.conftest import NOW
from tests.threads import run_at_once
from trainers import scheduler
from trainers.board.news import email_new_requests
from trainers.extensions import db
from trainers.outbox.models import OutboxMessage
from trainers.profiles.models import TrainerProfile

DAY = timedelta(days=1)


def opt_in(client_for, trainer, wanted=True) -> None:
    response = client_for(trainer).post(
        f"/trainers/{trainer.id}/profile/emails",
        data={"has_board_emails": "y"} if wanted else {},
    )
    assert response.status_code == 302


def news_to(address: str) -> list[OutboxMessage]:
    return db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "board_news", OutboxMessage.to_address == address
        )
    ).all()


def test_off_by_default_and_on_from_the_profile(world, client_for):
    world.ask()
    assert email_new_requests(NOW + 2 * DAY).startswith("0 of 0")

    opt_in(client_for, world.priya)

    profile = db.session.get(TrainerProfile, world.priya.id)
    assert profile.has_board_emails and profile.board_news_seen_at == NOW
    page = client_for(world.priya).get(f"/trainers/{world.priya.id}/profile")
    assert "On: at most once a day" in page.get_data(as_text=True)


def test_at_most_daily_and_only_what_is_new(world, client_for, clock):
    opt_in(client_for, world.priya)
    world.ask(made_at=NOW - DAY)  # made before she asked: not news
    world.ask(made_at=NOW + timedelta(hours=1))

    assert email_new_requests(NOW + DAY - timedelta(minutes=1)).startswith("0 of 0")
    assert email_new_requests(NOW + DAY).startswith("1 of 1")
    assert email_new_requests(NOW + DAY + timedelta(hours=1)).startswith("0 of 0")

    (message,) = news_to("priya@example.org")
    assert message.subject == "1 new request you could take"
    assert "Door-knocking and canvassing, near TN34 (South East)" in message.body
    assert "Bring flipchart pens" not in message.body
    # A day on, nothing new: no email, and the day starts again.
    assert email_new_requests(NOW + 2 * DAY).startswith("0 of 1")
    world.ask(made_at=NOW + 2 * DAY + timedelta(hours=1))
    assert email_new_requests(NOW + 2 * DAY + timedelta(hours=2)).startswith("0 of 0")
    assert email_new_requests(NOW + 3 * DAY).startswith("1 of 1")
    assert len(news_to("priya@example.org")) == 2


def test_requests_the_trainer_could_not_take_are_not_news(world, client_for):
    opt_in(client_for, world.kim)  # in Stockport: Hastings is beyond her reach
    world.ask(made_at=NOW + timedelta(hours=1))

    assert email_new_requests(NOW + DAY) == "0 of 1 trainers told of new requests"
    assert news_to("kim@example.org") == []


def test_the_stop_link_asks_first_then_stops(world, client_for, client, mailbox):
    opt_in(client_for, world.priya)
    world.ask(made_at=NOW + timedelta(hours=1))
    email_new_requests(NOW + DAY)
    db.session.commit()
    link = mailbox.last_link("priya@example.org")
    assert re.fullmatch(r"/board/emails/stop/[\w.-]+", link)

    # A prefetcher's GET changes nothing.
    page = client.get(link).get_data(as_text=True)
    assert "Stop these emails" in page
    assert db.session.get(TrainerProfile, world.priya.id).has_board_emails

    response = client.post(link)
    assert "Emails stopped" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(TrainerProfile, world.priya.id).has_board_emails
    world.ask(made_at=NOW + DAY + timedelta(hours=1))
    assert email_new_requests(NOW + 3 * DAY).startswith("0 of 0")
    # A token that is not ours finds nothing.
    assert client.get(link[:-2] + "xx").status_code == 404


@pytest.mark.postgres_only
@pytest.mark.slow
def test_two_schedulers_at_once_send_one_email(threads_app, world, client_for):
    opt_in(client_for, world.priya)
    world.ask(made_at=NOW + timedelta(hours=1))

    def running(wait):
        wait()
        return email_new_requests(NOW + DAY)

    results = run_at_once(threads_app, [running, running])

    assert [outcome for outcome, _ in results] == ["ok", "ok"], results
    # However the two runs interleave, one of them emails her.
    assert sorted(value.split(" of ")[0] for _, value in results) == ["0", "1"]
    assert len(news_to("priya@example.org")) == 1


def test_the_job_is_declared(app):
    job = scheduler.job_by_id("board-news")
    assert job.run is email_new_requests
    assert app.config[job.every] <= 3600
