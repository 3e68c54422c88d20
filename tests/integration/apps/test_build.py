"""Builds on the real engine from an uploaded tarball or a pasted captain-definition."""

from __future__ import annotations

import json
import time

import pytest

from apps import builds, deploy, services
from apps.models import Status
from tests.integration.apps.sources import web_tarball

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_tarball_with_a_dockerfile_builds_and_deploys(
    people, gateway, deploy_worker, finished, engine
):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="built")

    deployment = finished(
        deploy.deploy_tarball(
            app=app, principal=dev, upload=web_tarball("from a tarball"), filename="app.tgz"
        )
    )

    assert deployment.status == Status.HEALTHY, deployment.log
    assert deployment.built
    assert deployment.image == builds.image_tag("built", 1, deployment.pk)
    # The build log streamed into the deployment.
    assert "Step 1/" in deployment.log
    assert "Successfully built" in deployment.log
    reply = gateway.wait_for("built.localhost", "/cgi-bin/info")
    assert reply.fact("message") == "from a tarball"
    assert reply.fact("built") == "yes"
    # The extracted source is gone once built.
    assert not builds.builds_root().joinpath(deployment.build_dir).exists()


def test_a_tarball_one_folder_down_with_a_captain_definition_builds(
    people, gateway, deploy_worker, finished
):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="captain")
    upload = web_tarball(
        "via captain-definition",
        folder="myapp",
        dockerfile_name="build/App.dockerfile",
        definition={"schemaVersion": 2, "dockerfilePath": "build/App.dockerfile"},
    )

    deployment = finished(deploy.deploy_tarball(app=app, principal=dev, upload=upload))

    # The Dockerfile sits in build/, so COPY paths are relative to the source root.
    assert deployment.status == Status.HEALTHY, deployment.log
    reply = gateway.wait_for("captain.localhost", "/cgi-bin/info")
    assert reply.fact("message") == "via captain-definition"


def test_a_pasted_captain_definition_with_dockerfile_lines_builds(
    people, images, gateway, deploy_worker, finished
):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="lines")
    definition = json.dumps(
        {
            "schemaVersion": 2,
            "dockerfileLines": [f"FROM {images.web}", "ENV MESSAGE=from-dockerfile-lines"],
        }
    )

    deployment = finished(deploy.deploy_definition(app=app, principal=dev, text=definition))

    assert deployment.status == Status.HEALTHY, deployment.log
    assert deployment.built
    reply = gateway.wait_for("lines.localhost", "/cgi-bin/info")
    assert reply.fact("message") == "from-dockerfile-lines"


def test_a_failing_build_fails_with_the_builders_error(people, gateway, deploy_worker, finished):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="broken")
    upload = web_tarball("x", extra=('RUN ["/bin/sh", "-c", "echo about to fail; exit 3"]',))

    deployment = finished(deploy.deploy_tarball(app=app, principal=dev, upload=upload))

    assert deployment.status == Status.FAILED
    assert "returned a non-zero code: 3" in deployment.reason
    assert "about to fail" in deployment.log


def test_a_long_build_can_be_cancelled(people, gateway, deploy_worker, finished, engine):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="slow")
    ticking = 'RUN ["/bin/sh", "-c", "for i in $(seq 1 120); do echo tick $i; sleep 1; done"]'
    deployment = deploy.deploy_tarball(
        app=app, principal=dev, upload=web_tarball("x", extra=(ticking,))
    )
    deadline = time.monotonic() + 60
    while "tick 2" not in deployment.log and time.monotonic() < deadline:
        time.sleep(0.2)
        deployment.refresh_from_db()
    assert deployment.status == Status.BUILDING, deployment.log

    cancelled_at = time.monotonic()
    deploy.cancel(deployment=deployment, principal=dev)
    deployment = finished(deployment, timeout=30)

    assert deployment.status == Status.CANCELLED
    assert time.monotonic() - cancelled_at < 15
    assert "tick 100" not in deployment.log
