"""Volume driver options encrypted at rest (they may hold credentials)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

import paas.fields


def seal(apps: Any, schema_editor: Any) -> None:
    Volume = apps.get_model("apps", "Volume")
    for volume in Volume.objects.all().only("pk", "driver_options"):
        volume.driver_options_sealed = volume.driver_options or {}
        volume.save(update_fields=["driver_options_sealed"])


def unseal(apps: Any, schema_editor: Any) -> None:
    Volume = apps.get_model("apps", "Volume")
    for volume in Volume.objects.all().only("pk", "driver_options_sealed"):
        volume.driver_options = volume.driver_options_sealed or {}
        volume.save(update_fields=["driver_options"])


class Migration(migrations.Migration):
    dependencies = [("apps", "0004_gitsource_public_key")]

    operations = [
        migrations.AddField(
            model_name="volume",
            name="driver_options_sealed",
            field=paas.fields.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.RunPython(seal, unseal),
        migrations.RemoveField(model_name="volume", name="driver_options"),
        migrations.RenameField(
            model_name="volume", old_name="driver_options_sealed", new_name="driver_options"
        ),
    ]
