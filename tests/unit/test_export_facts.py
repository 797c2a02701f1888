"""The export bucket's facts agree between the stack definition and the code that uses them."""

from __future__ import annotations

from infra import definition, exports
from socialmetrics.config import Settings
from socialmetrics.exports import storage


def test_objects_are_written_where_the_lifecycle_rule_and_the_grants_apply() -> None:
    assert storage.OBJECT_PREFIX == exports.EXPORT_OBJECT_PREFIX
    assert storage.object_key("exp_1").startswith(exports.EXPORT_OBJECT_PREFIX)
    assert exports.EXPORT_OBJECTS == exports.EXPORT_OBJECT_PREFIX + "*"


def test_jobs_are_kept_as_long_as_the_bucket_keeps_their_files() -> None:
    assert Settings.model_fields["export_retention_days"].default == exports.EXPORT_RETENTION_DAYS
    for function in definition.FUNCTIONS:
        env = definition.environment(function)
        uses_exports = function.reads_exports or function.writes_exports
        assert ("EXPORT_RETENTION_DAYS" in env) == uses_exports
        if uses_exports:
            assert env["EXPORT_RETENTION_DAYS"] == str(exports.EXPORT_RETENTION_DAYS)


def test_only_the_api_reads_exports_and_only_the_worker_writes_them() -> None:
    assert [f.key for f in definition.FUNCTIONS if f.reads_exports] == ["api"]
    assert [f.key for f in definition.FUNCTIONS if f.writes_exports] == ["export_worker"]
    assert definition.queue("exports").consumer == "export_worker"
    assert "exports" in definition.function("api").sends_to


def test_an_export_body_stays_under_lambdas_response_limit() -> None:
    lambda_limit = 6 * 1024 * 1024
    assert Settings.model_fields["export_direct_max_bytes"].default < lambda_limit
    bounded = [m for m in Settings.model_fields["export_direct_max_bytes"].metadata]
    assert any(getattr(m, "le", 0) and m.le < lambda_limit for m in bounded)
