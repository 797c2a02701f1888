"""Named application secrets, from the environment locally or from Secrets Manager on AWS.

``SECRETS_SOURCE=secretsmanager`` reads the JSON secret ``APP_SECRET_ID`` through Powertools
Parameters (on the configured AWS endpoint) and reuses the value for
``APP_SECRET_MAX_AGE_SECONDS``: a rotated secret is picked up by warm functions within that
time, without a redeploy. ``env`` reads the matching settings field. Callers get a
``SecretStr`` so the value cannot be printed by accident; a webhook receiver, which starts
without pydantic, takes the bare value with :func:`secret_value` from its light settings.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from socialmetrics.secret_names import SecretName as SecretName

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    from pydantic import SecretStr

    from socialmetrics.config import Settings
    from socialmetrics.light_settings import SettingsView


class MissingSecret(RuntimeError):
    pass


@cache
def _provider() -> SecretsProvider:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    from socialmetrics.aws import client

    return SecretsProvider(boto3_client=client("secretsmanager"))


def app_secret(settings: SettingsView | None = None) -> dict[str, str]:
    """The JSON app secret (signing keys, platform app secrets), at most ``max_age`` old."""
    from aws_lambda_powertools.utilities.parameters.exceptions import (
        GetParameterError,
        TransformParameterError,
    )

    settings = settings or _settings()
    try:
        value: Any = _provider().get(
            settings.app_secret_id, max_age=settings.app_secret_max_age_seconds, transform="json"
        )
    except (GetParameterError, TransformParameterError) as exc:
        raise MissingSecret(f"secret {settings.app_secret_id!r} unavailable: {exc}") from exc
    if not isinstance(value, dict):
        raise MissingSecret(f"secret {settings.app_secret_id!r} is not a JSON object")
    return {str(key): str(item) for key, item in value.items() if item is not None}


def secret_value(name: SecretName, settings: SettingsView | None = None) -> str:
    """The value of secret ``name``; ``settings`` defaults to the process settings (clients
    built with explicit settings pass theirs)."""
    settings = settings or _settings()
    if settings.secrets_source == "env":
        value: str = getattr(settings, name).get_secret_value()
        return value
    stored = app_secret(settings).get(name)
    if not stored:
        raise MissingSecret(f"secret {settings.app_secret_id!r} has no key {name!r}")
    return stored


def get_secret(name: SecretName, settings: Settings | None = None) -> SecretStr:
    """The secret ``name`` as a ``SecretStr`` (see :func:`secret_value`)."""
    from pydantic import SecretStr

    return SecretStr(secret_value(name, settings))


def _settings() -> Settings:
    from socialmetrics.config import get_settings

    return get_settings()


def reset_cache() -> None:
    """Forget cached secret values and the client (tests that switch endpoints call this)."""
    if _provider.cache_info().currsize:
        _provider().clear_cache()  # type: ignore[no-untyped-call]
    _provider.cache_clear()
