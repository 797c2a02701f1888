"""Migrate Lambda: runs the packaged Alembic migrations on deploy, and sets up the first admin.

Two callers:
- the CDK stack's custom resource (through the CDK Provider framework, which answers
  CloudFormation itself): Create/Update upgrade to head, Delete leaves the data alone, and an
  exception fails the deployment so CloudFormation rolls back;
- a direct invoke by the operator: ``{"action": "upgrade"}`` (default),
  ``{"action": "current"}``, ``{"action": "upgrade", "revision": "0002"}``,
  ``{"action": "admin_create", "name": "Ops", "email": "ops@example.com"}`` (the first admin;
  its API key goes to the secret ``ADMIN_KEY_SECRET_ID``, never into the reply or the logs) and
  ``{"action": "admin_rotate"}`` (a new key for that admin, the old one revoked).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from socialmetrics.config import get_settings
from socialmetrics.db import migrate
from socialmetrics.identity import first_admin
from socialmetrics.logging import logger
from socialmetrics.observability import capture_lambda_handler

PHYSICAL_ID = "socialmetrics-schema"
ACTIONS = ("upgrade", "current", "admin_create", "admin_rotate")


def _admin(action: str, event: dict[str, Any]) -> dict[str, Any]:
    secret_id = get_settings().admin_key_secret_id
    if action == "admin_create":
        receipt = first_admin.create_first_admin(
            str(event.get("name") or ""), str(event.get("email") or ""), secret_id
        )
    else:
        email = event.get("email")
        receipt = first_admin.rotate_admin_key(secret_id, str(email) if email else None)
    logger.info("first admin", extra={"action": action, "admin": receipt.as_dict()})
    return {"ok": True, "action": action, **receipt.as_dict()}


@logger.inject_lambda_context(correlation_id_path="RequestId", clear_state=True)
@capture_lambda_handler
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
    if action in ("admin_create", "admin_rotate"):
        return _admin(action, event)
    if action != "upgrade":
        raise ValueError(f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")
    migrate.upgrade(str(event.get("revision", "head")))
    revision = migrate.current()
    logger.info("migrations done", extra={"revision": revision})
    return {"ok": True, "action": action, "revision": revision}
