"""Driver options, which may hold credentials, are encrypted in the database."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.volumes import services as volume_services
from apps.volumes.models import Volume

CIFS = {"type": "cifs", "o": "username=bob,password=hunter2", "device": "//nas/share"}


def stored() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT driver_options FROM apps_volume")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_options_are_ciphertext_in_the_database_and_the_value_in_python(people):
    volume_services.create_volume(
        team=people.team, principal=people.principal("developer"), name="nas", driver_options=CIFS
    )

    (raw,) = stored()
    assert "hunter2" not in raw
    assert "cifs" not in raw
    assert Volume.objects.get(name="nas").driver_options == CIFS


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_options_written_before_it(people):
    before, after = (
        ("apps", "0004_gitsource_public_key"),
        ("apps", "0005_volume_driver_options_encrypted"),
    )
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps
    old.get_model("apps", "Volume").objects.create(
        team_id=people.team.pk, name="nas", driver_options=CIFS, engine_name="t-vol-nas"
    )
    assert "hunter2" in stored()[0]

    executor = MigrationExecutor(connection)
    executor.migrate([after])

    (raw,) = stored()
    assert "hunter2" not in raw
    assert Volume.objects.get(name="nas").driver_options == CIFS
