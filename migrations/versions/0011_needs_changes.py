"""needs changes: a design's revision, counted each time a corrected file is resubmitted;
an order's carrier and tracking link

The status "needs_changes" needs no schema change (statuses are stored as VARCHAR(20)).

Revision ID: 0011_needs_changes
Revises: 0009_design_rendering
Create Date: 2026-12-02 04:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011_needs_changes'
down_revision = '0010_members_rights'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('designs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carrier', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('tracking_url', sa.String(length=300), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('tracking_url')
        batch_op.drop_column('carrier')
    op.execute("UPDATE designs SET status = 'rejected' WHERE status = 'needs_changes'")
    with op.batch_alter_table('designs', schema=None) as batch_op:
        batch_op.drop_column('revision')
