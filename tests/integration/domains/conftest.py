"""A deployed-looking app on the real gateway, Pebble, and an HTTPS client that sends SNI."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from apps.models import App, Deployment, Source, Status
from paas import naming
from tests.support import pebble as pebble_support
from tests.support.gateway import wait_tasks_running, web_service


@pytest.fixture
def routed_app(gateway: Any, engine: Any, images: Any, namespace: str, people: Any) -> App:
    """The app ``shop`` as a healthy deployment leaves it: a row and its running service.

    The deploy pipeline itself is the apps' tests' business; here the service
    is made directly so the domain tests spend their time on the gateway.
    """
    app = App.objects.create(team=people.team, name="shop", container_port=80)
    deployment = Deployment.objects.create(
        app=app,
        number=1,
        source=Source.IMAGE,
        image=images.web,
        status=Status.HEALTHY,
        config={"container_port": 80},
    )
    app.current_deployment = deployment
    app.current_image = images.web
    app.save(update_fields=["current_deployment", "current_image"])
    service = web_service(
        engine,
        name=naming.app_service(app.name),
        image=images.web,
        network=gateway.network,
        namespace=namespace,
        env={"MESSAGE": "hello from shop"},
    )
    wait_tasks_running(service, 1)
    return app


@pytest.fixture
def pebble(gateway: Any, tmp_path: Path, settings: Any) -> Iterator[pebble_support.Pebble]:
    """Pebble validating on the gateway's HTTP port; Berth's ACME settings point at it."""
    with pebble_support.running(tmp_path / "pebble", http_port=gateway.http_port) as server:
        settings.BERTH_ACME_DIRECTORY = server.directory
        settings.BERTH_ACME_CA_BUNDLE = server.ca_bundle
        settings.BERTH_ACME_EMAIL = "ops@example.test"
        yield server


@dataclass(frozen=True)
class SecureReply:
    status: int
    body: str
    headers: dict[str, str]
    # The certificate the gateway presented (DER).
    certificate: bytes


def https_get(
    port: int,
    host: str,
    path: str = "/",
    *,
    cadata: str | None = None,
    headers: dict[str, str] | None = None,
) -> SecureReply:
    """GET over TLS to 127.0.0.1:``port`` with SNI and Host ``host``, verifying against ``cadata``."""
    context = ssl.create_default_context(cadata=cadata) if cadata else ssl.create_default_context()
    if cadata is None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    secure = context.wrap_socket(raw, server_hostname=host)
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.sock = secure
    try:
        connection.request("GET", path, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        return SecureReply(
            response.status,
            body,
            {k.lower(): v for k, v in response.getheaders()},
            secure.getpeercert(binary_form=True) or b"",
        )
    finally:
        connection.close()


def eventually(check: Callable[[], Any], *, timeout: float = 30, what: str = "") -> Any:
    """Call ``check`` until it returns a truthy value without raising; the last error otherwise."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (AssertionError, OSError, ssl.SSLError, http.client.HTTPException) as exc:
            last = exc
        time.sleep(0.25)
    raise AssertionError(f"{what or check} did not happen in {timeout:.0f} s: {last!r}")
