"""the open board: where a booking came from, and trainers' emails of new requests

Revision ID: d4b7e1a2c9f3
Revises: d4b7e2a91c36
Create Date: 2026-12-04 23:00:00

"""
from alembic import op
import sqlalchemy as sa

from trainers.coverage import triggers
from trainers.timeutil import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'd4b7e1a2c9f3'
down_revision = 'd4b7e2a91c36'
branch_labels = None
depends_on = None


def upgrade():
    # Sessions booked before this revision came from an offer or the office;
    # which one is not kept, so they all count as offers (none from the board).
    with op.batch_alter_table("training_sessions") as batch_op:
        batch_op.add_column(
            sa.Column(
                "booked_via", sa.String(length=8), server_default="offer", nullable=False
            )
        )
    with op.batch_alter_table("trainer_profiles") as batch_op:
        batch_op.add_column(
            sa.Column(
                "has_board_emails", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(sa.Column("board_news_seen_at", UTCDateTime(), nullable=True))


def downgrade():
    # SQLite drops a column by remaking its table, which a trigger naming the
    # table would fail: they are dropped first and installed again after.
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("PRAGMA defer_foreign_keys = ON")
    for statement in triggers.drop_statements(bind.dialect.name):
        op.execute(statement)
    with op.batch_alter_table("trainer_profiles") as batch_op:
        batch_op.drop_column("board_news_seen_at")
        batch_op.drop_column("has_board_emails")
    with op.batch_alter_table("training_sessions") as batch_op:
        batch_op.drop_column("booked_via")
    triggers.install(bind)
