"""Operators skip a domain's check from the Django admin; keys never show there."""

from __future__ import annotations

import pytest
from django.test import Client

from paas.models import AuditEvent
from routing import services
from routing.models import Domain
from tests.support.certs import make_ca, make_leaf

pytestmark = pytest.mark.django_db


def test_an_operator_routes_a_domain_without_its_check(people, shop):
    domain = services.add_domain(app=shop, principal=None, hostname="shop.example.com")
    client = Client()
    client.force_login(people.operator)

    response = client.post(
        "/admin/routing/domain/",
        {"action": "skip_check", "_selected_action": [domain.pk]},
    )

    assert response.status_code == 302
    domain.refresh_from_db()
    assert domain.verified
    assert domain.verification_skipped_by == "operator"
    assert AuditEvent.objects.get(action="domain.skip_check").actor_user == people.operator


def test_the_certificate_page_never_shows_the_key(people, shop):
    domain = services.add_domain(app=shop, principal=None, hostname="shop.example.com")
    leaf = make_leaf(make_ca(), ["shop.example.com"])
    certificate = services.upload_certificate(
        domain=domain, principal=None, chain_pem=leaf.cert_pem, key_pem=leaf.key_pem
    )
    client = Client()
    client.force_login(people.operator)

    page = client.get(f"/admin/routing/certificate/{certificate.pk}/change/").content.decode()

    assert "shop.example.com" in page
    assert "PRIVATE KEY" not in page
    assert certificate.key_ciphertext[:20] not in page
    assert Domain.objects.count() == 1
