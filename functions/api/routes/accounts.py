"""Admin operations on platform accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict

from functions.api.deps import MAX_ID, AdminActor, problem_responses, route
from socialmetrics.aws import client, queue_url
from socialmetrics.collection.planning import AccountNotCollectable, enqueue_now
from socialmetrics.compliance.audit import audit
from socialmetrics.db.engine import unit_of_work
from socialmetrics.errors import NotFound, ServiceUnavailable
from socialmetrics.platforms import FAMILY

router = APIRouter(tags=["accounts"])
AccountId = Annotated[int, Path(ge=1, le=MAX_ID)]


class CollectQueued(BaseModel):
    message: str
    account_id: int
    job_id: str
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "message": "Collection queued",
                    "account_id": 7,
                    "job_id": "manual-3f2a9c0d1b4e5f60",
                }
            ]
        }
    )


@route(
    router,
    "POST",
    "/accounts/{account_id}/collect",
    operation_id="collectAccountNow",
    summary="Collect one account now (admin): queues it for the collector",
    status_code=202,
    response_model=CollectQueued,
    responses=problem_responses(401, 403, 404),
)
def collect_now(account_id: AccountId, actor: AdminActor) -> CollectQueued:
    keys = sorted({f"collect-{family}" for family in FAMILY.values()})
    with unit_of_work() as session:
        try:
            urls = {key: queue_url(key) for key in keys}
            job_id = enqueue_now(session, client("sqs"), urls, account_id)
        except AccountNotCollectable:
            raise NotFound("No active account with this id.") from None
        except Exception as exc:
            raise ServiceUnavailable("The collection queue is unavailable.") from exc
        audit(
            session,
            actor,
            "account.collect_now",
            "account",
            account_id,
            request_id=actor.request_id,
            source_ip=actor.source_ip,
            detail={"job_id": job_id},
        )
    return CollectQueued(message="Collection queued", account_id=account_id, job_id=job_id)
