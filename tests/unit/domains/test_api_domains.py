"""/api/v1/apps/{name}/domains/: personas, bad input, errors in the project's format, audit."""

from __future__ import annotations

import pytest

from paas.models import AuditEvent
from routing import services
from routing.models import Certificate, Domain
from tests.support.certs import make_ca, make_leaf

pytestmark = pytest.mark.django_db

URL = "/api/v1/apps/shop/domains/"


def test_a_developer_adds_a_domain_which_waits_for_its_check(
    people, as_user, shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = as_user(people.developer).post(
            URL, {"hostname": "Shop.Example.COM", "force_https": True}, format="json"
        )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["hostname"] == "shop.example.com"
    assert body["verified"] is False
    assert body["https"] is True
    assert body["force_https"] is True
    assert body["verification"]["path"].startswith("/.well-known/berth-verify/")
    assert body["https_state"]["state"] == "pending"
    assert len(callbacks) == 1  # the check is queued after commit
    event = AuditEvent.objects.get(action="domain.add")
    assert event.actor_user == people.developer
    assert event.target == "shop.example.com"


def test_the_list_shows_the_apps_domains(people, as_user, shop):
    services.add_domain(app=shop, principal=None, hostname="a.example.com")
    services.add_domain(app=shop, principal=None, hostname="b.example.com", alias=True)

    response = as_user(people.viewer).get(URL)

    assert response.status_code == 200
    assert [(d["hostname"], d["alias"]) for d in response.json()] == [
        ("a.example.com", False),
        ("b.example.com", True),
    ]


@pytest.mark.parametrize(
    ("hostname", "message"),
    [
        ("shop.example.com;", "semicolon"),
        ("shop.example.com}", "brace"),
        ('shop"x.example.com', "quote"),
        ("shop.example.com\nx", "line break"),
        ("$host", "dollar sign"),
        ("shop example.com", "space"),
        ("not_a_host", "each part"),
        # Another app's name (the app's own is allowed, for its certificate).
        ("other.localhost", "belong to apps"),
    ],
)
def test_bad_hostnames_are_refused_with_the_reason_and_nothing_is_stored(
    people, as_user, shop, hostname, message
):
    response = as_user(people.developer).post(URL, {"hostname": hostname}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert message in error["fields"]["hostname"]
    assert not Domain.objects.exists()


def test_a_name_already_used_by_another_app_is_refused(people, as_user, shop):
    from apps import services as app_services

    other = app_services.create_app(
        team=people.team, principal=people.principal("owner"), name="other"
    )
    services.add_domain(app=other, principal=None, hostname="shop.example.com")

    response = as_user(people.developer).post(URL, {"hostname": "shop.example.com"}, format="json")

    assert response.status_code == 400
    assert "already used" in response.json()["error"]["fields"]["hostname"]


def test_an_outsider_gets_404_and_a_viewer_403(people, as_user, shop):
    assert as_user(people.outsider).get(URL).status_code == 404
    assert (
        as_user(people.outsider).post(URL, {"hostname": "x.example.com"}, format="json").status_code
        == 404
    )
    response = as_user(people.viewer).post(URL, {"hostname": "x.example.com"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_a_read_token_cannot_add_a_domain(people, token_client, shop):
    client = token_client(people.team, scopes="read")

    assert client.get(URL).status_code == 200
    assert client.post(URL, {"hostname": "x.example.com"}, format="json").status_code == 403


def test_a_developer_removes_a_domain(people, as_user, shop):
    services.add_domain(app=shop, principal=None, hostname="shop.example.com")

    response = as_user(people.developer).delete(f"{URL}shop.example.com/")

    assert response.status_code == 204
    assert not Domain.objects.exists()
    assert AuditEvent.objects.filter(action="domain.remove", target="shop.example.com").exists()


def test_removing_is_404_for_an_unknown_domain_an_outsider_and_403_for_a_viewer(
    people, as_user, shop
):
    services.add_domain(app=shop, principal=None, hostname="shop.example.com")

    assert as_user(people.developer).delete(f"{URL}nope.example.com/").status_code == 404
    assert as_user(people.outsider).delete(f"{URL}shop.example.com/").status_code == 404
    assert as_user(people.viewer).delete(f"{URL}shop.example.com/").status_code == 403
    assert Domain.objects.count() == 1


def test_an_uploaded_certificate_is_checked_and_its_key_never_shown(people, as_user, shop):
    services.add_domain(app=shop, principal=None, hostname="shop.example.com")
    ca = make_ca()
    leaf = make_leaf(ca, ["shop.example.com"])

    response = as_user(people.developer).put(
        f"{URL}shop.example.com/certificate/",
        {"certificate": leaf.cert_pem + ca.cert_pem, "key": leaf.key_pem},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["certificate"]["source"] == "upload"
    assert body["certificate"]["names"] == ["shop.example.com"]
    assert body["https_state"]["state"] == "valid"
    assert "PRIVATE KEY" not in response.content.decode()
    stored = Certificate.objects.get()
    assert "PRIVATE KEY" not in stored.key_ciphertext
    event = AuditEvent.objects.get(action="certificate.upload")
    assert "PRIVATE" not in str(event.data)


def test_a_certificate_for_another_name_is_refused_on_the_certificate_field(people, as_user, shop):
    services.add_domain(app=shop, principal=None, hostname="shop.example.com")
    leaf = make_leaf(make_ca(), ["other.example.com"])

    response = as_user(people.developer).put(
        f"{URL}shop.example.com/certificate/",
        {"certificate": leaf.cert_pem, "key": leaf.key_pem},
        format="json",
    )

    assert response.status_code == 400
    assert "does not cover shop.example.com" in response.json()["error"]["fields"]["certificate"]
    assert not Certificate.objects.exists()


def test_basic_auth_users_are_added_without_showing_the_password(people, as_user, shop):
    response = as_user(people.developer).post(
        "/api/v1/apps/shop/basic-auth/",
        {"username": "ann", "password": "a long password"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json() == {"username": "ann", "created_at": response.json()["created_at"]}
    bad = as_user(people.developer).post(
        "/api/v1/apps/shop/basic-auth/", {"username": "a:b", "password": "x"}, format="json"
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"username", "password"}


def test_a_snippet_with_a_refused_directive_is_refused(people, as_user, shop):
    response = as_user(people.developer).patch(
        "/api/v1/apps/shop/gateway/", {"snippet": "root /etc;"}, format="json"
    )

    assert response.status_code == 400
    assert "directive root is not allowed" in response.json()["error"]["fields"]["snippet"]
    ok = as_user(people.developer).patch(
        "/api/v1/apps/shop/gateway/",
        {"snippet": "client_max_body_size 5m;", "websocket": False},
        format="json",
    )
    assert ok.status_code == 200
    assert ok.json() == {"websocket": False, "snippet": "client_max_body_size 5m;"}
    assert AuditEvent.objects.filter(action="gateway_options.update").count() == 1


def test_the_apps_own_name_is_added_verified_for_a_certificate(
    people, as_user, shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = as_user(people.developer).post(
            URL, {"hostname": "SHOP.localhost", "force_https": True}, format="json"
        )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["hostname"] == "shop.localhost"
    # No check: the root domain points to the gateway. Its order is queued at once.
    assert body["verified"] is True
    assert len(callbacks) == 1
    refused = as_user(people.developer).patch(
        f"{URL}shop.localhost/", {"alias": True}, format="json"
    )
    assert refused.status_code == 400
    assert "cannot redirect" in refused.json()["error"]["fields"]["alias"]


def test_the_apps_own_name_cannot_be_an_alias(people, as_user, shop):
    response = as_user(people.developer).post(
        URL, {"hostname": "shop.localhost", "alias": True}, format="json"
    )

    assert response.status_code == 400
    assert "cannot redirect" in response.json()["error"]["fields"]["alias"]
    assert not Domain.objects.exists()


def test_the_apps_url_is_https_once_its_own_name_has_a_certificate(people, as_user, shop, settings):
    settings.BERTH_GATEWAY_HTTPS_PORT = 8443
    client = as_user(people.viewer)
    assert client.get("/api/v1/apps/shop/").json()["url"] == "http://shop.localhost/"
    domain = services.add_domain(app=shop, principal=None, hostname="shop.localhost")
    # Ordered, not issued yet: still http.
    assert client.get("/api/v1/apps/shop/").json()["url"] == "http://shop.localhost/"
    leaf = make_leaf(make_ca(), ["shop.localhost"])
    certificate = Certificate.objects.create(domain=domain, source="acme")
    services._store(certificate, leaf.cert_pem, leaf.key_pem)
    certificate.save()

    assert client.get("/api/v1/apps/shop/").json()["url"] == "https://shop.localhost:8443/"
    listed = client.get("/api/v1/apps/").json()["results"]
    assert [(a["name"], a["url"]) for a in listed] == [("shop", "https://shop.localhost:8443/")]
