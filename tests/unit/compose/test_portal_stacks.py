"""Portal stack pages: list and create, errors next to the file, services, redeploy, delete."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.compose import services
from apps.compose.models import Stack
from apps.models import App

pytestmark = pytest.mark.django_db

COMPOSE = "services:\n  web:\n    image: example/web:1\n    x-berth: {http_port: 80}\n  db:\n    image: example/db:1\n"


@pytest.fixture
def as_(people):
    def make(name: str) -> Client:
        client = Client()
        client.force_login(getattr(people, name))
        return client

    return make


@pytest.fixture
def shop(people):
    return services.apply_stack(
        team=people.team, principal=people.principal("developer"), name="shop", compose=COMPOSE
    )


def test_a_developer_creates_a_stack_from_the_form(as_):
    response = as_("developer").post(
        "/t/acme/stacks/", {"name": "shop", "compose": COMPOSE, "variables": "A=1\n"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/t/acme/stacks/shop/"
    assert set(App.objects.values_list("name", flat=True)) == {"shop-web", "shop-db"}
    page = as_("developer").get("/t/acme/stacks/shop/").content.decode()
    assert "shop-web.localhost" in page
    assert "internal: <code>db</code>" in page
    assert "<code>A</code>" in page  # the variable's name, never its value


def test_a_refused_file_shows_each_problem_under_the_file(as_):
    bad = "services:\n  web:\n    image: x\n    privileged: true\n    container_name: w\n"

    response = as_("developer").post("/t/acme/stacks/", {"name": "shop", "compose": bad})

    assert response.status_code == 400
    page = response.content.decode()
    assert "services.web.container_name: container_name is not supported by Berth" in page
    assert not Stack.objects.exists()


def test_a_viewer_sees_stacks_but_no_forms(as_, shop):
    client = as_("viewer")

    assert "New stack" not in client.get("/t/acme/stacks/").content.decode()
    page = client.get("/t/acme/stacks/shop/").content.decode()
    assert "Redeploy" not in page
    assert "Delete stack" not in page
    assert client.post("/t/acme/stacks/shop/", {"compose": COMPOSE}).status_code == 403


def test_outsiders_get_404(as_, shop):
    assert as_("outsider").get("/t/acme/stacks/shop/").status_code == 404
    assert as_("outsider").get("/t/globex/stacks/shop/").status_code == 404


def test_the_services_partial_refreshes_while_deploying(as_, shop):
    response = as_("developer").get("/t/acme/stacks/shop/", headers={"HX-Request": "true"})

    page = response.content.decode()
    assert page.startswith('<div id="stack-live" hx-get="/t/acme/stacks/shop/"')
    assert 'data-service="web"' in page


def test_deleting_needs_the_name_typed_and_the_admin_role(as_, shop):
    assert (
        as_("developer").post("/t/acme/stacks/shop/delete/", {"confirm": "shop"}).status_code == 403
    )
    as_("admin").post("/t/acme/stacks/shop/delete/", {"confirm": "nope"})
    assert Stack.objects.get(name="shop").deleting_at is None

    response = as_("admin").post("/t/acme/stacks/shop/delete/", {"confirm": "shop"})

    assert response.status_code == 302
    assert Stack.objects.get(name="shop").deleting_at is not None
    assert App.objects.filter(deleting_at__isnull=True).count() == 0


def test_operators_see_stacks_in_the_admin_without_their_variables(people, shop):
    services.apply_stack(
        team=people.team,
        principal=people.principal("developer"),
        name="shop",
        compose=COMPOSE,
        variables={"PASSWORD": "never-shown-9"},
        existing=shop,
    )
    client = Client()
    client.force_login(people.operator)

    page = client.get(f"/admin/compose/stack/{shop.pk}/change/").content.decode()

    assert "shop-web" in page
    assert "never-shown-9" not in page
