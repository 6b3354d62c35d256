"""booked sessions: meeting links, hand-backs, settled times, phone, request keys

Revision ID: efee73ec3625
Revises: 9a5f2faf507b
Create Date: 2026-12-04 11:39:42.711437

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from trainers.coverage import triggers


# revision identifiers, used by Alembic.
revision = 'efee73ec3625'
down_revision = '9a5f2faf507b'
branch_labels = None
depends_on = None

OVERLAP = "ex_training_sessions_trainer_overlap"


def _drop_triggers():
    # SQLite remakes the tables altered below. A trigger naming a table fails
    # its rename (they are installed again after), and the rows pointing at it
    # are checked when the transaction ends, by when it is back.
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("PRAGMA defer_foreign_keys = ON")
    for statement in triggers.drop_statements(bind.dialect.name):
        op.execute(statement)


def upgrade():
    _drop_triggers()
    with op.batch_alter_table('request_slots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_settled', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('uq_request_slots_settled_per_request', ['request_id'], unique=True, sqlite_where=sa.text('is_settled'), postgresql_where=sa.text('is_settled'))

    with op.batch_alter_table('training_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('submission_key', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_training_requests_submission_key'), ['submission_key'], unique=True)

    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('handed_back_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('awaits_trainer', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('meeting_link_nudged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_training_sessions_ical_uid'), type_='unique')
        batch_op.create_index('uq_training_sessions_ical_uid', ['ical_uid'], unique=True, sqlite_where=sa.text('handed_back_at IS NULL'), postgresql_where=sa.text('handed_back_at IS NULL'))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=30), nullable=True))

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # The backstop behind the booking gate: no trainer in two sessions at once.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            f"ALTER TABLE training_sessions ADD CONSTRAINT {OVERLAP} EXCLUDE USING "
            "gist (trainer_id WITH =, tstzrange(starts_at, ends_at) WITH &&) "
            "WHERE (status <> 'cancelled')"
        )
    triggers.install(bind)


def downgrade():
    _drop_triggers()
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(OVERLAP, "training_sessions")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone')

    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.drop_index('uq_training_sessions_ical_uid', sqlite_where=sa.text('handed_back_at IS NULL'), postgresql_where=sa.text('handed_back_at IS NULL'))
        batch_op.create_unique_constraint(batch_op.f('uq_training_sessions_ical_uid'), ['ical_uid'])
        batch_op.drop_column('meeting_link_nudged_at')
        batch_op.drop_column('awaits_trainer')
        batch_op.drop_column('handed_back_at')
        batch_op.drop_column('meeting_url')

    with op.batch_alter_table('training_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_requests_submission_key'))
        batch_op.drop_column('submission_key')
        batch_op.drop_column('meeting_url')

    with op.batch_alter_table('request_slots', schema=None) as batch_op:
        batch_op.drop_index('uq_request_slots_settled_per_request', sqlite_where=sa.text('is_settled'), postgresql_where=sa.text('is_settled'))
        batch_op.drop_column('is_settled')

    triggers.install(op.get_bind())
