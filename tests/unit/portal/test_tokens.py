import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from paas import services
from paas.models import ApiToken, AuditEvent, Team

pytestmark = pytest.mark.django_db

RAW = re.compile(r'value="(berth_[\w-]+)"')


def create(client: Client, **data: Any) -> Any:
    return client.post(
        "/t/acme/tokens/", {"name": "CI deploys", "scopes": ["read", "deploy"], **data}
    )


def test_an_admin_creates_a_token_seen_once_that_works_on_the_api(people, as_):
    client = as_("admin")
    response = create(client)
    assert response.status_code == 200
    page = response.content.decode()
    found = RAW.search(page)
    assert found is not None
    raw = found.group(1)
    assert "only time the token is shown" in page
    assert 'data-copy="new-token"' in page
    token = ApiToken.objects.get()
    assert (token.name, token.scopes, token.created_by) == (
        "CI deploys",
        ["deploy", "read"],
        people.admin,
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    me = api.get("/api/v1/me/").json()
    assert (me["teams"], me["scopes"]) == ([{"slug": "acme", "name": "Acme"}], ["deploy", "read"])
    # The list shows the prefix, scopes and last use, never the token again.
    listing = client.get("/t/acme/tokens/").content.decode()
    assert raw not in listing
    assert f"berth_{token.prefix}_…" in listing
    assert "CI deploys" in listing
    assert "ago" in listing  # last used, just now
    event = AuditEvent.objects.get(action="token.create")
    assert raw not in str(event.data) + event.target
    assert event.data == {"scopes": ["deploy", "read"]}


def test_a_token_can_expire_on_a_date(people, as_):
    day = (timezone.now() + timedelta(days=30)).date()
    create(as_("owner"), expires_at=day.isoformat())
    token = ApiToken.objects.get()
    assert token.expires_at == datetime(day.year, day.month, day.day, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"scopes": []}, "scopes", "Choose at least one scope."),
        ({"scopes": ["root"]}, "scopes", "Select a valid choice."),
        ({"name": ""}, "name", "This field is required."),
        ({"expires_at": "2001-01-01"}, "expires_at", "The expiry must be in the future."),
        ({"expires_at": "soon"}, "expires_at", "Enter a valid date."),
    ],
)
def test_it_rejects_bad_input_next_to_the_field(people, as_, data, field, message):
    response = create(as_("admin"), **data)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    assert b'class="field-error"' in response.content
    assert response.context["created"] is None
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_expiry_of_today_is_in_the_past(people, as_):
    response = create(as_("admin"), expires_at=timezone.now().date().isoformat())
    assert response.status_code == 400
    assert "future" in response.context["form"].errors["expires_at"][0]


@pytest.mark.parametrize("persona", ["viewer", "developer"])
def test_viewers_and_developers_cannot_see_or_create_tokens(people, as_, persona):
    client = as_(persona)
    assert client.get("/t/acme/tokens/").status_code == 403
    assert create(client).status_code == 403
    assert not ApiToken.objects.exists()


def test_an_outsider_gets_404_on_tokens(people, as_):
    assert as_("outsider").get("/t/acme/tokens/").status_code == 404
    assert create(as_("outsider")).status_code == 404


def test_tokens_refuse_delete(people, as_):
    assert as_("admin").delete("/t/acme/tokens/").status_code == 405


# --- revoke -------------------------------------------------------------------------


def make_token(team: Team) -> tuple[ApiToken, str]:
    return services.create_token(team=team, name="ci", scopes="read", principal=None)


def test_an_admin_revokes_a_token_and_it_stops_working(people, as_):
    token, raw = make_token(people.team)
    client = as_("admin")
    response = client.post(f"/t/acme/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="token.revoke", actor_user=people.admin).exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/me/").status_code == 401
    assert "state-revoked" in client.get("/t/acme/tokens/").content.decode()


@pytest.mark.parametrize("persona", ["viewer", "developer"])
def test_viewers_and_developers_cannot_revoke(people, as_, persona):
    token, _ = make_token(people.team)
    assert as_(persona).post(f"/t/acme/tokens/{token.pk}/revoke/").status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_token_of_another_team_is_404(people, as_):
    token, _ = make_token(people.other_team)
    assert as_("owner").post(f"/t/acme/tokens/{token.pk}/revoke/").status_code == 404
    assert as_("outsider").post(f"/t/acme/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoke_refuses_get(people, as_):
    token, _ = make_token(people.team)
    assert as_("owner").get(f"/t/acme/tokens/{token.pk}/revoke/").status_code == 405
