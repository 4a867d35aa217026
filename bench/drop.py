"""The drop: shoppers arriving on one edition page at once, some of them checking out.

`bench/run.py --only drop` runs it against the benchmark server: SHOPPERS visitors arrive on one
edition's page within ARRIVAL seconds (evenly spread, a thread pool standing for their browsers);
BUYERS of them are members who then add shirts to their cart from that page and press Checkout.
Demand is set above the stock left, so the edition sells out during the run. Measured: the page's
p50/p99 as visitors saw it, checkouts acknowledged (an order made: 303 to the payment page) and sent
back (302 to the cart), and afterwards, from the database, whether any size holds more than it has.

Meanwhile two probes check the page cache against the database during the sale: one reads the
edition's page as an anonymous visitor every 0.2 s, the other reads the stock from PostgreSQL every
0.05 s. A page's *staleness* is how long before it was read the database had moved past what the
page showed (0 while it is still the stock; `_staleness`). The target is never more than 2 s.
"""
from __future__ import annotations

import bisect
import http.client
import math
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import psycopg

SIZE_LEFT = re.compile(r'value="(?P<size>[A-Z0-9]+)"[^>]*>\s*<span class="size-name">[^<]*</span>\s*'
                       r'<span class="size-left"[^>]*>(?P<left>[^<]*)</span>')
NUMBER = re.compile(r"(\d+)")


def shown_stock(html: str) -> dict[str, int]:
    """{"M": 12, ...}: what the edition page tells a visitor is left per size ("sold out" is 0)."""
    stock = {}
    for match in SIZE_LEFT.finditer(html):
        number = NUMBER.search(match["left"])
        stock[match["size"]] = int(number.group(1)) if number else 0
    return stock


def db_stock(conn, edition_id: int) -> dict[str, int]:
    rows = conn.execute("SELECT size, quantity - reserved - sold FROM edition_sizes WHERE edition_id = %s "
                        "AND quantity > 0", (edition_id,)).fetchall()
    return {size: left for size, left in rows}


class Client:
    """One keep-alive connection, as one browser holds."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(self, method: str, path: str, headers: dict | None = None, body: str | None = None):
        headers = {"User-Agent": "tirage-bench", **(headers or {})}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://{self.host}:{self.port}"
        for attempt in range(2):
            try:
                started = time.perf_counter()
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                return response.status, dict(response.getheaders()), data, time.perf_counter() - started
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                if attempt:
                    raise

    def close(self):
        self.conn.close()


def run_drop(base: str, libpq_url: str, edition_id: int, buyers: list[tuple[int, str, str]],
             shoppers: int = 500, arrival: float = 60.0, max_each: int = 5) -> dict:
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        start_stock = db_stock(conn, edition_id)
        # Carts start empty, so each buyer orders exactly what they add here.
        conn.execute("DELETE FROM cart_lines WHERE user_id = ANY(%s)", ([uid for uid, _, _ in buyers],))
    left = sum(start_stock.values())
    each = max(1, min(max_each, math.ceil(left * 1.3 / max(1, len(buyers)))))  # demand ~130 % of the stock
    sizes = sorted(s for s, n in start_stock.items() if n > 0) or sorted(start_stock)
    page = f"/shop/editions/{edition_id}"
    stop = threading.Event()
    page_reads: list[tuple[float, dict]] = []
    db_reads: list[tuple[float, dict]] = []

    def probe_page():
        client = Client(base)
        while not stop.is_set():
            status, _, body, _ = client.request("GET", page)
            if status == 200:
                page_reads.append((time.monotonic(), shown_stock(body.decode())))
            stop.wait(0.2)
        client.close()

    def probe_db():
        with psycopg.connect(libpq_url, autocommit=True) as conn:
            while not stop.is_set():
                db_reads.append((time.monotonic(), db_stock(conn, edition_id)))
                stop.wait(0.05)

    latencies: list[float] = []
    outcomes = {"acknowledged": 0, "sent_back": 0, "add_refused": 0, "errors": 0, "page_errors": 0}
    lock = threading.Lock()
    begun = time.monotonic()

    def shopper(i: int):
        delay = begun + arrival * i / shoppers - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        buyer = buyers[i % len(buyers)] if i < len(buyers) else None
        client = Client(base)
        try:
            cookie = {"Cookie": f"session={buyer[1]}"} if buyer else {}
            status, _, _, seconds = client.request("GET", page, cookie)
            with lock:
                latencies.append(seconds)
                if status != 200:
                    outcomes["page_errors"] += 1
            if not buyer:
                return
            size = sizes[i % len(sizes)]
            status, _, _, _ = client.request("POST", f"/cart/add/{edition_id}", cookie,
                                             f"csrf_token={buyer[2]}&size={size}&quantity={each}")
            if status != 302:
                with lock:
                    outcomes["add_refused"] += 1
            status, _, _, _ = client.request("POST", "/checkout", cookie, f"csrf_token={buyer[2]}")
            with lock:
                outcomes["acknowledged" if status == 303 else "sent_back" if status == 302 else "errors"] += 1
        except Exception:  # noqa: BLE001 - a failed request is counted, the drop goes on
            with lock:
                outcomes["errors"] += 1
        finally:
            client.close()

    # Every buyer among the first arrivals would make the sale end early; spread them over the minute.
    order = sorted(range(shoppers), key=lambda i: (i * 7919) % shoppers)
    probes = [threading.Thread(target=probe_page), threading.Thread(target=probe_db)]
    for probe in probes:
        probe.start()
    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(shopper, order))
    time.sleep(2.5)  # the probes see the end of the sale settle
    stop.set()
    for probe in probes:
        probe.join()

    with psycopg.connect(libpq_url) as conn:
        oversold = conn.execute("SELECT count(*) FROM edition_sizes WHERE edition_id = %s AND "
                                "(reserved + sold > quantity OR reserved < 0)", (edition_id,)).fetchone()[0]
        held = conn.execute(
            "SELECT coalesce(sum(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id "
            "WHERE i.edition_id = %s AND o.status = 'pending' AND o.buyer_id = ANY(%s)",
            (edition_id, [uid for uid, _, _ in buyers])).fetchone()[0]
    staleness = _staleness(page_reads, db_reads)
    return {
        "edition": edition_id, "shoppers": shoppers, "buyers": len(buyers), "arrival_seconds": arrival,
        "shirts_each": each, "stock_at_start": left, "page_p50_ms": _pct(latencies, 50) * 1000,
        "page_p99_ms": _pct(latencies, 99) * 1000, "page_max_ms": max(latencies, default=0) * 1000,
        **outcomes, "shirts_held": int(held), "oversold_sizes": oversold,
        "staleness_max_s": max(staleness, default=0.0), "staleness_p99_s": _pct(staleness, 99),
        "page_reads": len(page_reads), "db_reads": len(db_reads),
        "stock_changes_seen": sum(1 for a, b in zip(db_reads, db_reads[1:]) if a[1] != b[1]),
    }


def _staleness(page_reads, db_reads) -> list[float]:
    """For each page read: how long before it the database had already moved past what the page
    shows (0 while it is still the stock). During the drop the stock only falls (checkouts hold
    shirts, nothing is given back), so the states are ordered: what a page shows ended at the first
    sample that shows as much or less in every size and is not it. This holds for a state the probe
    never saw too (two sales within one 0.05 s sample, which a page rendered in between may show).
    A page showing what the sale never passed through (more than at the start, or less than at the
    end, in some size) counts as infinitely stale."""
    out = []
    for read_at, shown in page_reads:
        if not db_reads or not _at_most(shown, db_reads[0][1]) or not _at_most(db_reads[-1][1], shown):
            out.append(float("inf"))
            continue
        ended = next((t for t, stock in db_reads if stock != shown and _at_most(stock, shown)), None)
        out.append(max(0.0, read_at - ended) if ended is not None else 0.0)
    return out


def _at_most(stock: dict[str, int], other: dict[str, int]) -> bool:
    return stock.keys() == other.keys() and all(stock[size] <= other[size] for size in stock)


def _pct(values: list[float], pct: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]
