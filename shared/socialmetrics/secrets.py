"""Named application secrets, from the environment locally or from Secrets Manager on AWS.

``SECRETS_SOURCE=secretsmanager`` reads the JSON secret ``APP_SECRET_ID`` once per process
(through the configured AWS endpoint); ``env`` reads the matching settings field. Callers get a
``SecretStr`` so the value cannot be printed by accident.
"""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr

from socialmetrics.config import Settings, get_settings

SecretName = Literal[
    "jwt_signing_key",
    "meta_app_secret",
    "meta_verify_token",
    "instagram_app_secret",
    "x_consumer_secret",
    "x_client_secret",
    "tiktok_client_secret",
]


class MissingSecret(RuntimeError):
    pass


def get_secret(name: SecretName, settings: Settings | None = None) -> SecretStr:
    """The secret ``name``; ``settings`` defaults to the process settings (clients built with
    explicit settings pass theirs)."""
    settings = settings or get_settings()
    if settings.secrets_source == "env":
        value: SecretStr = getattr(settings, name)
        return value
    from socialmetrics.aws import app_secret

    stored = app_secret().get(name)
    if not stored:
        raise MissingSecret(f"secret {settings.app_secret_id!r} has no key {name!r}")
    return SecretStr(stored)
