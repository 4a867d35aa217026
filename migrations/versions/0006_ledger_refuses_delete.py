"""ledger refuses delete: the database refuses to delete (or truncate) a ledger entry, as it refuses to change one

Revision ID: 0006_ledger_refuses_delete
Revises: 0005_design_followers
Create Date: 2026-11-24 09:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006_ledger_refuses_delete'
down_revision = '0005_design_followers'
branch_labels = None
depends_on = None


def upgrade():
    # Append-only means no DELETE either: a payout's debit deleted is a payout paid again.
    # (On SQLite, a later batch_alter_table of ledger_entries rebuilds the table without its
    # triggers: such a migration must create them again.)
    if op.get_bind().dialect.name == "postgresql":
        # 0004's function raises whatever the statement; TRUNCATE skips row triggers, so it gets its own.
        op.execute("CREATE TRIGGER ledger_entries_refuse_delete BEFORE DELETE ON ledger_entries "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()")
        op.execute("CREATE TRIGGER ledger_entries_refuse_truncate BEFORE TRUNCATE ON ledger_entries "
                   "FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only()")
    else:
        op.execute("CREATE TRIGGER ledger_entries_refuse_delete BEFORE DELETE ON ledger_entries "
                   "BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_refuse_truncate ON ledger_entries")
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_refuse_delete ON ledger_entries")
    else:
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_refuse_delete")
