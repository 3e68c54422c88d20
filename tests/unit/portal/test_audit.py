import pytest
from django.utils import timezone

from paas import audit
from paas.access import Principal
from paas.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_an_admin_reads_the_log_newest_first_with_actor_action_target_and_ip(people, as_):
    owner = Principal(user=people.owner, ip="203.0.113.9")
    audit.record(owner, "team.rename", team=people.team, target="Acme")
    audit.record(
        owner,
        "member.role",
        team=people.team,
        target="developer",
        data={"from": "developer", "to": "viewer"},
    )
    audit.record(owner, "token.create", team=people.team, target="ci (abcd1234…)")
    response = as_("admin").get("/t/acme/audit/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("token.create") < page.index("team.rename")
    assert "203.0.113.9" in page
    assert "ci (abcd1234…)" in page
    assert ">owner<" in page
    assert "from developer · to viewer" in page


def test_it_shows_only_this_teams_events(people, as_):
    audit.record(
        people.principal("outsider"), "team.rename", team=people.other_team, target="Secret Globex"
    )
    page = as_("owner").get("/t/acme/audit/").content.decode()
    assert "Secret Globex" not in page
    assert "Nothing has happened yet" in page


def test_it_pages_fifty_at_a_time(people, as_):
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(team=people.team, action=f"test.e{i:02d}", actor_label="owner", created_at=now)
        for i in range(60)
    )
    client = as_("owner")
    first = client.get("/t/acme/audit/")
    assert len(first.context["page"].object_list) == 50
    assert b"test.e59" in first.content
    assert b"Page 1 of 2" in first.content
    second = client.get("/t/acme/audit/?page=2")
    assert len(second.context["page"].object_list) == 10
    assert b"test.e00" in second.content


@pytest.mark.parametrize("persona", ["viewer", "developer"])
def test_viewers_and_developers_cannot_read_the_log(people, as_, persona):
    assert as_(persona).get("/t/acme/audit/").status_code == 403


def test_an_outsider_gets_404_on_the_log(people, as_):
    assert as_("outsider").get("/t/acme/audit/").status_code == 404


def test_the_log_refuses_post(people, as_):
    assert as_("owner").post("/t/acme/audit/").status_code == 405
