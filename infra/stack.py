"""The CDK stack: composes one construct per concern (``infra/cdk_constructs``), all built from
``infra.definition``.

``Data`` (network, KMS key, secrets, RDS + proxy) → ``Queues`` (queues, DLQs, alarms) →
``Exports`` (the export bucket) → ``Dashboard`` (bucket + CloudFront; its origin is the API's
CORS origin) → ``Functions``
(functions, roles, SQS event sources, HTTP API, migrate-on-deploy) → ``Schedules``.

Logical ids: every resource under a concern construct gets the logical id it would have without
that construct in its path (``keep_flat_logical_ids``, via ``override_logical_id``), i.e. the id it
had before the stack was split: splitting renamed (and so replaced) no resource.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from infra.cdk_constructs.dashboard import Dashboard
from infra.cdk_constructs.data import Data
from infra.cdk_constructs.exports import Exports
from infra.cdk_constructs.functions import Functions
from infra.cdk_constructs.queues import Queues, Schedules

CONCERNS = ("Data", "Queues", "Exports", "Functions", "Dashboard", "Schedules")  # construct ids


def migrations_fingerprint(root: Path) -> str:
    """A hash of the migration scripts: the migrate custom resource re-runs when it changes."""
    digest = hashlib.sha256()
    versions = root / "shared" / "socialmetrics" / "db" / "migrations" / "versions"
    for path in sorted(versions.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class SocialMetricsStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_dir: Path,
        layer_dir: Path,
        migrations_hash: str,
        dashboard_dir: Path | None = None,
        environment_name: str = "prod",
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.data = Data(self, "Data")
        self.messaging = Queues(self, "Queues")
        self.exports = Exports(self, "Exports")
        self.dashboard = Dashboard(self, "Dashboard")
        self.compute = Functions(
            self,
            "Functions",
            data=self.data,
            queues=self.messaging,
            exports=self.exports,
            code_dir=code_dir,
            layer_dir=layer_dir,
            environment_name=environment_name,
            dashboard_origin=self.dashboard.origin,
        )
        self.functions = self.compute.functions
        self.queues = self.messaging.queues
        self.dead_letter_queues = self.messaging.dead_letter_queues
        if dashboard_dir is not None:
            self.dashboard.upload(dashboard_dir, self.compute.http_api.api_endpoint)
        Schedules(self, "Schedules", self.functions)
        self.compute.migrate_on_deploy(migrations_hash)
        cdk.CfnOutput(self, "ApiUrl", value=self.compute.http_api.api_endpoint)
        cdk.CfnOutput(self, "DashboardUrl", value=f"{self.dashboard.origin}/")
        cdk.CfnOutput(self, "ExportBucketName", value=self.exports.bucket.bucket_name)
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.messaging.alarm_topic.topic_arn)
        cdk.CfnOutput(self, "AppSecretArn", value=self.data.app_secret.secret_arn)
        cdk.CfnOutput(self, "AdminKeySecretArn", value=self.data.admin_key_secret.secret_arn)
        cdk.CfnOutput(self, "MigrateFunctionName", value=self.functions["migrate"].function_name)
        self.keep_flat_logical_ids()

    # --- logical ids: as if the concern constructs were not there ------------------------------
    def keep_flat_logical_ids(self) -> None:
        """Give each CloudFormation element under a concern its pre-split logical id."""
        old_ids = self._old_unique_ids()
        pattern = re.compile("|".join(re.escape(i) for i in sorted(old_ids, key=len, reverse=True)))
        for construct in self.node.find_all():
            path = construct.node.path.split("/")
            if not cdk.CfnElement.is_cfn_element(construct) or len(path) < 3:
                continue
            if path[1] not in CONCERNS:
                continue
            assert isinstance(construct, cdk.CfnElement)
            current = str(self.resolve(construct.logical_id))
            if current == _flat_id(path[1:]):  # allocated from its path: drop the concern
                # ids that embed another construct's unique id (an SQS event source names
                # its queue, a security group rule its peer) get that id as it was, too
                flat = [pattern.sub(lambda m: old_ids[m.group(0)], part) for part in path[2:]]
                construct.override_logical_id(_flat_id(flat))
            else:  # set by its library from a unique id (the RDS secret): that id as it was
                construct.override_logical_id(pattern.sub(lambda m: old_ids[m.group(0)], current))

    def _old_unique_ids(self) -> dict[str, str]:
        """``Names.unique_id`` of every construct under a concern → its pre-split unique id."""
        found: dict[str, str] = {}
        for construct in self.node.find_all():
            path = construct.node.path.split("/")
            if len(path) >= 3 and path[0] == self.node.id and path[1] in CONCERNS:
                found[cdk.Names.unique_id(construct)] = _flat_id([path[0], *path[2:]])
        return found


def _flat_id(components: list[str]) -> str:
    """CloudFormation logical id of a construct path, as CDK's ``makeUniqueId`` builds it:
    the path's alphanumerics (``Default``/``Resource`` hidden) + 8 hex digits of its MD5."""
    components = [c for c in components if c != "Default"]
    if len(components) == 1:
        return _alphanumeric(components[0])
    digest = hashlib.md5("/".join(components).encode(), usedforsecurity=False)
    human: list[str] = []
    for component in components:
        if not human or not human[-1].endswith(component):
            human.append(component)
    readable = "".join(_alphanumeric(c) for c in human if c != "Resource")[:240]
    return readable + digest.hexdigest()[:8].upper()


def _alphanumeric(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text)
