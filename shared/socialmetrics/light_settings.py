"""Settings for the functions that must start fast, read without pydantic.

A webhook receiver needs a handful of settings (its body cap, where its secrets and its queue
are, the AWS client budget) and must not spend most of its cold start importing
pydantic-settings. :class:`LightSettings` reads those settings from the same environment
variables as :class:`socialmetrics.config.Settings`, with the same types, defaults, bounds and
refusal of development secrets, and without a second list of them: each field's declaration
(type, default, ``Field`` bounds) is read from the ``Settings`` class itself — the source of
``config.py``, parsed with :mod:`ast` (already imported by the logger) — so ``Settings`` stays
the one definition. A unit test checks every ``Settings`` field reads back as pydantic reads it.

:func:`current_settings` is what the shared code on a receiver's path calls: the validated
``Settings`` where the process has loaded them already (the API, workers, tests — one object,
one cache), else the light reader; it returns a :class:`SettingsView`, the attributes both
offer. This module imports only the standard library.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

# Safe, public values for a laptop; never accepted outside local/test.
DEV_SECRET = "local-dev-secret-change-me"  # noqa: S105 - documented development default
DEV_JWT_KEY = "local-dev-jwt-signing-key-change-me-0123456789"
MIN_JWT_KEY_BYTES = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash
DEV_LOCAL_MASTER_KEY = "bG9jYWwtZGV2LW1hc3Rlci1rZXktMzItYnl0ZXMhISE="  # 32 bytes, base64
_CONFIG_SOURCE = Path(__file__).with_name("config.py")
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


class ConfigurationError(RuntimeError):
    """Settings are missing or invalid; the message names the variable."""


def refused_secrets(value: Callable[[str], Any]) -> list[str]:
    """The variables that hold a development (or too short) secret where the environment
    refuses them; ``value(name)`` gives a field's value. Empty: nothing to refuse."""
    environment, source = value("environment"), value("secrets_source")
    if environment in ("local", "test"):
        return []
    weak = [
        name.upper()
        for name in secret_fields()
        if value(name).get_secret_value() in (DEV_SECRET, DEV_JWT_KEY, DEV_LOCAL_MASTER_KEY, "")
        and not (name == "local_master_key" and value("token_key_provider") == "kms")
        and not (source == "secretsmanager" and name != "local_master_key")
    ]
    jwt_key = value("jwt_signing_key").get_secret_value()
    short_jwt_key = source == "env" and len(jwt_key.encode()) < MIN_JWT_KEY_BYTES
    if short_jwt_key and "JWT_SIGNING_KEY" not in weak:
        weak.append("JWT_SIGNING_KEY")
    return weak


class Secret:
    """A secret value that does not print (the light counterpart of pydantic's ``SecretStr``)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class FieldSpec:
    """One ``Settings`` field as declared: its kind, default and bounds."""

    name: str
    kind: str  # "str", "int", "float", "bool", "secret" or "dict"
    default: Any
    optional: bool = False
    choices: tuple[str, ...] = ()
    bounds: dict[str, float] = field(default_factory=dict)  # ge / gt / le / lt

    def parse(self, raw: str) -> Any:
        """``raw`` (an environment value) as pydantic reads it for this field; ValueError if
        pydantic would refuse it."""
        value: Any
        if self.kind in ("str", "secret"):
            value = raw
        elif self.kind == "int":
            value = int(raw.strip())
        elif self.kind == "float":
            value = float(raw.strip())
        elif self.kind == "bool":
            word = raw.strip().lower()
            if word not in _TRUE | _FALSE:
                raise ValueError("Input should be a valid boolean")
            value = word in _TRUE
        else:  # dict[str, str], given as JSON
            value = json.loads(raw)
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise ValueError("Input should be a JSON object of strings")
        if self.choices and value not in self.choices:
            raise ValueError(f"Input should be {' or '.join(map(repr, self.choices))}")
        for bound, limit in self.bounds.items():
            if not _within(value, bound, limit):
                raise ValueError(f"Input should be {_BOUND_TEXT[bound]} {limit:g}")
        return Secret(value) if self.kind == "secret" else value

    def initial(self) -> Any:
        if self.kind == "secret":
            return Secret(self.default)
        return dict(self.default) if self.kind == "dict" else self.default


_BOUND_TEXT = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}


def _within(value: float, bound: str, limit: float) -> bool:
    if bound == "ge":
        return value >= limit
    if bound == "gt":
        return value > limit
    if bound == "le":
        return value <= limit
    return value < limit


def secret_fields() -> tuple[str, ...]:
    """The settings holding a secret (declared ``SecretStr``): the app secret names
    (``socialmetrics.secret_names``) and the local token master key."""
    return tuple(name for name, spec in field_specs().items() if spec.kind == "secret")


@cache
def field_specs() -> dict[str, FieldSpec]:
    """Every field of ``Settings``, read from its declaration in ``config.py``."""
    tree = ast.parse(_CONFIG_SOURCE.read_text(encoding="utf-8"))
    names: dict[str, Any] = {
        key: value for key, value in globals().items() if isinstance(value, str | int)
    }
    aliases: dict[str, ast.expr] = {}
    settings: ast.ClassDef | None = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                aliases[target.id] = node.value
                with contextlib.suppress(ValueError):
                    names[target.id] = ast.literal_eval(node.value)
        elif isinstance(node, ast.ClassDef) and node.name == "Settings":
            settings = node
    if settings is None:
        raise ConfigurationError("config.py declares no Settings class")
    return {
        node.target.id: _spec(node.target.id, node.annotation, node.value, names, aliases)
        for node in settings.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }


def _spec(
    name: str,
    annotation: ast.expr,
    value: ast.expr | None,
    names: Mapping[str, Any],
    aliases: Mapping[str, ast.expr],
) -> FieldSpec:
    optional = False
    if isinstance(annotation, ast.BinOp) and _is_none(annotation.right):
        annotation, optional = annotation.left, True
    if isinstance(annotation, ast.Name) and annotation.id in aliases:
        annotation = aliases[annotation.id]
    kind, choices = _kind(name, annotation)
    default: Any = None
    bounds: dict[str, float] = {}
    if isinstance(value, ast.Call) and _called(value) == "Field":
        for keyword in value.keywords:
            if keyword.arg == "default":
                default = _constant(keyword.value, names)
            elif keyword.arg == "default_factory":
                default = {}
            elif keyword.arg in _BOUND_TEXT:
                bounds[keyword.arg] = _constant(keyword.value, names)
            else:
                raise ConfigurationError(f"Settings.{name}: Field({keyword.arg}=…) not readable")
    elif isinstance(value, ast.Call) and _called(value) == "SecretStr":
        default = _constant(value.args[0], names)
    elif value is not None:
        default = _constant(value, names)
    else:
        raise ConfigurationError(f"Settings.{name} has no default")
    return FieldSpec(name, kind, default, optional, choices, bounds)


def _kind(name: str, annotation: ast.expr) -> tuple[str, tuple[str, ...]]:
    if isinstance(annotation, ast.Name) and annotation.id in ("str", "int", "float", "bool"):
        return annotation.id, ()
    if isinstance(annotation, ast.Name) and annotation.id == "SecretStr":
        return "secret", ()
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, ast.Name):
        if annotation.value.id == "Literal":
            items = annotation.slice
            elements = items.elts if isinstance(items, ast.Tuple) else [items]
            return "str", tuple(str(ast.literal_eval(item)) for item in elements)
        if (
            annotation.value.id == "dict"
            and ast.unparse(annotation.slice).strip("()") == "str, str"
        ):
            return "dict", ()
    raise ConfigurationError(f"Settings.{name}: type {ast.unparse(annotation)} not readable")


def _called(call: ast.Call) -> str:
    return call.func.id if isinstance(call.func, ast.Name) else ""


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
}


def _constant(node: ast.expr, names: Mapping[str, Any]) -> Any:
    """A literal, a module constant, or arithmetic on them (``24 * 7``)."""
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        operate = _ARITHMETIC[type(node.op)]
        return operate(_constant(node.left, names), _constant(node.right, names))
    return ast.literal_eval(node)


class LightSettings:
    """The settings a fast-starting function reads, validated from the environment at
    construction (a bad value stops the cold start with the variable's name, as ``Settings``
    does). The attributes below are the ones offered; ``Settings`` declares each of them."""

    environment: str
    service_name: str
    aws_endpoint_url: str | None
    aws_region: str
    resource_prefix: str
    token_key_provider: str
    local_master_key: Secret
    secrets_source: str
    app_secret_id: str
    app_secret_max_age_seconds: int
    queue_urls: dict[str, str]
    aws_connect_timeout_seconds: float
    aws_read_timeout_seconds: float
    aws_max_attempts: int
    jwt_signing_key: Secret
    x_client_secret: Secret
    x_consumer_secret: Secret
    meta_app_secret: Secret
    meta_verify_token: Secret
    instagram_app_secret: Secret
    tiktok_client_secret: Secret
    webhook_max_body_bytes: int
    tiktok_signature_tolerance_seconds: int

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        specs = field_specs()
        # pydantic-settings matches variable names without regard to case.
        env = {key.lower(): value for key, value in (environ or os.environ).items()}
        problems: list[str] = []
        for name in LightSettings.__annotations__:
            spec = specs[name]
            raw = env.get(name)
            try:
                value = spec.initial() if raw is None else spec.parse(raw)
            except ValueError as exc:
                problems.append(f"{name.upper()}: {exc}")
                continue
            object.__setattr__(self, name, value)
        if not problems and (weak := refused_secrets(lambda name: getattr(self, name))):
            problems.append(
                f"SETTINGS: Value error, ENVIRONMENT={self.environment} refuses development "
                f"secrets; set {', '.join(weak)} (or SECRETS_SOURCE=secretsmanager)"
            )
        if problems:
            raise ConfigurationError(f"invalid configuration: {'; '.join(problems)}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("settings are read-only")


class SettingsView(Protocol):
    """What the code on a receiver's path reads through :func:`current_settings`; both
    ``Settings`` and :class:`LightSettings` provide it."""

    @property
    def aws_endpoint_url(self) -> str | None: ...
    @property
    def aws_region(self) -> str: ...
    @property
    def resource_prefix(self) -> str: ...
    @property
    def queue_urls(self) -> dict[str, str]: ...
    @property
    def aws_connect_timeout_seconds(self) -> float: ...
    @property
    def aws_read_timeout_seconds(self) -> float: ...
    @property
    def aws_max_attempts(self) -> int: ...
    @property
    def secrets_source(self) -> str: ...
    @property
    def app_secret_id(self) -> str: ...
    @property
    def app_secret_max_age_seconds(self) -> int: ...
    @property
    def webhook_max_body_bytes(self) -> int: ...
    @property
    def tiktok_signature_tolerance_seconds(self) -> int: ...


@cache
def light_settings() -> LightSettings:
    """The process-wide light settings (validated at first use)."""
    return LightSettings()


def current_settings() -> SettingsView:
    """The validated ``Settings`` where this process has loaded them, else the light reader."""
    config = sys.modules.get("socialmetrics.config")
    if config is not None:
        settings: SettingsView = config.get_settings()
        return settings
    return light_settings()
