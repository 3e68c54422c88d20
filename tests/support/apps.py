"""Fixtures for deploying apps on the real swarm with a real worker (integration and e2e)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from apps import locks
from apps.models import FINISHED, Deployment
from paas import naming
from routing import files
from tests.support.gateway import task_addresses


@pytest.fixture
def fast_deploys(settings: Any) -> None:
    # Short health-check interval and monitor window: the same logic, less waiting.
    settings.BERTH_HEALTH_INTERVAL_SECONDS = 1
    settings.BERTH_HEALTH_START_SECONDS = 1
    settings.BERTH_DEPLOY_MONITOR_SECONDS = 1
    settings.BERTH_DEPLOY_TIMEOUT = 90
    settings.BERTH_PULL_IMAGES = False
    # busybox httpd as PID 1 ignores SIGTERM: do not wait 10 s for each old task.
    settings.BERTH_STOP_GRACE_SECONDS = 1


@pytest.fixture
def deploy_worker(redis_url: str, transactional_db: None, fast_deploys: None) -> Iterator[Any]:
    """A real Celery worker with four threads, so deploys of different apps overlap."""
    from celery.contrib.testing.worker import start_worker

    from paas.celery import app

    app.control.purge()
    with start_worker(
        app, pool="threads", concurrency=4, perform_ping_check=False, shutdown_timeout=60
    ) as worker:
        yield worker


def wait_finished(deployment: Deployment, *, timeout: float = 120) -> Deployment:
    """Poll the row until the deployment has finished; fail with its log if it does not."""
    deadline = time.monotonic() + timeout
    while True:
        deployment.refresh_from_db()
        if deployment.status in FINISHED:
            return deployment
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{deployment} still {deployment.status} after {timeout:.0f} s; log:\n"
                f"{deployment.log}"
            )
        time.sleep(0.2)


def gateway_group(app_name: str) -> set[str]:
    """The task addresses in the app's gateway file (its upstream group)."""
    text = files.live_sites(files.layout())[app_name].read_text()
    return set(re.findall(r"^\s+server ([\d.]+):\d+ max_fails", text, re.M))


def running_tasks(app_name: str) -> set[str]:
    """Where the app's running tasks answer on the apps network, as the engine says."""
    return set(task_addresses(naming.app_service(app_name), naming.apps_network()))


def let_go(app: Any, *, timeout: float = 30) -> None:
    """Until the app's deployment released its lock (it cleans up after saying healthy):
    a reconcile pass skips an app whose lock is held."""
    deadline = time.monotonic() + timeout
    while locks.is_locked(app.pk):
        assert time.monotonic() < deadline, f"the lock of {app} was not let go"
        time.sleep(0.1)
