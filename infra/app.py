"""CDK entry point (``cdk.json``: ``python infra/app.py``): synthesises the stack offline.

No Docker and no network: the code asset is a staged copy of ``functions/`` and the layer is
``.local/build/layer`` when ``python -m infra.package`` built it, else an offline placeholder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script by the CDK CLI
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_RELEASE", "1")

import aws_cdk as cdk  # noqa: E402

from infra import package  # noqa: E402
from infra.stack import SocialMetricsStack, migrations_fingerprint  # noqa: E402

STACK_NAME = "SocialMetrics"


def build(
    app: cdk.App | None = None, root: Path = ROOT, staging: Path | None = None
) -> tuple[cdk.App, SocialMetricsStack]:
    """Build the stack; ``staging`` (tests) keeps the staged code/placeholder layer out of
    ``.local/build`` so concurrent synths do not share a directory."""
    app = app or cdk.App()
    if not package.layer_is_built(root):
        print(
            "note: dependency layer not built (python -m infra.package); "
            "synthesising with the offline placeholder layer",
            file=sys.stderr,
        )
    environment_name = app.node.try_get_context("environment") or "prod"
    stack = SocialMetricsStack(
        app,
        STACK_NAME,
        code_dir=package.stage_code(root, staging / "code" if staging else None),
        layer_dir=package.layer_dir(root, staging / "layer" if staging else None),
        migrations_hash=migrations_fingerprint(root),
        dashboard_dir=package.dashboard_dir(root, staging / "dashboard" if staging else None),
        environment_name=str(environment_name),
        description="Social Media Metrics API (socialmetrics)",
    )
    return app, stack


def main() -> None:
    app, _ = build()
    app.synth()


if __name__ == "__main__":
    main()
