"""The one registry of what every status, kind and reason is called on a page, and the badge it wears.

Templates call `label(thing.status)` and `badge(thing.status)`; a filter's options come from
`labels_of(Enum)`. Labels are lazy, so each reads in the visitor's language.
"""
from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from app.accounts.models import Role
from app.designs.models import DesignStatus, RejectionReason
from app.outbox import MailStatus
from app.payouts.models import EntryKind, PayoutMethod, PayoutStatus
from app.rounds.models import RoundStatus
from app.shop.models import EditionStatus, OrderStatus

# Keyed by enum class first: two enums' members with the same value ("draft") are equal strings.
LABELS: dict[type[enum.Enum], dict] = {
    Role: {Role.MEMBER: _l("Member"), Role.OPERATOR: _l("Operator")},
    RoundStatus: {RoundStatus.SCHEDULED: _l("Scheduled"), RoundStatus.OPEN: _l("Open"),
                  RoundStatus.CLOSED: _l("Closed"), RoundStatus.PUBLISHED: _l("Published")},
    DesignStatus: {DesignStatus.DRAFT: _l("Draft"), DesignStatus.SUBMITTED: _l("Awaiting review"),
                   DesignStatus.APPROVED: _l("Approved"), DesignStatus.REJECTED: _l("Rejected"),
                   DesignStatus.NEEDS_CHANGES: _l("Needs changes"), DesignStatus.WITHDRAWN: _l("Withdrawn")},
    RejectionReason: {
        RejectionReason.LOW_RESOLUTION: _l("Resolution too low for print"),
        RejectionReason.NOT_ORIGINAL: _l("Not original work"),
        RejectionReason.OFFENSIVE: _l("Offensive content"),
        RejectionReason.TRADEMARK: _l("Trademark or copyrighted material"),
        RejectionReason.OFF_BRIEF: _l("Off brief"),
        RejectionReason.TECHNICAL: _l("Technical (file, margins, resolution)"),
        RejectionReason.OTHER: _l("Other (see the note)"),
    },
    EditionStatus: {EditionStatus.DRAFT: _l("Coming soon"), EditionStatus.ON_SALE: _l("On sale"),
                    EditionStatus.SOLD_OUT: _l("Sold out"), EditionStatus.CLOSED: _l("Closed")},
    OrderStatus: {OrderStatus.PENDING: _l("Awaiting payment"), OrderStatus.PAID: _l("Paid"),
                  OrderStatus.SHIPPED: _l("Shipped"), OrderStatus.EXPIRED: _l("Expired"),
                  OrderStatus.CANCELLED: _l("Cancelled"), OrderStatus.REFUNDED: _l("Refunded")},
    EntryKind: {EntryKind.BOUNTY: _l("Bounty"), EntryKind.ROYALTY: _l("Royalty"),
                EntryKind.ROYALTY_REVERSAL: _l("Royalty reversed (refund)"), EntryKind.PAYOUT: _l("Payout"),
                EntryKind.ADJUSTMENT: _l("Adjustment")},
    PayoutStatus: {PayoutStatus.PROCESSING: _l("In progress"), PayoutStatus.PAID: _l("Paid"),
                   PayoutStatus.FAILED: _l("Failed")},
    PayoutMethod: {PayoutMethod.STRIPE: _l("Stripe transfer"), PayoutMethod.MANUAL: _l("Bank transfer")},
    MailStatus: {MailStatus.PENDING: _l("Waiting"), MailStatus.SENDING: _l("Being sent"),
                 MailStatus.FAILED: _l("Failed"), MailStatus.SENT: _l("Sent")},
}

# The badge class of each state that shows as a badge (a state not listed wears the plain badge).
BADGES: dict[type[enum.Enum], dict] = {
    RoundStatus: {RoundStatus.OPEN: "badge-ok", RoundStatus.CLOSED: "badge-warn", RoundStatus.SCHEDULED: "badge-muted"},
    DesignStatus: {DesignStatus.APPROVED: "badge-ok", DesignStatus.REJECTED: "badge-danger",
                   DesignStatus.NEEDS_CHANGES: "badge-warn",
                   DesignStatus.WITHDRAWN: "badge-muted", DesignStatus.DRAFT: "badge-muted",
                   DesignStatus.SUBMITTED: "badge-warn"},
    OrderStatus: {OrderStatus.PAID: "badge-ok", OrderStatus.SHIPPED: "badge-ok", OrderStatus.PENDING: "badge-warn",
                  OrderStatus.REFUNDED: "badge-danger", OrderStatus.EXPIRED: "badge-muted",
                  OrderStatus.CANCELLED: "badge-muted"},
    PayoutStatus: {PayoutStatus.PAID: "badge-ok", PayoutStatus.FAILED: "badge-danger",
                   PayoutStatus.PROCESSING: "badge-warn"},
}


def label(member: enum.Enum):
    """What `member` (a status, kind, method or reason) is called, in the visitor's language."""
    return LABELS[type(member)][member]


def labels_of(kind: type[enum.Enum]) -> dict:
    """Every member of `kind` with its label, in the order a filter lists them."""
    return LABELS[kind]


def badge(member: enum.Enum) -> str:
    return BADGES.get(type(member), {}).get(member, "")


def init_app(app) -> None:
    app.jinja_env.globals.update(label=label, labels_of=labels_of, badge=badge, **{
        kind.__name__: kind for kind in LABELS})
