"""casework: walk-in places, duty leader, reception records, units, hand-overs

Revision ID: 0006_casework
Revises: 0005_security

- reception_session: duty_leader_id (值班领导; the receiving leader for sessions already
  planned) and walk_in_places (现场登记 capacity, 0-30); reception_place.walk_in;
- booking: one place per person per session (partial unique index) and a unique (id, status)
  that reception_record's foreign key points at, so a record needs a checked-in visitor;
- unit, reception_record, handover, handover_note.
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_casework"
down_revision = "0005_security"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_booking_id_status'), ['id', 'status'])
        batch_op.create_index('uq_booking_person_session', ['session_id', 'id_hash'], unique=True, sqlite_where=sa.text("status IN ('pending', 'confirmed', 'checked_in', 'no_show', 'expired')"), postgresql_where=sa.text("status IN ('pending', 'confirmed', 'checked_in', 'no_show', 'expired')"))

    op.create_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind IN ('department', 'township')", name=op.f('ck_unit_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit')),
    sa.UniqueConstraint('name', name=op.f('uq_unit_name'))
    )
    op.create_table('reception_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('booking_status', sa.String(length=12), nullable=False),
    sa.Column('request_cipher', sa.Text(), nullable=False),
    sa.Column('instruction_cipher', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=24), nullable=False),
    sa.Column('answer_cipher', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(outcome = 'redirected') = (channel <> '')", name=op.f('ck_reception_record_channel_iff_redirected')),
    sa.CheckConstraint("booking_status = 'checked_in'", name=op.f('ck_reception_record_booking_checked_in')),
    sa.CheckConstraint("channel = '' OR channel IN ('litigation', 'review', 'administrative_review', 'arbitration', 'mediation', 'other')", name=op.f('ck_reception_record_channel_known')),
    sa.CheckConstraint("outcome IN ('answered', 'handed_over', 'redirected', 'not_accepted')", name=op.f('ck_reception_record_outcome')),
    sa.ForeignKeyConstraint(['booking_id', 'booking_status'], ['booking.id', 'booking.status'], name='fk_reception_record_booking_checked_in'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_reception_record_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reception_record')),
    sa.UniqueConstraint('booking_id', name=op.f('uq_reception_record_booking_id'))
    )
    op.create_table('handover',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('task_cipher', sa.Text(), nullable=False),
    sa.Column('handed_on', sa.Date(), nullable=False),
    sa.Column('first_due_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('extension_days', sa.Integer(), nullable=True),
    sa.Column('extended_on', sa.Date(), nullable=True),
    sa.Column('extension_reason', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('concluded_on', sa.Date(), nullable=True),
    sa.Column('reply_cipher', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(extension_days IS NULL AND extended_on IS NULL AND extension_reason = '' AND due_on = first_due_on) OR (extension_days BETWEEN 1 AND 366 AND extended_on IS NOT NULL AND extension_reason <> '' AND due_on > first_due_on)", name=op.f('ck_handover_extension')),
    sa.CheckConstraint("(status = 'open' AND concluded_on IS NULL AND reply_cipher IS NULL) OR (status = 'concluded' AND concluded_on IS NOT NULL AND reply_cipher IS NOT NULL AND concluded_on >= handed_on)", name=op.f('ck_handover_conclusion')),
    sa.CheckConstraint("status IN ('open', 'concluded')", name=op.f('ck_handover_status')),
    sa.CheckConstraint('first_due_on > handed_on', name=op.f('ck_handover_due_after_handover')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_handover_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['record_id'], ['reception_record.id'], name=op.f('fk_handover_record_id_reception_record')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_handover_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handover')),
    sa.UniqueConstraint('record_id', name=op.f('uq_handover_record_id'))
    )
    with op.batch_alter_table('handover', schema=None) as batch_op:
        batch_op.create_index('ix_handover_status_due_on', ['status', 'due_on'], unique=False)
        batch_op.create_index('ix_handover_unit_id_status', ['unit_id', 'status'], unique=False)

    op.create_table('handover_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handover_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('noted_on', sa.Date(), nullable=False),
    sa.Column('text_cipher', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'reminder') = (method <> '')", name=op.f('ck_handover_note_method_iff_reminder')),
    sa.CheckConstraint("kind IN ('progress', 'reminder')", name=op.f('ck_handover_note_kind')),
    sa.CheckConstraint("method = '' OR method IN ('phone', 'written', 'visit')", name=op.f('ck_handover_note_method_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_handover_note_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['handover_id'], ['handover.id'], name=op.f('fk_handover_note_handover_id_handover'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handover_note'))
    )
    with op.batch_alter_table('handover_note', schema=None) as batch_op:
        batch_op.create_index('ix_handover_note_handover_id_on', ['handover_id', 'noted_on'], unique=False)

    with op.batch_alter_table('reception_place', schema=None) as batch_op:
        batch_op.add_column(sa.Column('walk_in', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    with op.batch_alter_table('reception_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duty_leader_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('walk_in_places', sa.Integer(), nullable=False,
                                      server_default='0'))
    # Sessions already planned: the receiving leader is the duty leader of the day.
    op.execute("UPDATE reception_session SET duty_leader_id = leader_id")
    with op.batch_alter_table('reception_session', schema=None) as batch_op:
        batch_op.alter_column('duty_leader_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('walk_in_places', existing_type=sa.Integer(), server_default=None)
        batch_op.create_foreign_key(batch_op.f('fk_reception_session_duty_leader_id_leader'),
                                    'leader', ['duty_leader_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_reception_session_walk_in_places'),
                                         'walk_in_places BETWEEN 0 AND 30')
    with op.batch_alter_table('reception_place', schema=None) as batch_op:
        batch_op.alter_column('walk_in', existing_type=sa.Boolean(), server_default=None)


def downgrade():
    with op.batch_alter_table('handover_note', schema=None) as batch_op:
        batch_op.drop_index('ix_handover_note_handover_id_on')

    op.drop_table('handover_note')
    with op.batch_alter_table('handover', schema=None) as batch_op:
        batch_op.drop_index('ix_handover_unit_id_status')
        batch_op.drop_index('ix_handover_status_due_on')

    op.drop_table('handover')
    op.drop_table('reception_record')
    op.drop_table('unit')

    with op.batch_alter_table('reception_session', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_reception_session_walk_in_places'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_reception_session_duty_leader_id_leader'), type_='foreignkey')
        batch_op.drop_column('walk_in_places')
        batch_op.drop_column('duty_leader_id')

    with op.batch_alter_table('reception_place', schema=None) as batch_op:
        batch_op.drop_column('walk_in')

    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('uq_booking_person_session', sqlite_where=sa.text("status IN ('pending', 'confirmed', 'checked_in', 'no_show', 'expired')"), postgresql_where=sa.text("status IN ('pending', 'confirmed', 'checked_in', 'no_show', 'expired')"))
        batch_op.drop_constraint(batch_op.f('uq_booking_id_status'), type_='unique')
