"""Every table of the application, imported in one place for Alembic and the tests."""
from app.accounts.models import Role, User  # noqa: F401
from app.audit.models import AuditEntry  # noqa: F401
from app.outbox import OutboxMail  # noqa: F401
from app.designs.models import Comment, CommentNotice, Design, DesignFollower, DesignMatch, Tag  # noqa: F401
from app.rounds.models import Round, RoundResult, Vote  # noqa: F401
from app.shop.models import CartLine, Edition, EditionSize, Order, OrderItem, PaymentEvent, Refund, Unit  # noqa: F401
from app.payouts.models import LedgerEntry, Payout, PayoutAccount  # noqa: F401
from app.shop.sandbox import SandboxCheckout, SandboxRefund  # noqa: F401
from app.legal.models import Consent, LegalVersion  # noqa: F401
