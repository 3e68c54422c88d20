from datetime import timedelta

import pytest
from django.utils import timezone

from paas import services
from paas.adapters import INVITE_SESSION_KEY
from paas.middleware import SESSION_KEY
from paas.models import AuditEvent, Invitation, Membership, Role
from tests.support.personas import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def invite(people):
    invitation, secret = services.create_invitation(
        team=people.team,
        role=Role.DEVELOPER,
        principal=people.principal("owner"),
        email="newcomer@example.test",
    )
    return invitation, secret


def test_a_visitor_sees_the_team_and_role_and_is_offered_sign_up_or_sign_in(client, invite):
    _, secret = invite
    response = client.get(f"/invite/{secret}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Join Acme" in page
    assert "Developer" in page
    assert 'href="/accounts/signup/?email=newcomer%40example.test"' in page
    assert f'href="/accounts/login/?next=%2Finvite%2F{secret}%2F"' in page
    assert client.session[INVITE_SESSION_KEY] == secret


def test_a_visitor_posting_is_sent_to_sign_in(client, invite):
    _, secret = invite
    response = client.post(f"/invite/{secret}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Invitation.objects.filter(accepted_at__isnull=False).exists()


def test_a_signed_in_user_accepts_and_lands_in_the_team(client, invite, people):
    invitation, secret = invite
    user = make_user("joiner")
    client.force_login(user)
    page = client.get(f"/invite/{secret}/").content.decode()
    assert "Accept and join Acme" in page
    response = client.post(f"/invite/{secret}/")
    assert response.status_code == 302
    assert response["Location"] == "/t/acme/"
    assert Membership.objects.get(team=people.team, user=user).role == Role.DEVELOPER
    assert client.session[SESSION_KEY] == people.team.pk
    event = AuditEvent.objects.get(action="invitation.accept")
    assert event.actor_user == user
    invitation.refresh_from_db()
    assert invitation.accepted_by == user


def test_a_member_opening_a_link_is_not_changed_and_the_link_stays_open(client, invite, people):
    invitation, secret = invite
    client.force_login(people.viewer)
    assert b"already a member" in client.get(f"/invite/{secret}/").content
    response = client.post(f"/invite/{secret}/")
    assert response["Location"] == "/t/acme/"
    assert Membership.objects.get(team=people.team, user=people.viewer).role == Role.VIEWER
    invitation.refresh_from_db()
    assert invitation.state == "open"


def test_a_used_link_is_gone(client, invite):
    _, secret = invite
    services.accept_invitation(secret=secret, user=make_user("first"), principal=None)
    client.force_login(make_user("second"))
    response = client.get(f"/invite/{secret}/")
    assert response.status_code == 410
    assert b"This invitation has already been accepted" in response.content
    assert client.post(f"/invite/{secret}/").status_code == 410
    assert not Membership.objects.filter(user__username="second").exists()


def test_an_expired_link_is_gone_and_not_kept_in_the_session(client, invite):
    invitation, secret = invite
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(f"/invite/{secret}/")
    assert response.status_code == 410
    assert b"This invitation has expired" in response.content
    assert INVITE_SESSION_KEY not in client.session


def test_a_revoked_link_is_gone(client, invite, people):
    invitation, secret = invite
    services.revoke_invitation(invitation=invitation, principal=people.principal("owner"))
    response = client.get(f"/invite/{secret}/")
    assert response.status_code == 410
    assert b"This invitation was revoked" in response.content


def test_an_unknown_link_is_404_with_a_friendly_page(client, db):
    response = client.get("/invite/not-a-real-secret/")
    assert response.status_code == 404
    assert b"This invitation link is not valid" in response.content
    assert b"Ask the team" in response.content


def test_the_invite_page_refuses_put(client, invite):
    _, secret = invite
    assert client.put(f"/invite/{secret}/").status_code == 405
