"""sandbox payment records: the test backend keeps its own sessions and refunds, as Stripe does

Revision ID: 0007_sandbox_payments
Revises: 0006_ledger_refuses_delete
Create Date: 2026-12-01 22:10:00

"""
from alembic import op
import sqlalchemy as sa

import app.db_types


revision = '0007_sandbox_payments'
down_revision = '0006_ledger_refuses_delete'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sandbox_checkouts',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('client_reference_id', sa.String(length=64), nullable=False),
    sa.Column('amount_total', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('payment_status', sa.String(length=24), nullable=False),
    sa.Column('payment_intent', sa.String(length=64), nullable=True),
    sa.Column('shipping', sa.JSON(), nullable=False),
    sa.Column('expires_at', app.db_types.UTCDateTime(), nullable=False),
    sa.Column('created_at', app.db_types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_checkouts')),
    sa.UniqueConstraint('payment_intent', name=op.f('uq_sandbox_checkouts_payment_intent'))
    )
    op.create_table('sandbox_refunds',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('payment_intent', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('created_at', app.db_types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_refunds')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_sandbox_refunds_idempotency_key'))
    )
    with op.batch_alter_table('sandbox_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_refunds_payment_intent'), ['payment_intent'], unique=False)


def downgrade():
    with op.batch_alter_table('sandbox_refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_refunds_payment_intent'))
    op.drop_table('sandbox_refunds')
    op.drop_table('sandbox_checkouts')
