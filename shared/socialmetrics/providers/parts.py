"""A collection as a set of parts, each succeeding, failing or being deferred on its own.

Every provider runs its endpoints (account fields, each metric family, post pages, post
insights, optional edges) through :meth:`Parts.run`; points a part produced stay in the sink
whatever happens to later parts. The rules:

- the *gate* part (the first call, on the account object) raises its error: nothing was
  fetched yet, and the collector maps it to a queue action (retry, reset time, reauth);
- after the gate, a token failure (:class:`AuthExpired`) stops the collection but keeps what
  was fetched (``fatal``); the later parts are ``skipped``;
- a rate limit defers the part to the reset time; where the platform's quota is per account
  (Meta's Business Use Case, TikTok) the later parts are deferred without a call, where it is
  per endpoint (X) they still run;
- a spent call budget defers the part and every later one (the cursor keeps the checkpoint);
- anything else (404/400 on a sub-resource, permission, a transient failure after retries)
  fails that part only; its cursor is not advanced, so the next run fetches it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from socialmetrics.providers import errors
from socialmetrics.providers.types import PartOutcome, PartStatus

Fetch = Callable[[], Awaitable[None]]


class Parts:
    def __init__(self, *, account_wide_limits: bool = True) -> None:
        self.account_wide_limits = account_wide_limits
        self.outcomes: list[PartOutcome] = []
        self.fatal: errors.ProviderError | None = None
        self.paused: errors.RateLimited | None = None
        self.exhausted = False

    def record(
        self,
        name: str,
        status: PartStatus,
        detail: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        self.outcomes.append(PartOutcome(name, status, detail[:500] if detail else None, retry_at))

    def ok(self, name: str) -> bool:
        """True when ``name`` ran and succeeded in this collection."""
        return any(o.name == name and o.status == "succeeded" for o in self.outcomes)

    async def run(
        self, name: str, fetch: Fetch, *, gate: bool = False, account_object: bool = False
    ) -> bool:
        """Run one part; ``True`` when it succeeded. See the module docstring for the rules.

        ``account_object``: the part reads the account object itself, so a 404 there means
        the account may be gone (``fatal``), not just a missing sub-resource."""
        if self.fatal is not None:
            self.record(name, "skipped", f"not attempted: {self.fatal}")
            return False
        if self.exhausted:
            self.record(name, "deferred", "call budget of this invocation spent")
            return False
        if self.paused is not None:
            self.record(name, "deferred", f"rate limited: {self.paused}", self.paused.reset_at)
            return False
        try:
            await fetch()
        except errors.RateLimited as exc:
            if gate:
                raise
            self.record(name, "deferred", f"rate limited: {exc}", exc.reset_at)
            if self.account_wide_limits:
                self.paused = exc
        except errors.BudgetExhausted as exc:
            self.exhausted = True
            self.record(name, "deferred", str(exc))
        except errors.AuthExpired as exc:
            if gate:
                raise
            self.fatal = exc
            self.record(name, "failed", str(exc))
        except errors.NotFound as exc:
            if gate:
                raise
            if account_object:
                self.fatal = exc
            self.record(name, "failed", str(exc))
        except errors.ProviderError as exc:
            if gate:
                raise
            self.record(name, "failed", str(exc))
        else:
            self.record(name, "succeeded")
            return True
        return False

    def refused(self, unavailable: list[str]) -> list[PartOutcome]:
        """The outcomes plus one ``skipped`` entry per metric the platform refused
        (``reel:profile_visits`` → ``reel_insights.profile_visits``)."""
        known = {o.name for o in self.outcomes}
        extra: list[PartOutcome] = []
        for entry in sorted(set(unavailable)):
            if entry in known:
                continue
            level, _, metric = entry.rpartition(":")
            family = f"{level or 'account'}_insights"
            if level == "phone_number":
                family = "phone_numbers"
            extra.append(
                PartOutcome(
                    f"{family}.{metric}",
                    "skipped",
                    "refused by the platform (not valid for this object, or not permitted)",
                )
            )
        return [*self.outcomes, *extra]
