"""The local gateway's dashboard files: index, config, redirect, headers, no escape from dist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra import definition
from local.runtime import dashboard


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<!doctype html><title>x</title>", encoding="utf-8")
    (tmp_path / "app.js").write_text("console.log(1)", encoding="utf-8")
    (tmp_path.parent / "secret.txt").write_text("outside", encoding="utf-8")
    return tmp_path


def test_only_get_and_head_under_the_prefix_are_dashboard_requests() -> None:
    assert dashboard.handles("GET", "/dashboard/")
    assert dashboard.handles("HEAD", "/dashboard/app.js")
    assert dashboard.handles("GET", "/dashboard")
    assert not dashboard.handles("POST", "/dashboard/")
    assert not dashboard.handles("GET", "/dashboards")
    assert not dashboard.handles("GET", "/metrics/")


def test_index_and_assets_carry_the_csp_and_security_headers(dist: Path) -> None:
    index = dashboard.serve("/dashboard/", dist)
    script = dashboard.serve("/dashboard/app.js", dist)
    assert index.status_code == 200
    assert index.media_type == "text/html; charset=utf-8"
    assert script.media_type == "text/javascript; charset=utf-8"
    for response in (index, script):
        assert response.headers["content-security-policy"] == definition.dashboard_csp("")
        for name, value in definition.DASHBOARD_HEADERS.items():
            assert response.headers[name] == value
    csp = definition.dashboard_csp("")
    assert "script-src 'self'" in csp
    assert "unsafe" not in csp
    assert "frame-ancestors 'none'" in csp


def test_config_points_the_dashboard_at_the_same_origin(dist: Path) -> None:
    response = dashboard.serve("/dashboard/config.json", dist)
    assert json.loads(bytes(response.body)) == {"apiUrl": ""}


def test_the_bare_prefix_redirects_to_the_folder(dist: Path) -> None:
    response = dashboard.serve("/dashboard", dist)
    assert response.status_code == 308
    assert response.headers["location"] == "/dashboard/"


@pytest.mark.parametrize("path", ["/dashboard/../secret.txt", "/dashboard/missing.js"])
def test_nothing_outside_the_build_is_served(dist: Path, path: str) -> None:
    response = dashboard.serve(path, dist)
    assert response.status_code == 404
    assert b"outside" not in bytes(response.body)


def test_an_unbuilt_dashboard_says_how_to_build_it(tmp_path: Path) -> None:
    response = dashboard.serve("/dashboard/", tmp_path / "nothing")
    assert response.status_code == 503
    assert b"make dashboard" in bytes(response.body)


def test_api_origin_is_the_only_other_connect_source() -> None:
    csp = definition.dashboard_csp("https://api.example.com")
    assert "connect-src 'self' https://api.example.com;" in csp
