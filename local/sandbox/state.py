"""Sandbox state: registered accounts and their tokens, deterministic content, quotas, faults.

Everything derives from ``seed`` and the account id, so the same registration always yields
the same numbers (:func:`value` is the one generator; tests may call it to know exact values).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

PLATFORMS = ("X", "Facebook", "Instagram", "WhatsApp", "TikTok")
X_ID_BASE = 1_900_000_000_000_000_000
# WhatsApp phone numbers: the enums the Graph API returns on /{waba-id}/phone_numbers.
MESSAGING_TIERS = ("TIER_250", "TIER_1K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED")
QUALITY_RATINGS = ("GREEN", "YELLOW", "RED", "UNKNOWN")
# TikTok API for Business scopes (a TikTok account registered with one is a business account).
TIKTOK_BUSINESS_SCOPES = ("user.info.basic", "user.insights", "video.list", "video.insights")


def value(seed: int, *parts: object, low: int = 0, high: int = 1000) -> int:
    """A deterministic integer in ``[low, high]`` for ``parts`` under ``seed``."""
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return low + int.from_bytes(digest[:8], "big") % (high - low + 1)


def phone_id(seed: int, waba_id: str, index: int) -> str:
    """The id of a WABA's ``index``-th phone number."""
    return str(value(seed, "phone", waba_id, index, low=10**14, high=10**15 - 1))


def phone_profile(seed: int, waba_id: str, phone: str) -> tuple[str, str]:
    """``(messaging_limit_tier, quality_rating)`` of one phone number."""
    tier = MESSAGING_TIERS[value(seed, "tier", waba_id, phone, high=len(MESSAGING_TIERS) - 1)]
    quality = QUALITY_RATINGS[value(seed, "q", waba_id, phone, high=len(QUALITY_RATINGS) - 1)]
    return tier, quality


@dataclass
class Post:
    id: str
    created: int  # unix seconds
    kind: str = "post"  # X/FB: post; IG: FEED|REELS|STORY; TikTok: video; WhatsApp: template


@dataclass
class Account:
    platform: str
    id: str
    access_token: str
    refresh_token: str | None
    issued_at: float
    expires_in: int | None
    refresh_expires_in: int | None
    scopes: list[str]
    posts: list[Post] = field(default_factory=list)  # newest first
    quota: int | None = None
    latency_ms: int = 0
    invalid_metrics: set[str] = field(default_factory=set)
    denied_metrics: set[str] = field(default_factory=set)
    counters: dict[str, int] = field(default_factory=dict)
    retired_refresh: set[str] = field(default_factory=set)
    retired_access: set[str] = field(default_factory=set)
    dead: bool = False
    login: str = "facebook"  # Instagram host the tokens belong to
    phones: list[str] = field(default_factory=list)  # WhatsApp phone number ids

    def summary(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "id": self.id,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_in": self.expires_in,
            "refresh_expires_in": self.refresh_expires_in,
            "scopes": self.scopes,
            "posts": [p.id for p in self.posts],
            "dead": self.dead,
            "login": self.login,
            "phones": self.phones,
        }


@dataclass
class Fault:
    platform: str
    account: str
    kind: str  # server_error | timeout | malformed | token_dead | token_expired | forbidden |
    # throttle | not_found
    times: int | None = None  # None = every matching request
    path: str | None = None  # only requests whose path contains this
    seconds: float = 5.0  # timeout: how long to stall
    after: int = 0  # let this many matching requests through first ("429 on the 2nd call")


@dataclass
class Window:
    start: float
    count: int = 0


class SandboxState:
    def __init__(self, seed: int = 7, quota: int = 10_000, window_seconds: int = 900) -> None:
        self.seed = seed
        self.quota = quota
        self.window_seconds = window_seconds
        self.accounts: dict[tuple[str, str], Account] = {}
        self.by_access: dict[str, Account] = {}
        self.by_refresh: dict[str, Account] = {}
        self.objects: dict[str, tuple[Account, Post]] = {}
        self.faults: list[Fault] = []
        self.windows: dict[tuple[str, str, str], Window] = {}
        self.requests: list[dict[str, Any]] = []
        self.x_client_id = "local-x-client"
        self.x_client_secret = "local-dev-secret-change-me"
        self.meta_app_id = "local-meta-app"
        self.meta_app_secret = "local-dev-secret-change-me"
        self.tiktok_client_key = "local-tiktok-client"
        self.tiktok_client_secret = "local-dev-secret-change-me"

    # --- accounts ---------------------------------------------------------------------------
    def new_tokens(self, platform: str, login: str = "facebook") -> tuple[str, str | None]:
        raw = secrets.token_urlsafe(24).replace("-", "a").replace("_", "b")
        if platform == "TikTok":
            return f"act.{raw}", f"rft.{secrets.token_urlsafe(24)}"
        if platform == "X":
            return raw, secrets.token_urlsafe(32)
        if platform == "Instagram" and login == "instagram":
            return f"IGAA{raw}", None
        return f"EAA{raw}", None

    def register(self, spec: dict[str, Any]) -> Account:
        platform = str(spec["platform"])
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}")
        account_id = str(
            spec.get("id") or value(self.seed, platform, len(self.accounts), low=10**9, high=10**10)
        )
        login = str(spec.get("login", "facebook"))
        access, refresh = self.new_tokens(platform, login)
        default_expiry = {"X": 7200, "TikTok": 7200, "WhatsApp": None, "Facebook": None}.get(
            platform, 5_183_944
        )
        now = time.time()
        account = Account(
            platform=platform,
            id=account_id,
            access_token=str(spec.get("access_token") or access),
            refresh_token=spec.get("refresh_token", refresh),
            issued_at=now - float(spec.get("token_age_seconds", 2 * 86_400)),
            expires_in=spec.get("expires_in", default_expiry),
            refresh_expires_in=15_552_000 if platform == "TikTok" else None,
            scopes=list(spec.get("scopes") or default_scopes(platform)),
            quota=spec.get("quota"),
            latency_ms=int(spec.get("latency_ms", 0)),
            invalid_metrics=set(spec.get("invalid_metrics", [])),
            denied_metrics=set(spec.get("denied_metrics", [])),
            counters=dict(spec.get("counters", {})),
            login=login,
        )
        old = self.accounts.get((platform, account_id))
        if old is not None:
            self.by_access.pop(old.access_token, None)
            if old.refresh_token:
                self.by_refresh.pop(old.refresh_token, None)
        self.accounts[(platform, account_id)] = account
        self.by_access[account.access_token] = account
        if account.refresh_token:
            self.by_refresh[account.refresh_token] = account
        count = int(spec.get("posts", 30))
        spacing = int(spec.get("post_interval_minutes", 360)) * 60
        anchor = int(now) - 600
        account.posts = [self._post(account, i, anchor - i * spacing) for i in range(count)]
        if platform == "WhatsApp":
            phones = int(spec.get("phone_numbers", 2))
            account.phones = [phone_id(self.seed, account_id, i) for i in range(phones)]
        # "newest_at": list the newest post at this position instead of first (a pinned post
        # after older items: feeds are not strictly ordered by time).
        misplaced = spec.get("newest_at")
        if isinstance(misplaced, int) and 0 < misplaced < len(account.posts):
            account.posts.insert(misplaced, account.posts.pop(0))
        for index in range(int(spec.get("stories", 2 if platform == "Instagram" else 0))):
            story = Post(f"{account_id}9{index:04d}", anchor - index * 3600, "STORY")
            self.objects[story.id] = (account, story)
            account.posts.append(story)
        return account

    def _post(self, account: Account, index: int, created: int) -> Post:
        ordinal = value(self.seed, account.id, low=0, high=10**6) * 10_000 + (10_000 - index)
        if account.platform == "X":
            post = Post(str(X_ID_BASE + ordinal), created)
        elif account.platform == "Facebook":
            post = Post(f"{account.id}_{ordinal}", created)
        elif account.platform == "Instagram":
            post = Post(f"17{ordinal:016d}", created, "REELS" if index % 3 == 0 else "FEED")
        elif account.platform == "TikTok":
            post = Post(f"73{ordinal:017d}", created, "video")
        else:
            post = Post(f"{ordinal}", created, "template")
        self.objects[post.id] = (account, post)
        return post

    def add_posts(self, account: Account, count: int) -> list[Post]:
        now = int(time.time())
        newest = max((int(p.created) for p in account.posts), default=now - 60)
        fresh: list[Post] = []
        for n in range(count):
            base = -(len(account.posts) + n + 1)
            post = self._post(account, base, max(now, newest + 1) + n)
            fresh.insert(0, post)
        account.posts[:0] = fresh
        return fresh

    def rotate(self, account: Account) -> None:
        """Issue a new pair; the old access and refresh tokens stop working."""
        self.by_access.pop(account.access_token, None)
        account.retired_access.add(account.access_token)
        if account.refresh_token:
            self.by_refresh.pop(account.refresh_token, None)
            account.retired_refresh.add(account.refresh_token)
        access, refresh = self.new_tokens(account.platform, account.login)
        account.access_token = access
        account.refresh_token = refresh if account.refresh_token else None
        account.issued_at = time.time()
        self.by_access[access] = account
        if account.refresh_token:
            self.by_refresh[account.refresh_token] = account

    # --- quotas and faults ------------------------------------------------------------------
    def charge(self, account: Account, group: str) -> tuple[int, int, float]:
        """Count one call; return (limit, remaining, reset epoch)."""
        limit = account.quota if account.quota is not None else self.quota
        key = (account.platform, account.id, group)
        now = time.time()
        window = self.windows.get(key)
        if window is None or now >= window.start + self.window_seconds:
            window = self.windows[key] = Window(now)
        window.count += 1
        return limit, max(0, limit - window.count), window.start + self.window_seconds

    def fault_for(self, account: Account, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.platform != account.platform or fault.account != account.id:
                continue
            if fault.path and fault.path not in path:
                continue
            if fault.after > 0:
                fault.after -= 1
                continue
            if fault.times is not None:
                if fault.times <= 0:
                    continue
                fault.times -= 1
            return fault
        return None

    def snapshot(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "quota": self.quota,
            "window_seconds": self.window_seconds,
            "accounts": [a.summary() for a in self.accounts.values()],
            "windows": [
                {
                    "platform": p,
                    "account": a,
                    "group": g,
                    "count": w.count,
                    "reset": int(w.start + self.window_seconds),
                }
                for (p, a, g), w in self.windows.items()
            ],
            "faults": [vars(f) for f in self.faults],
            "requests": self.requests[-2000:],
        }


def default_scopes(platform: str) -> list[str]:
    return {
        "X": ["tweet.read", "users.read", "offline.access"],
        "Facebook": ["pages_show_list", "pages_read_engagement", "read_insights"],
        "Instagram": ["instagram_basic", "instagram_manage_insights", "pages_show_list"],
        "WhatsApp": ["whatsapp_business_management"],
        "TikTok": ["user.info.basic", "user.info.stats", "video.list"],
    }[platform]
