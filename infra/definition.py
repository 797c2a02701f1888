"""The one description of the stack: functions, HTTP routes, queues, schedules, keys, secrets.

Three consumers read it and nothing else: the CDK app (``infra/app.py``), the SAM template
generator, and the local runtime (``local/runtime``). A function added here appears in all
three. Concerns with rules of their own sit beside it and are re-exported here: the
functions' time budgets (``infra.budgets``), the dashboard's hosting facts
(``infra.dashboard``) and the export bucket's (``infra.exports``). This module imports nothing
heavier than the standard library (and the stdlib-only ``socialmetrics.secret_names``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from infra import budgets
from infra.budgets import DB_READ_GRACE_SECONDS as DB_READ_GRACE_SECONDS
from infra.budgets import Budget as Budget
from infra.budgets import budget as budget
from infra.dashboard import DASHBOARD_BUILD_DIR as DASHBOARD_BUILD_DIR
from infra.dashboard import DASHBOARD_CONFIG_FILE as DASHBOARD_CONFIG_FILE
from infra.dashboard import DASHBOARD_HEADERS as DASHBOARD_HEADERS
from infra.dashboard import DASHBOARD_HSTS_SECONDS as DASHBOARD_HSTS_SECONDS
from infra.dashboard import DASHBOARD_LOCAL_PATH as DASHBOARD_LOCAL_PATH
from infra.dashboard import DASHBOARD_SOURCE_DIR as DASHBOARD_SOURCE_DIR
from infra.dashboard import dashboard_csp as dashboard_csp
from infra.exports import EXPORT_BUCKET_ID as EXPORT_BUCKET_ID
from infra.exports import EXPORT_OBJECTS as EXPORT_OBJECTS
from infra.exports import EXPORT_READ_ACTIONS as EXPORT_READ_ACTIONS
from infra.exports import EXPORT_RETENTION_DAYS as EXPORT_RETENTION_DAYS
from infra.exports import EXPORT_WRITE_ACTIONS as EXPORT_WRITE_ACTIONS
from socialmetrics.secret_names import APP_SECRET_KEYS as APP_SECRET_KEYS
from socialmetrics.secret_names import GENERATED_SECRET_KEY as GENERATED_SECRET_KEY

PREFIX = "socialmetrics"
MAX_RECEIVE_COUNT = 5
VISIBILITY_FACTOR = 6  # queue visibility timeout >= 6 x the consumer's timeout
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # the SQS maximum: time to inspect and redrive
# Lambda's runtime (local development stays on 3.11: project code is 3.11-compatible). 3.12 is
# the first Python runtime with SnapStart.
RUNTIME = "python3.12"
# The alias that SnapStart functions are invoked through (their event sources and routes point at
# it): SnapStart applies to published versions only, never to $LATEST.
SNAPSTART_ALIAS = "live"
ARCHITECTURE = "arm64"
LOG_RETENTION_DAYS = 30
# Records of one collector batch collected at once (per platform family). Each running record
# needs a database connection for its load and store steps, so the collector keeps that many:
# with one kept connection (the other functions' setting behind RDS Proxy) the records of a
# batch queue for it (benchmarks/bench_collection.py measures the batch with this pool).
COLLECT_CONCURRENCY = 10
COLLECTOR_POOL = {
    "COLLECT_CONCURRENCY": str(COLLECT_CONCURRENCY),
    "DB_NULL_POOL": "false",  # keep DB_POOL_SIZE connections; RDS Proxy still multiplexes them
    "DB_POOL_SIZE": str(COLLECT_CONCURRENCY),
    "DB_MAX_OVERFLOW": "0",
}
# API Gateway stage throttling (every route): the first line of defence before any Lambda runs.
API_THROTTLE_RATE_PER_SECOND = 100
API_THROTTLE_BURST = 200
DATABASE_NAME = "socialmetrics"
DATABASE_USER = "socialmetrics"
POSTGRES_VERSION = "16"
# Lambda code layout: the code asset holds ``functions/`` (rooted so that a handler string
# "functions.api.handler.handler" imports as the module ``functions.api.handler``); the one
# dependency layer holds ``python/`` = the pinned runtime set + the ``socialmetrics`` package.
CODE_BUILD_DIR = ".local/build/code"
LAYER_BUILD_DIR = ".local/build/layer"
LAYER_REQUIREMENTS = "requirements/runtime.lock"


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
    touches_database: bool = True  # runs inside the VPC and gets DATABASE_URL (RDS Proxy)
    decrypts_tokens: bool = False  # may kms:Decrypt / kms:GenerateDataKey with the token key
    reads_app_secret: bool = True  # may read the app secret (JWT key, platform app secrets)
    calls_platforms: bool = False  # calls the platform APIs (collection, token refresh)
    dead_letters: bool = False  # may send poison messages straight to its queues' DLQs
    writes_admin_key: bool = False  # may write the first admin's API key secret (migrate)
    reads_exports: bool = False  # may read export objects (presigns their download URLs)
    writes_exports: bool = False  # may write export objects (multipart uploads)
    # Lambda SnapStart on published versions (invoked through SNAPSTART_ALIAS): for functions
    # whose cold starts someone waits on (API callers, platforms delivering webhooks) or that
    # scale out under load (queue consumers); the handler registers socialmetrics.snapstart hooks.
    snap_start: bool = False
    sends_to: tuple[str, ...] = ()  # queue keys it may send to
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Physical Lambda function name, e.g. ``socialmetrics-webhook-meta``."""
        return f"{PREFIX}-{self.key.replace('_', '-')}"

    @property
    def logical_id(self) -> str:
        """CloudFormation logical id, e.g. ``WebhookMetaFunction``."""
        return f"{camel(self.key)}Function"


FUNCTIONS: tuple[Function, ...] = (
    Function(
        key="api",
        handler="functions.api.handler.handler",
        description="REST API (FastAPI behind Mangum)",
        memory_mb=1024,
        timeout_seconds=29,
        routes=(Route("ANY", "/{proxy+}"), Route("ANY", "/")),
        decrypts_tokens=True,
        reads_exports=True,
        sends_to=("collect-x", "collect-meta", "collect-tiktok", "webhook-deliveries", "exports"),
        snap_start=True,
    ),
    Function(
        key="scheduler",
        handler="functions.scheduler.handler.handler",
        description="Picks due accounts and fans them out to the platform queues",
        timeout_seconds=120,
        reads_app_secret=False,
        sends_to=("collect-x", "collect-meta", "collect-tiktok"),
    ),
    Function(
        key="collector",
        handler="functions.collector.handler.handler",
        description="Collects one account's metrics per SQS message",
        memory_mb=1024,
        timeout_seconds=120,
        decrypts_tokens=True,
        calls_platforms=True,
        dead_letters=True,
        snap_start=True,
        environment=COLLECTOR_POOL,
    ),
    Function(
        key="ingest",
        handler="functions.ingest.handler.handler",
        description="Applies verified webhook deliveries to the database",
        timeout_seconds=60,
        reads_app_secret=False,
        snap_start=True,
    ),
    Function(
        key="maintenance",
        handler="functions.maintenance.handler.handler",
        description="Partitions, retention, token refresh, pending erasures",
        timeout_seconds=300,
        decrypts_tokens=True,
        calls_platforms=True,
    ),
    Function(
        key="migrate",
        handler="functions.migrate.handler.handler",
        description="Runs Alembic migrations on deploy; creates the first admin on request",
        timeout_seconds=300,
        reads_app_secret=False,
        writes_admin_key=True,
    ),
    Function(
        key="webhook_sender",
        handler="functions.webhook_sender.handler.handler",
        description="Relays outbound events and delivers them, signed, to tenant endpoints",
        memory_mb=512,
        timeout_seconds=120,  # a record's worst case (SQS + DB + one POST) is ~54 s
        decrypts_tokens=True,  # opens the endpoints' signing secrets (same envelope key)
        reads_app_secret=False,
        dead_letters=True,
        sends_to=("webhook-deliveries",),
        snap_start=True,
    ),
    Function(
        key="export_worker",
        handler="functions.export_worker.handler.handler",
        description="Writes CSV exports too large for one API response to the export bucket",
        memory_mb=512,
        timeout_seconds=300,  # one COPY of every matching row, uploaded in 8 MiB parts
        reads_app_secret=False,
        dead_letters=True,
        writes_exports=True,
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
        snap_start=True,
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
        snap_start=True,
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
        snap_start=True,
    ),
)

QUEUES: tuple[Queue, ...] = (
    Queue("collect-x", consumer="collector", batch_size=5, max_concurrency=2),
    Queue("collect-meta", consumer="collector", batch_size=5, max_concurrency=4),
    Queue("collect-tiktok", consumer="collector", batch_size=5, max_concurrency=2),
    Queue("events", consumer="ingest", batch_size=10, max_concurrency=5),
    Queue("webhook-deliveries", consumer="webhook_sender", batch_size=10, max_concurrency=5),
    Queue("exports", consumer="export_worker", batch_size=1, max_concurrency=2),
)

SCHEDULES: tuple[Schedule, ...] = (
    Schedule("collect-tick", "rate(15 minutes)", target="scheduler"),
    Schedule("maintenance-daily", "cron(15 3 * * ? *)", target="maintenance"),
    Schedule("signals-relay", "rate(1 minute)", target="webhook_sender"),
)

KMS_KEY_ALIAS = f"alias/{PREFIX}-tokens"
APP_SECRET_NAME = f"{PREFIX}/app"
# Keys of the JSON app secret: APP_SECRET_KEYS (the names ``socialmetrics.secrets.get_secret``
# accepts, listed once in ``socialmetrics.secret_names``). The stack generates
# GENERATED_SECRET_KEY (``jwt_signing_key``); the platform secrets are set by the operator.


def app_secret_template() -> dict[str, str]:
    """The app secret's initial JSON: every key but the generated one, empty."""
    return {key: "" for key in APP_SECRET_KEYS if key != GENERATED_SECRET_KEY}


# The first admin's API key: written only by the migrate function (``admin_create`` /
# ``admin_rotate``), read only by the operator (``aws secretsmanager get-secret-value``).
ADMIN_KEY_SECRET_NAME = f"{PREFIX}/admin-api-key"
ADMIN_KEY_PLACEHOLDER = '{"status": "empty: invoke the migrate function with admin_create"}'
MIGRATE_FUNCTION = "migrate"  # run on every deploy that changes the migrations


class UnknownKey(LookupError):
    """A function, queue or schedule key that the definition does not have."""


def camel(key: str) -> str:
    """``"collect-x"`` / ``"webhook_meta"`` → ``"CollectX"`` / ``"WebhookMeta"``."""
    return "".join(part.capitalize() for part in key.replace("-", "_").split("_"))


def function(key: str) -> Function:
    for f in FUNCTIONS:
        if f.key == key:
            return f
    raise UnknownKey(f"no function {key!r}; known: {', '.join(f.key for f in FUNCTIONS)}")


def queue(key: str) -> Queue:
    for q in QUEUES:
        if q.key == key:
            return q
    raise UnknownKey(f"no queue {key!r}; known: {', '.join(q.key for q in QUEUES)}")


def schedule(key: str) -> Schedule:
    for s in SCHEDULES:
        if s.key == key:
            return s
    raise UnknownKey(f"no schedule {key!r}; known: {', '.join(s.key for s in SCHEDULES)}")


def visibility_timeout_seconds(q: Queue) -> int:
    return VISIBILITY_FACTOR * function(q.consumer).timeout_seconds


def queues_consumed_by(function_key: str) -> tuple[Queue, ...]:
    return tuple(q for q in QUEUES if q.consumer == function_key)


def routes() -> tuple[tuple[Route, Function], ...]:
    """Every HTTP route with the function behind it."""
    return tuple((route, f) for f in FUNCTIONS for route in f.routes)


def route_key(route: Route) -> str:
    """API Gateway's route key: ``"GET /webhooks/meta"``, ``"ANY /{proxy+}"``."""
    return f"{route.method} {route.path}"


def _path_score(route: Route, path: str) -> tuple[int, int, int] | None:
    """How specifically ``route`` matches ``path`` (None: no match), as API Gateway ranks it:
    exact paths beat parameterised ones, which beat greedy ``{proxy+}`` paths."""
    wanted = [part for part in route.path.split("/") if part]
    given = [part for part in path.split("/") if part]
    greedy = bool(wanted) and wanted[-1].endswith("+}")
    if greedy:
        fixed = wanted[:-1]
        if len(given) <= len(fixed):
            return None
    else:
        fixed = wanted
        if len(given) != len(fixed):
            return None
    literal = 0
    for want, got in zip(fixed, given, strict=False):
        if want.startswith("{") and want.endswith("}"):
            continue
        if want != got:
            return None
        literal += 1
    return (0 if greedy else 1, len(fixed), literal)


def match_route(
    method: str, path: str, table: Sequence[tuple[Route, Function]] | None = None
) -> tuple[Route, Function] | None:
    """The route API Gateway (HTTP API) would pick for ``method path`` among ``table`` (default:
    the stack's routes): the most specific path wins, and for the same path an explicit method
    beats ``ANY``."""
    method = method.upper()
    best: tuple[tuple[int, int, int, int], Route, Function] | None = None
    for route, f in routes() if table is None else table:
        if route.method not in ("ANY", method):
            continue
        score = _path_score(route, path)
        if score is None:
            continue
        ranked = (*score, 0 if route.method == "ANY" else 1)
        if best is None or ranked > best[0]:
            best = (ranked, route, f)
    return None if best is None else (best[1], best[2])


def path_parameters(route: Route, path: str) -> dict[str, str]:
    """``{proxy+}`` / ``{id}`` values of ``path`` under ``route`` (API Gateway's
    ``pathParameters``)."""
    wanted = [part for part in route.path.split("/") if part]
    given = [part for part in path.split("/") if part]
    params: dict[str, str] = {}
    for index, want in enumerate(wanted):
        if not (want.startswith("{") and want.endswith("}")):
            continue
        name = want[1:-1]
        if name.endswith("+"):
            rest = path.lstrip("/").split("/", index)
            params[name[:-1]] = rest[index] if len(rest) > index else ""
        elif index < len(given):
            params[name] = given[index]
    return params


def schedule_input(s: Schedule) -> dict[str, object]:
    """The payload EventBridge Scheduler hands the target (the schedule's ``Input``).

    The ``<aws.scheduler.*>`` keywords are context attributes Scheduler fills in on every
    invocation; the local ticks fill them in the same way. ``${AWS::...}`` are substituted by
    CloudFormation (and by the local ticks with the local account and region).
    """
    return {
        "version": "0",
        "id": "<aws.scheduler.execution-id>",
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": "${AWS::AccountId}",
        "time": "<aws.scheduler.scheduled-time>",
        "region": "${AWS::Region}",
        "resources": ["<aws.scheduler.schedule-arn>"],
        "detail": {
            "schedule": s.key,
            "attempt": "<aws.scheduler.attempt-number>",
        },
    }


def environment(f: Function) -> dict[str, str]:
    """Environment variables every deployed function gets (besides DATABASE_URL, which the
    stack builds from the database secret for functions that touch the database)."""
    env = {
        "ENVIRONMENT": "prod",
        "SERVICE_NAME": PREFIX,
        "LOG_LEVEL": "INFO",
        "POWERTOOLS_SERVICE_NAME": f.key,
        "POWERTOOLS_METRICS_NAMESPACE": PREFIX,
        "RESOURCE_PREFIX": PREFIX,
        "KMS_KEY_ALIAS": KMS_KEY_ALIAS,
        "TOKEN_KEY_PROVIDER": "kms",
        "SECRETS_SOURCE": "secretsmanager",
        "APP_SECRET_ID": APP_SECRET_NAME,
    }
    if f.writes_admin_key:
        env["ADMIN_KEY_SECRET_ID"] = ADMIN_KEY_SECRET_NAME
    if f.reads_exports or f.writes_exports:  # EXPORT_BUCKET: the stack sets the bucket's name
        env["EXPORT_RETENTION_DAYS"] = str(EXPORT_RETENTION_DAYS)
    if f.touches_database:
        env["DB_NULL_POOL"] = "true"  # RDS Proxy pools; the Lambda must not
        env["DB_SSL_MODE"] = "verify-full"  # the proxy requires TLS; its certificate is public
    env.update(budget(f).environment())
    env.update(f.environment)
    return env


def local_budget_environment() -> dict[str, str]:
    """The local runtime hosts every function in one process: each budget variable takes its
    strictest (smallest) value across the functions that set it."""
    return budgets.strictest_environment(FUNCTIONS)
