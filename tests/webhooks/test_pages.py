"""The office's webhook pages: add an endpoint and see its secret once, read
its delivery log, send again, send a test, rotate, disable and enable."""

from sqlalchemy import func, select

from trainers.extensions import db
from trainers.timeutil import utcnow
from trainers.webhooks import services
from trainers.webhooks.delivery import deliver_webhooks
from trainers.webhooks.models import WebhookDelivery, WebhookEndpoint
from trainers.webhooks.services import DELIVERIES_PER_PAGE


def _endpoints() -> int:
    return db.session.scalar(select(func.count()).select_from(WebhookEndpoint))


def test_the_office_adds_an_endpoint_and_sees_its_secret_once(
    office_browser, receiver, clock
):
    page = office_browser.post(
        "/office/webhooks/new",
        data={"url": f"  {receiver.url}  ", "events": ["request.booked"]},
    )
    assert page.status_code == 200
    endpoint = db.session.scalar(select(WebhookEndpoint))
    assert endpoint.url == receiver.url
    assert endpoint.event_types == ["request.booked"]
    assert endpoint.secret in page.get_data(as_text=True)
    for later in ("/office/webhooks/", f"/office/webhooks/{endpoint.id}"):
        shown = office_browser.get(later).get_data(as_text=True)
        assert receiver.url in shown
        assert endpoint.secret not in shown


def test_bad_input_is_explained_and_changes_nothing(office_browser, app, clock):
    app.config["WEBHOOKS_ALLOW_LOOPBACK"] = False
    for data, said in (
        ({"url": "https://10.0.0.5/x", "events": ["request.booked"]}, "private"),
        ({"url": "https://93.184.215.14/x"}, "Tick at least one event"),
        ({"url": "", "events": ["request.booked"]}, "Enter the endpoint"),
        ({"url": "https://93.184.215.14/x", "events": ["nope"]}, "not a valid choice"),
    ):
        page = office_browser.post("/office/webhooks/new", data=data)
        assert page.status_code == 200
        assert said in page.get_data(as_text=True)
    assert _endpoints() == 0


def test_the_log_sends_again_and_sends_a_test(office_browser, endpoint, receiver):
    sent = office_browser.post(f"/office/webhooks/{endpoint.id}/test")
    assert sent.status_code == 302
    deliver_webhooks(utcnow())
    [delivery] = db.session.scalars(select(WebhookDelivery))
    page = office_browser.get(f"/office/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "webhook.test" in page and delivery.message_id in page
    again = office_browser.post(f"/office/webhooks/messages/{delivery.id}/send-again")
    assert again.headers["Location"] == f"/office/webhooks/{endpoint.id}"
    deliver_webhooks(utcnow())
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert len(receiver.events) == 1
    # Waiting its turn, it cannot be sent again twice over.
    office_browser.post(f"/office/webhooks/messages/{delivery.id}/send-again")
    page = office_browser.post(
        f"/office/webhooks/messages/{delivery.id}/send-again", follow_redirects=True
    )
    assert "still being sent" in page.get_data(as_text=True)


def test_disable_then_enable(office_browser, endpoint):
    office_browser.post(f"/office/webhooks/{endpoint.id}/disable")
    assert not db.session.get(WebhookEndpoint, endpoint.id).is_active
    page = office_browser.post(
        f"/office/webhooks/{endpoint.id}/test", follow_redirects=True
    )
    assert "Enable the endpoint first" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    office_browser.post(f"/office/webhooks/{endpoint.id}/enable")
    assert db.session.get(WebhookEndpoint, endpoint.id).is_active


def test_rotating_shows_the_new_secret_once(office_browser, endpoint):
    old = endpoint.secret
    page = office_browser.post(f"/office/webhooks/{endpoint.id}/rotate")
    rotated = db.session.get(WebhookEndpoint, endpoint.id)
    assert rotated.previous_secret == old != rotated.secret
    assert rotated.secret in page.get_data(as_text=True)
    shown = office_browser.get(f"/office/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "the old one also signs until" in shown


def test_changing_events(office_browser, endpoint):
    saved = office_browser.post(
        f"/office/webhooks/{endpoint.id}/events",
        data={"events": ["session.cancelled", "request.created"]},
    )
    assert saved.status_code == 302
    assert db.session.get(WebhookEndpoint, endpoint.id).event_types == [
        "request.created",
        "session.cancelled",
    ]
    refused = office_browser.post(f"/office/webhooks/{endpoint.id}/events", data={})
    assert refused.status_code == 400
    assert "Tick at least one event" in refused.get_data(as_text=True)
    assert len(db.session.get(WebhookEndpoint, endpoint.id).event_types) == 2


def test_the_log_is_paged_newest_first(office_browser, endpoint):
    for _ in range(DELIVERIES_PER_PAGE + 1):
        services.send_test(endpoint.id, utcnow())
    db.session.commit()
    ids = [
        d.message_id for d in db.session.scalars(select(WebhookDelivery).order_by("id"))
    ]
    first = office_browser.get(f"/office/webhooks/{endpoint.id}").get_data(as_text=True)
    second = office_browser.get(f"/office/webhooks/{endpoint.id}?page=2").get_data(
        as_text=True
    )
    assert ids[-1] in first and ids[0] not in first
    assert ids[0] in second and "Page 2 of 2" in second
