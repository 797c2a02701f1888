"""One validated settings class for every function, read once per process.

Every field maps to an upper-case environment variable (``DATABASE_URL`` → ``database_url``)
and is documented line for line in ``.env.example``. Outside ``local``/``test`` the class refuses
the well-known development secrets, so a deployed stack cannot start with them.

Functions that must start fast (the webhook receivers) read the fields they need through
:mod:`socialmetrics.light_settings`, which takes each field's type, default and bounds from
the declarations below: declare a field here once, in the forms that module reads (a plain
default, ``Field(default=…, ge/gt/le/lt=…)``, ``SecretStr(…)``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from socialmetrics.light_settings import DEV_JWT_KEY as DEV_JWT_KEY
from socialmetrics.light_settings import DEV_LOCAL_MASTER_KEY as DEV_LOCAL_MASTER_KEY
from socialmetrics.light_settings import DEV_SECRET as DEV_SECRET
from socialmetrics.light_settings import MIN_JWT_KEY_BYTES as MIN_JWT_KEY_BYTES
from socialmetrics.light_settings import ConfigurationError as ConfigurationError
from socialmetrics.light_settings import refused_secrets

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

Environment = Literal["local", "test", "dev", "staging", "prod"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    # --- runtime ---------------------------------------------------------------------------
    environment: Environment = "local"
    service_name: str = "socialmetrics"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # --- database --------------------------------------------------------------------------
    database_url: str = "postgresql+pg8000://postgres@127.0.0.1:5432/socialmetrics"
    db_pool_size: int = Field(default=2, ge=1, le=50)
    db_max_overflow: int = Field(default=2, ge=0, le=50)
    db_null_pool: bool = False  # True behind RDS Proxy: keep one connection per container
    # Time budgets: each deployed function gets its own from infra/definition.py (derived from
    # its timeout); these defaults serve scripts and the local runtime.
    db_connect_timeout_seconds: int = Field(default=5, ge=1, le=60)
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
    # TLS to Postgres: "verify-full" (encrypt + verify the server certificate and host, e.g.
    # RDS Proxy), "require" (encrypt only), "disable" (loopback development).
    db_ssl_mode: Literal["disable", "require", "verify-full"] = "disable"
    db_ssl_root_cert: str | None = None  # CA bundle path; the system's CAs when unset

    # --- AWS -------------------------------------------------------------------------------
    aws_endpoint_url: str | None = None  # moto / LocalStack locally; unset on AWS
    aws_region: str = "us-east-1"
    resource_prefix: str = "socialmetrics"
    kms_key_alias: str = "alias/socialmetrics-tokens"
    token_key_provider: Literal["kms", "local"] = "kms"  # noqa: S105
    local_master_key: SecretStr = SecretStr(DEV_LOCAL_MASTER_KEY)
    secrets_source: Literal["env", "secretsmanager"] = "env"
    app_secret_id: str = "socialmetrics/app"  # noqa: S105
    # How long a read of the app secret is reused: a rotated secret is picked up within this
    # many seconds, without a redeploy or a cold start (Powertools Parameters cache).
    app_secret_max_age_seconds: int = Field(default=300, ge=0, le=3_600)
    # Where the migrate function's ``admin_create`` / ``admin_rotate`` put the first admin's key.
    admin_key_secret_id: str = "socialmetrics/admin-api-key"  # noqa: S105
    # Deployed stacks pass queue URLs ({"events": "https://sqs…"}) so no GetQueueUrl call
    # is needed on a cold start; otherwise URLs are looked up by name once per process.
    queue_urls: dict[str, str] = Field(default_factory=dict)
    # Per-call budget of every boto3 client: attempts x (connect + read) + backoff.
    aws_connect_timeout_seconds: float = Field(default=1.0, gt=0, le=60)
    aws_read_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    aws_max_attempts: int = Field(default=2, ge=1, le=10)  # in total, the first try included

    # --- API authentication ------------------------------------------------------------------
    jwt_signing_key: SecretStr = SecretStr(DEV_JWT_KEY)
    jwt_issuer: str = "socialmetrics"
    jwt_audience: str = "socialmetrics-api"
    jwt_ttl_seconds: int = Field(default=900, ge=60, le=900)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=300, ge=10)
    api_max_body_bytes: int = Field(default=65_536, ge=1_024)
    api_page_max: int = Field(default=1_000, ge=1, le=10_000)

    # --- platform APIs -----------------------------------------------------------------------
    x_api_base_url: str = "https://api.x.com"
    graph_api_base_url: str = "https://graph.facebook.com"
    instagram_graph_base_url: str = "https://graph.instagram.com"
    tiktok_api_base_url: str = "https://open.tiktokapis.com"
    tiktok_business_base_url: str = "https://business-api.tiktok.com/open_api/v1.3"
    graph_api_version: str = "v25.0"
    # Per-call budget of platform requests: attempts x (connect + read) + backoff.
    provider_connect_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    provider_timeout_seconds: float = Field(default=7.5, gt=0, le=60)  # read (and write)
    provider_max_attempts: int = Field(default=3, ge=1, le=10)
    provider_max_pages: int = Field(default=50, ge=1, le=1_000)
    provider_backoff_min_seconds: float = Field(default=0.5, ge=0, le=60)
    provider_backoff_max_seconds: float = Field(default=5.0, ge=0, le=600)
    # How far back a newly connected account is walked (days), per platform. Defaults are each
    # platform's own documented lookback: X's timeline keeps the newest 3,200 posts (no day
    # limit), Page and Instagram insights are kept 2 years, WhatsApp analytics 1 year, TikTok
    # lists every public video.
    x_horizon_days: int = Field(default=3_650, ge=1, le=7_300)
    facebook_horizon_days: int = Field(default=730, ge=1, le=730)
    instagram_horizon_days: int = Field(default=730, ge=1, le=730)
    whatsapp_horizon_days: int = Field(default=365, ge=1, le=365)
    tiktok_horizon_days: int = Field(default=3_650, ge=1, le=7_300)
    # Recent days every run reads again (platforms revise recent insights), and the age under
    # which a post's lifetime metrics are refreshed on every run (older posts decay).
    restatement_days: int = Field(default=28, ge=1, le=90)
    x_client_id: str = "local-x-client"
    x_client_secret: SecretStr = SecretStr(DEV_SECRET)
    x_consumer_secret: SecretStr = SecretStr(DEV_SECRET)
    meta_app_id: str = "local-meta-app"
    meta_app_secret: SecretStr = SecretStr(DEV_SECRET)
    meta_verify_token: SecretStr = SecretStr(DEV_SECRET)
    instagram_app_secret: SecretStr = SecretStr(DEV_SECRET)
    tiktok_client_key: str = "local-tiktok-client"
    tiktok_client_secret: SecretStr = SecretStr(DEV_SECRET)

    # --- collection ------------------------------------------------------------------------
    collect_cadence_minutes: int = Field(default=1_440, ge=5)
    scheduler_window_seconds: int = Field(default=900, ge=0, le=900)
    scheduler_page_size: int = Field(default=500, ge=1, le=10_000)
    token_refresh_margin_seconds: int = Field(default=1_800, ge=0)
    collect_retry_base_seconds: int = Field(default=30, ge=0, le=900)
    rate_limit_pause_pct: float = Field(default=90.0, ge=50, le=100)
    # Most platform requests one collection may send; a backfill that needs more checkpoints
    # its cursor and the account is due again at once (sized to end well inside the timeout).
    collect_call_budget: int = Field(default=250, ge=3, le=10_000)
    # Records of one collector batch collected at once, per platform family (x, meta, tiktok).
    collect_concurrency: int = Field(default=10, ge=1, le=100)
    # Consecutive runs in which the account object itself answered 404 before the account
    # becomes `not_found` (one 404 can be a platform hiccup).
    account_not_found_strikes: int = Field(default=3, ge=1, le=20)

    # --- webhooks --------------------------------------------------------------------------
    webhook_max_body_bytes: int = Field(default=262_144, ge=1_024)
    tiktok_signature_tolerance_seconds: int = Field(default=300, ge=1)

    # --- outbound webhooks (signals) -------------------------------------------------------
    signal_delivery_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    signal_response_max_bytes: int = Field(default=65_536, ge=1_024, le=1_048_576)
    signal_disable_after_failures: int = Field(default=8, ge=1, le=100)
    signal_secret_overlap_hours: int = Field(default=24, ge=0, le=24 * 7)
    signal_requeue_max_delay_seconds: int = Field(default=900, ge=0, le=900)
    signal_stale_seconds: int = Field(default=600, ge=60)
    signal_events_retention_days: int = Field(default=30, ge=2, le=3650)
    # X pay-per-use price table (USD per billed read) and the share of a tenant's monthly
    # budget at which X collection pauses (before the next run could exceed it).
    x_price_post_read_usd: float = Field(default=0.005, ge=0)
    x_price_user_read_usd: float = Field(default=0.01, ge=0)
    x_budget_pause_pct: float = Field(default=95.0, ge=10, le=100)

    # --- CSV exports ------------------------------------------------------------------------
    # A CSV export that could exceed this many bytes becomes an export job (the CSV written to
    # the bucket by the export worker, fetched with a presigned URL) instead of a response
    # body: Lambda answers at most 6 MB, so the default leaves room for headers and encoding.
    export_direct_max_bytes: int = Field(default=4_000_000, ge=1_024, le=5_000_000)
    export_bucket: str = "socialmetrics-exports"
    export_url_expiry_seconds: int = Field(default=900, ge=60, le=3_600)  # presigned GET URLs
    # Jobs and their objects are deleted this many days after they were requested (maintenance
    # prunes the jobs; the bucket's lifecycle rule expires the objects after as many days).
    export_retention_days: int = Field(default=1, ge=1, le=30)

    # --- retention (LGPD: keep only what is needed, for as long as it is needed) ------------
    metrics_retention_months: int = Field(default=25, ge=1)
    partitions_ahead_months: int = Field(default=3, ge=1, le=24)
    webhook_events_retention_days: int = Field(default=30, ge=1)
    audit_log_retention_days: int = Field(default=730, ge=30)

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        # Parsed with the standard library: functions that never open the database (webhook
        # receivers) validate settings too, and must not pay for importing SQLAlchemy.
        try:
            parts = urlsplit(value.strip())
            parts.port  # noqa: B018 - raises ValueError for a malformed port
        except ValueError as exc:
            raise ValueError(f"DATABASE_URL is not a valid database URL: {exc}") from None
        if not parts.scheme or "://" not in value:
            raise ValueError("DATABASE_URL is not a valid database URL (postgresql://…)")
        backend = parts.scheme.split("+", 1)[0]
        if backend not in ("postgresql", "postgres"):
            raise ValueError("DATABASE_URL must point to PostgreSQL (postgresql://…)")
        if not parts.hostname and not parse_qs(parts.query).get("unix_sock"):
            raise ValueError("DATABASE_URL must name a host")
        if not parts.path.strip("/"):
            raise ValueError("DATABASE_URL must name a database")
        return "postgresql+pg8000" + value.strip()[len(parts.scheme) :]

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> Settings:
        weak = refused_secrets(lambda name: getattr(self, name))
        if weak:
            raise ValueError(
                f"ENVIRONMENT={self.environment} refuses development secrets; set "
                + ", ".join(weak)
                + " (or SECRETS_SOURCE=secretsmanager)"
            )
        return self

    @property
    def database(self) -> URL:
        from sqlalchemy.engine import make_url

        return make_url(self.database_url)

    def horizon_days(self, platform: str) -> int:
        """The backfill horizon of ``platform`` (a :class:`~socialmetrics.platforms.Platform`
        value: ``X``, ``Facebook``, ``Instagram``, ``WhatsApp``, ``TikTok``)."""
        days: int = getattr(self, f"{platform.lower()}_horizon_days")
        return days

    @property
    def is_local(self) -> bool:
        return self.environment in ("local", "test")


def load_settings() -> Settings:
    """Build settings from the environment, turning validation errors into one clear message."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'SETTINGS'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (validated at cold start)."""
    return load_settings()
