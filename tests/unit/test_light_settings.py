"""The light settings reader agrees with ``Settings`` field for field, value for value."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from pydantic import SecretStr

from socialmetrics.config import ConfigurationError, Settings, load_settings
from socialmetrics.light_settings import (
    LightSettings,
    Secret,
    current_settings,
    field_specs,
    light_settings,
)

BOUNDS = ("ge", "gt", "le", "lt")


def _plain(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr | Secret) else value


def test_every_settings_field_is_read_with_its_declared_default_and_bounds() -> None:
    specs = field_specs()
    assert list(specs) == list(Settings.model_fields)
    for name, info in Settings.model_fields.items():
        spec = specs[name]
        assert _plain(spec.initial()) == _plain(info.get_default(call_default_factory=True)), name
        declared = {
            bound: getattr(item, bound)
            for item in info.metadata
            for bound in BOUNDS
            if getattr(item, bound, None) is not None
        }
        assert spec.bounds == declared, name
        literal = [arg for arg in get_args(info.annotation) if isinstance(arg, str)]
        assert list(spec.choices) == literal, name


def test_the_light_attributes_are_settings_fields() -> None:
    assert set(LightSettings.__annotations__) <= set(Settings.model_fields)


ENVIRONMENTS: list[dict[str, str]] = [
    {},
    {
        "ENVIRONMENT": "prod",
        "SECRETS_SOURCE": "secretsmanager",
        "QUEUE_URLS": '{"events": "https://sqs.example/events"}',
        "AWS_CONNECT_TIMEOUT_SECONDS": "0.25",
        "AWS_MAX_ATTEMPTS": "4",
        "WEBHOOK_MAX_BODY_BYTES": "4096",
        "aws_endpoint_url": "http://127.0.0.1:5000",  # names match without regard to case
    },
    {"ENVIRONMENT": "dev", "META_APP_SECRET": "m" * 40, "JWT_SIGNING_KEY": "j" * 40},
]


@pytest.mark.parametrize("environ", ENVIRONMENTS)
def test_light_values_equal_the_validated_settings(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(LightSettings.__annotations__):
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    try:
        full: Settings | None = load_settings()
    except ConfigurationError:
        full = None
    if full is None:
        with pytest.raises(ConfigurationError):
            LightSettings()
        return
    light = LightSettings()
    for name in LightSettings.__annotations__:
        assert _plain(getattr(light, name)) == _plain(getattr(full, name)), name


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WEBHOOK_MAX_BODY_BYTES", "12"),  # below its bound
        ("WEBHOOK_MAX_BODY_BYTES", "many"),
        ("AWS_CONNECT_TIMEOUT_SECONDS", "0"),  # gt=0
        ("AWS_MAX_ATTEMPTS", "11"),
        ("SECRETS_SOURCE", "vault"),
        ("QUEUE_URLS", "[1, 2]"),
    ],
)
def test_a_value_settings_refuses_is_refused_with_its_variable(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=variable):
        load_settings()
    with pytest.raises(ConfigurationError, match=variable):
        LightSettings()


def test_development_secrets_are_refused_outside_development() -> None:
    environ = {"ENVIRONMENT": "prod", "SECRETS_SOURCE": "env"}
    with pytest.raises(ConfigurationError, match="refuses development secrets"):
        LightSettings(environ)
    # With the secrets in Secrets Manager, only the (unused) KMS-less master key matters.
    light = LightSettings({**environ, "SECRETS_SOURCE": "secretsmanager"})
    assert light.environment == "prod"


def test_secrets_do_not_print() -> None:
    light = LightSettings({"META_APP_SECRET": "do-not-print-me"})
    assert "do-not-print-me" not in repr(light.meta_app_secret)
    assert light.meta_app_secret.get_secret_value() == "do-not-print-me"
    with pytest.raises(AttributeError):
        light.environment = "prod"


def test_a_process_with_settings_loaded_reads_them_not_the_light_reader() -> None:
    from socialmetrics.config import get_settings

    assert current_settings() is get_settings()
    assert isinstance(light_settings(), LightSettings)
