from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tests.support.personas import Personas


@pytest.fixture
def as_(people: Personas) -> Callable[[str], Client]:
    """``as_("viewer")``: a portal client signed in as that persona."""

    def make(name: str) -> Client:
        client = Client()
        client.force_login(getattr(people, name))
        return client

    return make
