"""A rolling deploy of an app with two instances drops no request sent through the gateway."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from apps import deploy, services
from apps.models import Status

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_deploy_under_continuous_traffic_drops_nothing(
    people, images, gateway, deploy_worker, finished
):
    dev = people.principal("developer")
    app = services.create_app(
        team=people.team,
        principal=dev,
        name="steady",
        instances=2,
        env={"VERSION": "1"},
        health_check_path="/cgi-bin/health",
    )
    assert finished(deploy.deploy_image(app=app, principal=dev, image=images.web)).status == (
        Status.HEALTHY
    )
    gateway.wait_for("steady.localhost", "/cgi-bin/info")

    results: list[tuple[int, str]] = []
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            try:
                reply = gateway.get("steady.localhost", "/cgi-bin/info", timeout=10)
                results.append((reply.status, reply.fact("version") or reply.body[:80]))
            except OSError as exc:
                results.append((0, str(exc)))

    sender = threading.Thread(target=traffic, daemon=True)
    sender.start()
    try:
        services.update_app(app=app, principal=dev, env={"VERSION": "2"})
        update = finished(app.deployments.order_by("-number").first())
        assert update.status == Status.HEALTHY, update.log
        # Keep sending until the gateway has let go of the old tasks' addresses.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if len(results) > 20 and all(v == "2" for _, v in results[-20:]):
                break
            time.sleep(0.2)
    finally:
        stop.set()
        sender.join(timeout=15)

    failures = [r for r in results if r[0] != 200]
    versions = Counter(v for status, v in results if status == 200)
    assert not failures, f"{len(failures)} of {len(results)} requests failed: {failures[:5]}"
    assert versions["1"] > 0, versions
    assert versions["2"] > 0, versions
    assert len(results) > 50
