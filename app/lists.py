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


def sorted_by(stmt, choice: str, orders: dict, default: str):
    """Order a list by one of its named orders (unknown names fall back to the default)."""
    key = choice if choice in orders else default
    return stmt.order_by(*orders[key]), key


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
