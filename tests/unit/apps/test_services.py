"""Service functions: settings changes become deployments, deletion, audit of every write."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from apps import deploy, services
from apps.models import App, Deployment, Source, Status
from paas.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(people):
    """An app whose deployment #1 is healthy."""
    app = services.create_app(team=people.team, principal=people.principal("owner"), name="live")
    first = Deployment.objects.create(
        app=app, number=1, source=Source.IMAGE, image="web:1", status=Status.HEALTHY
    )
    App.objects.filter(pk=app.pk).update(current_deployment=first, current_image="web:1")
    app.refresh_from_db()
    return app


def test_a_settings_change_on_a_running_app_is_a_deployment(people, running):
    services.update_app(
        app=running, principal=people.principal("developer"), instances=3, env={"X": "1"}
    )

    change = running.deployments.get(number=2)
    assert change.source == Source.CONFIG
    assert change.status == Status.QUEUED
    assert change.summary == "Settings: instances 1 → 3, environment"
    assert change.image == ""  # the image running when it starts
    event = AuditEvent.objects.get(action="app.update")
    assert event.data == {"instances": 3, "env": ["X"]}


def test_an_unchanged_setting_makes_no_deployment(people, running):
    services.update_app(app=running, principal=people.principal("developer"), instances=1)

    assert running.deployments.count() == 1
    assert not AuditEvent.objects.filter(action="app.update").exists()


def test_a_settings_change_queues_behind_a_new_version_instead_of_replacing_it(people, running):
    dev = people.principal("developer")
    version = deploy.deploy_image(app=running, principal=dev, image="web:2")

    services.update_app(app=running, principal=dev, instances=2)
    services.update_app(app=running, principal=dev, instances=3)

    version.refresh_from_db()
    assert version.status == Status.QUEUED
    second, third = running.deployments.filter(source=Source.CONFIG).order_by("number")
    assert second.status == Status.CANCELLED
    assert second.reason == "Replaced by #4."
    assert third.status == Status.QUEUED


def test_a_secret_change_on_a_running_app_redeploys_it(people, running):
    services.set_secret(app=running, principal=people.principal("developer"), name="K", value="v")

    assert running.deployments.get(number=2).summary == "Secret K set"


def test_a_viewer_cannot_change_anything(people, running):
    viewer = people.principal("viewer")

    with pytest.raises(PermissionDenied):
        services.update_app(app=running, principal=viewer, instances=2)
    with pytest.raises(PermissionDenied):
        deploy.deploy_image(app=running, principal=viewer, image="web:2")
    with pytest.raises(PermissionDenied):
        services.set_secret(app=running, principal=viewer, name="K", value="v")


def test_an_outsider_cannot_even_learn_the_app_exists(people, running):
    with pytest.raises(Http404):
        deploy.deploy_image(app=running, principal=people.principal("outsider"), image="web:2")


def test_deleting_cancels_queued_work_and_keeps_the_name_until_removed(people, running):
    dev = people.principal("developer")
    queued = deploy.deploy_image(app=running, principal=dev, image="web:2")

    services.delete_app(app=running, principal=people.principal("admin"))

    queued.refresh_from_db()
    assert queued.status == Status.CANCELLED
    with pytest.raises(ValidationError, match="already exists"):
        services.create_app(team=people.team, principal=dev, name="live")
    with pytest.raises(ValidationError, match="being deleted"):
        deploy.deploy_image(app=running, principal=dev, image="web:3")
