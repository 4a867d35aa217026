"""round results: one index on the round, not two

`uq_round_results_round_design` (round_id, design_id) already serves every lookup by round (its
first column), so `ix_round_results_round_id` only cost the close another index to write for each
of a round's lines (issue 14).

Revision ID: 0012_results_one_index
Revises: 0011_needs_changes
Create Date: 2026-12-04 19:40:00

"""
from alembic import op


revision = '0012_results_one_index'
down_revision = '0011_needs_changes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('round_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_results_round_id'))


def downgrade():
    with op.batch_alter_table('round_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_results_round_id'), ['round_id'], unique=False)
