"""The operators' admin of volumes: readable, credentials masked, no deletion around the checks."""

from __future__ import annotations

import pytest

from apps.volumes import services as volume_services

pytestmark = pytest.mark.django_db


def test_an_operator_sees_volumes_with_credentials_masked(people, as_):
    volume = volume_services.create_volume(
        team=people.team,
        principal=people.principal("developer"),
        name="nas",
        driver_options={"type": "cifs", "o": "username=bob,password=hunter2", "device": "//n/s"},
    )
    client = as_("operator")

    listing = client.get("/admin/apps/volume/")
    page = client.get(f"/admin/apps/volume/{volume.pk}/change/")

    assert listing.status_code == 200
    assert "nas" in listing.content.decode()
    assert page.status_code == 200
    assert "username=bob" in page.content.decode()
    assert "hunter2" not in page.content.decode()
    assert client.get(f"/admin/apps/volume/{volume.pk}/delete/").status_code == 403
