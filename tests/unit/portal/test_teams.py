import pytest

from paas.middleware import SESSION_KEY
from paas.models import AuditEvent, Membership, Role, Team
from tests.support.personas import make_user

pytestmark = pytest.mark.django_db


# --- create ---------------------------------------------------------------------


def test_creating_a_team_makes_me_its_owner_and_opens_it(client):
    user = make_user("founder")
    client.force_login(user)
    response = client.post("/teams/new/", {"name": "Blue Harbour"})
    assert response.status_code == 302
    assert response["Location"] == "/t/blue-harbour/"
    team = Team.objects.get(slug="blue-harbour")
    assert Membership.objects.get(team=team, user=user).role == Role.OWNER
    assert client.session[SESSION_KEY] == team.pk
    event = AuditEvent.objects.get(action="team.create")
    assert event.actor_user == user
    assert event.ip == "127.0.0.1"


def test_the_new_team_page_shows_a_form(people, as_):
    response = as_("viewer").get("/teams/new/")
    assert response.status_code == 200
    assert b'name="name"' in response.content


@pytest.mark.parametrize("name", ["<script>", "-;drop", "x" * 61, "   "])
def test_it_rejects_an_invalid_team_name_next_to_the_field(people, as_, name):
    response = as_("viewer").post("/teams/new/", {"name": name})
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert b'class="field-error"' in response.content
    assert Team.objects.count() == 2


def test_it_rejects_a_duplicate_team_name(people, as_):
    response = as_("viewer").post("/teams/new/", {"name": "ACME"})
    assert response.status_code == 400
    assert "already exists" in response.context["form"].errors["name"][0]
    assert Team.objects.count() == 2
    assert not AuditEvent.objects.exists()


def test_new_team_refuses_put(people, as_):
    assert as_("viewer").put("/teams/new/").status_code == 405


# --- switch ---------------------------------------------------------------------


def test_switching_stores_the_team_and_goes_back(people, as_):
    Membership.objects.create(team=people.other_team, user=people.viewer, role=Role.VIEWER)
    client = as_("viewer")
    response = client.post("/teams/switch/", {"team": "globex", "next": "/teams/new/"})
    assert response.status_code == 302
    assert response["Location"] == "/teams/new/"
    assert client.session[SESSION_KEY] == people.other_team.pk
    assert client.get("/")["Location"] == "/t/globex/"


def test_switching_from_a_team_page_opens_the_same_page_of_the_new_team(people, as_):
    Membership.objects.create(team=people.other_team, user=people.viewer, role=Role.VIEWER)
    response = as_("viewer").post("/teams/switch/", {"team": "globex", "next": "/t/acme/members/"})
    assert response["Location"] == "/t/globex/members/"


def test_switching_ignores_a_next_on_another_site(people, as_):
    response = as_("viewer").post("/teams/switch/", {"team": "acme", "next": "https://evil.test/"})
    assert response["Location"] == "/t/acme/"


def test_switching_to_a_team_i_am_not_in_is_404(people, as_):
    client = as_("viewer")
    assert client.post("/teams/switch/", {"team": "globex"}).status_code == 404
    assert client.session.get(SESSION_KEY) != people.other_team.pk


def test_switch_refuses_get(people, as_):
    assert as_("viewer").get("/teams/switch/").status_code == 405


# --- settings: rename -------------------------------------------------------------


def test_an_admin_renames_the_team(people, as_):
    response = as_("admin").post("/t/acme/settings/", {"name": "Acme Shipping"})
    assert response.status_code == 302
    assert response["Location"] == "/t/acme-shipping/settings/"
    people.team.refresh_from_db()
    assert (people.team.name, people.team.slug) == ("Acme Shipping", "acme-shipping")
    event = AuditEvent.objects.get(action="team.rename")
    assert event.data == {"from": "Acme"}


def test_renaming_to_the_same_name_in_other_case_works(people, as_):
    response = as_("owner").post("/t/acme/settings/", {"name": "ACME"})
    assert response.status_code == 302
    people.team.refresh_from_db()
    assert people.team.name == "ACME"


def test_renaming_to_another_teams_name_is_refused(people, as_):
    response = as_("owner").post("/t/acme/settings/", {"name": "Globex"})
    assert response.status_code == 400
    assert "already exists" in response.context["form"].errors["name"][0]
    people.team.refresh_from_db()
    assert people.team.name == "Acme"


def test_renaming_to_nothing_is_refused(people, as_):
    response = as_("owner").post("/t/acme/settings/", {})
    assert response.status_code == 400
    assert response.context["form"].errors["name"]


def test_a_viewer_sees_settings_without_the_rename_form(people, as_):
    response = as_("viewer").get("/t/acme/settings/")
    assert response.status_code == 200
    assert b"only owners and admins can rename it" in response.content
    assert b'name="name"' not in response.content


@pytest.mark.parametrize("persona", ["viewer", "developer"])
def test_a_viewer_or_developer_cannot_rename(people, as_, persona):
    response = as_(persona).post("/t/acme/settings/", {"name": "Pwned"})
    assert response.status_code == 403
    people.team.refresh_from_db()
    assert people.team.name == "Acme"


def test_an_outsider_cannot_see_or_rename(people, as_):
    assert as_("outsider").get("/t/acme/settings/").status_code == 404
    assert as_("outsider").post("/t/acme/settings/", {"name": "Pwned"}).status_code == 404


def test_settings_refuse_delete(people, as_):
    assert as_("owner").delete("/t/acme/settings/").status_code == 405


# --- leave ------------------------------------------------------------------------


def test_a_member_leaves_the_team(people, as_):
    client = as_("viewer")
    client.get("/t/acme/")
    response = client.post("/t/acme/leave/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not Membership.objects.filter(team=people.team, user=people.viewer).exists()
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(action="member.leave", actor_user=people.viewer).exists()
    assert client.get("/t/acme/").status_code == 404


def test_the_last_owner_cannot_leave_and_is_told_why(people, as_):
    response = as_("owner").post("/t/acme/leave/")
    assert response.status_code == 400
    assert b"The last owner cannot leave" in response.content
    assert Membership.objects.filter(team=people.team, user=people.owner).exists()
    assert not AuditEvent.objects.exists()


def test_an_owner_can_leave_when_another_owner_remains(people, as_):
    Membership.objects.filter(user=people.admin).update(role=Role.OWNER)
    assert as_("owner").post("/t/acme/leave/").status_code == 302
    assert not Membership.objects.filter(team=people.team, user=people.owner).exists()


def test_leave_refuses_get(people, as_):
    assert as_("viewer").get("/t/acme/leave/").status_code == 405


def test_an_outsider_cannot_leave_a_team_they_are_not_in(people, as_):
    assert as_("outsider").post("/t/acme/leave/").status_code == 404
