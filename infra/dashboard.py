"""The dashboard's hosting facts: a static single-page app, S3 + CloudFront on AWS (the CDK
``Dashboard`` construct, the SAM template), ``/dashboard/`` on the local gateway. Its paths,
and the headers and Content-Security-Policy every response carries, are listed once here."""

from __future__ import annotations

DASHBOARD_SOURCE_DIR = "dashboard"
DASHBOARD_BUILD_DIR = "dashboard/dist"
DASHBOARD_LOCAL_PATH = "/dashboard"  # where the local gateway serves it
DASHBOARD_CONFIG_FILE = "config.json"  # {"apiUrl": ...}, written at deploy time
# Headers every dashboard response carries (CloudFront's response headers policy, and the
# local gateway). The CSP allows only the dashboard's own files and calls to the API origin.
DASHBOARD_HSTS_SECONDS = 63_072_000
DASHBOARD_HEADERS = {
    "Strict-Transport-Security": f"max-age={DASHBOARD_HSTS_SECONDS}; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def dashboard_csp(api_origin: str) -> str:
    """The dashboard's Content-Security-Policy; ``api_origin`` is what ``connect-src`` allows
    besides ``'self'`` (empty when the API is on the same origin, as locally)."""
    connect = " ".join(part for part in ("'self'", api_origin) if part)
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src {connect}",
            "font-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        )
    )
