"""sign_ins: server-side sign-in records, so a sign-in can be ended

Revision ID: c5e2a9f14b70
Revises: c3e8a1f25b47
Create Date: 2026-12-04 20:20:00

"""
from alembic import op
import sqlalchemy as sa

from trainers.timeutil import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'c5e2a9f14b70'
down_revision = 'c3e8a1f25b47'
branch_labels = None
depends_on = None


def upgrade():
    # Sign-ins from before this revision live only in their cookies, which no
    # longer load: everyone signs in once more.
    op.create_table(
        "sign_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("device", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sign_ins_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_ins")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_ins_token_hash")),
    )
    with op.batch_alter_table("sign_ins") as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_ins_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("sign_ins") as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_ins_user_id"))
    op.drop_table("sign_ins")
