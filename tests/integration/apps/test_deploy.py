"""Deploying the busybox app on the real swarm, reached through the real gateway."""

from __future__ import annotations

import pytest

from apps import deploy, services
from apps.models import Status
from paas import naming
from paas.models import AuditEvent
from tests.integration.apps.conftest import refreshed
from tests.integration.apps.sources import web_tarball
from tests.support.apps import gateway_group, running_tasks

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_an_image_deploys_and_answers_at_its_hostname(
    people, images, gateway, deploy_worker, finished
):
    dev = people.principal("developer")
    app = services.create_app(
        team=people.team, principal=dev, name="shop", env={"MESSAGE": "hello from shop"}
    )

    deployment = finished(deploy.deploy_image(app=app, principal=dev, image=images.web))

    assert deployment.status == Status.HEALTHY, deployment.log
    assert deployment.number == 1
    reply = gateway.wait_for("shop.localhost", "/cgi-bin/info")
    assert reply.fact("message") == "hello from shop"
    assert refreshed(app).current_deployment == deployment
    assert "Healthy" in deployment.log
    assert AuditEvent.objects.filter(action="deployment.healthy", target=str(deployment)).exists()


def test_env_and_a_secret_reach_the_app_and_the_secret_stays_out_of_logs(
    people, images, gateway, deploy_worker, finished, engine
):
    dev = people.principal("developer")
    app = services.create_app(
        team=people.team, principal=dev, name="vault", env={"MESSAGE": "plain setting"}
    )
    services.set_secret(app=app, principal=dev, name="api_token", value="s3cret-Value-42")

    deployment = finished(deploy.deploy_image(app=app, principal=dev, image=images.web))

    assert deployment.status == Status.HEALTHY, deployment.log
    reply = gateway.wait_for("vault.localhost", "/cgi-bin/info")
    assert reply.fact("message") == "plain setting"
    assert "secret api_token=s3cret-Value-42" in reply.body
    deployment.refresh_from_db()
    assert "s3cret-Value-42" not in deployment.log
    assert "s3cret-Value-42" not in str(deployment.config)
    assert not AuditEvent.objects.filter(data__icontains="s3cret").exists()
    # Delivered as a swarm secret, not as an environment variable.
    spec = engine.api.inspect_service(naming.app_service("vault"))["Spec"]
    assert not any("s3cret" in e for e in spec["TaskTemplate"]["ContainerSpec"]["Env"])


def test_a_changed_secret_reaches_the_app_as_a_new_version(
    people, images, gateway, deploy_worker, finished, engine
):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="rotate")
    services.set_secret(app=app, principal=dev, name="key", value="first")
    finished(deploy.deploy_image(app=app, principal=dev, image=images.web))
    gateway.wait_for("rotate.localhost", "/cgi-bin/info", until=lambda r: "key=first" in r.body)

    services.set_secret(app=app, principal=dev, name="key", value="second")
    change = finished(app.deployments.order_by("-number").first())

    assert change.status == Status.HEALTHY, change.log
    assert change.source == "config"
    gateway.wait_for("rotate.localhost", "/cgi-bin/info", until=lambda r: "key=second" in r.body)


def test_scaling_from_one_to_three_answers_from_three_tasks(
    people, images, gateway, deploy_worker, finished
):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="scaled")
    finished(deploy.deploy_image(app=app, principal=dev, image=images.web))
    first = gateway.wait_for("scaled.localhost", "/cgi-bin/info")

    services.update_app(app=app, principal=dev, instances=3)
    scale = finished(app.deployments.order_by("-number").first())

    assert scale.status == Status.HEALTHY, scale.log
    assert scale.summary == "Settings: instances 1 → 3"
    seen: set[str] = set()

    def three_hosts(reply) -> bool:
        if reply.status == 200:
            seen.add(reply.fact("hostname") or "")
        return len(seen) >= 3

    gateway.wait_for("scaled.localhost", "/cgi-bin/info", until=three_hosts, timeout=40)
    # Scaling keeps the running task: only two new ones were started.
    assert first.fact("hostname") in seen


def test_a_missing_image_fails_with_a_reason_and_the_old_version_keeps_serving(
    people, images, gateway, deploy_worker, finished
):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="keep", env={"VERSION": "1"})
    first = finished(deploy.deploy_image(app=app, principal=dev, image=images.web))

    bad = finished(
        deploy.deploy_image(app=app, principal=dev, image="berth-test/does-not-exist:404")
    )

    assert bad.status == Status.FAILED
    assert "berth-test/does-not-exist:404" in bad.reason
    assert "not on the engine" in bad.reason
    assert AuditEvent.objects.filter(action="deployment.failed", target=str(bad)).exists()
    reply = gateway.wait_for("keep.localhost", "/cgi-bin/info")
    assert reply.fact("version") == "1"
    assert refreshed(app).current_deployment == first


def test_a_failing_health_check_rolls_back_and_the_old_version_keeps_serving(
    people, images, gateway, deploy_worker, finished
):
    dev = people.principal("developer")
    app = services.create_app(
        team=people.team,
        principal=dev,
        name="checked",
        env={"VERSION": "1"},
        health_check_path="/cgi-bin/health",
    )
    first = finished(deploy.deploy_image(app=app, principal=dev, image=images.web))
    assert first.status == Status.HEALTHY, first.log

    services.update_app(app=app, principal=dev, env={"VERSION": "2", "UNHEALTHY": "1"})
    second = finished(app.deployments.order_by("-number").first())

    assert second.status == Status.ROLLED_BACK, second.log
    assert "health check" in second.reason
    assert "/cgi-bin/health" in second.reason
    assert "#1 keeps serving" in second.reason
    assert AuditEvent.objects.filter(action="deployment.rolled_back", actor_label="system").exists()
    reply = gateway.wait_for("checked.localhost", "/cgi-bin/info")
    assert reply.fact("version") == "1"
    assert refreshed(app).current_deployment == first


def test_a_version_that_dies_after_it_ran_rolls_back_and_the_gateway_forgets_it(
    people, images, gateway, deploy_worker, finished, settings
):
    # The new task runs for 2 s, inside the monitor window: by then the gateway has
    # been told about it (its tasks ran), so the rollback must take it out again.
    settings.BERTH_DEPLOY_MONITOR_SECONDS = 8
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="brief", env={"VERSION": "1"})
    first = finished(deploy.deploy_image(app=app, principal=dev, image=images.web))
    assert first.status == Status.HEALTHY, first.log
    dies = 'ENTRYPOINT ["sh", "-c", "httpd -p 80 -h /www; sleep 2; exit 1"]'

    second = finished(
        deploy.deploy_tarball(app=app, principal=dev, upload=web_tarball("brief", extra=(dies,)))
    )

    assert second.status == Status.ROLLED_BACK, second.log
    assert "#1 keeps serving" in second.reason
    # Swarm stopped version 1's task once the new one ran; its rollback started
    # another, and the gateway's group holds that one, not the dead task's address.
    assert running_tasks("brief")
    assert gateway_group("brief") == running_tasks("brief")
    reply = gateway.wait_for("brief.localhost", "/cgi-bin/info")
    assert reply.fact("version") == "1"
    assert refreshed(app).current_deployment == first


def test_rollback_runs_an_earlier_image_again_as_a_new_deployment(
    people, images, gateway, deploy_worker, finished, engine
):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="undo")
    engine.images.get(images.web).tag("berth-test/web", "undo-v2")
    try:
        first = finished(deploy.deploy_image(app=app, principal=dev, image=images.web))
        second = finished(
            deploy.deploy_image(app=app, principal=dev, image="berth-test/web:undo-v2")
        )
        assert second.status == Status.HEALTHY, second.log

        back = finished(deploy.rollback(deployment=first, principal=dev))

        assert back.status == Status.HEALTHY, back.log
        assert back.number == 3
        assert back.source == "rollback"
        assert back.image == images.web
        assert back.rollback_of == first
        assert not back.built
        spec = engine.api.inspect_service(naming.app_service("undo"))["Spec"]
        assert spec["TaskTemplate"]["ContainerSpec"]["Image"].startswith(images.web)
        gateway.wait_for("undo.localhost", "/cgi-bin/info")
    finally:
        engine.images.remove("berth-test/web:undo-v2")


def test_an_image_that_cannot_be_pulled_fails_with_the_pull_error(
    people, gateway, deploy_worker, finished, settings
):
    settings.BERTH_PULL_IMAGES = True
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="nowhere")

    bad = finished(deploy.deploy_image(app=app, principal=dev, image="berth-test/nowhere:404"))

    assert bad.status == Status.FAILED
    assert "could not be pulled" in bad.reason
    assert "Pulling berth-test/nowhere:404" in bad.log
    assert refreshed(app).current_deployment is None
