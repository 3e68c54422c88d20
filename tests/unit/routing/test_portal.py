"""When the portal's certificate is ordered, served, retried and left alone."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from paas.models import AuditEvent
from routing import domains, portal
from routing.models import PortalCertificate
from tests.support.certs import make_ca, make_leaf, now

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def https_portal(settings, tmp_path):
    settings.BERTH_ROOT_DOMAIN = "example.test"
    settings.BERTH_PORTAL_SUBDOMAIN = "berth"
    settings.BERTH_PORTAL_UPSTREAM = "tasks.berth-web:8000"
    settings.BERTH_PORTAL_HTTPS = True
    settings.BERTH_GATEWAY_DIR = tmp_path / "gateway"
    return "berth.example.test"


def issued_for(name: str, *, days: float = 90) -> PortalCertificate:
    leaf = make_leaf(make_ca(), [name], days=days, not_before=now() - datetime.timedelta(days=1))
    portal.start()
    return portal.record_issued(name, leaf.cert_pem, leaf.key_pem)


def test_nothing_is_ordered_without_https_or_a_routed_portal(settings, https_portal):
    settings.BERTH_PORTAL_HTTPS = False
    assert not portal.due()
    assert portal.start() is None
    settings.BERTH_PORTAL_HTTPS = True
    settings.BERTH_GATEWAY = "external"
    assert not portal.due()
    settings.BERTH_GATEWAY = "nginx"
    settings.BERTH_PORTAL_UPSTREAM = None
    assert not portal.due()
    assert domains.issue_portal_certificate() == "nothing to do"
    assert not PortalCertificate.objects.exists()


def test_an_order_in_progress_is_not_started_twice(https_portal):
    assert portal.due()
    assert portal.start() == https_portal
    assert not portal.due()
    assert portal.start() is None
    # An order whose worker died is taken up again.
    assert portal.due(timezone.now() + portal.CLAIM + datetime.timedelta(seconds=1))


def test_a_failed_order_is_recorded_and_tried_again_an_hour_later(settings, https_portal):
    settings.BERTH_ACME_DIRECTORY = "http://127.0.0.1:9/directory"

    outcome = domains.issue_portal_certificate()

    assert outcome.startswith("failed: The ACME directory http://127.0.0.1:9/directory")
    row = PortalCertificate.objects.get()
    assert "could not be reached" in row.last_error
    assert portal.served_pair() is None
    assert not portal.due(timezone.now() + datetime.timedelta(minutes=59))
    assert portal.due(timezone.now() + datetime.timedelta(minutes=61))


def test_the_certificate_is_served_until_it_expires_and_renewed_before(https_portal):
    row = issued_for(https_portal)

    pair = portal.served_pair()
    assert pair is not None
    assert pair.chain_pem == row.chain_pem
    assert "PRIVATE KEY" in pair.key_pem
    assert not portal.due()
    assert AuditEvent.objects.filter(action="portal.certificate_issued").count() == 1
    assert row.not_after is not None
    # Inside BERTH_CERT_RENEW_DAYS (30) of expiry: due, still served.
    soon = row.not_after - datetime.timedelta(days=29)
    assert portal.due(soon)
    assert portal.served_pair(soon) is not None
    # Expired: no longer served (the portal falls back to plain HTTP).
    assert portal.served_pair(row.not_after + datetime.timedelta(seconds=1)) is None


def test_a_new_portal_hostname_needs_its_own_certificate(settings, https_portal):
    issued_for(https_portal)
    settings.BERTH_PORTAL_SUBDOMAIN = "paas"

    assert portal.served_pair() is None
    assert portal.due()
    row = issued_for("paas.example.test")

    assert row.hostname == "paas.example.test"
    # A certificate for a new name is an issue, not a renewal of the old one.
    assert AuditEvent.objects.filter(action="portal.certificate_issued").count() == 2
    assert portal.served_pair() is not None


def test_a_key_that_cannot_be_read_is_not_served(https_portal):
    row = issued_for(https_portal)
    PortalCertificate.objects.filter(pk=row.pk).update(key_ciphertext="not-a-fernet-token")

    assert portal.served_pair() is None
