"""Generate the benchmark dataset straight into PostgreSQL with COPY (not through the ORM or HTTP).

    python bench/seed.py --scale full            # 50k members, 10k designs, 1M votes, 100k orders
    python bench/seed.py --scale small           # the same shape at 2 %, for a quick run
    python bench/seed.py --layout close          # one open round holding every design and vote

Layout `site` (default): 12 published rounds and the current month's open round, designs and votes
spread over them, results of the past rounds computed with the app's own ranking rule, 50 editions
of the past winners (the latest ones on sale), 100,000 orders (paid, shipped, expired, cancelled)
with their numbered units, tags, comments, and carts for the checkout benchmark.
Layout `close`: one open round with every design and vote, for timing the round close.

The schema is built by the Alembic migrations; renditions are placeholder files made once by the
app's own upload pipeline and storage and shared by every design, so pages render real images.
Every member's password is `bench-password`.
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from app.palette import SHIRT_COLOURS  # noqa: E402
from app.rounds.models import SIZES  # noqa: E402
from app.shop.services import DEFAULT_SPLIT  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tirage_bench"
SCALES = {"full": 1.0, "small": 0.02}
FULL = dict(members=50_000, designs=10_000, votes=1_000_000, orders=100_000, editions=50)
SIZE_WEIGHTS = tuple(DEFAULT_SPLIT[size] for size in SIZES)
COLOURS = tuple(SHIRT_COLOURS)
PASSWORD = "bench-password"
PAST_ROUNDS = 12
# Members at the end of the id range who never voted in the open round: the vote benchmark's voters
# (each of their votes is a new row) and the checkout benchmark's buyers.
POOL_FRACTION = 0.04
WORDS = ("midnight fox neon tide paper moon static bloom velvet orbit quiet riot lunar garden copper "
         "wave ghost parade honey circuit wild atlas ember pixel forest salt comet harbor").split()
TAGS = [f"{a}-{b}" if b else a for a in ("retro", "space", "cats", "type", "nature", "abstract", "music", "city",
                                         "ocean", "skate", "botanic", "geo", "ink", "pop", "dark", "cute", "folk",
                                         "sport", "food", "myth")
        for b in ("", "art", "club", "lab", "wave", "line")]


def log(message: str) -> None:
    print(f"[seed {time.strftime('%H:%M:%S')}] {message}", flush=True)


def libpq_url(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# ------------------------------------------------------------------ database and schema

def recreate_database(url: str) -> None:
    target = sa.make_url(url)
    admin = libpq_url(target.set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target.database}"')


def make_app(url: str, upload_root: str):
    from app import create_app

    return create_app("development", {"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_ROOT": upload_root,
                                      "SERVER_NAME": None, "DEBUG": False})


def migrate(app) -> None:
    from flask_migrate import upgrade

    from app.extensions import db

    with app.app_context():
        upgrade()
        db.engine.dispose()


def placeholder_renditions(app) -> dict[str, dict]:
    """One artwork per shirt colour, run once through the real pipeline and stored by the app's storage."""
    from PIL import Image, ImageDraw

    from app.designs import print_file
    from app.storage import get_storage

    keys = {}
    with app.app_context():
        storage = get_storage()
        for n, colour in enumerate(COLOURS):
            image = Image.new("RGBA", (1500, 1800), (0, 0, 0, 0))
            draw = ImageDraw.Draw(image)
            hue = [(228, 87, 46), (41, 128, 185), (39, 174, 96), (142, 68, 173), (243, 156, 18)][n]
            draw.ellipse((250, 250, 1250, 1250), fill=hue + (255,))
            draw.rectangle((350, 1300, 1150, 1500), fill=(30, 30, 30, 255))
            draw.polygon([(750, 380), (1050, 1000), (450, 1000)], fill=(250, 250, 240, 255))
            out = io.BytesIO()
            image.save(out, "PNG")
            processed = print_file.process_print_file(out.getvalue(), colour, min_long_side=1000,
                                                   colours=app.config["SHIRT_COLOURS"])

            def put(area, rendition):
                return storage.put(area, rendition.data, rendition.extension)

            keys[colour] = dict(
                print_file_key=put("private", processed.print_file),
                thumbnail_key=put("public", processed.thumbnail),
                thumbnail_fallback_key=put("public", processed.thumbnail_fallback),
                preview_key=put("public", processed.preview),
                preview_fallback_key=put("public", processed.preview_fallback),
                mockup_key=put("public", processed.mockup),
                mockup_fallback_key=put("public", processed.mockup_fallback),
            )
    return keys


# ------------------------------------------------------------------ COPY helpers

def ts(value: datetime | None) -> str:
    if value is None:
        return r"\N"
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")


def cell(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return ts(value)
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


class Copier:
    """Rows buffered as COPY text and sent in large chunks."""

    def __init__(self, conn, table: str, columns: str, auto: bool = True):
        self.conn, self.table, self.columns, self.auto = conn, table, columns, auto
        self.buffer: list[str] = []
        self.rows = 0

    def add(self, *values) -> None:
        self.buffer.append("\t".join(cell(v) for v in values))
        if self.auto and len(self.buffer) >= 50_000:
            self.flush()

    def add_raw(self, line: str) -> None:
        self.buffer.append(line)
        if len(self.buffer) >= 100_000:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                copy.write(("\n".join(self.buffer) + "\n").encode())
        self.rows += len(self.buffer)
        self.buffer = []


# ------------------------------------------------------------------ the calendar (as the app computes it)

PARIS = ZoneInfo("Europe/Paris")


def month_window(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=PARIS)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=PARIS)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def between(rnd: random.Random, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * rnd.random()


# ------------------------------------------------------------------ the generator

class Generator:
    def __init__(self, conn, app, scale: float, layout: str, seed: int = 42):
        self.conn, self.app, self.layout = conn, app, layout
        self.rnd = random.Random(seed)
        self.now = datetime.now(timezone.utc).replace(microsecond=0)
        self.n = {k: max(1, round(v * scale)) for k, v in FULL.items()}
        self.n["editions"] = FULL["editions"]
        self.n["members"] = max(self.n["members"], 200)
        self.n["designs"] = max(self.n["designs"], 13 * 12)

    # -- members
    def members(self) -> None:
        from argon2 import PasswordHasher

        with self.app.app_context():
            config = self.app.config
            hashed = PasswordHasher(time_cost=config["ARGON2_TIME_COST"],
                                    memory_cost=config["ARGON2_MEMORY_COST"]).hash(PASSWORD)
        rnd, n = self.rnd, self.n["members"]
        copier = Copier(self.conn, "users", "id, email, display_name, password_hash, role, bio, website, avatar_key, "
                                            "locale, created_at, email_verified_at, suspended_at, suspension_reason, "
                                            "session_version")
        for uid in range(1, n + 1):
            created = self.now - timedelta(days=rnd.uniform(3, 900))
            role = "operator" if uid == 1 else "member"
            name = f"{rnd.choice(WORDS).capitalize()} {rnd.choice(WORDS).capitalize()} {uid}"
            copier.add(uid, f"member{uid}@bench.tirage.test", name[:60], hashed, role, "", "", None,
                       rnd.choice((None, "en", "fr")), created, created + timedelta(minutes=5), None, "", 1)
        copier.flush()
        self.pool_start = n - max(int(n * POOL_FRACTION), min(n // 2, 500)) + 1  # pool: ids pool_start..n
        self.designer_count = max(50, min(n // 10, int(self.n["designs"] * 0.3)))
        self.designer_ids = list(range(2, 2 + self.designer_count))
        log(f"{n:,} members (bench pool: {n - self.pool_start + 1:,})")

    # -- rounds
    def rounds(self) -> None:
        year, month = self.now.astimezone(PARIS).year, self.now.astimezone(PARIS).month
        months = [(year, month)]
        if self.layout == "site":
            for _ in range(PAST_ROUNDS):
                months.append(previous_month(*months[-1]))
        months.reverse()  # oldest first; the open round last
        copier = Copier(self.conn, "rounds", "id, year, month, starts_at, ends_at, status, winners_count, bounty_cents, "
                                             "royalty_cents, default_edition_size, prior_weight, opened_at, closed_at, "
                                             "published_at, winners_confirmed_at")
        self.round_rows = []
        winners = self._winners_per_round(len(months) - 1)
        for rid, (y, m) in enumerate(months, 1):
            start, end = month_window(y, m)
            is_open = rid == len(months)
            row = dict(id=rid, year=y, month=m, start=start, end=end, open=is_open,
                       winners=1 if is_open else winners[rid - 1])
            self.round_rows.append(row)
            closed = None if is_open else end + timedelta(minutes=1)
            copier.add(rid, y, m, start, end, "open" if is_open else "published", row["winners"], 100_000, 100, 300,
                       10, start, closed, closed and closed + timedelta(days=2), closed and closed + timedelta(days=1))
        copier.flush()

    def _winners_per_round(self, past: int) -> list[int]:
        if past == 0:
            return []
        base, extra = divmod(self.n["editions"], past)
        return [base + (1 if i >= past - extra else 0) for i in range(past)]  # the latest get the extra ones

    # -- designs, tags, comments
    def designs(self) -> None:
        from app.designs.models import DesignStatus  # noqa: F401 (documents the values used)

        rnd = self.rnd
        renditions = placeholder_renditions(self.app)
        total = self.n["designs"]
        in_rounds = int(total * (0.95 if self.layout == "site" else 1.0))
        waiting = total - in_rounds
        copier = Copier(self.conn, "designs",
                        "id, designer_id, round_id, title, description, alt_text, shirt_colour, status, rejection_reason, "
                        "moderator_note, reviewed_by_id, created_at, updated_at, submitted_at, reviewed_at, approved_at, "
                        "licence_accepted_at, print_file_key, print_width, print_height, print_dpi, thumbnail_key, "
                        "thumbnail_fallback_key, preview_key, preview_fallback_key, mockup_key, mockup_fallback_key, phash")
        self.round_designs: dict[int, list[int]] = {r["id"]: [] for r in self.round_rows}
        self.design_info: dict[int, dict] = {}
        rounds = self.round_rows
        for did in range(1, total + 1):
            colour = rnd.choice(COLOURS)
            designer = rnd.choice(self.designer_ids)
            title = f"{rnd.choice(WORDS).capitalize()} {rnd.choice(WORDS)} {did}"
            if did <= in_rounds:
                round_ = rounds[(did - 1) * len(rounds) // in_rounds]
                end = min(round_["end"], self.now - timedelta(hours=1))
                approved = between(rnd, round_["start"], end)
                submitted = approved - timedelta(hours=rnd.uniform(2, 72))
                status, reason, round_id, reviewed = "approved", None, round_["id"], approved
                self.round_designs[round_id].append(did)
            else:  # awaiting review, or turned down
                submitted = self.now - timedelta(hours=rnd.uniform(1, 400))
                approved, round_id = None, None
                status = "submitted" if rnd.random() < 0.6 else "rejected"
                reason = "off_brief" if status == "rejected" else None
                reviewed = submitted + timedelta(hours=5) if status == "rejected" else None
            created = submitted - timedelta(minutes=rnd.uniform(5, 600))
            self.design_info[did] = dict(designer=designer, submitted=submitted, colour=colour, title=title,
                                         quality=rnd.uniform(2.2, 4.4))
            r = renditions[colour]
            copier.add(did, designer, round_id, title, f"A {colour} shirt: {' '.join(rnd.sample(WORDS, 8))}.",
                       f"Illustration of {title.lower()}", colour, status, reason, "", 1 if reviewed else None,
                       created, reviewed or submitted, submitted, reviewed, approved, created,
                       r["print_file_key"], 4500, 5400, 300, r["thumbnail_key"], r["thumbnail_fallback_key"],
                       r["preview_key"], r["preview_fallback_key"], r["mockup_key"], r["mockup_fallback_key"],
                       f"{rnd.getrandbits(64):016x}")
        copier.flush()
        log(f"{total:,} designs ({in_rounds:,} in rounds, {waiting:,} awaiting review or rejected)")

        tag_copier = Copier(self.conn, "tags", "id, name")
        for tid, name in enumerate(TAGS, 1):
            tag_copier.add(tid, name)
        tag_copier.flush()
        links = Copier(self.conn, "design_tags", "design_id, tag_id")
        weights = [1 / (i + 1) for i in range(len(TAGS))]  # a few popular tags, a long tail
        for did in range(1, total + 1):
            for tid in set(rnd.choices(range(1, len(TAGS) + 1), weights=weights, k=rnd.randint(1, 4))):
                links.add(did, tid)
        links.flush()

        if self.layout == "site":
            comments = Copier(self.conn, "comments", "design_id, author_id, body, created_at, hidden_at, hidden_by_id, "
                                                     "hidden_reason")
            for did in range(1, in_rounds + 1):
                for _ in range(min(12, int(rnd.expovariate(1 / 3)))):
                    comments.add(did, rnd.randint(2, self.n["members"]),
                                 f"Love the {rnd.choice(WORDS)} {rnd.choice(WORDS)}! Would wear it.",
                                 self.design_info[did]["submitted"] + timedelta(days=rnd.uniform(0.1, 20)),
                                 None, None, "")
            comments.flush()
            log(f"{len(TAGS)} tags, {links.rows:,} design tags, {comments.rows:,} comments")

    # -- votes and results
    def votes(self) -> None:
        from app.rounds import ranking

        rnd = self.rnd
        total = self.n["votes"]
        voters_all = self.pool_start - 2  # ids 2..pool_start-1 vote in seeded rounds
        copier = Copier(self.conn, "votes", "round_id, design_id, voter_id, score, buy_intent, size, created_at, "
                                            "updated_at, voided_at, void_reason")
        all_designs = sum(len(v) for v in self.round_designs.values())
        self.tallies: dict[int, list] = {}
        for round_ in self.round_rows:
            designs = self.round_designs[round_["id"]]
            if not designs:
                continue
            budget = total * len(designs) / all_designs
            weights = [rnd.lognormvariate(0, 0.8) for _ in designs]
            scale_ = budget / sum(weights)
            start, end = round_["start"], min(round_["end"], self.now - timedelta(minutes=5))
            span = (end - start).total_seconds()
            base = start.astimezone(timezone.utc).replace(tzinfo=None)
            tallies = []
            # Precomputed moments and sizes: formatting a timestamp per vote would dominate the run.
            moments = [(base + timedelta(seconds=rnd.random() * span)).isoformat(sep=" ") for _ in range(5000)]
            size_draw = [s for s, w in zip(SIZES, SIZE_WEIGHTS) for _ in range(w)]
            gauss, random_, choice = rnd.gauss, rnd.random, rnd.choice
            for did, weight in zip(designs, weights):
                info = self.design_info[did]
                count = min(voters_all - 2, max(0, round(weight * scale_)))
                voters = rnd.sample(range(2, self.pool_start), count + 1)
                if info["designer"] in voters:
                    voters.remove(info["designer"])  # never on one's own design
                else:
                    voters.pop()
                q = info["quality"]
                score_sum = buys = 0
                by_size: dict[str, int] = {}
                prefix = f"{round_['id']}\t{did}\t"
                for voter in voters:
                    score = min(5, max(1, round(gauss(q, 1.0))))
                    if score >= 4 and random_() < 0.35:
                        size = choice(size_draw)
                        buys += 1
                        by_size[size] = by_size.get(size, 0) + 1
                        buy = f"t\t{size}"
                    else:
                        buy = "f\t\\N"
                    at = choice(moments)
                    copier.add_raw(f"{prefix}{voter}\t{score}\t{buy}\t{at}\t{at}\t\\N\t")
                    score_sum += score
                n_votes = len(voters)
                tallies.append((ranking.Tally(design_id=did, submitted_at=info["submitted"], votes=n_votes,
                                              score_sum=score_sum, buy_count=buys, voters=n_votes), by_size))
            self.tallies[round_["id"]] = tallies
        copier.flush()
        log(f"{copier.rows:,} votes")

    def results(self) -> None:
        """Past rounds closed and published with the app's ranking rule; the winners drafted as editions."""
        from app.rounds import ranking

        means = []
        results = Copier(self.conn, "round_results", "round_id, design_id, rank, score, mean, votes, score_sum, "
                                                     "buy_count, voters, wilson, buy_by_size, disqualified_at, "
                                                     "disqualified_reason, is_winner")
        self.winners: list[tuple[dict, ranking.Ranked, dict]] = []
        for round_ in self.round_rows:
            if round_["open"]:
                continue
            tallies = self.tallies.get(round_["id"], [])
            m = ranking.round_mean([t for t, _ in tallies])
            by_size = {t.design_id: s for t, s in tallies}
            means.append((m.numerator, m.denominator, round_["id"]))
            for line in ranking.rank([t for t, _ in tallies], 10, mean=m):
                winner = line.rank <= round_["winners"]
                t = line.tally
                results.add(round_["id"], t.design_id, line.rank, float(line.score),
                            t.score_sum / t.votes if t.votes else None, t.votes, t.score_sum, t.buy_count, t.voters,
                            line.wilson, by_size[t.design_id], None, "", winner)
                if winner:
                    self.winners.append((round_, line, by_size[t.design_id]))
        results.flush()
        with self.conn.cursor() as cur:
            cur.executemany("UPDATE rounds SET mean_numerator = %s, mean_denominator = %s WHERE id = %s", means)
        log(f"{len(self.round_rows)} rounds, {results.rows:,} result lines, {len(self.winners)} winners")

    # -- the shop
    def shop(self) -> None:
        from types import SimpleNamespace

        from app.shop.services import DEFAULT_SPLIT, _split, suggest_edition

        rnd = self.rnd
        editions = Copier(self.conn, "editions", "id, design_id, round_id, status, price_cents, shirt_colour, ship_date, "
                                                 "designer_size, suggestion, created_at, on_sale_at, sold_out_at, closed_at", auto=False)
        sizes = Copier(self.conn, "edition_sizes", "edition_id, size, position, quantity, reserved, sold", auto=False)
        units = Copier(self.conn, "units", "edition_id, serial, status, size, order_item_id, sold_at, refunded_at", auto=False)
        orders = Copier(self.conn, "orders", "id, public_id, buyer_id, status, currency, total_cents, refunded_cents, "
                                             "complimentary, reserved_until, checkout_session_id, payment_intent_id, "
                                             "shipping_name, shipping_address, tracking_number, created_at, paid_at, "
                                             "shipped_at, closed_at, note", auto=False)
        items = Copier(self.conn, "order_items", "id, order_id, edition_id, size, quantity, unit_price_cents", auto=False)
        latest_rounds = {r["id"] for r in self.round_rows if not r["open"]}
        latest_rounds = set(sorted(latest_rounds)[-2:])  # the last two months' winners are on sale
        members = self.n["members"]
        order_id = item_id = 0
        self.on_sale: list[int] = []
        target_orders = self.n["orders"]
        plan = []
        with self.app.app_context():
            for eid, (round_, line, by_size) in enumerate(self.winners, 1):
                suggestion = suggest_edition(SimpleNamespace(buy_by_size=by_size))
                on_sale = round_["id"] in latest_rounds
                # The operator sets the run (LaFraise printed about 500), split as the votes suggest.
                total = 1000 if on_sale else rnd.choice((300, 500, 500, 500, 750, 1000))
                split = _split(total, suggestion["intents"] or DEFAULT_SPLIT)
                if on_sale:  # the drop of the moment: the largest run the shop allows, in four sizes
                    split = _split(total, {"S": 1, "M": 1, "L": 1, "XL": 1})
                plan.append((eid, round_, line, suggestion, split, on_sale))
        # Paid orders: old editions mostly sell out, the current ones have started selling.
        paid_budget = 0
        for eid, round_, line, suggestion, split, on_sale in plan:
            sale_start = round_["end"] + timedelta(days=10)
            sell_share = rnd.uniform(0.03, 0.08) if on_sale else (1.0 if rnd.random() < 0.6 else rnd.uniform(0.6, 0.95))
            sold_by_size = {s: 0 for s in SIZES}
            serial = 1
            unit_rows = []
            # No. 1 is the designer's.
            designer_size = "M" if split["M"] else max(split, key=split.get)
            unit_rows.append((eid, 1, "complimentary", designer_size, None, sale_start, None))
            sold_by_size[designer_size] += 1
            sale_end = min(self.now - timedelta(hours=1), sale_start + timedelta(days=3 if not on_sale else 30))
            for size in SIZES:
                room = split[size] - sold_by_size[size]
                sell = room if sell_share >= 1.0 else int(room * sell_share)
                while sell > 0:
                    qty = 2 if sell >= 2 and rnd.random() < 0.12 else 1
                    sell -= qty
                    order_id += 1
                    item_id += 1
                    created = between(rnd, sale_start, sale_end)
                    public = f"{rnd.getrandbits(64):016x}"
                    shipped = not on_sale
                    orders.add(order_id, public, rnd.randint(2, members), "shipped" if shipped else "paid", "EUR",
                               3000 * qty, 0, False, created + timedelta(minutes=30), f"cs_seed_{public}",
                               f"pi_seed_{public}", f"Buyer {order_id}",
                               {"line1": f"{order_id} rue des Lilas", "city": "Lyon", "postal_code": "69001",
                                "country": "FR"}, f"TRK{order_id}" if shipped else "", created,
                               created + timedelta(minutes=3), created + timedelta(days=20) if shipped else None,
                               None, "")
                    items.add(item_id, order_id, eid, size, qty, 3000)
                    for _ in range(qty):
                        serial += 1
                        unit_rows.append((eid, serial, "sold", size, item_id, created + timedelta(minutes=3), None))
                    sold_by_size[size] += qty
                    paid_budget += 1
            total = sum(split.values())
            for n in range(serial + 1, total + 1):
                unit_rows.append((eid, n, "available", None, None, None, None))
            for row in unit_rows:
                units.add(*row)
            for position, size in enumerate(SIZES):
                sizes.add(eid, size, position, split[size], 0, sold_by_size[size])
            all_sold = sum(sold_by_size.values()) == total
            status = "on_sale" if on_sale else ("sold_out" if all_sold else "closed")
            editions.add(eid, line.tally.design_id, round_["id"], status, 3000, self.design_info[line.tally.design_id]["colour"],
                         (sale_start + timedelta(days=40)).date(), designer_size, suggestion,
                         round_["end"] + timedelta(days=3), sale_start,
                         sale_end if status == "sold_out" else None,
                         sale_start + timedelta(days=30) if status == "closed" else None)
            if on_sale:
                self.on_sale.append(eid)
        # The rest: checkouts that were never paid (reservation expired, or the buyer left the page).
        while order_id < target_orders:
            eid, round_, *_ = rnd.choice(plan)
            order_id += 1
            item_id += 1
            created = between(rnd, round_["end"] + timedelta(days=10), self.now - timedelta(hours=2))
            public = f"{rnd.getrandbits(64):016x}"
            status = "expired" if rnd.random() < 0.75 else "cancelled"
            orders.add(order_id, public, rnd.randint(2, members), status, "EUR", 3000, 0, False,
                       created + timedelta(minutes=30), f"cs_seed_{public}", None, "", {}, "", created, None, None,
                       created + timedelta(minutes=rnd.uniform(1, 30)), "")
            items.add(item_id, order_id, eid, rnd.choices(SIZES, weights=SIZE_WEIGHTS)[0], 1, 3000)
        for copier in (editions, sizes, orders, items, units):
            copier.flush()
        log(f"{editions.rows} editions ({len(self.on_sale)} on sale), {orders.rows:,} orders "
            f"({paid_budget:,} paid or shipped), {units.rows:,} units")

        # Carts of the checkout benchmark's buyers: one shirt of an edition on sale each.
        carts = Copier(self.conn, "cart_lines", "user_id, edition_id, size, quantity, price_seen_cents")
        for i, uid in enumerate(range(self.pool_start, members + 1)):
            carts.add(uid, self.on_sale[i % len(self.on_sale)], ("S", "M", "L", "XL")[i % 4], 1, 3000)
        carts.flush()

    def finish(self) -> None:
        with self.conn.cursor() as cur:
            for table in ("users", "designs", "tags", "rounds", "votes", "round_results", "editions", "edition_sizes",
                          "units", "orders", "order_items", "comments", "cart_lines"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)")
        self.conn.commit()
        self.conn.autocommit = True
        self.conn.execute("VACUUM ANALYZE")
        self.conn.autocommit = False

    def run(self) -> None:
        started = time.perf_counter()
        # Foreign keys are not checked row by row while loading (the generator keeps them consistent by
        # construction): that check tripled the time of the million votes.
        self.conn.execute("SET session_replication_role = replica")
        self.members()
        self.rounds()
        self.designs()
        self.votes()
        self.results()
        if self.layout == "site":
            self.shop()
        self.conn.commit()
        self.finish()
        log(f"done in {time.perf_counter() - started:.1f} s")


def write_manifest(url: str, gen: Generator, path: Path) -> None:
    """What the load driver needs to know about the dataset."""
    open_round = gen.round_rows[-1]["id"]
    manifest = dict(
        url=url, layout=gen.layout, counts=gen.n, open_round=open_round,
        open_round_designs=gen.round_designs[open_round], pool=[gen.pool_start, gen.n["members"]],
        on_sale_editions=getattr(gen, "on_sale", []), seeded_at=gen.now.isoformat(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="full", help="full (default), small, or a factor such as 0.1")
    parser.add_argument("--layout", choices=("site", "close"), default="site")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--upload-root", default=os.environ.get("BENCH_UPLOAD_ROOT",
                                                                str(ROOT / "bench" / "results" / "uploads")))
    parser.add_argument("--manifest", default=None, help="where to write the dataset's manifest (JSON)")
    args = parser.parse_args(argv)
    scale = SCALES.get(args.scale)
    scale = float(args.scale) if scale is None else scale

    log(f"{args.layout} dataset at scale {scale:g} into {sa.make_url(args.database_url).database}")
    recreate_database(args.database_url)
    app = make_app(args.database_url, args.upload_root)
    migrate(app)
    with psycopg.connect(libpq_url(args.database_url)) as conn:
        gen = Generator(conn, app, scale, args.layout)
        gen.run()
    manifest = Path(args.manifest) if args.manifest else ROOT / "bench" / "results" / f"dataset-{args.layout}.json"
    write_manifest(args.database_url, gen, manifest)


if __name__ == "__main__":
    main()
