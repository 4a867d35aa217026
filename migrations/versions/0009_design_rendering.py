"""uploads rendered by a worker: a design's rendering state, progress and failure

Revision ID: 0009_design_rendering
Revises: 0008_outbox_mails
Create Date: 2026-12-01 23:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009_design_rendering'
down_revision = '0008_outbox_mails'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('designs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rendering', sa.String(length=12), server_default='ready', nullable=False))
        batch_op.add_column(sa.Column('rendering_progress', sa.Integer(), server_default='100', nullable=False))
        batch_op.add_column(sa.Column('rendering_error', sa.String(length=300), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('designs', schema=None) as batch_op:
        batch_op.drop_column('rendering_error')
        batch_op.drop_column('rendering_progress')
        batch_op.drop_column('rendering')
