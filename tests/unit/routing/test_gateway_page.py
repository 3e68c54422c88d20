"""The operators' gateway page."""

from __future__ import annotations

import pytest
from django.utils import timezone

from nodes.models import Node
from routing import files, render
from routing.models import GatewayState
from routing.routes import Route

URL = "/ops/gateway/"


@pytest.fixture
def gateway_state(db, settings, tmp_path):
    settings.BERTH_GATEWAY_DIR = tmp_path
    settings.BERTH_NAMESPACE = "berth"
    route = Route(
        name="shop", hostnames=("shop.example.com", "www.shop.example.com"), service="s", port=80
    )
    files.write_atomic(files.layout().site("shop"), render.site_conf(route, namespace="berth"))
    Node.objects.create(
        node_id="n1abc",
        hostname="node-1",
        role="manager",
        availability="active",
        state="ready",
        cpus=2,
        memory_bytes=2**31,
    )
    return GatewayState.objects.create(
        namespace="berth",
        service_name="berth-gateway",
        image="nginx:1.27",
        http_port=8080,
        https_port=8443,
        last_reload_at=timezone.now(),
        last_error="shop: unknown directive",
        last_error_at=timezone.now(),
        bootstrapped_at=timezone.now(),
    )


def test_an_operator_sees_state_routes_nodes_and_the_last_error(client, people, gateway_state):
    client.force_login(people.operator)

    page = client.get(URL).content.decode()

    assert "berth-gateway" in page
    assert "HTTP 8080 · HTTPS 8443" in page
    assert "shop.example.com, www.shop.example.com" in page
    assert "node-1" in page
    assert "shop: unknown directive" in page


def test_the_nav_shows_the_gateway_link_to_operators_only(client, people, gateway_state):
    client.force_login(people.operator)
    assert 'href="/ops/gateway/"' in client.get("/").content.decode()

    client.force_login(people.owner)
    assert 'href="/ops/gateway/"' not in client.get("/").content.decode()


@pytest.mark.parametrize("persona", ["owner", "developer", "viewer"])
def test_team_members_who_are_not_operators_get_403(client, people, gateway_state, persona):
    client.force_login(getattr(people, persona))

    assert client.get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_refuses_post(client, people, gateway_state):
    client.force_login(people.operator)

    assert client.post(URL).status_code == 405


def test_before_bootstrap_it_says_how_to_bootstrap(client, people, settings, tmp_path):
    settings.BERTH_GATEWAY_DIR = tmp_path
    client.force_login(people.operator)

    assert "manage.py bootstrap" in client.get(URL).content.decode()


def test_the_portals_https_state_is_shown(client, people, gateway_state, settings):
    from routing import portal

    client.force_login(people.operator)
    settings.BERTH_ROOT_DOMAIN = "example.com"
    settings.BERTH_PORTAL_UPSTREAM = "tasks.berth-web:8000"
    settings.BERTH_PORTAL_HTTPS = False
    assert "<code>berth.example.com</code> · plain HTTP" in client.get(URL).content.decode()

    settings.BERTH_PORTAL_HTTPS = True
    assert "not ordered yet" in client.get(URL).content.decode()
    portal.start()
    assert "being ordered" in client.get(URL).content.decode()
    portal.record_failure("The ACME server could not validate the domain: timeout")
    row = client.get(URL).content.decode()
    assert "no HTTPS certificate: The ACME server could not validate the domain" in row

    from tests.support.certs import make_ca, make_leaf

    leaf = make_leaf(make_ca("Test Issuer"), ["berth.example.com"])
    portal.start(timezone.now() + portal.RETRY_FAILED)
    portal.record_issued("berth.example.com", leaf.cert_pem, leaf.key_pem)
    assert "HTTPS, certificate valid until" in client.get(URL).content.decode()
    # A renewal that failed leaves the certificate serving, and says so.
    portal.record_failure("too many certificates already issued")
    page = client.get(URL).content.decode()
    assert "certificate valid until" in page
    assert "the last renewal failed: too many certificates already issued" in page
