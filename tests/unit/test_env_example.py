""".env.example documents every setting, and nothing that is not one."""

from __future__ import annotations

from pathlib import Path

from socialmetrics.config import Settings

ROOT = Path(__file__).resolve().parents[2]
AWS_SDK_VARIABLES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def _documented() -> set[str]:
    names = set()
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            names.add(line.split("=", 1)[0])
    return names


def test_every_setting_is_documented() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    assert fields - _documented() == set()


def test_nothing_undocumented_is_listed() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    assert _documented() - fields - AWS_SDK_VARIABLES == set()


def test_example_values_are_valid_settings(monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            monkeypatch.setenv(name, value.split("#", 1)[0].strip())
    settings = Settings()
    assert settings.environment == "local"


def test_app_secret_keys_are_the_names_get_secret_accepts() -> None:
    from typing import get_args

    from infra import definition
    from socialmetrics.secrets import SecretName

    assert set(get_args(SecretName)) == set(definition.APP_SECRET_KEYS)
    assert set(definition.APP_SECRET_KEYS) <= set(Settings.model_fields)


def test_the_collector_knows_the_stack_redrive_count() -> None:
    from infra import definition
    from socialmetrics.queueing import MAX_RECEIVE_COUNT

    assert MAX_RECEIVE_COUNT == definition.MAX_RECEIVE_COUNT
