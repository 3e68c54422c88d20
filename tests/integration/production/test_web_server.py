"""The stack's web process (paas/production/web.py): waitress serving the portal."""

from __future__ import annotations

import http.client
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import running_web, status

pytestmark = pytest.mark.integration


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    with running_web(tmp_path, BERTH_BEHIND_PROXY="true") as (process, port):
        yield process, port


def test_the_proxy_headers_reach_django_which_decides_whether_to_trust_them(web):
    _, port = web
    # BERTH_BEHIND_PROXY: Django takes the host from X-Forwarded-Host, and refuses one it
    # does not serve. Had the server dropped the header, the request would pass.
    assert (
        status(port, "/healthz", {"Host": "localhost", "X-Forwarded-Host": "evil.example"}) == 400
    )
    assert (
        status(port, "/healthz", {"Host": "evil.example", "X-Forwarded-Host": "localhost"}) == 200
    )


def test_it_stops_cleanly_when_swarm_asks(web):
    process, _ = web
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0


def test_the_web_process_serves_the_api_schema(web):
    # The web loads its URLs with a stand-in for REST framework's test client
    # (paas/production/deferred.py); making the schema loads the real one.
    _, port = web
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/api/v1/schema/", headers={"Host": "localhost"})
        response = connection.getresponse()
        body = response.read().decode()
    finally:
        connection.close()
    assert response.status == 200
    assert body.startswith("openapi: 3")
    assert "/api/v1/apps/{name}/logs/:" in body
