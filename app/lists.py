"""What every console list shares: a named sort order, a text search, pages."""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask import has_request_context, request
from flask_sqlalchemy.pagination import Pagination

# Pages beyond this are past the end of any list, so they are that: an empty page. (An offset
# computed from a larger number would overflow the database's integers.)
MAX_PAGE = 100_000


def bounded_page(page) -> int:
    """A page number from 1 to MAX_PAGE: the one given, or ?page= in a request; 1 when unreadable."""
    if page is None:
        page = request.args.get("page", "1") if has_request_context() else 1
    try:
        number = int(str(page).strip()[:12])
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


class Sorts:
    """A list's named orders, declared once: key → label → order. The view sorts by it, the
    template's sort select lists its labels. An order is the ORDER BY clauses, or a function of the
    statement giving (statement with what it sorts by joined, clauses); for a list computed in
    Python, a sort key."""

    def __init__(self, default: str, **orders: tuple):
        self.default = default
        self._orders = orders

    def __contains__(self, key: str) -> bool:
        return key in self._orders

    def choose(self, choice: str | None) -> str:
        """The order asked for, or the default for a name it does not know."""
        return choice if choice in self._orders else self.default

    def options(self) -> list[tuple[str, object]]:
        return [(key, label) for key, (label, _order) in self._orders.items()]

    def order(self, key: str):
        return self._orders[key][1]


def sorted_by(stmt, choice: str, orders: Sorts):
    """Order a list by one of its named orders (unknown names fall back to the default)."""
    key = orders.choose(choice)
    order = orders.order(key)
    if callable(order):
        stmt, order = order(stmt)
    return stmt.order_by(*order), key


def matching(text: str, *columns):
    """A case-insensitive "contains" over any of the columns, or None for an empty search."""
    text = text.strip().lower()
    if not text:
        return None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.or_(*(sa.func.lower(column).like(f"%{escaped}%", escape="\\") for column in columns))


class ListPagination(Pagination):
    """Pages over a list already in memory (rows computed in Python), like db.paginate's."""

    def _query_items(self) -> list:
        items: Sequence = self._query_args["items"]
        return list(items[self._query_offset:self._query_offset + self.per_page])

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def paginate_list(items: Sequence, per_page: int) -> ListPagination:
    """The page of `items` asked for by ?page= (past the end: an empty page, never an error)."""
    return ListPagination(page=bounded_page(None), per_page=per_page, error_out=False, items=items)
