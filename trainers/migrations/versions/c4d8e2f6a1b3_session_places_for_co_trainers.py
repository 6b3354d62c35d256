"""sessions with more than one trainer: how many a topic or request needs, the
places beside the lead (shadowing folded in), and the place an offer is for

Revision ID: c4d8e2f6a1b3
Revises: b4d8f2a6c1e3
Create Date: 2026-12-05 03:50:00

"""
from alembic import op
import sqlalchemy as sa

from trainers.coverage import triggers
from trainers.timeutil import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'c4d8e2f6a1b3'
down_revision = 'b4d8f2a6c1e3'
branch_labels = None
depends_on = None


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
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trainers_needed', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('extra_trainer_above', sa.Integer(), nullable=True))
    with op.batch_alter_table('training_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trainers_override', sa.Integer(), nullable=True))
        # A literal default, so SQLite adds the column rather than remaking the table.
        batch_op.add_column(sa.Column('allows_shadowing', sa.Boolean(), server_default='0', nullable=False))
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_check_constraint(op.f('ck_offers_place'), 'place >= 1')
    op.create_table(
        'session_places',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('place', sa.Integer(), nullable=False),
        sa.Column('trainer_id', sa.Integer(), nullable=True),
        sa.Column('is_shadowing', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('is_needed', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('filled_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint('place > 1', name=op.f('ck_session_places_place')),
        sa.CheckConstraint('(trainer_id IS NULL) = (filled_at IS NULL)', name=op.f('ck_session_places_filled')),
        sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_session_places_session_id_training_sessions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['trainer_id'], ['users.id'], name=op.f('fk_session_places_trainer_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_session_places')),
        sa.UniqueConstraint('session_id', 'place', name='uq_session_places_place'),
        sa.UniqueConstraint('session_id', 'trainer_id', name='uq_session_places_trainer'),
    )
    op.create_index('ix_session_places_trainer_session', 'session_places', ['trainer_id', 'session_id'], unique=False)
    # Each shadowing trainer holds a place beyond those the session needs,
    # numbered from 2 in the order they were added.
    op.execute(
        "INSERT INTO session_places "
        "(session_id, place, trainer_id, is_shadowing, is_needed, filled_at) "
        "SELECT s.session_id, 1 + (SELECT count(*) FROM session_shadows o "
        "WHERE o.session_id = s.session_id AND (o.added_at < s.added_at "
        "OR (o.added_at = s.added_at AND o.trainer_id <= s.trainer_id))), "
        "s.trainer_id, true, false, s.added_at FROM session_shadows s"
    )
    with op.batch_alter_table('session_shadows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_shadows_trainer_id'))
    op.drop_table('session_shadows')
    triggers.install(op.get_bind())


def downgrade():
    _drop_triggers()
    op.create_table(
        'session_shadows',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('trainer_id', sa.Integer(), nullable=False),
        sa.Column('added_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_session_shadows_session_id_training_sessions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['trainer_id'], ['users.id'], name=op.f('fk_session_shadows_trainer_id_users')),
        sa.PrimaryKeyConstraint('session_id', 'trainer_id', name=op.f('pk_session_shadows')),
    )
    op.create_index(op.f('ix_session_shadows_trainer_id'), 'session_shadows', ['trainer_id'], unique=False)
    op.execute(
        "INSERT INTO session_shadows (session_id, trainer_id, added_at) "
        "SELECT session_id, trainer_id, filled_at FROM session_places "
        "WHERE is_shadowing AND trainer_id IS NOT NULL"
    )
    op.drop_index('ix_session_places_trainer_session', table_name='session_places')
    op.drop_table('session_places')
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_offers_place'), type_='check')
        batch_op.drop_column('place')
    # Plain column drops, which SQLite makes in place rather than remaking
    # tables that rows elsewhere point at.
    with op.batch_alter_table('training_requests', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('allows_shadowing')
        batch_op.drop_column('trainers_override')
    with op.batch_alter_table('topics', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('extra_trainer_above')
        batch_op.drop_column('trainers_needed')
    triggers.install(op.get_bind())
