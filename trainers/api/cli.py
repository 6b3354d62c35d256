"""`flask api token create EMAIL --name NAME [--scope read|write] [--days N]`:
a token for a script, printed once (it is kept only as a hash)."""

import click
from flask.cli import with_appcontext

from trainers.auth import api_tokens
from trainers.auth.services import find_user_by_email
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.timeutil import utcnow


@click.group("api")
def api_group() -> None:
    """The JSON API."""


@api_group.group("token")
def token_group() -> None:
    """Personal access tokens."""


@token_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for.")
@click.option(
    "--scope", type=click.Choice(["read", "write"]), default="read", show_default=True
)
@click.option(
    "--days",
    type=click.IntRange(1, api_tokens.MAX_DAYS),
    default=api_tokens.DEFAULT_DAYS,
    show_default=True,
)
@with_appcontext
def create_token(email: str, name: str, scope: str, days: int) -> None:
    """Make a token for the account with EMAIL and print it, once."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account has the email address {email}.")
    try:
        raw, token = api_tokens.create_token(
            user, name, scope, days, by=user, now=utcnow()
        )
    except DomainError as error:
        raise click.ClickException(error.message) from None
    expires_at = token.expires_at
    db.session.commit()
    click.echo(raw)
    click.echo(
        f"A {scope} token for {email}, until {expires_at:%Y-%m-%d %H:%M} UTC. It is "
        "shown only now: keep it somewhere safe.",
        err=True,
    )
