import pytest

from paas.models import AuditEvent, Membership, Role
from tests.support.personas import Personas

pytestmark = pytest.mark.django_db


def member(people: Personas, name: str) -> Membership:
    return Membership.objects.get(team=people.team, user=getattr(people, name))


def role_url(people: Personas, name: str) -> str:
    return f"/t/acme/members/{member(people, name).pk}/role/"


def role_data(people: Personas, name: str, role: str) -> dict[str, str]:
    return {f"m{member(people, name).pk}-role": role}


# --- list -------------------------------------------------------------------------


def test_a_viewer_sees_the_members_without_controls(people, as_):
    response = as_("viewer").get("/t/acme/members/")
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("owner", "teamadmin", "developer", "viewer"):
        assert name in page
    assert "/role/" not in page
    assert "/remove/" not in page


def test_an_admin_can_change_everyone_but_owners(people, as_):
    page = as_("admin").get("/t/acme/members/").content.decode()
    assert role_url(people, "developer") in page
    assert role_url(people, "owner") not in page
    # Admins are not offered the owner role.
    assert '<option value="owner"' not in page


def test_an_owner_can_change_owners_too(people, as_):
    page = as_("owner").get("/t/acme/members/").content.decode()
    assert '<option value="owner"' in page
    assert f"/members/{member(people, 'admin').pk}/remove/" in page


def test_an_outsider_gets_404_on_members(people, as_):
    assert as_("outsider").get("/t/acme/members/").status_code == 404


def test_members_refuse_post(people, as_):
    assert as_("owner").post("/t/acme/members/").status_code == 405


# --- role change --------------------------------------------------------------------


def test_an_admin_changes_a_role(people, as_):
    response = as_("admin").post(
        role_url(people, "developer"), role_data(people, "developer", "viewer")
    )
    assert response.status_code == 302
    assert response["Location"] == "/t/acme/members/"
    assert member(people, "developer").role == Role.VIEWER
    event = AuditEvent.objects.get(action="member.role")
    assert event.data == {"from": "developer", "to": "viewer"}
    assert event.target == "developer"


def test_a_role_change_with_htmx_answers_with_the_row(people, as_):
    response = as_("admin").post(
        role_url(people, "developer"),
        role_data(people, "developer", "viewer"),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith(f'<tr id="member-{member(people, "developer").pk}"')
    assert "<html" not in page
    assert "Saved" in page
    assert '<option value="viewer" selected>' in page


@pytest.mark.parametrize("persona", ["viewer", "developer"])
def test_a_viewer_or_developer_cannot_change_roles(people, as_, persona):
    response = as_(persona).post(role_url(people, "viewer"), role_data(people, "viewer", "admin"))
    assert response.status_code == 403
    assert member(people, "viewer").role == Role.VIEWER


def test_an_outsider_cannot_change_roles(people, as_):
    response = as_("outsider").post(
        role_url(people, "viewer"), role_data(people, "viewer", "admin")
    )
    assert response.status_code == 404


def test_a_membership_of_another_team_is_404(people, as_):
    foreign = Membership.objects.get(user=people.outsider)
    response = as_("owner").post(
        f"/t/acme/members/{foreign.pk}/role/", {f"m{foreign.pk}-role": "viewer"}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == Role.OWNER


def test_the_last_owner_cannot_be_demoted_and_the_row_says_why(people, as_):
    response = as_("owner").post(role_url(people, "owner"), role_data(people, "owner", "admin"))
    assert response.status_code == 400
    assert b"The last owner cannot be demoted" in response.content
    assert member(people, "owner").role == Role.OWNER
    assert not AuditEvent.objects.exists()


def test_the_last_owner_error_also_shows_inline_with_htmx(people, as_):
    response = as_("owner").post(
        role_url(people, "owner"), role_data(people, "owner", "viewer"), HTTP_HX_REQUEST="true"
    )
    assert b"The last owner cannot be demoted" in response.content
    assert b"Saved" not in response.content
    assert member(people, "owner").role == Role.OWNER


def test_an_admin_cannot_make_an_owner(people, as_):
    response = as_("admin").post(
        role_url(people, "developer"), role_data(people, "developer", "owner")
    )
    assert response.status_code == 400
    assert member(people, "developer").role == Role.DEVELOPER


def test_an_admin_cannot_demote_an_owner(people, as_):
    Membership.objects.filter(user=people.developer).update(role=Role.OWNER)
    response = as_("admin").post(role_url(people, "owner"), role_data(people, "owner", "viewer"))
    assert response.status_code == 403
    assert member(people, "owner").role == Role.OWNER


def test_an_unknown_role_is_refused(people, as_):
    response = as_("owner").post(role_url(people, "viewer"), role_data(people, "viewer", "emperor"))
    assert response.status_code == 400
    assert member(people, "viewer").role == Role.VIEWER


def test_role_change_refuses_get(people, as_):
    assert as_("owner").get(role_url(people, "viewer")).status_code == 405


# --- remove -------------------------------------------------------------------------


def test_an_admin_removes_a_member(people, as_):
    url = f"/t/acme/members/{member(people, 'viewer').pk}/remove/"
    response = as_("admin").post(url)
    assert response.status_code == 302
    assert not Membership.objects.filter(team=people.team, user=people.viewer).exists()
    event = AuditEvent.objects.get(action="member.remove")
    assert (event.actor_user, event.target) == (people.admin, "viewer")


@pytest.mark.parametrize("persona", ["viewer", "developer"])
def test_a_viewer_or_developer_cannot_remove_members(people, as_, persona):
    url = f"/t/acme/members/{member(people, 'admin').pk}/remove/"
    assert as_(persona).post(url).status_code == 403
    assert Membership.objects.filter(team=people.team, user=people.admin).exists()


def test_an_admin_cannot_remove_an_owner(people, as_):
    url = f"/t/acme/members/{member(people, 'owner').pk}/remove/"
    assert as_("admin").post(url).status_code == 403
    assert Membership.objects.filter(team=people.team, user=people.owner).exists()


def test_an_outsider_cannot_remove_members(people, as_):
    url = f"/t/acme/members/{member(people, 'viewer').pk}/remove/"
    assert as_("outsider").post(url).status_code == 404


def test_removing_the_last_owner_is_refused_with_the_reason(people, as_):
    url = f"/t/acme/members/{member(people, 'owner').pk}/remove/"
    response = as_("owner").post(url)
    assert response.status_code == 400
    assert b"The last owner cannot leave" in response.content


def test_remove_refuses_get(people, as_):
    assert (
        as_("owner").get(f"/t/acme/members/{member(people, 'viewer').pk}/remove/").status_code
        == 405
    )
