"""outbox: one-time links kept apart from the body, only until the email is sent

Revision ID: c3a8e5f17b42
Revises: b7d41c2e9a10
Create Date: 2026-12-04 20:30:00

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a8e5f17b42'
down_revision = 'b7d41c2e9a10'
branch_labels = None
depends_on = None

# As trainers.outbox.models.ONE_TIME_LINK was when this was written.
ONE_TIME_LINK = "[one-time link]"
# A reset or invitation link as the emails of the time wrote it.
LINK = re.compile(r"\S+/(?:password/reset|invitations)/[A-Za-z0-9_-]+")

outbox = sa.table(
    "outbox_messages",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("status", sa.String),
    sa.column("body", sa.Text),
    sa.column("secret_link", sa.Text),
)


def upgrade():
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("secret_link", sa.Text(), nullable=True))
    # Links already in bodies: kept apart while the email waits, dropped once
    # it is sent or has failed.
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(outbox.c.id, outbox.c.status, outbox.c.body).where(
            outbox.c.kind.in_(("password_reset", "invitation"))
        )
    ).all()
    for row in rows:
        found = LINK.search(row.body or "")
        if found is None:
            continue
        waiting = row.status in ("pending", "sending")
        bind.execute(
            outbox.update()
            .where(outbox.c.id == row.id)
            .values(
                body=LINK.sub(ONE_TIME_LINK, row.body),
                secret_link=found.group(0) if waiting else None,
            )
        )


def downgrade():
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(outbox.c.id, outbox.c.body, outbox.c.secret_link).where(
            outbox.c.secret_link.is_not(None)
        )
    ).all()
    for row in rows:
        bind.execute(
            outbox.update()
            .where(outbox.c.id == row.id)
            .values(body=row.body.replace(ONE_TIME_LINK, row.secret_link))
        )
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_column("secret_link")
