"""Listing apps costs the same number of queries for 3 apps as for 40."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.models import App, Deployment, Source, Status

pytestmark = pytest.mark.django_db


def make_apps(team, start: int, count: int) -> None:
    for i in range(start, start + count):
        app = App.objects.create(team=team, name=f"app-{i:03d}")
        first = Deployment.objects.create(
            app=app, number=1, source=Source.IMAGE, image="a:1", status=Status.HEALTHY
        )
        Deployment.objects.create(
            app=app, number=2, source=Source.IMAGE, image="a:2", status=Status.FAILED
        )
        App.objects.filter(pk=app.pk).update(current_deployment=first, current_image="a:1")


def queries(fetch) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = fetch()
        assert response.status_code == 200
    return len(captured)


def test_the_api_list_does_not_grow_with_the_number_of_apps(people, api):
    api.force_authenticate(people.viewer)
    make_apps(people.team, 0, 3)
    few = queries(lambda: api.get("/api/v1/apps/?limit=1000"))
    make_apps(people.team, 3, 37)

    many = queries(lambda: api.get("/api/v1/apps/?limit=1000"))
    body = api.get("/api/v1/apps/?limit=1000").json()

    assert many == few
    assert body["count"] == 40
    assert body["results"][0]["latest_deployment"] == {"number": 2, "status": "failed"}
    assert body["results"][0]["current_deployment"]["number"] == 1


def test_the_portal_list_does_not_grow_with_the_number_of_apps(people, as_):
    client = as_("viewer")
    client.get("/t/acme/")  # the first team page stores the current team in the session
    make_apps(people.team, 0, 3)
    few = queries(lambda: client.get("/t/acme/apps/"))
    make_apps(people.team, 3, 37)

    many = queries(lambda: client.get("/t/acme/apps/"))

    assert many == few
    assert "app-039" in client.get("/t/acme/apps/").content.decode()
