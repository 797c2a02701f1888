"""The normalised metric catalog: vocabulary, provider mappings and the deprecation map."""

from socialmetrics.catalog.deprecations import (
    DEPRECATIONS,
    Deprecation,
    RawMetric,
    Switch,
    describe,
    switches,
)
from socialmetrics.catalog.mappings import MAPPINGS, SCALES, Level, normalise, scale
from socialmetrics.catalog.vocabulary import METRICS

__all__ = [
    "DEPRECATIONS",
    "MAPPINGS",
    "METRICS",
    "SCALES",
    "Deprecation",
    "Level",
    "RawMetric",
    "Switch",
    "describe",
    "normalise",
    "scale",
    "switches",
]
