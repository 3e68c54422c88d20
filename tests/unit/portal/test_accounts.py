"""Sign-up, sign-in and sign-out through allauth, with Berth's adapter and pages."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from paas import services
from paas.middleware import SESSION_KEY
from paas.models import Invitation, Membership, Role
from tests.support.personas import PASSWORD

pytestmark = pytest.mark.django_db


def signup(client: Client, username: str, **extra: str) -> Any:
    data = {
        "username": username,
        "email": f"{username}@example.test",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **extra,
    }
    return client.post("/accounts/signup/", data)


def test_the_first_sign_up_page_says_it_makes_the_operator(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert b"Create the operator account" in response.content
    assert b"becomes the operator" in response.content
    assert b'href="/static/berth/berth.css"' in response.content


def test_the_first_account_becomes_the_operator(client):
    response = signup(client, "ops")
    assert response.status_code == 302
    user = User.objects.get(username="ops")
    assert user.is_superuser
    assert user.is_staff
    welcome = client.get("/", follow=True)
    assert b"You are the operator" in welcome.content
    assert b"You are not in a team yet" in welcome.content


def test_after_the_first_account_sign_up_is_closed_without_an_invitation(people, client):
    response = client.get("/accounts/signup/")
    assert b"Sign-up is by invitation" in response.content
    signup(client, "intruder")
    assert not User.objects.filter(username="intruder").exists()


def test_the_sign_in_page_is_berths(people, client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Sign in to Berth" in page
    assert 'name="login"' in page
    assert "Accounts are made from an invitation link" in page


def test_an_invited_person_signs_up_and_lands_in_the_team_with_the_role(people, client):
    invitation, secret = services.create_invitation(
        team=people.team, role=Role.DEVELOPER, principal=people.principal("owner")
    )
    client.get(f"/invite/{secret}/")
    page = client.get("/accounts/signup/").content.decode()
    assert "You are joining <strong>Acme</strong>" in page
    assert "Create the operator account" not in page
    response = signup(client, "newbie")
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert not user.is_superuser
    assert Membership.objects.get(team=people.team, user=user).role == Role.DEVELOPER
    assert client.session[SESSION_KEY] == people.team.pk
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    landing = client.get("/", follow=True)
    assert landing.redirect_chain[-1][0] == "/t/acme/"
    assert b"you joined as developer" in landing.content


def test_an_expired_invitation_does_not_open_sign_up(people, client):
    invitation, secret = services.create_invitation(
        team=people.team, role=Role.VIEWER, principal=people.principal("owner")
    )
    client.get(f"/invite/{secret}/")
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert b"Sign-up is by invitation" in client.get("/accounts/signup/").content
    signup(client, "late")
    assert not User.objects.filter(username="late").exists()


def test_signing_in_with_an_invitation_pending_goes_back_to_it(people, client):
    _, secret = services.create_invitation(
        team=people.other_team, role=Role.VIEWER, principal=people.principal("outsider")
    )
    client.get(f"/invite/{secret}/")
    response = client.post("/accounts/login/", {"login": "viewer", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == f"/invite/{secret}/"
    # Nothing is accepted until the person presses Accept.
    assert not Membership.objects.filter(team=people.other_team, user=people.viewer).exists()


def test_signing_in_lands_on_the_dashboard(people, client):
    response = client.post(
        "/accounts/login/", {"login": "viewer@example.test", "password": PASSWORD}
    )
    assert response["Location"] == "/"


def test_a_wrong_password_is_refused_on_the_page(people, client):
    response = client.post("/accounts/login/", {"login": "viewer", "password": "nope"})
    assert response.status_code == 200
    assert b"not correct" in response.content


def test_signing_out_takes_a_post(people, as_):
    client = as_("viewer")
    page = client.get("/accounts/logout/")
    assert b"Sign out of Berth" in page.content
    assert client.get("/t/acme/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/t/acme/").status_code == 302


def test_allauths_other_pages_wear_the_portal_layout(people, as_, client):
    assert b'href="/static/berth/berth.css"' in client.get("/accounts/password/reset/").content
    page = as_("viewer").get("/accounts/password/change/")
    assert page.status_code == 200
    assert b'href="/static/berth/berth.css"' in page.content
    assert b'action="/teams/switch/"' in page.content
