"""Admin routes need the per-start token that only local processes can read (docs/security.md)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import requests


def _token(cloud) -> str:
    return (Path(cloud.state_dir) / "admin-token").read_text().strip()


def test_the_token_file_is_readable_by_its_owner_only(cloud):
    mode = stat.S_IMODE(os.stat(Path(cloud.state_dir) / "admin-token").st_mode)
    assert mode == 0o600


def test_a_simple_cross_site_post_cannot_reset_or_stop_the_cloud(aws, cloud, s3_bucket):
    for route in ("/_sandbox/reset", "/_sandbox/shutdown", "/moto-api/reset"):
        response = requests.post(cloud.endpoint + route, data="x", headers={"Content-Type": "text/plain"}, timeout=10)
        assert response.status_code in (401, 403, 404), route
        foreign = requests.post(cloud.endpoint + route, data="x", timeout=10,
                                headers={"Content-Type": "text/plain", "Origin": "http://evil.example",
                                         "X-Sandbox-Token": _token(cloud)})
        assert foreign.status_code == 403, route
    # nothing was wiped, and the cloud still answers
    assert s3_bucket in [b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]]


def test_moto_state_dump_and_reset_are_not_served(cloud):
    for method, route in (("GET", "/moto-api/data.json"), ("POST", "/moto-api/reset"), ("GET", "/moto-api/")):
        for headers in ({}, {"X-Sandbox-Token": _token(cloud)}):
            response = requests.request(method, cloud.endpoint + route, headers=headers, timeout=10)
            assert response.status_code == 404, (method, route)


def test_health_details_need_the_token(cloud):
    bare = requests.get(cloud.endpoint + "/_sandbox/health", timeout=10).json()
    assert bare == {"status": "running"}
    full = requests.get(cloud.endpoint + "/_sandbox/health", headers={"X-Sandbox-Token": _token(cloud)},
                        timeout=10).json()
    assert full["state_dir"] == str(cloud.state_dir)
    wrong = requests.get(cloud.endpoint + "/_sandbox/health", headers={"X-Sandbox-Token": "guess"}, timeout=10)
    assert wrong.status_code == 401
