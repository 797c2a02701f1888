"""The one description of the stack: functions, HTTP routes, queues, schedules, keys, secrets.

Three consumers read it and nothing else: the CDK app (``infra/app.py``), the SAM template
generator, and the local runtime (``local/runtime``). A function added here appears in all
three. This module imports nothing heavier than the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PREFIX = "socialmetrics"
MAX_RECEIVE_COUNT = 5
VISIBILITY_FACTOR = 6  # queue visibility timeout >= 6 x the consumer's timeout


@dataclass(frozen=True)
class Queue:
    key: str  # stable logical name, e.g. "collect-x"
    consumer: str  # function key that consumes it
    batch_size: int = 10
    max_concurrency: int = 2  # SQS event source MaximumConcurrency: the rate-limit lever
    batching_window_seconds: int = 0

    @property
    def name(self) -> str:
        return f"{PREFIX}-{self.key}"

    @property
    def dlq_name(self) -> str:
        return f"{self.name}-dlq"


@dataclass(frozen=True)
class Route:
    method: str  # "ANY", "GET", "POST"
    path: str  # API Gateway HTTP API path, e.g. "/webhooks/meta" or "/{proxy+}"


@dataclass(frozen=True)
class Schedule:
    key: str
    expression: str  # EventBridge Scheduler expression
    target: str  # function key


@dataclass(frozen=True)
class Function:
    key: str
    handler: str  # "functions.api.handler.handler": module path + attribute, as Lambda loads it
    description: str
    memory_mb: int = 512
    timeout_seconds: int = 30
    routes: tuple[Route, ...] = ()
    touches_database: bool = True
    decrypts_tokens: bool = False
    sends_to: tuple[str, ...] = ()  # queue keys it may send to
    environment: dict[str, str] = field(default_factory=dict)


FUNCTIONS: tuple[Function, ...] = (
    Function(
        key="api",
        handler="functions.api.handler.handler",
        description="REST API (FastAPI behind Mangum)",
        memory_mb=1024,
        timeout_seconds=29,
        routes=(Route("ANY", "/{proxy+}"), Route("ANY", "/")),
        decrypts_tokens=True,
        sends_to=("collect-x", "collect-meta", "collect-tiktok"),
    ),
    Function(
        key="scheduler",
        handler="functions.scheduler.handler.handler",
        description="Picks due accounts and fans them out to the platform queues",
        timeout_seconds=120,
        sends_to=("collect-x", "collect-meta", "collect-tiktok"),
    ),
    Function(
        key="collector",
        handler="functions.collector.handler.handler",
        description="Collects one account's metrics per SQS message",
        memory_mb=1024,
        timeout_seconds=120,
        decrypts_tokens=True,
    ),
    Function(
        key="ingest",
        handler="functions.ingest.handler.handler",
        description="Applies verified webhook deliveries to the database",
        timeout_seconds=60,
    ),
    Function(
        key="maintenance",
        handler="functions.maintenance.handler.handler",
        description="Partitions, retention, token refresh, pending erasures",
        timeout_seconds=300,
        decrypts_tokens=True,
    ),
    Function(
        key="migrate",
        handler="functions.migrate.handler.handler",
        description="Runs Alembic migrations on deploy",
        timeout_seconds=300,
    ),
    Function(
        key="webhook_meta",
        handler="functions.webhook_meta.handler.handler",
        description="Meta (Facebook, Instagram, WhatsApp) webhook receiver",
        memory_mb=256,
        timeout_seconds=10,
        routes=(Route("GET", "/webhooks/meta"), Route("POST", "/webhooks/meta")),
        touches_database=False,
        sends_to=("events",),
    ),
    Function(
        key="webhook_x",
        handler="functions.webhook_x.handler.handler",
        description="X webhook receiver (CRC and signed deliveries)",
        memory_mb=256,
        timeout_seconds=10,
        routes=(Route("GET", "/webhooks/x"), Route("POST", "/webhooks/x")),
        touches_database=False,
        sends_to=("events",),
    ),
    Function(
        key="webhook_tiktok",
        handler="functions.webhook_tiktok.handler.handler",
        description="TikTok webhook receiver",
        memory_mb=256,
        timeout_seconds=10,
        routes=(Route("POST", "/webhooks/tiktok"),),
        touches_database=False,
        sends_to=("events",),
    ),
)

QUEUES: tuple[Queue, ...] = (
    Queue("collect-x", consumer="collector", batch_size=5, max_concurrency=2),
    Queue("collect-meta", consumer="collector", batch_size=5, max_concurrency=4),
    Queue("collect-tiktok", consumer="collector", batch_size=5, max_concurrency=2),
    Queue("events", consumer="ingest", batch_size=10, max_concurrency=5),
)

SCHEDULES: tuple[Schedule, ...] = (
    Schedule("collect-tick", "rate(15 minutes)", target="scheduler"),
    Schedule("maintenance-daily", "cron(15 3 * * ? *)", target="maintenance"),
)

KMS_KEY_ALIAS = f"alias/{PREFIX}-tokens"
APP_SECRET_NAME = f"{PREFIX}/app"

def function(key: str) -> Function:
    return next(f for f in FUNCTIONS if f.key == key)


def queue(key: str) -> Queue:
    return next(q for q in QUEUES if q.key == key)


def visibility_timeout_seconds(q: Queue) -> int:
    return VISIBILITY_FACTOR * function(q.consumer).timeout_seconds
