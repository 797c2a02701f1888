"""/docs in a real browser (headless Chromium): Swagger UI renders the operations from the
project's own assets, nothing is fetched from another origin and the CSP is never violated."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from functions.api.docs import CSP

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page, Request


def test_docs_render_every_operation_from_local_assets(stack_url: str, page: Page) -> None:
    origins: set[str] = set()
    console_errors: list[str] = []

    def on_request(request: Request) -> None:
        origins.add(f"{urlsplit(request.url).scheme}://{urlsplit(request.url).netloc}")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    page.on("request", on_request)
    page.on("console", on_console)
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.goto(f"{stack_url}/docs", wait_until="load")
    page.wait_for_selector("#operations-metrics-listMetrics", timeout=20_000)

    operations = page.locator(".opblock").count()
    paths = httpx.get(f"{stack_url}/openapi.json").json()["paths"]
    assert operations == sum(len(item) for item in paths.values())
    assert page.locator(".opblock-summary-operation-id", has_text="registerToken").count() == 1
    assert page.locator("h2.title").inner_text().startswith("Social Media Metrics API")
    assert page.evaluate("window.__violations") == []
    assert console_errors == []
    assert origins == {stack_url}


def test_docs_page_and_assets_carry_a_self_only_csp(stack_url: str) -> None:
    page = httpx.get(f"{stack_url}/docs")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CSP
    assert "default-src 'none'" in CSP
    assert "script-src 'self'" in CSP
    assert "<script>" not in page.text  # no inline script
    assert "https://" not in page.text  # no CDN
    bundle = httpx.get(f"{stack_url}/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"].startswith("application/javascript")
    assert httpx.get(f"{stack_url}/docs/assets/..%2Fcore.py").status_code == 404
    assert httpx.get(f"{stack_url}/docs/assets/swagger-editor.js").status_code == 404
