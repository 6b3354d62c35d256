"""`flask webhooks add URL --event TYPE ...`: an endpoint for a script, its
secret printed once (the office's page does the same)."""

import click
from flask.cli import with_appcontext

from trainers.errors import DomainError
from trainers.extensions import db
from trainers.timeutil import utcnow
from trainers.webhooks import services
from trainers.webhooks.models import EventType


@click.group("webhooks")
def webhooks_group() -> None:
    """Endpoints that other systems are sent events at."""


@webhooks_group.command("add")
@click.argument("url")
@click.option(
    "--event",
    "events",
    multiple=True,
    required=True,
    type=click.Choice([str(event) for event in EventType]),
    help="An event to send it; repeat for more.",
)
@with_appcontext
def add_endpoint(url: str, events: tuple[str, ...]) -> None:
    """Add an endpoint at URL and print its secret, once."""
    try:
        endpoint, secret = services.add_endpoint(url, list(events), utcnow())
    except DomainError as error:
        raise click.ClickException(error.message) from None
    endpoint_id = endpoint.id
    db.session.commit()
    click.echo(secret)
    click.echo(
        f"Endpoint {endpoint_id} gets {', '.join(events)}. The secret is shown only "
        "now: keep it with the receiver.",
        err=True,
    )
