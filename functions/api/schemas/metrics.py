"""Metric and summary rows: models built from ``metrics_query.fields`` (one list of fields)."""

from __future__ import annotations

from datetime import datetime
from types import GenericAlias
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    create_model,
)

from functions.api.schemas.common import *  # noqa: F403
from socialmetrics.metrics_query.fields import METRIC_FIELDS, SUMMARY_FIELDS, example
from socialmetrics.metrics_query.fields import Field as RowField

# --- metrics -------------------------------------------------------------------------------------


# ``number``: a JSON number, or the exact decimal as a string where a number cannot carry it
# (beyond the double range, integers beyond 2^53: ``fields.json_number``).
_KIND_TYPES: dict[str, Any] = {
    "id": int,
    "count": int,
    "number": float | str,
    "time": datetime,
    "code": str,
    "text": str,
}


def _field_type(f: RowField) -> Any:
    """A field's Python type: a ``Literal`` of its values when they are a closed set (an enum in
    OpenAPI), else by kind (``time`` → ``datetime``, a ``date-time``); ``| None`` if nullable."""
    base: Any = Literal[f.choices] if f.choices else _KIND_TYPES[f.kind]
    return base | None if f.nullable else base


def model_of(name: str, fields: tuple[RowField, ...], doc: str) -> type[BaseModel]:
    """A response model built from a row's field spec (``socialmetrics.metrics_query.fields``):
    the OpenAPI schema lists the same fields, in the same order, as the JSON and CSV."""
    definitions: dict[str, Any] = {
        f.name: (_field_type(f), Field(description=f.description)) for f in fields
    }
    return create_model(
        name,
        __config__=ConfigDict(json_schema_extra={"examples": [example(fields)]}),
        __doc__=doc,
        **definitions,
    )


MetricOut = model_of("MetricOut", METRIC_FIELDS, "One metric value of one platform account.")
SummaryOut = model_of(
    "SummaryOut",
    SUMMARY_FIELDS,
    "One bucket of one series: never across accounts, object types or periods.",
)
# ``list[MetricOut]`` for FastAPI; spelled as a GenericAlias since the models are built at import.
MetricList = GenericAlias(list, (MetricOut,))
SummaryList = GenericAlias(list, (SummaryOut,))
