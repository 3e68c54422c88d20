"""Operators see apps' git sources in the Django admin, never their credentials."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.git import services
from apps.git.models import GitSource

pytestmark = pytest.mark.django_db

TOKEN = "glpat-admin-must-not-see-this"


def test_an_operator_sees_the_source_but_not_its_token_or_secret(people, shop):
    configured = services.configure(
        app=shop,
        principal=people.principal("developer"),
        repository_url="https://git.example.com/acme/shop.git",
        branch="main",
        token=TOKEN,
    )
    source = GitSource.objects.get(app=shop)
    client = Client()
    client.force_login(people.operator)

    listing = client.get("/admin/apps/gitsource/").content.decode()
    page = client.get(f"/admin/apps/gitsource/{source.pk}/change/").content.decode()

    assert "https://git.example.com/acme/shop.git" in listing
    assert "https://git.example.com/acme/shop.git" in page
    assert configured.webhook_secret  # made now, shown once to the developer
    for secret in (TOKEN, configured.webhook_secret, source.credential_ciphertext[:20]):
        assert secret not in page
    # Read-only: changes go through the portal or the API (validated, encrypted, audited).
    assert client.post(f"/admin/apps/gitsource/{source.pk}/change/", {}).status_code == 403
