"""Berth's own stack on the real swarm: the portal image (built once per session from
this checkout on a base made from Debian packages), installs in test namespaces on
free ports, and a small HTTP client that talks to a portal through its gateway."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.gateway import free_port
from tests.support.services import unavailable
from tests.support.swarm import remove_namespace

BASE_IMAGE = os.environ.get("BERTH_TEST_BASE_IMAGE", "berth-test/python:bookworm")
REDIS_IMAGE = os.environ.get("BERTH_TEST_REDIS_IMAGE", "berth-test/redis:1")
PORTAL_REPOSITORY = "berth-test/portal"
ROOT_DOMAIN = "prod.test"


@pytest.fixture(scope="session")
def portal_image(engine: Any, images: Any) -> str:
    """The portal image of this checkout, on the Debian-made base (skipped when it exists)."""
    for needed, how in ((BASE_IMAGE, "debootstrap"), (REDIS_IMAGE, "redis-server")):
        try:
            engine.images.get(needed)
        except Exception:
            unavailable(f"{needed} is missing: scripts/images.sh makes it (needs {how})")
    from paas.production import image

    tag = image.build(base=BASE_IMAGE, log=lambda line: None, repository=PORTAL_REPOSITORY)
    # Builds of other checkouts from earlier sessions go; recent ones may belong to a
    # session running now (another checkout state), and a tag in use stays anyway.
    old_enough = datetime.now(UTC) - timedelta(hours=6)
    for other in engine.images.list(name=PORTAL_REPOSITORY):
        created = datetime.fromisoformat(other.attrs["Created"][:19]).replace(tzinfo=UTC)
        if created > old_enough:
            continue
        for old in other.tags:
            if old != tag and old.startswith(f"{PORTAL_REPOSITORY}:"):
                with contextlib.suppress(Exception):
                    engine.images.remove(old)
    return tag


@dataclass
class Portal:
    """One installation: its namespace, data folder, gateway port and an HTTP session."""

    namespace: str
    data_dir: Path
    http_port: int
    https_port: int
    cookies: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    @property
    def host(self) -> str:
        return f"berth.{ROOT_DOMAIN}"

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def request(
        self,
        method: str,
        path: str,
        *,
        host: str | None = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        cookies: bool = True,
    ) -> tuple[int, str, dict[str, str]]:
        """A request to the gateway on 127.0.0.1 with ``Host`` set (redirects not followed)."""
        url = f"http://127.0.0.1:{self.http_port}{path}"
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Host", host or self.host)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        handlers: list[Any] = [_NoRedirect()]
        if cookies:
            handlers.append(urllib.request.HTTPCookieProcessor(self.cookies))
        opener = urllib.request.build_opener(*handlers)
        try:
            with opener.open(request, timeout=30) as response:
                return (
                    response.status,
                    response.read().decode(errors="replace"),
                    dict(response.headers),
                )
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace"), dict(exc.headers)

    def csrf_token(self) -> str:
        for cookie in self.cookies:
            if cookie.name == "csrftoken":
                return str(cookie.value)
        raise AssertionError("no CSRF cookie from the portal")

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        """POST a form the way a browser does: the CSRF token, and an Origin with the port."""
        self.request("GET", path)
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": self.csrf_token()})
        return self.request(
            "POST",
            path,
            data=body.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
                "Referer": f"{self.origin}{path}",
            },
        )

    def api(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        status, text, _ = self.request(
            method,
            f"/api/v1/{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            cookies=False,
        )
        return status, (json.loads(text) if text.strip().startswith(("{", "[")) else text)

    def wait_api(
        self, path: str, token: str, until: Callable[[Any], bool], timeout: float = 120
    ) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            status, body = self.api("GET", path, token)
            if status == 200 and until(body):
                return body
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{path}: not reached in {timeout:.0f} s; last {status} {body}"
                )
            time.sleep(0.5)

    def wait_http(
        self, host: str, path: str, until: Callable[[int, str], bool], timeout: float = 90
    ) -> str:
        deadline = time.monotonic() + timeout
        last: tuple[int, str] = (0, "")
        while True:
            try:
                status, body, _ = self.request("GET", path, host=host, cookies=False)
                last = (status, body)
                if until(status, body):
                    return body
            except OSError as exc:
                last = (0, str(exc))
            if time.monotonic() > deadline:
                raise AssertionError(f"{host}{path}: last {last[0]} {last[1][:300]!r}")
            time.sleep(0.5)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def settings_for(portal: Portal, image_tag: str, nginx_image: str) -> dict[str, str]:
    """What an operator would set: the test images, free ports, fast deploys."""
    return {
        "BERTH_NAMESPACE": portal.namespace,
        "BERTH_IMAGE": image_tag,
        "BERTH_REDIS_IMAGE": REDIS_IMAGE,
        "BERTH_ROOT_DOMAIN": ROOT_DOMAIN,
        "BERTH_GATEWAY_IMAGE": nginx_image,
        "BERTH_GATEWAY_USER": "www-data",
        "BERTH_GATEWAY_HTTP_PORT": str(portal.http_port),
        "BERTH_GATEWAY_HTTPS_PORT": str(portal.https_port),
        "BERTH_PULL_IMAGES": "false",
        "BERTH_HEALTH_INTERVAL_SECONDS": "1",
        "BERTH_DEPLOY_MONITOR_SECONDS": "1",
        "BERTH_STOP_GRACE_SECONDS": "1",
        "BERTH_RECONCILE_SECONDS": "5",
    }


@pytest.fixture(scope="module")
def portals(
    engine: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], Portal]]:
    """Make installations' identities (namespace, data folder, ports); all removed after."""
    made: list[Portal] = []

    def make() -> Portal:
        portal = Portal(
            namespace=f"t{secrets.token_hex(3)}",
            data_dir=tmp_path_factory.mktemp("berth-data"),
            http_port=free_port(),
            https_port=free_port(),
        )
        made.append(portal)
        return portal

    yield make
    for portal in made:
        remove_namespace(engine, portal.namespace, timeout=120)


def container_of(engine: Any, service: str) -> Any:
    found = engine.containers.list(filters={"label": f"com.docker.swarm.service.name={service}"})
    assert found, f"no running container of {service}"
    return found[0]


def run_in(engine: Any, service: str, command: list[str]) -> tuple[int, str]:
    result = container_of(engine, service).exec_run(command, stdout=True, stderr=False)
    return int(result.exit_code or 0), result.output.decode(errors="replace")


def sign_up(portal: Portal, username: str, password: str) -> None:
    status, _, headers = portal.post_form(
        "/accounts/signup/",
        {
            "username": username,
            "email": f"{username}@{ROOT_DOMAIN}",
            "password1": password,
            "password2": password,
        },
    )
    assert status == 302, f"sign-up answered {status}"
    assert not re.search(r"signup", headers.get("Location", ""))
