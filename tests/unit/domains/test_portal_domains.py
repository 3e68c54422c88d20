"""The app's Domains and Access pages: happy paths, personas, bad input next to the field."""

from __future__ import annotations

import pytest

from paas.models import AuditEvent, Membership, Role
from routing import services
from routing.models import BasicAuthUser, Certificate, Domain
from tests.support.certs import make_ca, make_leaf

pytestmark = pytest.mark.django_db

PAGE = "/t/acme/apps/shop/domains/"
ACCESS = "/t/acme/apps/shop/access/"


def test_the_domains_page_lists_domains_with_their_check_and_https_state(as_, shop):
    domain = services.add_domain(app=shop, principal=None, hostname="shop.example.com")
    services.record_check(domain.pk, "shop.example.com does not resolve. Add a DNS record")

    response = as_("viewer").get(PAGE)

    assert response.status_code == 200
    text = response.content.decode()
    assert "shop.example.com" in text
    assert "Not reaching Berth" in text
    assert "does not resolve" in text
    assert "Waiting" in text
    assert "Add a domain" not in text  # a viewer cannot add


def test_a_developer_adds_a_domain_from_the_page(as_, shop):
    client = as_("developer")
    response = client.post(
        PAGE, {"hostname": "shop.example.com", "https": "on", "force_https": "on"}
    )

    assert response.status_code == 302
    domain = Domain.objects.get()
    assert (domain.hostname, domain.https, domain.force_https) == ("shop.example.com", True, True)
    page = client.get(PAGE).content.decode()
    assert "Added shop.example.com" in page


def test_a_bad_hostname_is_shown_next_to_the_field(as_, shop):
    response = as_("developer").post(PAGE, {"hostname": "shop.example.com;evil"})

    assert response.status_code == 400
    assert "must not contain a semicolon" in response.content.decode()
    assert not Domain.objects.exists()


def test_an_outsider_gets_404_and_a_viewer_403(as_, shop):
    assert as_("outsider").get(PAGE).status_code == 404
    assert as_("viewer").post(PAGE, {"hostname": "x.example.com"}).status_code == 403
    assert not Domain.objects.exists()


def test_remove_takes_post_only(as_, shop):
    services.add_domain(app=shop, principal=None, hostname="shop.example.com")

    assert as_("developer").get(f"{PAGE}shop.example.com/remove/").status_code == 405
    assert as_("viewer").post(f"{PAGE}shop.example.com/remove/").status_code == 403
    assert as_("developer").post(f"{PAGE}shop.example.com/remove/").status_code == 302
    assert not Domain.objects.exists()


def test_only_an_operator_can_skip_the_check(as_, people, shop):
    domain = services.add_domain(app=shop, principal=None, hostname="shop.example.com")
    Membership.objects.create(team=people.team, user=people.operator, role=Role.VIEWER)

    assert as_("owner").post(f"{PAGE}shop.example.com/skip-check/").status_code == 403
    assert "Skip check" not in as_("owner").get(PAGE).content.decode()
    # An operator who is only a viewer of the team still needs the deploy level.
    assert as_("operator").post(f"{PAGE}shop.example.com/skip-check/").status_code == 403
    Membership.objects.filter(user=people.operator).update(role=Role.DEVELOPER)
    assert as_("operator").post(f"{PAGE}shop.example.com/skip-check/").status_code == 302
    domain.refresh_from_db()
    assert domain.verified
    assert domain.verification_skipped_by == "operator"
    assert AuditEvent.objects.filter(action="domain.skip_check").exists()


def test_a_certificate_is_uploaded_from_the_page_and_a_bad_one_explained(as_, shop):
    services.add_domain(app=shop, principal=None, hostname="shop.example.com")
    ca = make_ca()
    leaf = make_leaf(ca, ["shop.example.com"])
    other = make_leaf(ca, ["shop.example.com"])
    url = f"{PAGE}shop.example.com/certificate/"

    bad = as_("developer").post(url, {"certificate": leaf.cert_pem, "key": other.key_pem})
    assert bad.status_code == 400
    assert "does not belong to this certificate" in bad.content.decode()

    good = as_("developer").post(url, {"certificate": leaf.cert_pem, "key": leaf.key_pem})
    assert good.status_code == 302
    assert Certificate.objects.get().source == "upload"
    page = as_("viewer").get(url).content.decode()
    assert "Valid until" in page
    assert "PRIVATE KEY" not in page


def test_basic_auth_users_and_the_snippet_are_managed_on_the_access_page(as_, shop):
    added = as_("developer").post(
        f"{ACCESS}users/", {"username": "ann", "password": "a long password"}
    )
    assert added.status_code == 302
    assert BasicAuthUser.objects.get().username == "ann"

    refused = as_("developer").post(ACCESS, {"snippet": "alias /;"})
    assert refused.status_code == 400
    assert "directive alias is not allowed" in refused.content.decode()

    page = as_("viewer").get(ACCESS).content.decode()
    assert "ann" in page
    assert "a long password" not in page
    assert as_("viewer").post(f"{ACCESS}users/ann/remove/").status_code == 403
    assert as_("developer").post(f"{ACCESS}users/ann/remove/").status_code == 302
    assert not BasicAuthUser.objects.exists()
