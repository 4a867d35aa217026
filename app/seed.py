"""`flask seed`: a living demo on a fresh installation. Running it twice changes nothing.

It creates the demo accounts, a published past round with its winners (one edition on sale,
some shirts sold, the bounty paid), an open round for the
current month with designs and votes, and a few submissions waiting for moderation.
"""
from __future__ import annotations

import random
from datetime import timedelta

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from app import months
from app.accounts import services as accounts
from app.accounts.models import Role, User
from app.clock import utcnow
from app.designs import services as designs
from app.designs.models import Comment, Design
from app.extensions import db
from app.legal.services import accept as accept_legal_texts
from app.palette import SHIRT_COLOURS
from app.payouts import paying
from app.payouts.models import PayoutMethod
from app.rounds import calendar, lifecycle
from app.rounds.models import SIZES, RoundStatus, Vote
from app.shop import services as shop
from app.shop.models import CartLine, Edition
from app.shop.payment_events import sync_order
from app.shop.sandbox import SandboxGateway

DEMO_OPERATOR = ("operator@tirage.test", "Olivia Operator", "tirage-operator")
DEMO_MEMBER = ("member@tirage.test", "Max Member", "tirage-member")
# The demo designers share one known password, so that anyone trying the demo can see a designer's side.
DEMO_DESIGNER_PASSWORD = "tirage-designer"

DESIGNERS = [
    ("Léa Moreau", "Screen printer from Lyon. Flat colours, loud ideas."),
    ("Tomás Rivera", "Illustrator. Mountains on weekdays, oceans on Sundays."),
    ("Aiko Tanaka", "Pattern maker and tea drinker."),
    ("Noah Becker", "Graphic designer, retro futurist."),
    ("Inès Haddad", "I draw flowers that do not exist."),
    ("Sam Okafor", "Stripes, dots and other geometry."),
    ("Julia Nowak", "Printmaker. Sunsets are my thing."),
    ("Hugo Martin", "Weekend designer, weekday accountant."),
]
TITLES = [
    "Last Light", "Summit Fever", "Tidal", "Confetti Grid", "Imaginary Bloom", "Slope", "Golden Hour",
    "Ridge Line", "Undertow", "Polka Parade", "Garden Party", "Candy Cane", "Horizon", "Alpine Dawn",
    "Swell", "Pop Dots", "Petal Storm", "Diagonal", "Retro Sun", "High Country", "Ripples", "Spotlight",
    "Wildflower", "Zebra Crossing", "Dusk", "Base Camp", "Current", "Bubble Bath", "Sunflower Club",
    "Barber Pole", "Night Drive", "Foothills",
]
TAGS = ["retro", "nature", "geometric", "colourful", "minimal", "summer", "abstract", "pattern"]
COLOURS = list(SHIRT_COLOURS)
COMMENTS = [
    "Love the colours on this one!", "Would totally wear this.", "The **palette** is perfect.",
    "Reminds me of old travel posters.", "Needs to win this month.", "Great on navy, I think.",
]


def designer_email(index: int) -> str:
    return f"designer{index}@tirage.test"


def ensure_user(email: str, name: str, password: str | None = None, role: Role = Role.MEMBER,
                bio: str = "", days_old: int = 120) -> User:
    user = accounts.find_user_by_email(email)
    if user is None:
        user = User(
            email=email, display_name=name, bio=bio, role=role,
            password_hash=accounts.hash_password(password) if password else _locked_password(),
            created_at=utcnow() - timedelta(days=days_old), email_verified_at=utcnow() - timedelta(days=days_old),
        )
        db.session.add(user)
        db.session.flush()
        accept_legal_texts(user)  # as at sign-up: the demo's members accepted the texts in force
    return user


_LOCKED = None


def _locked_password() -> str:
    """The demo voters cannot log in: one random hash, computed once."""
    global _LOCKED
    if _LOCKED is None:
        import secrets

        _LOCKED = accounts.hash_password(secrets.token_urlsafe(24))
    return _LOCKED


def _make_designs(count: int, first_seed: int, designers: list[User], rng: random.Random, echo) -> list[Design]:
    from app.demo.artwork import make_artwork

    made = []
    for i in range(count):
        seed = first_seed + i
        title = TITLES[seed % len(TITLES)]
        fields = designs.DesignFields(
            title=title, description=f"{title}: a design made for the Tirage demo.",
            tags=", ".join(rng.sample(TAGS, 2)), alt_text=f"Abstract artwork titled {title}",
            shirt_colour=rng.choice(COLOURS),
        )
        design = designs.create_design(designers[seed % len(designers)], fields, make_artwork(seed), submit=True)
        db.session.commit()  # rendered after the commit (in this process when no broker is set)
        db.session.refresh(design)
        made.append(design)
        echo(f"  design {i + 1}/{count}: {title}")
    return made


def _vote(round_, design_list, voters, rng):
    quality = {d.id: rng.uniform(2.2, 4.6) for d in design_list}
    for voter in voters:
        for design in rng.sample(design_list, k=max(1, int(len(design_list) * rng.uniform(0.4, 0.9)))):
            if design.designer_id == voter.id:
                continue
            score = max(1, min(5, round(rng.gauss(quality[design.id], 0.9))))
            buy = score >= 4 and rng.random() < 0.5
            db.session.add(Vote(round_id=round_.id, design_id=design.id, voter_id=voter.id, score=score,
                                buy_intent=buy, size=rng.choice(SIZES[1:5]) if buy else None))


def seed_demo(echo=click.echo) -> None:
    operator = ensure_user(*DEMO_OPERATOR, role=Role.OPERATOR)
    ensure_user(*DEMO_MEMBER)
    db.session.commit()
    if db.session.scalar(sa.select(sa.func.count()).select_from(Design)):
        echo("Demo designs already there: nothing more to do.")
        return

    rng = random.Random(2026)
    designers = [ensure_user(designer_email(i), name, DEMO_DESIGNER_PASSWORD, bio=bio)
                 for i, (name, bio) in enumerate(DESIGNERS)]
    voters = [ensure_user(f"voter{i}@tirage.test", f"Voter {i}") for i in range(40)]
    now = utcnow()

    # A past round, published, with its winners.
    year, month = months.month_of(now)
    past_year, past_month = (year, month - 1) if month > 1 else (year - 1, 12)
    past = calendar.ensure_round(past_year, past_month)
    past.status = RoundStatus.OPEN
    past.winners_count = 2
    echo(f"Drawing the designs of {past.key} (published)...")
    past_designs = _make_designs(8, 0, designers, rng, echo)
    for design in past_designs:
        designs.approve_design(design, operator)
        design.round_id = past.id
        design.submitted_at = design.approved_at = past.starts_at + timedelta(days=rng.randint(1, 10))
    db.session.flush()
    _vote(past, past_designs, voters, rng)
    db.session.flush()
    lifecycle.close_round(past.id, None, "demo")
    winners = lifecycle.confirm_winners(past, operator)
    lifecycle.publish(past, operator)
    db.session.commit()
    _sell_first_edition(past, winners[0], operator, voters, rng, echo)

    # This month's round, open, with designs and votes.
    current = calendar.ensure_round(year, month)
    if current.status == RoundStatus.SCHEDULED:
        lifecycle.open_round(current, None)
    echo(f"Drawing the designs of {current.key} (open)...")
    current_designs = _make_designs(20, 8, designers, rng, echo)
    for design in current_designs:
        designs.approve_design(design, operator)
    db.session.flush()
    _vote(current, current_designs, voters, rng)
    for design in rng.sample(current_designs + past_designs, 6):
        for _ in range(rng.randint(1, 3)):
            db.session.add(Comment(design_id=design.id, author_id=rng.choice(voters).id, body=rng.choice(COMMENTS)))
    db.session.commit()

    # Waiting for the moderator.
    echo("Drawing submissions waiting for review...")
    _make_designs(3, 28, designers, rng, echo)
    db.session.commit()


def _sell_first_edition(past, winner, operator, buyers, rng, echo) -> None:
    """The first winner's edition on sale with some shirts sold, her bounty paid by bank transfer;
    the second winner's edition stays a draft ("coming soon")."""
    echo("Opening the first winner's edition and selling some shirts...")
    edition = db.session.scalar(sa.select(Edition).where(Edition.design_id == winner.design_id))
    split = edition.suggestion["split"]
    shop.update_edition(edition, operator, split, edition.price_cents, edition.shirt_colour,
                        (utcnow() + timedelta(days=21)).date(), max(split, key=split.get))
    shop.open_edition(edition, operator)
    db.session.commit()
    for buyer in rng.sample(buyers, 12):
        size = rng.choice([s for s, n in split.items() if n >= 5])
        db.session.add(CartLine(user_id=buyer.id, edition_id=edition.id, size=size,
                                quantity=rng.choice([1, 1, 2]), price_seen_cents=edition.price_cents))
        db.session.commit()
        order = shop.start_checkout(buyer)
        # Paid on the sandbox's page, then the shop syncs with it as a webhook would make it.
        SandboxGateway.pay(order.checkout_session_id, {"name": buyer.display_name, "address": {
            "line1": "12 rue des Demo", "postal_code": "75011", "city": "Paris", "country": "FR"}})
        sync_order(order.id)
        db.session.commit()
    designer = db.session.get(User, winner.design.designer_id)
    paying.pay(designer, operator, PayoutMethod.MANUAL, reference=f"DEMO-{past.key}")


def how_to_try(echo=click.echo) -> None:
    """What `flask seed` prints: who to log in as to see each side of the site."""
    from flask import current_app

    hours = current_app.config["VOTER_MIN_ACCOUNT_AGE_HOURS"]
    echo(f"Demo data ready. Log in at http://{current_app.config.get('SERVER_NAME') or '127.0.0.1:5000'}/account/login as:")
    echo(f"  operator: {DEMO_OPERATOR[0]} / {DEMO_OPERATOR[2]}  (console: moderation, rounds, editions, payouts)")
    echo(f"  member:   {DEMO_MEMBER[0]} / {DEMO_MEMBER[2]}  (vote, buy, submit a design)")
    echo(f"  designers: {designer_email(0)} ... {designer_email(len(DESIGNERS) - 1)} / {DEMO_DESIGNER_PASSWORD}"
         "  (their designs, results and earnings)")
    for i, (name, _bio) in enumerate(DESIGNERS):
        echo(f"    {designer_email(i)}  {name}")
    echo(f"A new account waits {hours} hours after signing up before it can vote; "
         "the demo's accounts are older and can vote at once.")
    echo("Move the month forward without waiting for its end:")
    echo("  flask demo advance close     close this month's round now and compute its results")
    echo("  flask demo advance publish   confirm the winners and publish the results")
    echo("  flask demo advance sale      put the first winner's edition on sale")


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Create the demo: accounts, a published round, an open round with votes, a moderation queue."""
    from flask import current_app

    current_app.config["MAIL_SUPPRESS"] = True
    seed_demo()
    how_to_try()
