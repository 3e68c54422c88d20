from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from paas import services
from paas.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db


def test_token_is_shown_once_and_stored_hashed(people):
    token, raw = services.create_token(
        team=people.team, name="ci", scopes="deploy,read", principal=people.principal("admin")
    )
    assert raw.startswith(f"berth_{token.prefix}_")
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in (stored.token_hash, stored.prefix)
    assert stored.scopes == ["deploy", "read"]
    event = AuditEvent.objects.get(action="token.create")
    assert event.actor_user == people.admin
    assert raw not in str(event.data)


def test_bearer_token_authenticates_and_records_last_use(people, api):
    token, raw = services.create_token(team=people.team, name="ci", scopes="read", principal=None)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["teams"] == [{"slug": "acme", "name": "Acme"}]
    assert response.json()["scopes"] == ["read"]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_rejects_a_revoked_token_with_401(people, api):
    token, raw = services.create_token(team=people.team, name="ci", scopes="read", principal=None)
    services.revoke_token(token=token, principal=people.principal("owner"))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_it_rejects_an_expired_token_with_401(people, api):
    token, raw = services.create_token(
        team=people.team,
        name="ci",
        scopes="read",
        principal=None,
        expires_at=timezone.now() + timedelta(minutes=1),
    )
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/me/").status_code == 401


def test_it_rejects_a_tampered_token_with_401(people, api):
    _, raw = services.create_token(team=people.team, name="ci", scopes="read", principal=None)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw[:-2]}xx")
    assert api.get("/api/v1/me/").status_code == 401


def test_anonymous_api_call_is_401(api, db):
    response = api.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_it_rejects_unknown_scopes(people):
    with pytest.raises(ValidationError) as excinfo:
        services.create_token(team=people.team, name="ci", scopes="read,root", principal=None)
    assert "root" in str(excinfo.value)
    assert not ApiToken.objects.exists()


def test_developer_cannot_create_tokens(people):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.create_token(
            team=people.team, name="ci", scopes="read", principal=people.principal("developer")
        )


def test_outsider_creating_a_token_gets_404(people):
    from django.http import Http404

    with pytest.raises(Http404):
        services.create_token(
            team=people.team, name="ci", scopes="read", principal=people.principal("outsider")
        )


def test_the_schema_is_served(api, db):
    response = api.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/me/" in response.content
