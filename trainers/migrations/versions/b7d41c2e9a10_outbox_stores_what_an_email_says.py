"""outbox: store what an email says, assemble the MIME message when it is sent

Revision ID: b7d41c2e9a10
Revises: efee73ec3625
Create Date: 2026-12-04 14:05:00

"""
import email
from email import policy
from types import SimpleNamespace

from alembic import op
import sqlalchemy as sa

from trainers.timeutil import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'b7d41c2e9a10'
down_revision = 'efee73ec3625'
branch_labels = None
depends_on = None

outbox = sa.table(
    "outbox_messages",
    sa.column("id", sa.Integer),
    sa.column("to_address", sa.String),
    sa.column("subject", sa.String),
    sa.column("created_at", UTCDateTime()),
    sa.column("raw", sa.LargeBinary),
    sa.column("body", sa.Text),
    sa.column("calendar", sa.LargeBinary),
    sa.column("calendar_method", sa.String),
    sa.column("message_id", sa.String),
)


def _parts(raw: bytes) -> dict:
    # A message queued before this revision, read back into what it says.
    message = email.message_from_bytes(raw, policy=policy.default)
    text = message.get_body(preferencelist=("plain",))
    invite = next(
        (p for p in message.walk() if p.get_content_type() == "text/calendar"), None
    )
    return {
        "body": text.get_content().replace("\r\n", "\n") if text else "",
        "calendar": invite.get_payload(decode=True) if invite else None,
        "calendar_method": invite.get_param("method") if invite else None,
        "message_id": message["Message-ID"] or "",
    }


def upgrade():
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("calendar", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("calendar_method", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.String(length=255), nullable=True))
    bind = op.get_bind()
    for row in bind.execute(sa.select(outbox.c.id, outbox.c.raw)).all():
        bind.execute(
            outbox.update().where(outbox.c.id == row.id).values(**_parts(row.raw or b""))
        )
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.alter_column("body", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("message_id", existing_type=sa.String(length=255), nullable=False)
        batch_op.drop_column("raw")


def downgrade():
    # Back to the bytes to send, assembled as they are sent today.
    from trainers.mail import assemble

    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("raw", sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    for row in bind.execute(sa.select(outbox)).mappings().all():
        # Any one-time link is back in the body by now (c3a8e5f17b42's downgrade).
        raw = assemble(SimpleNamespace(**row, secret_link=None))
        bind.execute(outbox.update().where(outbox.c.id == row["id"]).values(raw=raw))
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.alter_column("raw", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("message_id")
        batch_op.drop_column("calendar_method")
        batch_op.drop_column("calendar")
        batch_op.drop_column("body")
