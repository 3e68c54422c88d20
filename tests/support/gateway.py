"""A running Berth gateway for tests, and a small HTTP client that talks to it."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel picks, so parallel runs differ)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("0.0.0.0", 0))  # noqa: S104 - a probe for a free port
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    def fact(self, key: str) -> str | None:
        """A ``key=value`` line of the test web app's /cgi-bin/info page."""
        for line in self.body.splitlines():
            if line.startswith(f"{key}="):
                return line.split("=", 1)[1]
        return None


@dataclass(frozen=True)
class Gateway:
    """The namespace's gateway, published on 127.0.0.1:``http_port``."""

    namespace: str
    http_port: int
    https_port: int
    network: str
    folder: str

    @property
    def folder_path(self) -> Path:
        return Path(self.folder)

    def get(self, host: str, path: str = "/", *, timeout: float = 10.0) -> Reply:
        """GET ``path`` through the gateway with ``Host: host``."""
        return self.request("GET", host, path, timeout=timeout)

    def request(
        self,
        method: str,
        host: str,
        path: str = "/",
        body: bytes | None = None,
        *,
        timeout: float = 10.0,
    ) -> Reply:
        """``method`` ``path`` through the gateway with ``Host: host``."""
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)
        try:
            conn.request(method, path, body, headers={"Host": host, "Connection": "close"})
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            return Reply(response.status, text, {k.lower(): v for k, v in response.getheaders()})
        finally:
            conn.close()

    def wait_for(
        self,
        host: str,
        path: str = "/",
        *,
        until: Callable[[Reply], bool] = lambda reply: reply.status == 200,
        timeout: float = 30.0,
    ) -> Reply:
        """Poll until ``until(reply)`` holds (DNS of new tasks takes a moment); the last reply."""
        deadline = time.monotonic() + timeout
        last: Reply | None = None
        while True:
            try:
                last = self.get(host, path, timeout=5)
                if until(last):
                    return last
            except OSError as exc:
                last = Reply(0, f"connection failed: {exc}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{host}{path} did not reach the expected state in {timeout:.0f} s; "
                    f"last reply: {last.status} {last.body[:300]!r}"
                )
            time.sleep(0.2)


def web_service(
    engine: Any,
    *,
    name: str,
    image: str,
    network: str,
    namespace: str,
    replicas: int = 1,
    env: dict[str, str] | None = None,
    command: list[str] | None = None,
) -> Any:
    """The busybox test app as a swarm service the gateway can reach (dnsrr, on ``network``)."""
    import docker.types

    labels = {"berth.namespace": namespace, "berth.kind": "test-app"}
    return engine.services.create(
        image,
        command,
        name=name,
        env=[f"{k}={v}" for k, v in (env or {}).items()],
        networks=[network],
        endpoint_spec=docker.types.EndpointSpec(mode="dnsrr"),
        mode=docker.types.ServiceMode("replicated", replicas=replicas),
        labels=labels,
        container_labels=labels,
        # busybox httpd as PID 1 ignores SIGTERM; do not wait 10 s for it.
        stop_grace_period=1_000_000_000,
    )


# The test app's command with one more CGI script, /cgi-bin/env, that prints the
# request as CGI sees it (every header arrives as HTTP_<NAME>).
ENV_APP = [
    "sh",
    "-c",
    "mkdir -p /tmp && cp -r /www /w && printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\nenv\\n'"
    " > /w/cgi-bin/env && chmod +x /w/cgi-bin/env && exec httpd -f -p 80 -h /w",
]


def wait_tasks_running(
    service: Any,
    count: int,
    *,
    timeout: float = 60.0,
    until: Callable[[dict[str, Any]], bool] = lambda task: True,
) -> None:
    """Wait for ``count`` running tasks (that ``until`` accepts, e.g. of a new spec)."""
    deadline = time.monotonic() + timeout
    while True:
        tasks = service.tasks(filters={"desired-state": "running"})
        running = [t for t in tasks if t["Status"]["State"] == "running" and until(t)]
        if len(running) >= count:
            return
        if time.monotonic() > deadline:
            states = [t["Status"].get("Err") or t["Status"]["State"] for t in tasks]
            raise AssertionError(f"{count} task(s) not running after {timeout:.0f} s: {states}")
        time.sleep(0.2)


def task_addresses(service: str, network: str) -> tuple[str, ...]:
    """The service's running task addresses on ``network``, as Berth reads them."""
    from apps.engine import running_addresses

    return next(iter(running_addresses(network, service).values()), ())


def wait_listening(engine: Any, service: Any, port: int, *, timeout: float = 30.0) -> None:
    """Wait until the service's task accepts connections on ``port`` (a running task's
    process may not listen yet), reached from the host on its docker_gwbridge address."""
    deadline = time.monotonic() + timeout
    while True:
        # The low-level list: a container may vanish between listing and inspecting.
        ids = [
            c["Id"]
            for c in engine.api.containers(
                filters={"label": f"com.docker.swarm.service.name={service.name}"}
            )
        ]
        bridge = engine.networks.get("docker_gwbridge").attrs.get("Containers") or {}
        address = next((bridge[i]["IPv4Address"].split("/")[0] for i in ids if i in bridge), None)
        if address is not None:
            try:
                socket.create_connection((address, port), timeout=1).close()
                return
            except OSError:
                pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{service.name} does not accept connections on {port}")
        time.sleep(0.2)
