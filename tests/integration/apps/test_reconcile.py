"""Drift repair: what was removed or changed outside Berth comes back by the periodic task."""

from __future__ import annotations

import time

import pytest

from apps import deploy, services
from apps.models import App, Status
from apps.tasks import reconcile_apps as reconcile_apps_task
from paas import naming
from paas.models import AuditEvent
from tests.support.apps import let_go
from tests.support.gateway import web_service

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, *, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout:.0f} s")
        time.sleep(0.3)


def test_a_service_removed_outside_berth_comes_back_by_reconcile(
    people, images, gateway, deploy_worker, finished, engine
):
    dev = people.principal("developer")
    app = services.create_app(
        team=people.team, principal=dev, name="phoenix", env={"MESSAGE": "back"}
    )
    assert finished(deploy.deploy_image(app=app, principal=dev, image=images.web)).status == (
        Status.HEALTHY
    )
    gateway.wait_for("phoenix.localhost", "/cgi-bin/info")
    let_go(app)
    engine.services.get(naming.app_service("phoenix")).remove()
    gateway.wait_for("phoenix.localhost", "/cgi-bin/info", until=lambda r: r.status != 200)

    reconcile_apps_task.delay()  # what beat sends every BERTH_RECONCILE_SECONDS

    reply = gateway.wait_for("phoenix.localhost", "/cgi-bin/info", timeout=60)
    assert reply.fact("message") == "back"
    event = wait_for(
        lambda: AuditEvent.objects.filter(action="app.repair", target="phoenix").first(),
        what="a repair audit event",
    )
    assert event.actor_label == "system"
    assert "missing" in event.data["repaired"][0]
    assert "missing" in App.objects.get(pk=app.pk).last_repair


def test_a_service_changed_outside_berth_is_put_back_and_others_are_left_alone(
    people, images, gateway, deploy_worker, finished, engine, namespace
):
    dev = people.principal("developer")
    app = services.create_app(
        team=people.team, principal=dev, name="drifty", env={"MESSAGE": "mine"}
    )
    assert finished(deploy.deploy_image(app=app, principal=dev, image=images.web)).status == (
        Status.HEALTHY
    )
    let_go(app)
    # Someone scales it and changes its environment by hand...
    service = engine.services.get(naming.app_service("drifty"))
    service.update(env=["MESSAGE=hand-edited"], mode={"Replicated": {"Replicas": 2}})
    # ...and runs a service of their own in the same namespace, which Berth did not make.
    foreign = web_service(
        engine,
        name=f"{namespace}-app-foreign",
        image=images.web,
        network=gateway.network,
        namespace=namespace,
    )
    foreign_version = engine.services.get(foreign.id).version

    reconcile_apps_task.delay()

    event = wait_for(
        lambda: AuditEvent.objects.filter(action="app.repair", target="drifty").first(),
        what="a repair audit event",
    )
    assert "environment" in event.data["repaired"][0]
    assert "instances 2 -> 1" in event.data["repaired"][0]
    spec = engine.api.inspect_service(naming.app_service("drifty"))["Spec"]
    assert "MESSAGE=mine" in spec["TaskTemplate"]["ContainerSpec"]["Env"]
    assert spec["Mode"]["Replicated"]["Replicas"] == 1
    gateway.wait_for(
        "drifty.localhost", "/cgi-bin/info", until=lambda r: r.fact("message") == "mine"
    )
    # The foreign service is untouched.
    assert engine.services.get(foreign.id).version == foreign_version
