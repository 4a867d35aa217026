"""members' rights: versioned legal texts, consents, and deleted accounts kept as anonymous placeholders

Revision ID: 0010_members_rights
Revises: 0009_design_rendering
Create Date: 2026-12-02 04:30:00

"""
from alembic import op
import sqlalchemy as sa

from app.db_types import UTCDateTime


revision = '0010_members_rights'
down_revision = '0009_design_rendering'
branch_labels = None
depends_on = None

KINDS = sa.Enum('terms', 'privacy', 'notice', name='documentkind', native_enum=False, length=20)


def upgrade():
    op.create_table(
        'legal_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', KINDS, nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('body_en', sa.Text(), nullable=False),
        sa.Column('body_fr', sa.Text(), nullable=False),
        sa.Column('summary_en', sa.String(length=300), nullable=False),
        sa.Column('summary_fr', sa.String(length=300), nullable=False),
        sa.Column('requires_acceptance', sa.Boolean(), nullable=False),
        sa.Column('published_at', UTCDateTime(), nullable=False),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_legal_versions_published_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_versions')),
        sa.UniqueConstraint('kind', 'version', name='uq_legal_versions_kind_version'),
    )
    op.create_table(
        'consents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', KINDS, nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('accepted_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_consents_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consents')),
        sa.UniqueConstraint('user_id', 'kind', 'version', name='uq_consents_user_kind_version'),
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_user_id'), ['user_id'], unique=False)
    # Members who joined before these texts existed have accepted none: they are asked once the
    # texts are first stored (app/legal/services.py).
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terms_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('privacy_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('privacy_version')
        batch_op.drop_column('terms_version')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_user_id'))
    op.drop_table('consents')
    op.drop_table('legal_versions')
