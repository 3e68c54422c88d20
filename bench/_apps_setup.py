"""Shared setup of the apps benchmarks: Django on a throwaway database, a gateway, a worker,
an API server on a free port and a team token. Everything made carries one namespace."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import socketserver
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "runs": float(len(values)),
        "median": statistics.median(values),
        "p90": percentile(values, 90),
        "p95": percentile(values, 95),
        "min": min(values),
        "max": max(values),
    }


def django_setup(folder: Path) -> None:
    # Rows go to a throwaway SQLite file, never the developer's database.
    os.environ["BERTH_DATA_DIR"] = str(folder / "data")
    os.environ.setdefault(
        "REDIS_URL", os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paas.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


@contextlib.contextmanager
def api_server() -> Iterator[str]:
    """The Django app over real HTTP on 127.0.0.1 (threaded, like the web's waitress)."""
    from paas.wsgi import application  # what the web serves, with its start-up tuning

    port = free_port()
    server = make_server(
        "127.0.0.1",
        port,
        application,
        server_class=_ThreadingServer,
        handler_class=_Quiet,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()


@dataclass
class Stage:
    namespace: str
    folder: Path
    gateway_port: int


@contextlib.contextmanager
def stage(*, gateway: bool = True, worker_threads: int = 4) -> Iterator[Stage]:
    """A namespace with (optionally) a gateway and a real Celery worker in threads."""
    import docker

    folder = Path(tempfile.mkdtemp(prefix="berth-bench-apps-"))
    django_setup(folder)
    from django.conf import settings

    namespace = f"bench{secrets.token_hex(2)}"
    settings.BERTH_NAMESPACE = namespace
    settings.ALLOWED_HOSTS = ["*"]
    # Static files from the finders, so no collectstatic manifest is needed.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.BERTH_PULL_IMAGES = False
    settings.BERTH_HEALTH_INTERVAL_SECONDS = 1
    settings.BERTH_DEPLOY_MONITOR_SECONDS = int(os.environ.get("BENCH_MONITOR_SECONDS", "1"))
    settings.BERTH_STOP_GRACE_SECONDS = 2
    client = docker.from_env(timeout=120)
    worker = None
    try:
        if gateway:
            subprocess.run([str(ROOT / "scripts" / "images.sh")], check=True)
            settings.BERTH_GATEWAY = "nginx"
            settings.BERTH_GATEWAY_IMAGE = os.environ.get(
                "BERTH_TEST_NGINX_IMAGE", "berth-test/nginx:1"
            )
            settings.BERTH_GATEWAY_USER = "www-data"
            settings.BERTH_GATEWAY_DIR = folder / "gateway"
            settings.BERTH_GATEWAY_HOST_DIR = None
            settings.BERTH_PORTAL_UPSTREAM = None
            settings.BERTH_GATEWAY_HTTP_PORT = free_port()
            settings.BERTH_GATEWAY_HTTPS_PORT = free_port()
            from routing.bootstrap import bootstrap

            bootstrap()
            from celery.contrib.testing.worker import start_worker

            from paas.celery import app

            app.control.purge()
            worker = start_worker(
                app,
                pool="threads",
                concurrency=worker_threads,
                perform_ping_check=False,
                shutdown_timeout=120,
            )
            worker.__enter__()
        yield Stage(namespace, folder, int(settings.BERTH_GATEWAY_HTTP_PORT))
    finally:
        if worker is not None:
            worker.__exit__(None, None, None)
        cleanup(client, namespace)


def cleanup(client: Any, namespace: str) -> None:
    label = f"berth.namespace={namespace}"
    for service in client.services.list(filters={"label": label}):
        with contextlib.suppress(Exception):
            service.remove()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        left = 0
        for kind in (client.secrets, client.networks):
            for obj in kind.list(filters={"label": label}):
                try:
                    obj.remove()
                except Exception:
                    left += 1
        # The low-level list: a container may vanish between listing and inspecting.
        if client.api.containers(all=True, filters={"label": label}):
            left += 1
        if not left:
            break
        time.sleep(0.5)
    for image in client.images.list(filters={"label": label}):
        for tag in image.tags or [image.id]:
            with contextlib.suppress(Exception):
                client.images.remove(tag, force=True)


def team_token() -> str:
    from paas import services
    from paas.models import Team

    team, _ = Team.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    _, raw = services.create_token(
        team=team, name="bench", scopes="read,deploy,admin", principal=None
    )
    return raw
