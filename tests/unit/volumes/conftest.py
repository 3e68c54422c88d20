from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from apps import services
from apps.models import App, Deployment, Source, Status
from apps.volumes import services as volume_services
from apps.volumes.models import Volume
from tests.support.personas import Personas


@pytest.fixture
def as_(people: Personas) -> Callable[[str], Client]:
    """``as_("viewer")``: a portal client signed in as that persona."""

    def make(name: str) -> Client:
        client = Client()
        client.force_login(getattr(people, name))
        return client

    return make


@pytest.fixture
def running(people: Personas) -> App:
    """An app whose deployment #1 is healthy (created without volumes)."""
    app = services.create_app(team=people.team, principal=people.principal("owner"), name="shop")
    first = Deployment.objects.create(
        app=app, number=1, source=Source.IMAGE, image="web:1", status=Status.HEALTHY
    )
    App.objects.filter(pk=app.pk).update(current_deployment=first, current_image="web:1")
    app.refresh_from_db()
    return app


@pytest.fixture
def data(people: Personas) -> Volume:
    return volume_services.create_volume(
        team=people.team, principal=people.principal("developer"), name="data"
    )
