"""Facts listed once: app secret names, response schemas of domain records, number conversions."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import get_args

import pytest

from functions.api.schemas import ConsentOut, TokenMetadataOut
from infra import definition
from socialmetrics import light_settings, secret_names, secrets
from socialmetrics.accounts.service import TokenMetadata
from socialmetrics.compliance.consent import ConsentEntry
from socialmetrics.metrics_query import fields
from socialmetrics.points import decimal_from_platform
from socialmetrics.providers import base


def test_secret_names_are_listed_once_and_derived_everywhere() -> None:
    assert definition.APP_SECRET_KEYS is secret_names.APP_SECRET_KEYS
    assert secrets.SecretName is secret_names.SecretName
    assert get_args(secret_names.SecretName) == secret_names.APP_SECRET_KEYS
    assert set(light_settings.secret_fields()) == {
        *secret_names.APP_SECRET_KEYS,
        "local_master_key",
    }
    assert secret_names.GENERATED_SECRET_KEY not in definition.app_secret_template()
    assert set(definition.app_secret_template()) == set(secret_names.APP_SECRET_KEYS) - {
        secret_names.GENERATED_SECRET_KEY
    }


@pytest.mark.parametrize(
    ("model", "record", "left_out"),
    [(TokenMetadataOut, TokenMetadata, {"user_id"}), (ConsentOut, ConsentEntry, set())],
)
def test_response_models_take_their_fields_from_the_domain_record(
    model: type, record: type, left_out: set[str]
) -> None:
    names = [f.name for f in dataclasses.fields(record) if f.name not in left_out]
    assert list(model.model_fields) == names  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [(1000, Decimal(1000)), ("12.5", Decimal("12.5")), (True, None), ("nan", None), ("x", None)],
)
def test_platform_values_become_decimals_and_decimals_become_json_numbers(
    raw: object, parsed: Decimal | None
) -> None:
    assert decimal_from_platform(raw) == parsed
    if parsed is not None:
        assert fields.json_number(parsed) == (int(parsed) if parsed % 1 == 0 else float(parsed))


def test_no_function_named_number_is_left_to_guess_the_direction() -> None:
    assert not hasattr(base, "number")
    assert not hasattr(fields, "number")
