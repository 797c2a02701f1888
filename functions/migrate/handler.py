"""Migrate Lambda: runs the packaged Alembic migrations on deploy.

Two callers:
- the CDK stack's custom resource (through the CDK Provider framework, which answers
  CloudFormation itself): Create/Update upgrade to head, Delete leaves the data alone, and an
  exception fails the deployment so CloudFormation rolls back;
- a direct invoke after ``sam deploy``: ``{"action": "upgrade"}`` (default),
  ``{"action": "current"}`` or ``{"action": "upgrade", "revision": "0002"}``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from socialmetrics.db import migrate
from socialmetrics.logging import logger

PHYSICAL_ID = "socialmetrics-schema"


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request_type = event.get("RequestType")
    if request_type is not None:  # CloudFormation custom resource via the Provider framework
        if request_type != "Delete":
            migrate.upgrade("head")
        revision = migrate.current() if request_type != "Delete" else None
        logger.info("custom resource handled", extra={"type": request_type, "rev": revision})
        return {"PhysicalResourceId": PHYSICAL_ID, "Data": {"Revision": revision or ""}}
    action = event.get("action", "upgrade")
    if action == "current":
        return {"ok": True, "action": action, "revision": migrate.current()}
    if action != "upgrade":
        raise ValueError(f"unknown action {action!r}: use 'upgrade' or 'current'")
    migrate.upgrade(str(event.get("revision", "head")))
    revision = migrate.current()
    logger.info("migrations done", extra={"revision": revision})
    return {"ok": True, "action": action, "revision": revision}
