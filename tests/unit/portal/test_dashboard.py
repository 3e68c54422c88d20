import pytest
from django.contrib.staticfiles import finders

from paas.models import Membership
from tests.support.personas import make_user

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_prompts_a_user_without_a_team_to_create_one(client):
    client.force_login(make_user("loner"))
    response = client.get("/")
    assert response.status_code == 200
    assert b"You are not in a team yet" in response.content
    assert b'action="/teams/new/"' in response.content


def test_it_opens_the_current_team(people, as_):
    response = as_("developer").get("/")
    assert response.status_code == 302
    assert response["Location"] == "/t/acme/"


def test_the_team_dashboard_shows_the_team_role_members_and_the_apps_section(people, as_):
    response = as_("developer").get("/t/acme/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Acme</h1>" in page
    assert "Developer" in page
    assert 'id="apps"' in page
    for name in ("owner", "teamadmin", "viewer"):
        assert name in page
    # A developer is not offered the admin pages.
    assert "/t/acme/tokens/" not in page


def test_the_dashboard_offers_admin_pages_to_admins(people, as_):
    page = as_("admin").get("/t/acme/").content.decode()
    assert "/t/acme/tokens/" in page
    assert "/t/acme/invitations/" in page
    assert "/t/acme/audit/" in page


def test_an_outsider_gets_404(people, as_):
    response = as_("outsider").get("/t/acme/")
    assert response.status_code == 404
    assert b"Not found" in response.content


def test_an_unknown_team_is_404_like_a_foreign_one(people, as_):
    assert as_("owner").get("/t/nope/").status_code == 404


def test_it_refuses_post_with_405(people, as_):
    assert as_("owner").post("/t/acme/").status_code == 405
    assert as_("owner").post("/").status_code == 405


def test_viewing_a_team_makes_it_the_current_team(people, as_):
    client = as_("outsider")
    Membership.objects.create(team=people.team, user=people.outsider, role="viewer")
    client.get("/t/acme/")
    assert client.get("/")["Location"] == "/t/acme/"
    client.get("/t/globex/")
    assert client.get("/")["Location"] == "/t/globex/"


def test_the_layout_has_navigation_switcher_and_sign_out(people, as_):
    client = as_("owner")
    Membership.objects.create(team=people.other_team, user=people.owner, role="viewer")
    page = client.get("/t/acme/").content.decode()
    assert 'href="/api/v1/docs/"' in page
    assert 'href="/t/acme/settings/"' in page
    assert 'action="/teams/switch/"' in page
    assert '<option value="globex"' in page
    assert '<option value="acme" selected>' in page
    assert 'action="/accounts/logout/"' in page
    # The Django admin link is for staff only.
    assert 'href="/admin/"' not in page


def test_staff_see_the_admin_link(people, as_):
    Membership.objects.create(team=people.team, user=people.operator, role="viewer")
    page = as_("operator").get("/t/acme/").content.decode()
    assert 'href="/admin/"' in page


def test_htmx_and_styles_come_from_our_static_files_not_a_cdn(people, as_):
    page = as_("owner").get("/t/acme/").content.decode()
    assert 'src="/static/django_htmx/htmx-2.min.js"' in page
    assert 'href="/static/berth/berth.css"' in page
    assert "https://" not in page
    assert finders.find("django_htmx/htmx-2.min.js") is not None
    assert finders.find("berth/berth.js") is not None
