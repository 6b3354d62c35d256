"""Command-line commands: `demo`, `scheduler run|status|run-job`,
`coverage rebuild`, `api token create` and `webhooks add`."""

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect

from trainers import scheduler
from trainers.api.cli import api_group
from trainers.coverage.summary import rebuild
from trainers.demo import accounts, loading
from trainers.extensions import db
from trainers.models import delete_everything
from trainers.timeutil import utcnow
from trainers.webhooks.cli import webhooks_group


def register_commands(app: Flask) -> None:
    """Add the project's commands to `flask`."""
    app.cli.add_command(demo_command)
    app.cli.add_command(scheduler_group)
    app.cli.add_command(coverage_group)
    app.cli.add_command(api_group)
    app.cli.add_command(webhooks_group)


@click.group("scheduler")
def scheduler_group() -> None:
    """The scheduler process: one leader runs every timed job."""


@scheduler_group.command("run")
@with_appcontext
def scheduler_run() -> None:
    """Run the scheduler until stopped (a standby until it can lead)."""
    scheduler.run_forever(current_app._get_current_object())


@scheduler_group.command("status")
@with_appcontext
def scheduler_status() -> None:
    """Print the leader and each job's last run, outcome and next run."""
    leader, jobs = scheduler.status()
    if leader is None:
        click.echo("Leader: none yet")
    else:
        click.echo(
            f"Leader: {leader.process} since {leader.since:%Y-%m-%d %H:%M:%S} UTC, "
            f"last seen {leader.seen_at:%Y-%m-%d %H:%M:%S} UTC"
        )
    for job, record in jobs:
        if record is None or record.last_started_at is None:
            click.echo(f"{job.id}: never run")
            continue
        next_run = f"{record.next_run_at:%H:%M:%S}" if record.next_run_at else "?"
        click.echo(
            f"{job.id}: last {record.last_started_at:%Y-%m-%d %H:%M:%S} UTC, "
            f"{'ok' if record.last_ok else 'FAILED'}: {record.last_outcome}; "
            f"next {next_run} UTC"
        )


@scheduler_group.command("run-job")
@click.argument("job_id", type=click.Choice([job.id for job in scheduler.JOBS]))
@with_appcontext
def scheduler_run_job(job_id: str) -> None:
    """Run one job now, by hand (it is safe to run alongside the scheduler)."""
    record = scheduler.run_job(scheduler.job_by_id(job_id), utcnow())
    click.echo(
        f"{job_id}: {'ok' if record.last_ok else 'FAILED'}: {record.last_outcome}"
    )
    if not record.last_ok:
        raise SystemExit(1)


@click.group("coverage")
def coverage_group() -> None:
    """The coverage counts kept by month, region and topic."""


@coverage_group.command("rebuild")
@with_appcontext
def coverage_rebuild() -> None:
    """Count every request and delivered session afresh (after editing the
    database by hand, or a restore of some tables only)."""
    rebuild(db.session)
    db.session.commit()
    click.echo("Coverage counts rebuilt.")


@click.command("demo")
@click.option(
    "--reset", is_flag=True, help="Delete every row first (keeps the tables)."
)
@click.option(
    "--if-empty",
    is_flag=True,
    help="Load only into a database without users; otherwise do nothing.",
)
@click.option(
    "--seed",
    type=int,
    default=loading.SEED,
    show_default=True,
    help="The same seed on the same day builds the same data.",
)
@with_appcontext
def demo_command(reset: bool, if_empty: bool, seed: int) -> None:
    """Load a demo network: groups, trainers, requests in every state."""
    if reset and if_empty:
        raise click.UsageError("Use --reset or --if-empty, not both.")
    if not inspect(db.engine).has_table("users"):
        raise click.ClickException(
            "The database has no tables yet. Run `flask --app wsgi db upgrade` first."
        )
    if not reset and loading.has_users():
        if if_empty:
            click.echo("Demo data not loaded: the database already has users.")
            return
        raise click.ClickException(
            "The database already has users, so the demo was not loaded. Run "
            "`flask --app wsgi demo --reset` to delete everything in it first."
        )
    try:
        if reset:
            delete_everything()
        summary = loading.load_demo(utcnow(), seed)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    _print_logins(summary)


def _print_logins(summary: loading.DemoSummary) -> None:
    states = ", ".join(
        f"{count} {status}" for status, count in summary.requests.items()
    )
    click.echo(
        f"Demo data loaded: {summary.groups} groups, {summary.trainers} trainers, "
        f"{summary.topics} topics, {summary.requests.total()} requests ({states})."
    )
    click.echo(
        f"\nSign in at {current_app.config['BASE_URL']} with the password "
        f"{accounts.PASSWORD}:"
    )
    roles = {
        accounts.OFFICE_EMAIL: "national office",
        accounts.ORGANISER_EMAIL: "organiser of " + "; ".join(summary.organiser_groups),
        accounts.TRAINER_EMAIL: "trainer based in TN34 (Hastings)",
    }
    for email, role in roles.items():
        click.echo(f"  {email:<24} {role}")
