"""Shared fixtures: personas, API clients, a real Celery worker, a real swarm, a browser."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.support.personas import Personas, build_personas
from tests.support.services import unavailable

ARTIFACTS = Path(
    os.environ.get("BERTH_ARTIFACTS", Path(__file__).resolve().parent.parent / "artifacts")
)


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    # A fast hasher (personas make seven users per test) and static files from
    # the finders, so tests need no collectstatic.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def people(db: None) -> Personas:
    return build_personas()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def token_client(db: None) -> Callable[..., APIClient]:
    """An API client holding a fresh token of ``team`` with ``scopes``."""
    from paas import services

    def make(team: Any, scopes: str = "read,deploy,admin") -> APIClient:
        _, raw = services.create_token(team=team, name="test", scopes=scopes, principal=None)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


# --- Redis and a real Celery worker -------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis
    from django.conf import settings

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        unavailable(
            f"Redis at {settings.REDIS_URL} does not answer ({exc}); run scripts/services.sh"
        )
    return str(settings.REDIS_URL)


@pytest.fixture
def celery_worker(redis_url: str, transactional_db: None) -> Iterator[Any]:
    """A real worker (solo pool, in a thread) consuming from the real Redis broker.

    Use it from tests marked ``django_db(transaction=True)``: the worker has its
    own database connection and sees only committed rows.
    """
    from celery.contrib.testing.worker import start_worker

    from paas.celery import app

    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker


# --- a real Docker engine in swarm mode --------------------------------------------


@pytest.fixture(scope="session")
def engine() -> Any:
    """The Docker SDK client of the local engine, in swarm mode (initialised if it was in none)."""
    import docker

    try:
        client = docker.from_env(timeout=60)
        client.ping()
    except docker.errors.DockerException as exc:
        unavailable(f"no Docker engine answers ({exc}); run scripts/services.sh")
    if client.info()["Swarm"]["LocalNodeState"] != "active":
        from tests.support.swarm import advertise_address

        client.swarm.init(advertise_addr=advertise_address())
    return client


@dataclass(frozen=True)
class TestImages:
    web: str
    nginx: str


@pytest.fixture(scope="session")
def images(engine: Any) -> TestImages:
    """The locally made images (scripts/images.sh): a busybox web app and nginx."""
    script = Path(__file__).resolve().parent.parent / "scripts" / "images.sh"
    result = subprocess.run([str(script)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"scripts/images.sh failed:\n{result.stdout}\n{result.stderr}")
    return TestImages(
        web=os.environ.get("BERTH_TEST_WEB_IMAGE", "berth-test/web:1"),
        nginx=os.environ.get("BERTH_TEST_NGINX_IMAGE", "berth-test/nginx:1"),
    )


@pytest.fixture
def namespace(engine: Any, settings: Any) -> Iterator[str]:
    """A per-test namespace; everything labelled with it is removed afterwards."""
    from tests.support.swarm import remove_namespace

    name = f"t{secrets.token_hex(3)}"
    settings.BERTH_NAMESPACE = name
    yield name
    remove_namespace(engine, name)


@pytest.fixture
def gateway(namespace: str, images: TestImages, settings: Any, db: None, tmp_path: Path) -> Any:
    """A running Berth gateway (nginx service + apps network) for ``namespace``.

    Bootstrapped on free host ports; returns a ``tests.support.gateway.Gateway``
    with ``http_port`` and ``get(host, path)`` / ``wait_for(host, path)``.
    Route apps with ``routing.gateway.apply_route``; their services must join
    ``gateway.network`` (dnsrr endpoint mode). Removed with the namespace.
    """
    from routing.bootstrap import bootstrap
    from tests.support.gateway import Gateway, free_port

    settings.BERTH_GATEWAY = "nginx"
    settings.BERTH_GATEWAY_IMAGE = images.nginx
    settings.BERTH_GATEWAY_USER = "www-data"
    settings.BERTH_GATEWAY_DIR = tmp_path / "gateway"
    settings.BERTH_GATEWAY_HOST_DIR = None
    settings.BERTH_PORTAL_UPSTREAM = None
    settings.BERTH_GATEWAY_HTTP_PORT = free_port()
    settings.BERTH_GATEWAY_HTTPS_PORT = free_port()
    bootstrap()
    from paas import naming

    return Gateway(
        namespace=namespace,
        http_port=settings.BERTH_GATEWAY_HTTP_PORT,
        https_port=settings.BERTH_GATEWAY_HTTPS_PORT,
        network=naming.apps_network(),
        folder=str(tmp_path / "gateway" / namespace),
    )


# --- the browser -------------------------------------------------------------------


CHROMIUM = os.environ.get("BERTH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        unavailable(f"no Chromium at {CHROMIUM}; install Debian's chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop on the main thread, which makes
    # Django refuse ORM calls there (database setup, a test's checks). Nothing
    # runs Django code on that loop, so the guard only gets in the way.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page: Any, request: pytest.FixtureRequest) -> Callable[..., Path]:
    """Save a full-page screenshot under artifacts/<test name>/NN-<step>.png.

    ``shoot(step)`` takes the ``page`` fixture; ``shoot(step, other_page)`` takes
    another page (a second browser context, a phone-sized one).
    """
    folder = ARTIFACTS / request.node.name.replace("/", "_")
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def shoot(step: str, target: Any = None) -> Path:
        path = folder / f"{next(counter):02d}-{step}.png"
        (target or page).screenshot(path=str(path), full_page=True)
        return Path(path)

    return shoot
