"""The dashboard in headless Chromium against the local stack: sign in, accounts, an account's
charts equal to the API's summary, interval switch, CSV downloads equal to the API's CSV,
sign-out leaves nothing in storage, tenants stay apart, and no serious axe violation."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from local.runtime import dashboard
from tests.integration.dashboard.conftest import record, screenshot
from tests.integration.dashboard.seed import GAP_DAYS, POSTS, Person, Tenants

AXE = Path(dashboard.ROOT / "dashboard" / "node_modules" / "axe-core" / "axe.min.js")
BUDGET_GZIP_BYTES = 250_000
PAINT = """() => ({
    ...Object.fromEntries(performance.getEntriesByType("paint").map(e => [e.name, e.startTime])),
    domContentLoaded: performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd,
    transferred: performance.getEntriesByType("resource").reduce((n, r) => n + r.transferSize, 0),
})"""


def _sign_in(page: Any, base: str, person: Person) -> None:
    page.goto(f"{base}/dashboard/")
    page.get_by_label("API key", exact=True).fill(person.api_key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("table[data-testid=accounts]")


def _token(base: str, person: Person) -> str:
    reply = httpx.post(f"{base}/auth/login", json={"api_key": person.api_key})
    assert reply.status_code == 200, reply.text
    token: str = reply.json()["access_token"]
    return token


def _range() -> dict[str, str]:
    today = date.today()
    return {"start_date": str(today - timedelta(days=29)), "end_date": str(today)}


def _summary(base: str, token: str, **params: Any) -> dict[str, float]:
    reply = httpx.get(
        f"{base}/metrics/summary",
        params={**_range(), **params},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 200, reply.text
    return {row["bucket_start"]: row["value"] for row in reply.json()}


def _table(page: Any, metric: str) -> tuple[dict[str, float], list[str]]:
    """The chart's data points as the page shows them: values by bucket, and the gap buckets."""
    rows = page.locator(f"table[data-metric='{metric}'] tbody tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.bucket, r.dataset.value, r.dataset.gap === 'true'])"
    )
    values = {bucket: float(value) for bucket, value, gap in rows if not gap}
    return values, [bucket for bucket, _value, gap in rows if gap]


def _download(page: Any, selector: str) -> str:
    with page.expect_download() as info:
        page.click(selector)
    return Path(info.value.path()).read_text(encoding="utf-8")


def _storage(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => ({local: Object.keys(localStorage).length,
                       session: Object.keys(sessionStorage).length,
                       cookie: document.cookie,
                       dump: JSON.stringify({...localStorage, ...sessionStorage})})"""
        )
    )


def _axe(page: Any) -> list[dict[str, Any]]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def test_sign_in_chart_equals_summary_interval_csv_and_sign_out_leaves_no_token(
    page: Any, gateway_url: str, tenants: Tenants
) -> None:
    base, ana = gateway_url, tenants.ana
    page.goto(f"{base}/dashboard/")
    page.wait_for_selector("form.signin")
    record("first-paint.json", page.evaluate(PAINT))
    screenshot(page, "01-sign-in")
    _sign_in(page, base, ana)

    rows = page.locator("table[data-testid=accounts] tbody tr")
    statuses = dict(
        rows.evaluate_all("rs => rs.map(r => [Number(r.dataset.accountId), r.dataset.status])")
    )
    assert statuses == {
        tenants.instagram.account_id: "active",
        tenants.facebook.account_id: "reauth_required",
        tenants.whatsapp.account_id: "active",
    }
    assert _storage(page)["local"] == 0
    assert _storage(page)["session"] == 0
    screenshot(page, "02-accounts")

    page.click(f"tr[data-account-id='{tenants.instagram.account_id}'] a")
    page.wait_for_selector("table[data-metric='followers'] tbody tr", state="attached")
    token = _token(base, ana)
    scope: dict[str, Any] = {
        "user_id": ana.user_id,
        "platform": "Instagram",
        "account_id": tenants.instagram.account_id,
    }
    shown, gaps = _table(page, "followers")
    expected = _summary(base, token, **scope, metric_type="followers", interval="day", agg="last")
    assert shown == expected
    assert len(shown) == 18
    gap_days = sorted(str(date.today() - timedelta(days=d)) for d in GAP_DAYS)
    assert sorted(g[:10] for g in gaps) == gap_days  # absent is a gap, never drawn as 0
    assert page.locator("[data-chart='followers'] .marker-gap").count() == 1
    renamed = page.locator("[data-chart='views'] .marker-deprecation")
    assert (renamed.get_attribute("data-from"), renamed.get_attribute("data-to")) == (
        "impressions",
        "views",
    )
    page.locator("[data-chart='followers'] details summary").click()
    screenshot(page, "03-account-detail")

    page.select_option("select[name=interval]", "week")
    page.wait_for_function("() => location.hash.includes('interval=week')")
    page.wait_for_selector("table[data-metric='views'] tbody tr", state="attached")
    weekly, _ = _table(page, "views")
    assert weekly == _summary(base, token, **scope, metric_type="views", interval="week")
    assert len(weekly) >= 3

    chart_csv = list(csv.DictReader(io.StringIO(_download(page, "[data-download=chart]"))))
    on_screen = {
        r["bucket_start"]: float(r["value"]) for r in chart_csv if r["metric_type"] == "views"
    }
    assert on_screen == weekly

    raw = _download(page, "[data-download=raw]")
    api_csv = httpx.get(
        f"{base}/metrics/",
        params={**_range(), **scope},
        headers={"Authorization": f"Bearer {token}", "Accept": "text/csv"},
    )
    assert api_csv.status_code == 200
    assert raw == api_csv.text
    assert raw.count("\n") > 30

    page.click("button[data-sort='comments']")
    first = page.locator("table[data-testid=top-posts] tbody tr").first
    assert first.get_attribute("data-post") == max(POSTS, key=lambda p: POSTS[p][1])

    page.click("[data-action=sign-out]")
    page.wait_for_selector("form.signin")
    stored = _storage(page)
    assert stored["local"] == 0
    assert stored["session"] == 0
    assert stored["cookie"] == ""
    assert token.split(".")[0] not in stored["dump"]  # no JWT (their header) anywhere
    assert page.locator("table[data-testid=accounts]").count() == 0
    assert page.errors == []


def test_a_client_never_sees_another_tenants_account(
    page: Any, gateway_url: str, tenants: Tenants
) -> None:
    _sign_in(page, gateway_url, tenants.ana)
    listed = page.locator("table[data-testid=accounts] tbody tr").evaluate_all(
        "rs => rs.map(r => Number(r.dataset.accountId))"
    )
    assert tenants.tiktok.account_id not in listed
    assert len(listed) == 3
    page.goto(f"{gateway_url}/dashboard/#/accounts/{tenants.tiktok.account_id}")
    page.wait_for_selector("text=Account not found.")
    assert page.locator("[data-chart]").count() == 0
    page.goto(f"{gateway_url}/dashboard/#/compare")
    page.wait_for_selector("fieldset.accounts-picker")
    offered = page.locator("fieldset.accounts-picker input").evaluate_all(
        "xs => xs.map(x => Number(x.value))"
    )
    assert sorted(offered) == sorted(listed)
    assert "7777" not in page.content()


def test_the_session_is_renewed_before_the_jwt_expires(
    page: Any, gateway_url: str, tenants: Tenants
) -> None:
    logins: list[str] = []
    page.on("request", lambda r: logins.append(r.url) if r.url.endswith("/auth/login") else None)
    page.clock.install()
    _sign_in(page, gateway_url, tenants.ana)
    assert len(logins) == 1
    with page.expect_request(lambda r: r.url.endswith("/auth/login")):
        page.clock.fast_forward((15 * 60 - 30) * 1000)  # JWTs last 15 min; renewed 1 min early
    assert len(logins) == 2
    page.click(f"tr[data-account-id='{tenants.instagram.account_id}'] a")
    page.wait_for_selector("[data-chart=followers]")  # still signed in, with the new token
    assert _storage(page)["local"] == 0


def test_wrong_key_shows_the_problem_title_and_detail(page: Any, gateway_url: str) -> None:
    page.goto(f"{gateway_url}/dashboard/")
    page.get_by_label("API key", exact=True).fill("sm_live_wrong_key")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Unauthorized" in alert.inner_text()
    assert "The API key is not valid." in alert.inner_text()


@pytest.mark.parametrize("page", [{"locale": "pt-BR"}], indirect=True)
def test_portuguese_labels_when_the_browser_asks_for_them(page: Any, gateway_url: str) -> None:
    page.goto(f"{gateway_url}/dashboard/")
    page.wait_for_selector("form.signin")
    assert page.get_by_label("Chave de API", exact=True).count() == 1
    assert page.evaluate("document.documentElement.lang") == "pt-BR"
    page.select_option("#language", "en")
    assert page.get_by_label("API key", exact=True).count() == 1


@pytest.mark.parametrize(
    "page", [{"extra": {"viewport": {"width": 360, "height": 740}}}], indirect=True
)
def test_every_screen_has_no_serious_axe_violation_and_fits_360px(
    page: Any, gateway_url: str, tenants: Tenants
) -> None:
    base = gateway_url
    page.goto(f"{base}/dashboard/")
    page.wait_for_selector("form.signin")
    found = {"sign-in": _axe(page)}
    focused = "document.activeElement.id || document.activeElement.className"
    assert page.evaluate(focused) == "api-key"  # focus starts on the key
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(focused) == "skip"  # the first stop skips to the content
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type(tenants.admin.api_key)
    page.keyboard.press("Enter")  # signed in with the keyboard alone
    page.wait_for_selector("table[data-testid=accounts]")
    page.keyboard.press("Tab")  # focus moved to the new screen's heading; next: its filters
    assert page.evaluate("document.activeElement.name") == "platform"
    screens = {
        "accounts": ("#/accounts", "table[data-testid=accounts]"),
        "account-detail": (f"#/accounts/{tenants.instagram.account_id}", "[data-chart=followers]"),
        "compare": (
            f"#/compare?metric=followers&accounts={tenants.instagram.account_id},"
            f"{tenants.tiktok.account_id}",
            "table[data-metric^='followers:']",
        ),
        "privacy": ("#/privacy", "#consent-history"),
        "admin": ("#/admin", "table[data-testid=users]"),
    }
    for name, (route, ready) in screens.items():
        page.goto(f"{base}/dashboard/{route}")
        page.wait_for_selector(ready, state="attached")
        found[name] = _axe(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (name, width)
        screenshot(page, f"360-{name}")
    assert {name: [v["id"] for v in vs] for name, vs in found.items() if vs} == {}
    assert page.errors == []


def test_admin_creates_a_user_and_sees_the_key_once(
    page: Any, gateway_url: str, tenants: Tenants
) -> None:
    _sign_in(page, gateway_url, tenants.admin)
    page.click("a[href='#/admin']")
    page.wait_for_selector("table[data-testid=users]")
    assert page.locator("table[data-testid=users] tbody tr").count() == 3
    page.fill("form input[name=name]", "Carla")
    page.fill("form input[name=email]", "carla@example.com")
    page.get_by_role("button", name="Create").click()
    key = page.locator("output[data-api-key]")
    key.wait_for()
    assert httpx.post(f"{gateway_url}/auth/login", json={"api_key": key.inner_text()}).is_success
    page.wait_for_function(
        "() => document.querySelectorAll('table[data-testid=users] tbody tr').length === 4"
    )
    screenshot(page, "05-admin")
    page.click("a[href='#/accounts']")
    page.click("a[href='#/admin']")
    page.wait_for_selector("table[data-testid=users]")
    assert page.locator("output[data-api-key]").count() == 0


def test_privacy_consent_export_and_confirmed_erasure(
    page: Any, gateway_url: str, tenants: Tenants
) -> None:
    ana = tenants.ana
    _sign_in(page, gateway_url, ana)
    page.click("a[href='#/privacy']")
    state = page.locator("li[data-purpose=metrics_collection]")
    state.wait_for()
    assert state.get_attribute("data-given") == "true"
    page.click("[data-action=consent]")
    page.wait_for_selector("li[data-purpose=metrics_collection][data-given=false]")
    assert page.locator("#consent-history ~ * tbody tr, table.consents tbody tr").count() >= 2
    exported = json.loads(_download(page, "[data-action=export]"))
    assert json.dumps(exported).count(ana.email) >= 1
    screenshot(page, "04-privacy")
    page.click("[data-action=erase]")
    page.fill("#erase-email", "someone-else@example.com")
    page.get_by_role("button", name="Erase everything").click()
    page.get_by_text("The e-mail address does not match.").wait_for()
    assert httpx.post(f"{gateway_url}/auth/login", json={"api_key": ana.api_key}).is_success
    page.fill("#erase-email", ana.email)
    page.get_by_role("button", name="Erase everything").click()
    page.wait_for_selector("form.signin")
    assert httpx.post(f"{gateway_url}/auth/login", json={"api_key": ana.api_key}).status_code == 401


def test_bundle_stays_under_the_gzip_budget() -> None:
    if not (dashboard.DIST / "app.js").is_file():
        pytest.fail("dashboard/dist is missing: run `make dashboard`")
    sizes = {p.name: len(gzip.compress(p.read_bytes(), 9)) for p in dashboard.DIST.glob("*.js")}
    total = sum(sizes.values())
    record("bundle.json", {"gzip_bytes": sizes, "total_gzip_bytes": total})
    assert 0 < total < BUDGET_GZIP_BYTES
