"""The one definition of a metric row and a summary row: names, order, kinds and meaning.

``GET /metrics/`` JSON, its CSV export, the user export and the OpenAPI schemas
(``functions/api/schemas.py``) are all derived from :data:`METRIC_FIELDS` and
:data:`SUMMARY_FIELDS`; the read queries select exactly these names (``queries.py``).
A field added here appears everywhere at once, in the same order.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal, get_args

from socialmetrics.points import ObjectType, Period, Source

Kind = Literal["id", "number", "count", "time", "code", "text"]
"""How a field is typed and rendered:

- ``id``/``count``: integer; ``number``: a JSON number (integral values as integers), or the
  exact decimal as a string where a JSON number cannot carry it (see :func:`json_number`);
- ``time``: UTC ISO 8601 with ``Z``;
- ``code``: a string from a fixed vocabulary; ``text``: free text (CSV-injection guarded).
"""


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: Kind
    description: str
    example: object
    nullable: bool = False
    choices: tuple[str, ...] = ()
    """The closed set of values of a ``code`` field (an enum in OpenAPI); empty when open."""


METRIC_FIELDS: tuple[Field, ...] = (
    Field("metric_id", "id", "The row's id (also the keyset tie-breaker).", 1),
    Field("user_id", "id", "The user who owns the platform account.", 1),
    Field("platform_id", "id", "The platform (see `GET /platforms/`).", 3),
    Field("account_id", "id", "The platform account (`account_id` of the user's tokens).", 7),
    Field(
        "platform_account_id",
        "text",
        "The account's own id on the platform (`platform_user_id` at registration).",
        "17841400000000001",
        nullable=True,
    ),
    Field("metric_type", "text", "The normalised metric name.", "impressions"),
    Field(
        "value",
        "number",
        "The value, as the platform reported it: a JSON number (integers up to 2^53 exact), "
        'or the exact decimal as a string when a number cannot carry it (e.g. "1E+400").',
        1000,
    ),
    Field("collected_at", "time", "The instant (or period start) of the value, UTC.", None),
    Field(
        "object_type",
        "code",
        "What the value is about: account, post, video, …",
        "account",
        choices=get_args(ObjectType),
    ),
    Field("object_id", "text", "The post/video/… id on the platform; empty for the account.", ""),
    Field(
        "period",
        "code",
        "snapshot, lifetime, day, week, days_28 or month.",
        "day",
        choices=get_args(Period),
    ),
    Field(
        "source",
        "code",
        "How it arrived: poll, webhook or derived.",
        "poll",
        choices=get_args(Source),
    ),
    Field(
        "raw_name",
        "text",
        "The platform's own metric name (shows deprecation switches).",
        "impressions",
        nullable=True,
    ),
    Field("api_version", "code", "The platform API version it came from.", "v25.0", True),
)

SUMMARY_GROUP = ("user_id", "platform_id", "account_id", "metric_type", "object_type", "period")
"""What a summary row is per (after its bucket): never across accounts, object types or
periods. ``user_id``/``platform_id`` follow from ``account_id``; they order the rows."""

_BY_NAME = {f.name: f for f in METRIC_FIELDS}
SUMMARY_FIELDS: tuple[Field, ...] = (
    Field("bucket_start", "time", "The first instant of the UTC day/week/month bucket.", None),
    *(_BY_NAME[name] for name in SUMMARY_GROUP[:3]),
    _BY_NAME["platform_account_id"],
    *(_BY_NAME[name] for name in SUMMARY_GROUP[3:]),
    Field(
        "value",
        "number",
        "The aggregate (sum|avg|min|max|last) of the bucket; encoded like a metric's value.",
        6000,
    ),
    Field("count", "count", "How many rows went into the aggregate.", 6),
)

_EXAMPLE_TIME = "2025-01-02T10:00:00Z"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


MAX_EXACT_INTEGER = 2**53  # every integer up to this is exact in an IEEE 754 double


def json_number(value: Decimal) -> int | float | str:
    """A metric value for JSON, never failing to encode: integers up to 2^53 as JSON integers
    (the seed's ``1000``), other values within the double range as the nearest double, and
    anything a JSON number cannot carry faithfully (beyond the double range, tiny values that
    would round to 0, integers beyond 2^53, NaN) as the exact decimal in a string. CSV always
    carries the exact decimal. The opposite direction is ``points.decimal_from_platform``."""
    if value.is_finite() and value == value.to_integral_value():
        if abs(value) <= MAX_EXACT_INTEGER:
            return int(value)
        return str(value)
    nearest = float(value)
    if math.isfinite(nearest) and (nearest != 0 or value == 0):
        return nearest
    return str(value)


CSV_CHUNK = 64 * 1024  # characters per streamed piece of a CSV export


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""


def csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in free-text cells."""
    return "'" + value if value[:1] in FORMULA_PREFIXES else value


def example(fields: Iterable[Field]) -> dict[str, Any]:
    return {f.name: _EXAMPLE_TIME if f.kind == "time" else f.example for f in fields}


Encoder = Callable[[Any], Any]


def _json_encoder(f: Field) -> Encoder | None:
    if f.kind == "number":
        return json_number
    if f.kind == "time":
        return iso
    return None


def _csv_encoder(f: Field) -> Encoder | None:
    if f.kind == "time":
        return iso
    if f.kind == "text":
        return lambda value: "" if value is None else csv_safe(value)
    if f.nullable:
        return lambda value: "" if value is None else value
    return None


def _plan(
    fields: tuple[Field, ...], encoder: Callable[[Field], Encoder | None]
) -> tuple[tuple[str, Encoder | None], ...]:
    return tuple((f.name, encoder(f)) for f in fields)


_METRIC_JSON = _plan(METRIC_FIELDS, _json_encoder)
_SUMMARY_JSON = _plan(SUMMARY_FIELDS, _json_encoder)
_METRIC_CSV = _plan(METRIC_FIELDS, _csv_encoder)


def _render(plan: tuple[tuple[str, Encoder | None], ...], row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        name: row[name] if encode is None or row[name] is None else encode(row[name])
        for name, encode in plan
    }


def metric_json(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A metric row (a mapping with every :data:`METRIC_FIELDS` name) as a JSON object."""
    return _render(_METRIC_JSON, row)


def summary_json(row: Mapping[Any, Any]) -> dict[str, Any]:
    return _render(_SUMMARY_JSON, row)


def csv_lines(rows: Iterable[Mapping[Any, Any]], chunk: int = CSV_CHUNK) -> Iterator[str]:
    """The CSV export: a header of :data:`METRIC_FIELDS` names, then one line per row (ended
    by LF), handed out in pieces of about ``chunk`` characters.

    A field is quoted when it holds a comma, a quote, CR or LF (RFC 4180; Python 3.11's writer
    quotes only the characters of its line terminator, so it writes with CRLF and each line
    ends in LF instead). The API's export is rendered by Postgres (``csv_copy.py``) byte for
    byte like this; this rendering serves the OpenAPI example and is the reference of tests."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: list[Any]) -> None:
        writer.writerow(cells)
        buffer.seek(buffer.tell() - 2)
        buffer.write("\n")
        buffer.truncate()

    line([name for name, _ in _METRIC_CSV])
    for row in rows:
        line([row[name] if encode is None else encode(row[name]) for name, encode in _METRIC_CSV])
        if buffer.tell() >= chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
