"""Uploaded certificates, redirects, basic auth and snippets on the real gateway."""

from __future__ import annotations

import base64
import http.client
import ssl

import pytest
from cryptography import x509

from paas.models import Team
from routing import domains, services
from routing import gateway as gw
from routing.models import Domain
from routing.routes import Host, Route, TlsPair
from tests.integration.domains.conftest import https_get
from tests.support.certs import make_ca, make_leaf

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def verified(app, hostname: str, **options) -> Domain:
    domain = services.add_domain(app=app, principal=None, hostname=hostname, **options)
    services.record_check(domain.pk, None)
    return domain


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_an_uploaded_certificate_is_served_and_http_redirects(routed_app, gateway, people):
    ca = make_ca("Upload Test CA")
    intermediate = make_ca("Upload Test Intermediate", issuer=ca)
    leaf = make_leaf(intermediate, ["secure.example.test"])
    domain = verified(routed_app, "secure.example.test", force_https=True)
    services.upload_certificate(
        domain=domain,
        principal=people.principal("developer"),
        chain_pem=leaf.cert_pem + intermediate.cert_pem,
        key_pem=leaf.key_pem,
    )

    assert domains.apply_app(routed_app.pk) == "ok"

    reply = https_get(
        gateway.https_port, "secure.example.test", "/cgi-bin/info", cadata=ca.cert_pem
    )
    assert reply.status == 200
    assert "message=hello from shop" in reply.body
    served = x509.load_der_x509_certificate(reply.certificate)
    assert served.serial_number == leaf.cert.serial_number
    redirect = gateway.get("secure.example.test", "/")
    assert redirect.status == 301
    assert redirect.headers["location"] == f"https://secure.example.test:{gateway.https_port}/"
    # The default <app>.<root> name keeps plain HTTP.
    assert gateway.get("shop.localhost", "/cgi-bin/info").status == 200


def test_tls_for_a_name_without_a_certificate_is_refused(routed_app, gateway):
    assert domains.apply_app(routed_app.pk) == "ok"

    # ssl_reject_handshake: the gateway sends an alert instead of some other app's certificate.
    with pytest.raises(ssl.SSLError, match=r"UNRECOGNIZED_NAME|unrecognized name"):
        https_get(gateway.https_port, "unknown.example.test")


def test_an_alias_redirects_to_the_primary_domain(routed_app, gateway):
    verified(routed_app, "primary.example.test")
    verified(routed_app, "old.example.test", alias=True)

    assert domains.apply_app(routed_app.pk) == "ok"

    assert gateway.get("primary.example.test", "/cgi-bin/info").status == 200
    redirect = gateway.get("old.example.test", "/page?q=1")
    assert redirect.status == 301
    assert (
        redirect.headers["location"] == f"http://primary.example.test:{gateway.http_port}/page?q=1"
    )


def test_basic_auth_challenges_then_accepts(routed_app, gateway, people):
    verified(routed_app, "private.example.test")
    services.add_auth_user(
        app=routed_app,
        principal=people.principal("developer"),
        username="ann",
        password="a long password",
    )

    assert domains.apply_app(routed_app.pk) == "ok"

    def get(headers: dict[str, str]) -> tuple[int, str, str]:
        connection = http.client.HTTPConnection("127.0.0.1", gateway.http_port, timeout=10)
        connection.request(
            "GET", "/cgi-bin/info", headers={"Host": "private.example.test", **headers}
        )
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        connection.close()
        return response.status, response.getheader("WWW-Authenticate") or "", body

    status, challenge, _ = get({})
    assert status == 401
    assert challenge.startswith("Basic realm=")
    assert get(basic("ann", "wrong password"))[0] == 401
    status, _, body = get(basic("ann", "a long password"))
    assert status == 200
    assert "message=hello from shop" in body
    # The default name is guarded too, and ACME answers are not.
    assert gateway.get("shop.localhost", "/").status == 401
    assert gateway.get("private.example.test", "/.well-known/acme-challenge/none").status == 404


def test_a_snippet_nginx_refuses_keeps_the_last_good_config(routed_app, gateway):
    verified(routed_app, "snippet.example.test")
    services.set_gateway_options(
        app=routed_app, principal=None, snippet="add_header X-Berth-Snippet on;"
    )
    assert domains.apply_app(routed_app.pk) == "ok"
    assert gateway.get("snippet.example.test", "/").headers.get("x-berth-snippet") == "on"

    Team.objects.filter(pk=routed_app.team_id).update(trusted=True)
    routed_app.team.refresh_from_db()
    services.set_gateway_options(
        app=routed_app, principal=None, snippet="proxy_read_timeout banana;"
    )
    error = domains.apply_app(routed_app.pk)

    assert "proxy_read_timeout" in error
    routed_app.refresh_from_db()
    assert "proxy_read_timeout" in routed_app.route_error
    reply = gateway.get("snippet.example.test", "/cgi-bin/info")
    assert reply.status == 200
    assert reply.headers.get("x-berth-snippet") == "on"


def test_injection_attempts_are_refused_before_anything_is_written(routed_app, gateway, people):
    from django.core.exceptions import ValidationError

    assert domains.apply_app(routed_app.pk) == "ok"
    folder = gateway.folder_path
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and ".lock" not in p.name}

    for hostname in (
        "evil.example.test;",
        "evil.example.test}",
        "a$host.test",
        "x.test\nlisten 81",
    ):
        with pytest.raises(ValidationError):
            services.add_domain(app=routed_app, principal=None, hostname=hostname)
    with pytest.raises(ValidationError):
        services.add_auth_user(
            app=routed_app, principal=None, username="ann\nx", password="a long password"
        )
    with pytest.raises(ValidationError):
        services.set_gateway_options(
            app=routed_app, principal=None, snippet="} server { listen 81; "
        )
    # A route built by hand, past the services, is refused by the renderer's checks.
    ca = make_ca()
    leaf = make_leaf(ca, ["x.test"])
    crafted = Route(
        name="shop",
        hostnames=("shop.localhost", "x.test"),
        service="berth-app-shop",
        port=80,
        hosts=(Host("x.test", tls=TlsPair(leaf.cert_pem, leaf.key_pem)),),
        snippet="alias /etc/berth/tls/;",
    )
    result = gw.apply_route(crafted)

    assert not result.ok
    assert "alias is not allowed" in result.error
    assert not Domain.objects.exists()
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and ".lock" not in p.name}
    assert after == before
