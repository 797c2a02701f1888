"""Synthesise the CDK stack once per session (≈12 s of CPU) and share it between the infra tests."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


class Synth:
    def __init__(self, template: Any, document: dict[str, Any], path: Path) -> None:
        self.template = template  # aws_cdk.assertions.Template
        self.document = document  # the CloudFormation template as a dict
        self.path = path  # the template on disk (for cfn-lint)

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {
            name: body for name, body in self.document["Resources"].items() if body["Type"] == kind
        }


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_RELEASE", "1")
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from infra.app import build

    outdir = tmp_path_factory.mktemp("cdk.out")
    staging = tmp_path_factory.mktemp("staging")
    _app, stack = build(cdk.App(outdir=str(outdir)), ROOT, staging)
    template = Template.from_stack(stack)
    document: dict[str, Any] = dict(template.to_json())
    path = outdir / "SocialMetrics.template.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return Synth(template, document, path)
