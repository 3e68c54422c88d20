"""The portal's own hostname over HTTPS: a certificate from a real ACME server (Pebble)
served by the real gateway, port 80 redirecting, and a renewal."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from django.utils import timezone

from paas import naming
from paas.models import AuditEvent
from routing import certificates, domains, portal
from routing import gateway as routing_gateway
from routing.models import PortalCertificate
from tests.integration.domains.conftest import https_get

pytestmark = [pytest.mark.integration]

PORTAL = "portal.berth.test"


def fingerprint(der: bytes) -> str:
    return certificates.info(x509.load_der_x509_certificate(der)).fingerprint


@pytest.mark.django_db
def test_the_portal_gets_a_certificate_its_port_80_redirects_and_it_renews(
    routed_app, gateway, pebble, settings
):
    # The app's service stands in for the web: the portal's file proxies to it by name.
    settings.BERTH_ROOT_DOMAIN = "berth.test"
    settings.BERTH_PORTAL_SUBDOMAIN = "portal"
    settings.BERTH_PORTAL_UPSTREAM = f"tasks.{naming.app_service(routed_app.name)}:80"
    settings.BERTH_PORTAL_HTTPS = True
    # Routed over plain HTTP until a certificate is issued.
    routed = routing_gateway.apply_portal()
    assert routed is not None
    assert routed.ok
    assert "hello from shop" in gateway.get(PORTAL, "/cgi-bin/info").body
    assert portal.due()

    assert domains.issue_portal_certificate() == "issued"

    reply = https_get(gateway.https_port, PORTAL, "/cgi-bin/info", cadata=pebble.roots_pem())
    assert reply.status == 200
    assert "hello from shop" in reply.body
    redirect = gateway.get(PORTAL, "/accounts/login/?next=/x")
    assert redirect.status == 301
    assert (
        redirect.headers["location"]
        == f"https://{PORTAL}:{gateway.https_port}/accounts/login/?next=/x"
    )
    assert not portal.due()
    first = PortalCertificate.objects.get(namespace=naming.namespace())
    assert first.hostname == PORTAL
    assert first.key_ciphertext
    assert "PRIVATE KEY" not in first.key_ciphertext
    assert AuditEvent.objects.filter(action="portal.certificate_issued", target=PORTAL).exists()
    tls_files = list((gateway.folder_path / "tls").iterdir())
    assert len(tls_files) == 1
    assert tls_files[0].stat().st_mode & 0o777 == 0o600

    # Ten days before expiry it is due again; the new one replaces the old file.
    PortalCertificate.objects.filter(pk=first.pk).update(
        not_after=timezone.now() + datetime.timedelta(days=10),
        last_attempt_at=timezone.now() - datetime.timedelta(days=80),
    )
    assert portal.due()
    assert domains.maintain()["portal"] == 1
    assert domains.issue_portal_certificate() == "issued"

    renewed = PortalCertificate.objects.get(pk=first.pk)
    assert renewed.fingerprint != first.fingerprint
    reply = https_get(gateway.https_port, PORTAL, "/cgi-bin/info", cadata=pebble.roots_pem())
    assert fingerprint(reply.certificate) == renewed.fingerprint
    assert AuditEvent.objects.filter(action="portal.certificate_renewed", target=PORTAL).exists()
    # The old pair's file is gone (its name is the digest of its content).
    left = [path.name for path in (gateway.folder_path / "tls").iterdir()]
    assert len(left) == 1
    assert left != [tls_files[0].name]


@pytest.mark.django_db
def test_bootstrap_orders_the_portal_certificate_at_once(routed_app, gateway, pebble, settings):
    from routing.bootstrap import bootstrap

    settings.BERTH_ROOT_DOMAIN = "berth.test"
    settings.BERTH_PORTAL_SUBDOMAIN = "portal"
    settings.BERTH_PORTAL_UPSTREAM = f"tasks.{naming.app_service(routed_app.name)}:80"
    settings.BERTH_PORTAL_HTTPS = True

    report = bootstrap()

    assert "portal: HTTPS certificate issued" in report.lines
    reply = https_get(gateway.https_port, PORTAL, "/cgi-bin/info", cadata=pebble.roots_pem())
    assert "hello from shop" in reply.body
    # Run again, nothing is due: no second order.
    assert not any("certificate" in line for line in bootstrap().lines)
