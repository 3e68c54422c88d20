from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps import services as app_services
from apps.models import App
from tests.support.personas import Personas


@pytest.fixture
def shop(people: Personas) -> App:
    return app_services.create_app(
        team=people.team, principal=people.principal("owner"), name="shop"
    )


@pytest.fixture
def as_user(api: APIClient) -> Callable[..., APIClient]:
    def login(user: Any) -> APIClient:
        api.force_authenticate(user)
        return api

    return login


@pytest.fixture
def as_(people: Personas) -> Callable[[str], Client]:
    """``as_("viewer")``: a portal client signed in as that persona."""

    def make(name: str) -> Client:
        client = Client()
        client.force_login(getattr(people, name))
        return client

    return make
