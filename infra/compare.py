"""Prove the two emitters agree: ``python -m infra.compare`` (``make compare``).

``infra/sam/`` (template.yaml) and the CDK app (``infra/stack.py``) both express
``infra.definition``. This module reads each synthesised CloudFormation document into one
comparable model — per function (handler, runtime, architecture, memory, timeout, SnapStart,
environment, SQS event sources and the alias they invoke, IAM actions x resources), per queue
(visibility, maxReceiveCount, DLQ), per schedule, the KMS key policy, the secrets, the HTTP
routes (and the alias they invoke) and the stage throttles — and lists every difference.
SAM's ``AWS::Serverless::Function`` shorthand (``Events``, inline role policies,
``AutoPublishAlias``) and CDK's expanded form (``AWS::Lambda::EventSourceMapping``,
``AWS::IAM::Policy``, ``AWS::Lambda::Alias``, ``AWS::ApiGatewayV2::Route`` → ``Integration``)
normalise to the same model. Resources are named by what they are
(``function:socialmetrics-api``, ``queue:socialmetrics-events``, or the logical id without
CDK's hash), never by logical id, so nothing here lists the definition's functions or queues:
a function or queue added to the definition is compared like the others.

A difference is accepted only when ``DELIBERATE`` lists it with its reason; anything else is a
drift that ``tests/infra/test_emitters_agree.py`` fails on.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

Document = dict[str, Any]
Model = dict[str, dict[str, dict[str, Any]]]  # section → subject → field → value

# Types whose resources are named by a property (the physical name both emitters set).
_NAMED_BY = {
    "AWS::Lambda::Function": ("function", "FunctionName"),
    "AWS::Serverless::Function": ("function", "FunctionName"),
    "AWS::SQS::Queue": ("queue", "QueueName"),
    "AWS::Logs::LogGroup": ("log-group", "LogGroupName"),
    "AWS::SecretsManager::Secret": ("secret", "Name"),
    "AWS::Scheduler::Schedule": ("schedule", "Name"),
}
_CDK_HASH = re.compile(r"[0-9A-F]{8}$")
_SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9]+)((?:\.[A-Za-z0-9]+)*)\}")
_COUNTED = ("functions", "queues", "schedules", "routes", "keys", "secrets")
_FUNCTION_TYPES = ("AWS::Lambda::Function", "AWS::Serverless::Function")
LATEST = "$LATEST"  # what an event source or route invokes when it names no alias


@dataclass(frozen=True)
class Deliberate:
    """A known difference: ``section/subject/field`` (globs) and the item, on one side."""

    section: str
    subject: str
    field: str
    item: str  # glob over the differing item (a set member) or "*" for a whole value
    only_in: str  # "sam", "cdk" or "*" (either side)
    reason: str


# The one list of differences the two emitters are allowed to have, each with its reason.
DELIBERATE: tuple[Deliberate, ...] = (
    Deliberate(
        "functions",
        "CustomCDKBucketDeployment*",
        "*",
        "*",
        "cdk",
        "the BucketDeployment's own Lambda (CDK library code; see DashboardDeployment below)",
    ),
    Deliberate(
        "functions",
        "MigrateProviderframeworkonEvent",
        "*",
        "*",
        "cdk",
        "the CDK Provider framework's Lambda that calls migrate (see the DatabaseMigration entry)",
    ),
    Deliberate(
        "functions",
        "*",
        "environment",
        "ENVIRONMENT=*",
        "*",
        "CDK writes the context value (--context environment=...); SAM refers to its "
        "Environment parameter",
    ),
    Deliberate(
        "resources",
        "stack",
        "custom",
        "DashboardDeployment*",
        "cdk",
        "CDK uploads dashboard/dist + config.json with a BucketDeployment; SAM would need a "
        "custom resource with its own code, so the operator uploads after `sam deploy` "
        "(docs/deployment.md, Dashboard)",
    ),
    Deliberate(
        "resources",
        "stack",
        "custom",
        "DatabaseMigration",
        "cdk",
        "CDK runs the migrations on deploy (custom resource served by the migrate function); "
        "SAM has no migration hook: invoke migrate after `sam deploy` (docs/deployment.md)",
    ),
    Deliberate(
        "functions",
        "*",
        "iam",
        "xray:*",
        "cdk",
        "X-Ray: CDK's Tracing.ACTIVE adds xray:PutTraceSegments/PutTelemetryRecords inline; "
        "SAM attaches the AWSXrayWriteOnlyAccess managed policy (same writes)",
    ),
    Deliberate(
        "functions",
        "*",
        "managed-policies",
        "*AWSXrayWriteOnlyAccess",
        "sam",
        "X-Ray: the SAM side of the inline xray statement CDK's Tracing.ACTIVE adds",
    ),
)


# --- reading a document ----------------------------------------------------------------------
def label(document: Document, logical_id: str) -> str:
    """What a resource is, independent of the emitter's logical id."""
    resource = document["Resources"].get(logical_id)
    if resource is None:  # a parameter or a pseudo parameter (AWS::Region)
        return logical_id
    kind = resource["Type"]
    if kind in _NAMED_BY:
        prefix, prop = _NAMED_BY[kind]
        name = resource.get("Properties", {}).get(prop)
        if isinstance(name, str):
            return f"{prefix}:{name}"
    return _CDK_HASH.sub("", logical_id) if len(logical_id) > 8 else logical_id


def render(document: Document, value: Any) -> Any:
    """Intrinsic functions as one string form: ``${label}`` / ``${label.Attribute}``."""
    if isinstance(value, list):
        return [render(document, item) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return f"${{{label(document, value['Ref'])}}}"
    if set(value) == {"Fn::GetAtt"}:
        target, attribute = value["Fn::GetAtt"]
        return f"${{{label(document, target)}.{attribute}}}"
    if set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(str(render(document, part)) for part in parts)
    if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        return _SUB_VARIABLE.sub(
            lambda m: f"${{{label(document, m.group(1))}{m.group(2)}}}", value["Fn::Sub"]
        )
    return {key: render(document, item) for key, item in value.items()}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants(document: Document, statements: list[dict[str, Any]]) -> set[str]:
    """``action resource`` pairs; ``X:*`` is dropped where ``X`` is granted too (a log group's
    ``Arn`` already ends in ``:*``; a function's versions are not invoked here)."""
    pairs: set[str] = set()
    for statement in statements:
        if statement.get("Effect", "Allow") != "Allow":
            continue
        resources = [str(render(document, r)) for r in _listed(statement["Resource"])]
        resources = [r for r in resources if not (r.endswith(":*") and r[:-2] in resources)]
        pairs.update(
            f"{action} {resource}"
            for action in _listed(statement["Action"])
            for resource in resources
        )
    return pairs


def _role_statements(document: Document, role_id: str) -> list[dict[str, Any]]:
    resources = document["Resources"]
    statements: list[dict[str, Any]] = []
    for policy in resources[role_id].get("Properties", {}).get("Policies", []):
        statements.extend(policy["PolicyDocument"]["Statement"])
    for body in resources.values():
        if body["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in body["Properties"]["Roles"]:
            statements.extend(body["Properties"]["PolicyDocument"]["Statement"])
    return statements


def _function_ids(document: Document) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, body in document["Resources"].items():
        if body["Type"] in _FUNCTION_TYPES:
            yield logical_id, body["Properties"]


def _queue_source(
    document: Document, properties: dict[str, Any], arn: Any, via: str
) -> dict[str, Any]:
    return {
        "queue": render(document, arn),
        "via": via,
        "batch_size": properties.get("BatchSize", 10),
        "partial_batch": "ReportBatchItemFailures" in properties.get("FunctionResponseTypes", []),
        "max_concurrency": properties.get("ScalingConfig", {}).get("MaximumConcurrency"),
        "batching_window": properties.get("MaximumBatchingWindowInSeconds", 0),
    }


def model(document: Document) -> Model:
    """The comparable model of one synthesised template (SAM or CDK)."""
    resources = document["Resources"]
    result: Model = {
        "functions": {},
        "queues": {},
        "schedules": {},
        "routes": {},
        "keys": {},
        "secrets": {},
        "api": {},
        "resources": {"stack": {"custom": set()}},
    }
    # CDK: an alias is a resource; what points at it (``${ApiAlias}``) invokes the function
    # (``${function:socialmetrics-api}``) through the alias's name.
    alias_targets = {
        f"${{{label(document, logical_id)}}}": (
            str(render(document, body["Properties"]["FunctionName"])),
            body["Properties"]["Name"],
        )
        for logical_id, body in resources.items()
        if body["Type"] == "AWS::Lambda::Alias"
    }
    sources: dict[str, list[dict[str, Any]]] = {}
    for body in resources.values():  # CDK: event source mappings are resources
        if body["Type"] == "AWS::Lambda::EventSourceMapping":
            props = body["Properties"]
            target, via = _invoked(document, props["FunctionName"], alias_targets)
            sources.setdefault(target, []).append(
                _queue_source(document, props, props["EventSourceArn"], via)
            )
    for logical_id, props in _function_ids(document):
        name = label(document, logical_id)
        role_id = props["Role"]["Fn::GetAtt"][0] if isinstance(props.get("Role"), dict) else None
        role = resources[role_id]["Properties"] if role_id else {}
        events = props.get("Events", {})
        via = props.get("AutoPublishAlias", LATEST)  # SAM: the function's events use its alias
        queue_sources = sources.get(f"${{{name}}}", []) + [
            _queue_source(document, e["Properties"], e["Properties"]["Queue"], via)
            for e in events.values()
            if e["Type"] == "SQS"
        ]
        variables = props.get("Environment", {}).get("Variables", {})
        result["functions"][name] = {
            "handler": props.get("Handler"),
            "runtime": props.get("Runtime"),
            "architectures": props.get("Architectures", ["x86_64"]),
            "memory": props.get("MemorySize", 128),
            "timeout": props.get("Timeout", 3),
            "tracing": props.get("Tracing") or props.get("TracingConfig", {}).get("Mode"),
            "in_vpc": "VpcConfig" in props,
            "snap_start": props.get("SnapStart", {}).get("ApplyOn", "None"),
            "environment": {
                f"{key}={value if isinstance(value, str) else '<computed>'}"
                for key, value in variables.items()
            },
            "queues": sorted(queue_sources, key=lambda s: str(s["queue"])),
            "iam": _grants(document, _role_statements(document, role_id)) if role_id else set(),
            "managed-policies": {
                str(render(document, arn)) for arn in role.get("ManagedPolicyArns", [])
            },
        }
        for event in events.values():  # SAM: routes and schedules hang off the function
            event_props = event["Properties"]
            if event["Type"] == "HttpApi":
                route = f"{event_props['Method'].upper()} {event_props['Path']}"
                result["routes"][route] = {"function": name, "via": via}
            elif event["Type"] == "ScheduleV2":
                result["schedules"][f"schedule:{event_props['Name']}"] = _schedule(
                    document, event_props, f"${{{name}.Arn}}"
                )
    for logical_id, body in resources.items():
        kind, props = body["Type"], body.get("Properties", {})
        name = label(document, logical_id)
        if kind == "AWS::SQS::Queue":
            redrive = props.get("RedrivePolicy", {})
            result["queues"][name] = {
                "visibility": props.get("VisibilityTimeout", 30),
                "retention": props.get("MessageRetentionPeriod", 345600),
                "encrypted": props.get("SqsManagedSseEnabled", False),
                "max_receive_count": redrive.get("maxReceiveCount"),
                "dead_letter_queue": render(document, redrive.get("deadLetterTargetArn")),
            }
        elif kind == "AWS::Scheduler::Schedule":
            target = props["Target"]
            result["schedules"][name] = _schedule(
                document,
                {**props, "Input": target.get("Input"), "RetryPolicy": target.get("RetryPolicy")},
                render(document, target["Arn"]),
            )
        elif kind == "AWS::ApiGatewayV2::Route":
            integration_id = render(document, props["Target"]).split("${", 1)[1].rstrip("}")
            integration = resources[_logical_id(document, integration_id)]["Properties"]
            function, route_via = _invoked(document, integration["IntegrationUri"], alias_targets)
            if route_via == LATEST:  # the function's ARN: ``${function:name.Arn}``
                function = "${" + function[2:].rsplit(".", 1)[0] + "}"
            result["routes"][props["RouteKey"]] = {"function": function[2:-1], "via": route_via}
        elif kind in ("AWS::ApiGatewayV2::Stage", "AWS::Serverless::HttpApi"):
            result["api"]["throttles"] = _throttles(props.get("DefaultRouteSettings", {}))
        elif kind == "AWS::KMS::Key":
            aliases = sorted(
                b["Properties"]["AliasName"]
                for b in resources.values()
                if b["Type"] == "AWS::KMS::Alias"
                and render(document, b["Properties"]["TargetKeyId"])
                in (f"${{{name}}}", f"${{{name}.Arn}}")
            )
            result["keys"][name] = {
                "aliases": aliases,
                "rotation": props.get("EnableKeyRotation", False),
                "policy": sorted(
                    json.dumps(
                        {k: render(document, v) for k, v in s.items() if k != "Sid"},
                        sort_keys=True,
                    )
                    for s in props["KeyPolicy"]["Statement"]
                ),
            }
        elif kind == "AWS::SecretsManager::Secret" and "Name" in props:
            generate = props.get("GenerateSecretString", {})
            template = generate.get("SecretStringTemplate")
            result["secrets"][name] = {
                "template_keys": sorted(json.loads(template)) if template else [],
                "generated_key": generate.get("GenerateStringKey"),
                "length": generate.get("PasswordLength"),
                "fixed_value": "SecretString" in props,
            }
        elif kind.startswith("Custom::"):
            result["resources"]["stack"]["custom"].add(name)
    return result


def _invoked(
    document: Document, value: Any, alias_targets: dict[str, tuple[str, str]]
) -> tuple[str, str]:
    """The function (``${function:name}``) a reference invokes, and through which alias: CDK
    names an alias by its ARN (``Ref``) or by ``name:alias`` built from it."""
    rendered = json.dumps(render(document, value)) if isinstance(value, dict) else str(value)
    for reference, target in alias_targets.items():
        if reference in rendered:
            return target
    return str(render(document, value)), LATEST


def _logical_id(document: Document, wanted_label: str) -> str:
    for logical_id in document["Resources"]:
        if label(document, logical_id) == wanted_label:
            return str(logical_id)
    raise KeyError(wanted_label)


def _schedule(document: Document, props: dict[str, Any], target: Any) -> dict[str, Any]:
    payload = render(document, props.get("Input"))
    return {
        "expression": props["ScheduleExpression"],
        "timezone": props.get("ScheduleExpressionTimezone"),
        "target": target,
        "input": json.loads(payload) if isinstance(payload, str) else payload,
        "retry": props.get("RetryPolicy"),
    }


def _throttles(settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "burst": settings.get("ThrottlingBurstLimit"),
        "rate": settings.get("ThrottlingRateLimit"),
    }


# --- comparing ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Difference:
    section: str
    subject: str
    field: str
    item: str
    only_in: str  # "sam", "cdk" or "both" (a value that differs)
    detail: str = ""

    def __str__(self) -> str:
        where = f"{self.section} {self.subject} {self.field}"
        if self.only_in == "both":
            return f"{where}: {self.detail}"
        return f"{where}: {self.item} (only in {self.only_in.upper()})"


def differences(sam: Model, cdk: Model) -> list[Difference]:
    found: list[Difference] = []
    for section in sorted(set(sam) | set(cdk)):
        left, right = sam.get(section, {}), cdk.get(section, {})
        for subject in sorted(set(left) | set(right)):
            if subject not in right:
                found.append(Difference(section, subject, "*", subject, "sam"))
                continue
            if subject not in left:
                found.append(Difference(section, subject, "*", subject, "cdk"))
                continue
            for field in sorted(set(left[subject]) | set(right[subject])):
                a, b = left[subject].get(field), right[subject].get(field)
                if isinstance(a, set) and isinstance(b, set):
                    found.extend(
                        Difference(section, subject, field, item, "sam") for item in sorted(a - b)
                    )
                    found.extend(
                        Difference(section, subject, field, item, "cdk") for item in sorted(b - a)
                    )
                elif a != b:
                    detail = f"SAM {json.dumps(a, default=sorted)} != "
                    detail += f"CDK {json.dumps(b, default=sorted)}"
                    found.append(Difference(section, subject, field, "*", "both", detail))
    return found


def deliberate(difference: Difference) -> Deliberate | None:
    """The ``DELIBERATE`` entry that explains ``difference``; None: an unexplained drift."""
    for known in DELIBERATE:
        if (
            fnmatchcase(difference.only_in, known.only_in)
            and fnmatchcase(difference.section, known.section)
            and fnmatchcase(difference.subject, known.subject)
            and fnmatchcase(difference.field, known.field)
            and fnmatchcase(difference.item, known.item)
        ):
            return known
    return None


# --- synthesising both -------------------------------------------------------------------------
def sam_document() -> Document:
    from infra import sam

    return sam.template()


def cdk_document(root: Path, outdir: Path) -> Document:
    import os

    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_RELEASE", "1")
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from infra.app import build

    _app, stack = build(cdk.App(outdir=str(outdir / "cdk.out")), root, outdir / "staging")
    return dict(Template.from_stack(stack).to_json())


def report(sam: Model, cdk: Model) -> tuple[list[str], int]:
    """Lines to print and the number of unexplained differences."""
    lines = [
        "SAM (infra/sam/) vs CDK (infra/stack.py): "
        + ", ".join(f"{len(sam[section])} {section}" for section in _COUNTED)
    ]
    drift = 0
    used: list[Deliberate] = []
    for difference in differences(sam, cdk):
        known = deliberate(difference)
        if known is None:
            drift += 1
            lines.append(f"  DRIFT  {difference}")
            continue
        if known not in used:
            used.append(known)
        lines.append(f"  [{used.index(known) + 1}]    {difference}")
    lines.extend(f"[{index}] deliberate: {known.reason}" for index, known in enumerate(used, 1))
    lines.append(
        "the emitters agree (differences above are deliberate)"
        if drift == 0
        else f"{drift} unexplained difference(s): fix the emitter or list it in DELIBERATE"
    )
    return lines, drift


def main() -> int:
    import tempfile

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="compare-") as tmp:
        lines, drift = report(model(sam_document()), model(cdk_document(root, Path(tmp))))
    print("\n".join(lines))
    return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main())
