"""The stack's web process (paas/production/web.py): waitress serving the portal."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.gateway import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


def get(port: int, path: str, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    env = {
        **os.environ,
        "BERTH_DATA_DIR": str(tmp_path),
        "BERTH_BEHIND_PROXY": "true",
        "DJANGO_SETTINGS_MODULE": "paas.settings",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "paas.production.web", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(port, "/healthz", {"Host": "localhost"}) == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, "the web exited at start"
            assert time.monotonic() < deadline, "the web did not answer in 30 s"
            time.sleep(0.2)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_the_proxy_headers_reach_django_which_decides_whether_to_trust_them(web):
    _, port = web
    # BERTH_BEHIND_PROXY: Django takes the host from X-Forwarded-Host, and refuses one it
    # does not serve. Had the server dropped the header, the request would pass.
    assert get(port, "/healthz", {"Host": "localhost", "X-Forwarded-Host": "evil.example"}) == 400
    assert get(port, "/healthz", {"Host": "evil.example", "X-Forwarded-Host": "localhost"}) == 200


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
