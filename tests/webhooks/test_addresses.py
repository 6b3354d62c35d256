"""Endpoints only at public https addresses in production, checked when added
and again at every delivery."""

import pytest
from sqlalchemy import func, select

from trainers.errors import DomainError
from trainers.extensions import db
from trainers.timeutil import utcnow
from trainers.webhooks import services
from trainers.webhooks.delivery import deliver_webhooks
from trainers.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint

EVENTS = [EventType.REQUEST_BOOKED]


@pytest.fixture
def production_rules(app):
    app.config["WEBHOOKS_ALLOW_LOOPBACK"] = False


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("https://10.0.0.5/hooks", "private, loopback or link-local"),
        ("https://192.168.1.20/hooks", "private, loopback or link-local"),
        ("https://127.0.0.1/hooks", "private, loopback or link-local"),
        ("https://localhost/hooks", "private, loopback or link-local"),
        ("https://[::1]/hooks", "private, loopback or link-local"),
        ("https://[::ffff:10.0.0.5]/hooks", "private, loopback or link-local"),
        ("https://169.254.169.254/latest", "private, loopback or link-local"),
        ("http://93.184.215.14/hooks", "starting https://"),
        ("ftp://93.184.215.14/hooks", "starting https://"),
        ("https://user:pw@93.184.215.14/hooks", "user name and password"),
        ("https://93.184.215.14:99999/hooks", "starting https://"),
        ("not an address", "starting https://"),
    ],
)
def test_unsafe_addresses_are_refused_in_production(production_rules, url, said):
    with pytest.raises(DomainError, match=said):
        services.add_endpoint(url, EVENTS, utcnow())
    assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_a_public_https_address_is_taken(production_rules):
    endpoint, secret = services.add_endpoint(
        "https://93.184.215.14/hooks", EVENTS, utcnow()
    )
    assert endpoint.is_active and secret.startswith("whsec_")


def test_loopback_allowed_still_refuses_private_and_link_local(app):
    assert app.config["WEBHOOKS_ALLOW_LOOPBACK"]
    services.add_endpoint("http://127.0.0.1:8080/hooks", EVENTS, utcnow())
    for url in ("https://10.0.0.5/hooks", "http://169.254.169.254/latest"):
        with pytest.raises(DomainError, match="private, loopback or link-local"):
            services.add_endpoint(url, EVENTS, utcnow())


def test_each_delivery_checks_the_address_again(app, endpoint, receiver):
    services.send_test(endpoint.id, utcnow())
    db.session.commit()
    app.config["WEBHOOKS_ALLOW_LOOPBACK"] = False
    assert deliver_webhooks(utcnow()) == "delivered 0, retrying 1, failed 0"
    assert receiver.requests == []
    delivery = db.session.scalar(select(WebhookDelivery))
    assert "starting https://" in delivery.last_error
