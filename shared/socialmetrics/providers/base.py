"""The small shared base every platform client stands on.

- The ``httpx.AsyncClient`` a client is given (the collector passes the container's pooled one,
  :mod:`socialmetrics.providers.runtime`), or else one opened per operation over an injectable
  ``transport`` (tests and the sandbox stand in by configuration alone). Every request carries
  the function's time budget (``PROVIDER_CONNECT_TIMEOUT_SECONDS``, ``PROVIDER_TIMEOUT_SECONDS``
  for reads and writes): one call lasts at most ``attempts x (connect + read)`` plus the backoff
  between attempts, which the stack definition keeps inside the function's timeout.
- The access token travels as an ``httpx.Auth`` (:mod:`socialmetrics.providers.auth`), which
  renews it once after an expired-token answer when the caller supplied a ``renew`` hook.
- ``tenacity`` retries with exponential backoff and jitter, bounded by
  ``provider_max_attempts``, for :class:`~socialmetrics.providers.errors.Transient` failures
  only (5xx, timeouts, connection errors, malformed bodies). Auth, permission, rate-limit and
  request errors surface at once.
- Each platform client supplies two hooks: ``_usage`` (rate-limit headers → snapshot) and
  ``_error`` (status + body → typed error, or ``None`` for success).
- :class:`PointSink` turns raw provider values into :class:`MetricPoint` through the catalog;
  a value that is missing or not a number produces no point at all.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from socialmetrics.catalog import normalise, scale
from socialmetrics.config import Settings
from socialmetrics.observability import traced
from socialmetrics.platforms import Platform
from socialmetrics.points import MetricPoint, ObjectType, Period, decimal_from_platform
from socialmetrics.providers.auth import Renew, TokenAuth
from socialmetrics.providers.errors import (
    AuthExpired,
    BudgetExhausted,
    MalformedResponse,
    ProviderError,
    Transient,
    scrub,
)
from socialmetrics.providers.parts import Parts
from socialmetrics.providers.rate_limits import UsageSnapshot, tightest
from socialmetrics.providers.types import CollectResult, Credentials, RotateCallback, TokenGrant

if TYPE_CHECKING:
    from socialmetrics.secrets import SecretName

USER_AGENT = "socialmetrics/0.1 (+https://socialmetrics.dev)"


def utcnow() -> datetime:
    return datetime.now(UTC)


def expiry(now: datetime, seconds: object) -> datetime | None:
    """``now + seconds`` from a token response's ``expires_in``; ``None`` when absent or 0."""
    if isinstance(seconds, str) and seconds.isdigit():
        seconds = int(seconds)
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
        return now + timedelta(seconds=float(seconds))
    return None


def retry_wait(settings: Settings) -> wait_exponential_jitter:
    """The wait between attempts: ``min(low x 2^n + rand(0, low), high)`` seconds, with ``low``
    and ``high`` the ``PROVIDER_BACKOFF_MIN/MAX_SECONDS`` of the function's time budget."""
    return wait_exponential_jitter(
        multiplier=settings.provider_backoff_min_seconds,
        max=settings.provider_backoff_max_seconds,
        jitter=settings.provider_backoff_min_seconds,
    )


def timeout(settings: Settings) -> httpx.Timeout:
    """The time budget of one attempt of one request."""
    return httpx.Timeout(
        settings.provider_timeout_seconds,
        connect=settings.provider_connect_timeout_seconds,
        pool=settings.provider_connect_timeout_seconds,
    )


def http_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """An ``AsyncClient`` with the project's headers and time budget (redirects not followed)."""
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout(settings),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        follow_redirects=False,
    )


class PlatformCalls:
    """One operation's calls to a platform: retries, auth, error mapping, usage and call
    counting (named apart from SQLAlchemy's ``Session``, which is a database session)."""

    def __init__(
        self,
        client: BaseClient,
        http: httpx.AsyncClient,
        secrets: Iterable[str],
        auth: httpx.Auth | None = None,
    ) -> None:
        self._client = client
        self._http = http
        self._secrets = [s for s in secrets if s]
        self.auth = auth
        self.snapshots: list[UsageSnapshot] = []
        self.calls = 0
        self.budget = client.call_budget

    @property
    def secrets(self) -> list[str]:
        """Every secret of the operation, including a token the auth renewed on the way."""
        tokens = self.auth.tokens if isinstance(self.auth, TokenAuth) else []
        return [*self._secrets, *tokens]

    @property
    def usage(self) -> UsageSnapshot | None:
        return tightest(self.snapshots)

    @traced("platform_request")
    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send with retries for transient failures; return the decoded JSON body.

        A platform that has not answered once in this operation and then times out (or cannot
        be reached) on every attempt of a request is not called again by this client: later
        requests fail at once, so a hung platform costs one time budget per operation, not one
        per request. Once it has answered, a slow endpoint only fails its own request.
        The collection's call budget (``COLLECT_CALL_BUDGET``) raises
        :class:`BudgetExhausted` before a request beyond it is sent."""
        if self.budget is not None and self.calls >= self.budget:
            raise BudgetExhausted(
                f"call budget of {self.budget} spent", platform=self._client.platform.value
            )
        settings = self._client.settings
        if self._client.unreachable is not None:
            raise Transient(
                f"{method} {self._path(url)} not sent: {self._client.unreachable}",
                platform=self._client.platform.value,
                code="unreachable",
            )
        retrying = AsyncRetrying(
            stop=stop_after_attempt(settings.provider_max_attempts),
            wait=retry_wait(settings),
            retry=retry_if_exception(lambda exc: isinstance(exc, Transient)),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, url, params, data, json_body, headers)
        except Transient as exc:
            if exc.code in ("timeout", "connection") and not self._client.answered:
                self._client.unreachable = f"the platform did not answer ({exc.code})"
            raise
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _once(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        data: Mapping[str, Any] | None,
        json_body: Any,
        headers: Mapping[str, str] | None,
    ) -> Any:
        platform = self._client.platform.value
        self.calls += 1
        try:
            response = await self._http.request(
                method,
                url,
                params=params,
                data=data,
                json=json_body,
                headers=headers,
                auth=self.auth if self.auth is not None else httpx.USE_CLIENT_DEFAULT,
                timeout=timeout(self._client.settings),
            )
        except httpx.TimeoutException:
            raise Transient(
                f"{method} {self._path(url)} timed out", platform=platform, code="timeout"
            ) from None
        except httpx.TransportError as exc:
            raise Transient(
                scrub(f"{method} {self._path(url)} failed: {type(exc).__name__}", self.secrets),
                platform=platform,
                code="connection",
            ) from None
        self._client.answered = True
        now = utcnow()
        snapshot = self._client._usage(response.headers, now)
        if snapshot is not None:
            self.snapshots.append(snapshot)
        payload: Any = None
        decoded = True
        try:
            payload = response.json() if response.content else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            decoded = False
        error = self._client._error(response, payload if decoded else None, now)
        if error is not None:
            error.message = scrub(error.message, self.secrets)
            raise error
        if not decoded or not isinstance(payload, dict):
            raise MalformedResponse(
                f"{method} {self._path(url)} returned a body that is not a JSON object",
                platform=platform,
                status=response.status_code,
            )
        return payload

    @staticmethod
    def _path(url: str) -> str:
        """The path only: query strings may carry tokens."""
        return httpx.URL(url).path


class BaseClient:
    """Shared plumbing; subclasses set ``platform`` and implement the two hooks."""

    platform: Platform
    supports_refresh: bool = True

    auth_header = "Authorization"  # where the access token goes …
    auth_scheme: str | None = "Bearer"  # … and its prefix (None: the bare token)

    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings
        self.transport = transport
        self.http = http  # a pooled client to share; None: one client per operation
        self.clock = clock or utcnow  # "now" for windows and cutoffs (injectable in tests)
        self.call_budget: int | None = None  # most requests one collection may send
        self.renew: Renew | None = None  # a fresh access token after an expired-token answer
        self.answered = False  # the platform sent a response in this operation
        self.unreachable: str | None = None  # it never answered and a request ran out of time

    @asynccontextmanager
    async def calls(
        self, *secrets: str, auth: httpx.Auth | None = None
    ) -> AsyncIterator[PlatformCalls]:
        """The calls of one operation, over the shared client when there is one."""
        if self.http is not None:
            yield PlatformCalls(self, self.http, secrets, auth)
            return
        async with http_client(self.settings, self.transport) as http:
            yield PlatformCalls(self, http, secrets, auth)

    def token_auth(self, credentials: Credentials) -> TokenAuth:
        """The access token as this platform expects it, renewed once by :attr:`renew`."""
        return TokenAuth(
            credentials.access_token.get_secret_value(),
            expired=self._expired,
            renew=self.renew,
            header=self.auth_header,
            scheme=self.auth_scheme,
        )

    @asynccontextmanager
    async def collection(
        self,
        credentials: Credentials,
        cursor: dict[str, Any],
        api_version: str,
        parts: Parts | None = None,
    ) -> AsyncIterator[CollectionContext]:
        """One collection's context: calls under the account's token, sink, cursor, parts."""
        async with self.calls(auth=self.token_auth(credentials)) as calls:
            yield CollectionContext(
                calls,
                PointSink(self.platform, api_version, self.clock()),
                cursor,
                dict(cursor),
                parts or Parts(),
            )

    def _expired(self, response: httpx.Response) -> bool:
        """True when this answer says the access token is expired or revoked."""
        try:
            payload = response.json() if response.content else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            payload = None
        error = self._error(response, payload, utcnow())
        return isinstance(error, AuthExpired)

    # --- hooks ------------------------------------------------------------------------------
    def _usage(self, headers: httpx.Headers, now: datetime) -> UsageSnapshot | None:
        return None

    def _error(self, response: httpx.Response, payload: Any, now: datetime) -> ProviderError | None:
        raise NotImplementedError

    # --- helpers ----------------------------------------------------------------------------
    def secret(self, name: SecretName) -> str:
        """An app secret: from these settings locally, from Secrets Manager when configured."""
        from socialmetrics.secrets import get_secret

        return get_secret(name, self.settings).get_secret_value()

    def _fallback_error(self, response: httpx.Response, message: str) -> ProviderError:
        """Status-only mapping for bodies that carry no platform error code."""
        from socialmetrics.providers import errors

        status = response.status_code
        kind: type[ProviderError]
        if status >= 500:
            kind = errors.Transient
        elif status == 401:
            kind = errors.AuthExpired
        elif status == 403:
            kind = errors.PermissionDenied
        elif status == 404:
            kind = errors.NotFound
        else:
            kind = errors.ProviderError
        return kind(message, platform=self.platform.value, status=status)

    @staticmethod
    async def _rotated(grant: TokenGrant, on_rotate: RotateCallback | None) -> TokenGrant:
        """Hand a fresh grant to the caller's persistence hook before anyone uses it."""
        if on_rotate is not None:
            await on_rotate(grant)
        return grant


@dataclass(slots=True)
class PointSink:
    """Collects normalised points for one collection run."""

    platform: Platform
    api_version: str
    fetched_at: datetime
    points: list[MetricPoint] = field(default_factory=list)

    def add(
        self,
        raw_name: str,
        value: object,
        *,
        object_type: ObjectType = "account",
        object_id: str = "",
        period: Period = "snapshot",
        collected_at: datetime | None = None,
    ) -> MetricPoint | None:
        """Add a point if the raw name is catalogued and the value is a number.

        The value is converted to the metric's unit by the catalog's ``scale`` (e.g. s → ms).
        """
        metric = normalise(self.platform, object_type, raw_name)
        parsed = decimal_from_platform(value)
        if metric is None or parsed is None:
            return None
        point = MetricPoint(
            metric_type=metric,
            value=parsed * scale(self.platform, object_type, raw_name),
            collected_at=collected_at or self.fetched_at,
            object_type=object_type,
            object_id=object_id,
            period=period,
            source="poll",
            raw_name=raw_name,
            api_version=self.api_version,
            fetched_at=self.fetched_at,
        )
        self.points.append(point)
        return point

    def add_all(
        self,
        values: Mapping[str, object],
        *,
        object_type: ObjectType = "account",
        object_id: str = "",
        period: Period = "snapshot",
        collected_at: datetime | None = None,
        skip: Iterable[str] = (),
    ) -> None:
        skipped = set(skip)
        for raw_name, value in values.items():
            if raw_name not in skipped:
                self.add(
                    raw_name,
                    value,
                    object_type=object_type,
                    object_id=object_id,
                    period=period,
                    collected_at=collected_at,
                )


@dataclass(slots=True)
class CollectionContext:
    """What one collection threads through a platform's helpers, instead of argument bundles:
    the calls (token, usage, call count), the sink of points, the cursor as it came in and as
    it is being advanced (each part checkpoints into ``new_cursor``), the parts' outcomes and
    the metric names the platform refused."""

    calls: PlatformCalls
    sink: PointSink
    cursor: dict[str, Any]
    new_cursor: dict[str, Any]
    parts: Parts
    unavailable: list[str] = field(default_factory=list)

    @property
    def now(self) -> datetime:
        return self.sink.fetched_at

    def result(self, cursor: dict[str, Any] | None = None) -> CollectResult:
        """The collection's result (``cursor``: when the platform keeps its own state)."""
        return CollectResult(
            self.sink.points,
            self.new_cursor if cursor is None else cursor,
            sorted(set(self.unavailable)),
            self.calls.usage,
            self.calls.calls,
            self.parts.refused(self.unavailable),
            self.parts.fatal,
        )


def grant_from(body: dict[str, Any], now: datetime, scope_sep: str = " ") -> TokenGrant:
    """A :class:`TokenGrant` from an OAuth token response (expiries read, never assumed)."""
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise MalformedResponse("token response without access_token")
    refresh = body.get("refresh_token")
    scope = body.get("scope") or ""
    return TokenGrant(
        access_token=SecretStr(access),
        refresh_token=SecretStr(refresh) if isinstance(refresh, str) and refresh else None,
        expires_at=expiry(now, body.get("expires_in")),
        refresh_expires_at=expiry(now, body.get("refresh_expires_in")),
        scopes=tuple(s for s in str(scope).replace(",", scope_sep).split(scope_sep) if s),
        token_type=str(body.get("token_type") or "bearer"),
    )
