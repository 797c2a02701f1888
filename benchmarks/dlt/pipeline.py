"""The dlt side of the ``vs_dlt`` benchmark: a worker run with dlt's isolated interpreter
(``.local/bench-dlt-env/bin/python -m benchmarks.dlt.pipeline``, cwd = the repository).

It imports dlt once, prints ``{"ready": true}``, then reads one job per line on stdin and
answers one line on stdout per job, until stdin closes. A job names the X API base URL, the
accounts (``id`` and ``token``), the query parameters, the Postgres URL and a fresh dataset
(schema) name; the answer gives the seconds of ``pipeline.run`` (extract + normalize + load,
pipeline creation included; interpreter start and imports excluded) and the rows it loaded.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from typing import Any, TextIO

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # nothing leaves the machine

import dlt  # type: ignore[import-not-found]  # only in dlt's own environment
from dlt.sources.rest_api import rest_api_source  # type: ignore[import-not-found]

from benchmarks.dlt.config import PARENT, rest_api_config

TABLES = ("users", "tweets")


def run_job(job: dict[str, Any], pipelines_dir: str) -> dict[str, Any]:
    started = time.perf_counter()
    config = rest_api_config(
        job["base_url"],
        job["user_params"],
        job["timeline_params"],
        parallelized=bool(job.get("parallelized", True)),
    )
    # One page holding every account (rest_api's child resources iterate their parent's pages).
    accounts = dlt.resource([job["accounts"]], name=PARENT, selected=False)
    config["resources"].insert(0, accounts)
    pipeline = dlt.pipeline(
        pipeline_name=f"x_{job['dataset']}",
        pipelines_dir=pipelines_dir,
        destination=dlt.destinations.postgres(credentials=job["credentials"]),
        dataset_name=job["dataset"],
    )
    pipeline.run(rest_api_source(config, name="x"))
    seconds = time.perf_counter() - started
    rows: dict[str, int] = {}
    with pipeline.sql_client() as client:
        for table in TABLES:
            found = client.execute_sql(
                f"SELECT count(*) FROM {client.make_qualified_table_name(table)}"
            )
            rows[table] = int(found[0][0])
    return {"seconds": seconds, "rows": rows}


def serve(jobs: TextIO, answers: TextIO) -> None:
    pipelines_dir = tempfile.mkdtemp(prefix="bench-dlt-")
    try:
        answers.write(json.dumps({"ready": True, "dlt": dlt.__version__}) + "\n")
        answers.flush()
        for line in jobs:
            if not line.strip():
                continue
            try:
                answer = run_job(json.loads(line), pipelines_dir)
            except Exception as exc:  # reported to the benchmark, which fails the round
                traceback.print_exc()  # into the worker's log
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            answers.write(json.dumps(answer) + "\n")
            answers.flush()
    finally:
        shutil.rmtree(pipelines_dir, ignore_errors=True)


if __name__ == "__main__":
    answers = sys.stdout
    sys.stdout = sys.stderr  # anything dlt prints stays out of the answer channel
    serve(sys.stdin, answers)
