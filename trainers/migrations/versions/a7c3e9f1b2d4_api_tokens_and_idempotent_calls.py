"""the JSON API: personal access tokens, and creates kept by Idempotency-Key

Revision ID: a7c3e9f1b2d4
Revises: e8c3f5a7b2d1
Create Date: 2026-12-05 01:40:00

"""
from alembic import op
import sqlalchemy as sa

from trainers.timeutil import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'a7c3e9f1b2d4'
down_revision = 'e8c3f5a7b2d1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("scope", sa.String(length=5), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("scope IN ('read', 'write')", name=op.f("ck_api_tokens_scope")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"],
            name=op.f("fk_api_tokens_created_by_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"],
            name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])
    op.create_table(
        "api_idempotent_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"],
            name=op.f("fk_api_idempotent_calls_token_id_api_tokens"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_idempotent_calls")),
        sa.UniqueConstraint(
            "token_id", "key", name=op.f("uq_api_idempotent_calls_token_id")
        ),
    )
    op.create_index(
        op.f("ix_api_idempotent_calls_created_at"), "api_idempotent_calls", ["created_at"]
    )


def downgrade():
    op.drop_index(op.f("ix_api_idempotent_calls_created_at"), table_name="api_idempotent_calls")
    op.drop_table("api_idempotent_calls")
    op.drop_index(op.f("ix_api_tokens_user_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
