import re
from typing import Any

import pytest
from django.test import Client

from paas import services
from paas.models import AuditEvent, Invitation, Role
from tests.support.personas import Personas

pytestmark = pytest.mark.django_db

LINK = re.compile(r'value="(http://testserver/invite/([\w-]+)/)"')


def create(client: Client, **data: Any) -> Any:
    return client.post("/t/acme/invitations/", {"role": "developer", "days": "7", **data})


def test_an_admin_creates_an_invitation_and_sees_the_link_once(people, as_):
    client = as_("admin")
    response = create(client, email="new@example.test")
    assert response.status_code == 200
    page = response.content.decode()
    found = LINK.search(page)
    assert found is not None
    secret = found.group(2)
    assert "only time the link is shown" in page
    assert 'data-copy="invite-link"' in page
    invitation = services.find_open_invitation(secret)
    assert (invitation.team, invitation.role, invitation.email) == (
        people.team,
        Role.DEVELOPER,
        "new@example.test",
    )
    # Never again: not on the list page, not in the database, not in the audit log.
    listing = client.get("/t/acme/invitations/").content.decode()
    assert secret not in listing
    assert "new@example.test" in listing
    assert secret not in invitation.token_hash
    event = AuditEvent.objects.get(action="invitation.create")
    assert secret not in str(event.data) + event.target
    assert event.actor_user == people.admin


def test_the_list_shows_each_invitations_state(people, as_):
    admin = people.principal("admin")
    services.create_invitation(team=people.team, role=Role.VIEWER, principal=admin)
    revoked, _ = services.create_invitation(team=people.team, role=Role.VIEWER, principal=admin)
    services.revoke_invitation(invitation=revoked, principal=admin)
    page = as_("admin").get("/t/acme/invitations/").content.decode()
    assert "state-open" in page
    assert "state-revoked" in page


def test_an_admin_is_not_offered_the_owner_role(people, as_):
    client = as_("admin")
    assert b'<option value="owner"' not in client.get("/t/acme/invitations/").content
    response = create(client, role="owner")
    assert response.status_code == 400
    assert response.context["form"].errors["role"]
    assert not Invitation.objects.exists()


def test_an_owner_can_invite_an_owner(people, as_):
    assert create(as_("owner"), role="owner").status_code == 200
    assert Invitation.objects.get().role == Role.OWNER


@pytest.mark.parametrize(
    ("data", "field"),
    [({"email": "not-an-email"}, "email"), ({"days": "0"}, "days"), ({"days": "91"}, "days")],
)
def test_it_rejects_bad_input_next_to_the_field(people, as_, data, field):
    response = create(as_("admin"), **data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert response.context["created"] is None
    assert not Invitation.objects.exists()


def test_the_expiry_defaults_to_the_setting(people, as_, settings):
    settings.BERTH_INVITE_DAYS = 3
    as_("admin").post("/t/acme/invitations/", {"role": "viewer"})
    invitation = Invitation.objects.get()
    assert round((invitation.expires_at - invitation.created_at).total_seconds() / 86400) == 3


@pytest.mark.parametrize("persona", ["viewer", "developer"])
def test_viewers_and_developers_cannot_see_or_create_invitations(people, as_, persona):
    client = as_(persona)
    assert client.get("/t/acme/invitations/").status_code == 403
    assert create(client).status_code == 403
    assert not Invitation.objects.exists()


def test_an_outsider_gets_404_on_invitations(people, as_):
    assert as_("outsider").get("/t/acme/invitations/").status_code == 404
    assert create(as_("outsider")).status_code == 404


def test_invitations_refuse_put(people, as_):
    assert as_("admin").put("/t/acme/invitations/").status_code == 405


# --- revoke -------------------------------------------------------------------------


def make_invitation(people: Personas) -> tuple[Invitation, str]:
    return services.create_invitation(
        team=people.team, role=Role.VIEWER, principal=people.principal("owner")
    )


def test_an_admin_revokes_an_invitation(people, as_):
    invitation, secret = make_invitation(people)
    response = as_("admin").post(f"/t/acme/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == "revoked"
    assert AuditEvent.objects.filter(action="invitation.revoke", actor_user=people.admin).exists()
    assert as_("outsider").get(f"/invite/{secret}/").status_code == 410


def test_revoking_twice_says_so_and_records_once(people, as_):
    invitation, _ = make_invitation(people)
    client = as_("admin")
    client.post(f"/t/acme/invitations/{invitation.pk}/revoke/")
    response = client.post(f"/t/acme/invitations/{invitation.pk}/revoke/", follow=True)
    assert b"already revoked" in response.content
    assert AuditEvent.objects.filter(action="invitation.revoke").count() == 1


@pytest.mark.parametrize("persona", ["viewer", "developer"])
def test_viewers_and_developers_cannot_revoke(people, as_, persona):
    invitation, _ = make_invitation(people)
    assert as_(persona).post(f"/t/acme/invitations/{invitation.pk}/revoke/").status_code == 403
    invitation.refresh_from_db()
    assert invitation.state == "open"


def test_an_invitation_of_another_team_is_404(people, as_):
    other, _ = services.create_invitation(
        team=people.other_team, role=Role.VIEWER, principal=people.principal("outsider")
    )
    assert as_("owner").post(f"/t/acme/invitations/{other.pk}/revoke/").status_code == 404
    assert as_("outsider").post(f"/t/globex/invitations/{other.pk}/revoke/").status_code == 302


def test_revoke_refuses_get(people, as_):
    invitation, _ = make_invitation(people)
    assert as_("owner").get(f"/t/acme/invitations/{invitation.pk}/revoke/").status_code == 405
