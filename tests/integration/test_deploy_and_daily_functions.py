"""The migrate and maintenance Lambdas, invoked with their real event shapes."""

from __future__ import annotations

from typing import Any

import pytest

from functions.maintenance.handler import handler as maintenance
from functions.migrate.handler import handler as migrate_handler
from socialmetrics.db import migrate

CUSTOM_RESOURCE = {
    "RequestType": "Create",
    "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
    "ResponseURL": "...",
    "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/socialmetrics/1",
    "RequestId": "4b7e1c1e-0000-4000-8000-000000000000",
    "LogicalResourceId": "DatabaseMigration",
    "ResourceType": "Custom::DatabaseMigration",
    "ResourceProperties": {"MigrationsHash": "abc"},
}


def test_custom_resource_create_upgrades_and_reports_the_revision(
    db: str, lambda_context: Any
) -> None:
    reply = migrate_handler(CUSTOM_RESOURCE, lambda_context)
    assert reply == {
        "PhysicalResourceId": "socialmetrics-schema",
        "Data": {"Revision": migrate.current()},
    }


def test_custom_resource_delete_keeps_the_schema(db: str, lambda_context: Any) -> None:
    reply = migrate_handler({**CUSTOM_RESOURCE, "RequestType": "Delete"}, lambda_context)
    assert reply["Data"] == {"Revision": ""}
    assert migrate.current() is not None


def test_direct_invoke_reports_current_and_rejects_unknown_actions(
    db: str, lambda_context: Any
) -> None:
    assert migrate_handler({"action": "current"}, lambda_context)["revision"] == migrate.current()
    assert migrate_handler({}, lambda_context)["ok"] is True
    with pytest.raises(ValueError, match="unknown action"):
        migrate_handler({"action": "drop-everything"}, lambda_context)


def test_daily_maintenance_runs_every_step(db: str, lambda_context: Any) -> None:
    event = {
        "version": "0",
        "id": "d6f9a6c2-1111-4222-8333-444455556666",
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": "123456789012",
        "time": "2026-11-28T03:15:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/maintenance"],
        "detail": "{}",
    }
    reply = maintenance(event, lambda_context)
    assert reply["failed"] == []
    assert [step["name"] for step in reply["steps"]] == [
        "create_partitions",
        "drop_expired_metrics",
        "refresh_expiring_tokens",
        "warn_expiring_tokens",
        "finish_pending_erasures",
        "prune_webhook_events",
        "prune_audit_log",
        "prune_collection_runs",
        "prune_signal_events",
        "prune_export_jobs",
    ]
