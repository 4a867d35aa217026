"""mail outbox: mails written with the transaction they announce, delivered after commit;
rounds remember when their results mails were all queued

Revision ID: 0008_outbox_mails
Revises: 0007_sandbox_payments
Create Date: 2026-12-01 22:40:00

"""
from alembic import op
import sqlalchemy as sa

import app.db_types


revision = '0008_outbox_mails'
down_revision = '0007_sandbox_payments'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=True),
    sa.Column('to', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('template', sa.String(length=100), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'failed', name='mailstatus', native_enum=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_at', app.db_types.UTCDateTime(), nullable=False),
    sa.Column('due_at', app.db_types.UTCDateTime(), nullable=False),
    sa.Column('claimed_at', app.db_types.UTCDateTime(), nullable=True),
    sa.Column('sent_at', app.db_types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_mails')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_mails_key'))
    )
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_mails_status_due', ['status', 'due_at'], unique=False)
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('results_mailed_at', app.db_types.UTCDateTime(), nullable=True))
    # Rounds published before the outbox were mailed in the publishing request.
    op.execute("UPDATE rounds SET results_mailed_at = published_at WHERE published_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('results_mailed_at')
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_mails_status_due')
    op.drop_table('outbox_mails')
