"""Opaque page cursors: the one format every keyset-paginated list uses.

A cursor is base64url (unpadded) of ``kind|field|…``: ``kind`` names the list and the version of
its key (``m1`` metrics, ``s2`` summaries, ``a1`` accounts, ``r1`` runs, ``u1`` users, ``h1``
account health, ``d1`` webhook deliveries, ``w1`` webhook rejections), the fields are the last
row's sort key. Clients treat it as opaque (the API hands it out in ``X-Next-Cursor`` and a
``Link: rel="next"`` header); a cursor of another list, or one that does not decode, is invalid
input (422), never a 500.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from socialmetrics import bounds
from socialmetrics.errors import InvalidInput

T = TypeVar("T")
_SEPARATOR = "|"


def invalid() -> InvalidInput:
    return InvalidInput(
        "The cursor is not valid.",
        errors=[{"loc": ["query", "cursor"], "msg": "not a cursor of this list"}],
    )


def encode(kind: str, *fields: str | int) -> str:
    raw = _SEPARATOR.join([kind, *(str(field) for field in fields)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(kind: str, cursor: str, fields: int) -> list[str]:
    """The ``fields`` fields of a ``kind`` cursor (the last may contain the separator)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid() from None
    parts = raw.split(_SEPARATOR, fields)
    if len(parts) != fields + 1 or parts[0] != kind or "\x00" in raw:
        raise invalid()
    return parts[1:]


def encode_id(kind: str, last_id: int) -> str:
    return encode(kind, last_id)


def decode_id(kind: str, cursor: str) -> int:
    """The row id a ``kind`` cursor continues after (a possible bigint id, else 422)."""
    (value,) = decode(kind, cursor, 1)
    try:
        if not value.isascii() or not value.isdigit():
            raise ValueError
        return bounds.db_id(int(value))
    except ValueError:
        raise invalid() from None


def id_page(
    rows: Sequence[T], limit: int, kind: str, key: Callable[[T], int]
) -> tuple[list[T], str | None]:
    """The first ``limit`` of ``rows`` (fetched as ``limit + 1``) and the next page's cursor,
    ``None`` on the last page."""
    page = list(rows[:limit])
    if len(rows) <= limit or not page:
        return page, None
    return page, encode_id(kind, key(page[-1]))
