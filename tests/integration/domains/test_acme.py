"""Certificates from a real ACME server (Pebble) served by the real gateway."""

from __future__ import annotations

import pytest

from routing import domains, services
from routing.models import Certificate, CertificateState
from tests.integration.domains.conftest import https_get

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_pebble_issues_a_certificate_the_gateway_then_serves(
    routed_app, gateway, pebble, people, settings
):
    settings.BERTH_VERIFY_ADDRESS = "127.0.0.1"
    domain = services.add_domain(
        app=routed_app,
        principal=people.principal("developer"),
        hostname="shop.berth.test",
        force_https=True,
    )

    assert domains.verify_domain(domain.pk) == "verified"
    assert domains.issue_certificate(domain.pk) == "issued"
    assert domains.apply_app(routed_app.pk) == "ok"

    certificate = Certificate.objects.get(domain=domain)
    assert certificate.state == CertificateState.VALID
    assert certificate.names == ["shop.berth.test"]
    assert "Pebble" in certificate.issuer
    reply = https_get(
        gateway.https_port, "shop.berth.test", "/cgi-bin/info", cadata=pebble.roots_pem()
    )
    assert reply.status == 200
    assert "message=hello from shop" in reply.body
    redirect = gateway.get("shop.berth.test", "/cgi-bin/info?x=1")
    assert redirect.status == 301
    assert (
        redirect.headers["location"]
        == f"https://shop.berth.test:{gateway.https_port}/cgi-bin/info?x=1"
    )
