"""Certificates from a real ACME server (Pebble) served by the real gateway."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509

from routing import domains, services
from routing.models import Certificate, CertificateSource, CertificateState, Domain
from tests.integration.domains.conftest import eventually, https_get
from tests.support.certs import make_ca, make_leaf, now

pytestmark = [pytest.mark.integration]


def issuer_of(der: bytes) -> str:
    return x509.load_der_x509_certificate(der).issuer.rfc4514_string()


@pytest.mark.django_db
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
    # Not routed before its check: the gateway's default server answers.
    assert gateway.get("shop.berth.test", "/cgi-bin/info").status == 404

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
    # The challenge answer was cleaned up; the key file is the owner's alone.
    tls_files = list((gateway.folder_path / "tls").iterdir())
    assert len(tls_files) == 1
    assert tls_files[0].stat().st_mode & 0o777 == 0o600
    assert not list((gateway.folder_path / "acme").iterdir())


@pytest.mark.django_db
def test_renewal_replaces_a_certificate_close_to_expiry(
    routed_app, gateway, pebble, people, settings
):
    settings.BERTH_VERIFY_ADDRESS = "127.0.0.1"
    domain = services.add_domain(app=routed_app, principal=None, hostname="renew.berth.test")
    services.record_check(domain.pk, None)
    # An ACME certificate with ten days left, as a previous order would have left it.
    old_ca = make_ca("Old Test CA")
    old = make_leaf(old_ca, ["renew.berth.test"], not_before=now() - datetime.timedelta(days=80))
    certificate = Certificate.objects.create(domain=domain, source=CertificateSource.ACME)
    services._store(certificate, old.cert_pem, old.key_pem)
    certificate.save()
    assert domains.apply_app(routed_app.pk) == "ok"
    before = https_get(gateway.https_port, "renew.berth.test", cadata=old_ca.cert_pem)
    assert issuer_of(before.certificate) == "CN=Old Test CA"

    assert domains.due_for_acme() == [domain.pk]
    assert domains.issue_certificate(domain.pk) == "issued"
    assert domains.apply_app(routed_app.pk) == "ok"

    certificate.refresh_from_db()
    assert certificate.not_after is not None
    assert certificate.not_after > now() + datetime.timedelta(days=30)
    after = https_get(gateway.https_port, "renew.berth.test", cadata=pebble.roots_pem())
    assert "Pebble" in issuer_of(after.certificate)
    assert domains.due_for_acme() == []


@pytest.mark.django_db
def test_a_failed_order_is_kept_with_its_reason(routed_app, gateway, pebble, settings):
    domain = services.add_domain(app=routed_app, principal=None, hostname="elsewhere.berth.test")
    services.record_check(domain.pk, None)
    # nginx's workers cannot read the answers folder, so Pebble's fetch of the
    # challenge gets a 403: a real failed validation.
    (gateway.folder_path / "acme").chmod(0o700)
    try:
        result = domains.issue_certificate(domain.pk)
    finally:
        (gateway.folder_path / "acme").chmod(0o755)

    assert result.startswith("failed")
    certificate = Certificate.objects.get(domain=domain)
    assert certificate.state == CertificateState.FAILED
    assert "could not validate the domain" in certificate.last_error
    assert "403" in certificate.last_error
    assert not certificate.chain_pem


@pytest.mark.django_db(transaction=True)
def test_a_new_domain_is_checked_issued_and_served_by_the_worker(
    routed_app, gateway, pebble, celery_worker, people, settings
):
    settings.BERTH_VERIFY_ADDRESS = "127.0.0.1"

    services.add_domain(
        app=routed_app, principal=people.principal("owner"), hostname="www.berth.test"
    )

    def served() -> bool:
        reply = https_get(
            gateway.https_port, "www.berth.test", "/cgi-bin/info", cadata=pebble.roots_pem()
        )
        return reply.status == 200 and "hello from shop" in reply.body

    eventually(served, timeout=60, what="HTTPS for www.berth.test")
    domain = Domain.objects.get(hostname="www.berth.test")
    assert domain.verified
    assert Certificate.objects.get(domain=domain).state == CertificateState.VALID
    # Without force_https the plain name keeps serving the app.
    assert gateway.get("www.berth.test", "/cgi-bin/info").status == 200


@pytest.mark.django_db
def test_the_apps_own_name_gets_a_certificate_of_its_own(routed_app, gateway, pebble, settings):
    settings.BERTH_ROOT_DOMAIN = "berth.test"
    settings.BERTH_VERIFY_ADDRESS = "127.0.0.1"
    assert domains.apply_app(routed_app.pk) == "ok"
    # Served over plain HTTP by its app name before.
    assert "hello from shop" in gateway.get("shop.berth.test", "/cgi-bin/info").body

    domain = services.add_domain(
        app=routed_app, principal=None, hostname="shop.berth.test", force_https=True
    )
    assert domain.verified
    assert domains.issue_certificate(domain.pk) == "issued"
    assert domains.apply_app(routed_app.pk) == "ok"

    reply = https_get(
        gateway.https_port, "shop.berth.test", "/cgi-bin/info", cadata=pebble.roots_pem()
    )
    assert reply.status == 200
    assert "message=hello from shop" in reply.body
    redirect = gateway.get("shop.berth.test", "/cgi-bin/info")
    assert redirect.status == 301
    assert (
        redirect.headers["location"] == f"https://shop.berth.test:{gateway.https_port}/cgi-bin/info"
    )
