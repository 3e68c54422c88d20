"""API shapes of volumes and mounts. Validation beyond types is the services'."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.volumes.models import Mount, Volume
from apps.volumes.validation import masked_options


class VolumeUserSerializer(serializers.Serializer[Any]):
    app = serializers.CharField()
    path = serializers.CharField()
    # A field named like Field.read_only: DRF takes it out of the class attributes.
    read_only = serializers.BooleanField()  # type: ignore[assignment]


class VolumeSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    team = serializers.CharField(source="team.slug")
    driver = serializers.CharField()
    driver_options = serializers.SerializerMethodField()
    labels = serializers.DictField(child=serializers.CharField())
    engine_name = serializers.CharField()
    on_node = serializers.BooleanField(
        help_text="Its data is on one node's disk: apps using it run there, updates stop-first."
    )
    node = serializers.SerializerMethodField()
    mounts = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    last_error = serializers.CharField()
    created_by = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_driver_options(self, volume: Volume) -> dict[str, str]:
        # Credentials in o= (CIFS) are never shown back.
        return masked_options(volume.driver_options)

    def get_node(self, volume: Volume) -> dict[str, str] | None:
        if not volume.node_id:
            return None
        return {
            "id": volume.node_id,
            "hostname": volume.node_hostname,
            "source": volume.node_source,
        }

    def get_mounts(self, volume: Volume) -> list[dict[str, Any]]:
        return [
            {"app": m.app.name, "path": m.path, "read_only": m.read_only}
            for m in volume.mounts.all()
        ]

    def get_state(self, volume: Volume) -> str:
        return "deleting" if volume.deleting_at else "ready"


class VolumeCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(trim_whitespace=False)
    team = serializers.CharField(required=False, help_text="The team's slug (a token's own team).")
    driver = serializers.CharField(required=False, default="local")
    driver_options = serializers.DictField(
        required=False,
        default=dict,
        help_text="e.g. local: {type: nfs, o: addr=10.0.0.5, device: :/export}",
    )
    labels = serializers.DictField(required=False, default=dict)
    node = serializers.CharField(
        required=False,
        help_text="A local volume's node (id or hostname); else the node its first task runs on.",
    )


class MountSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    volume = serializers.SerializerMethodField()
    host_path = serializers.CharField()
    path = serializers.CharField()
    # A field named like Field.read_only: DRF takes it out of the class attributes.
    read_only = serializers.BooleanField()  # type: ignore[assignment]
    created_by = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_volume(self, mount: Mount) -> str | None:
        return mount.volume.name if mount.volume else None


class MountCreateSerializer(serializers.Serializer[Any]):
    volume = serializers.CharField(required=False, help_text="A volume of the app's team.")
    host_path = serializers.CharField(
        required=False, help_text="A host path (trusted teams, under BERTH_BIND_PREFIXES)."
    )
    path = serializers.CharField(trim_whitespace=False, help_text="Where, inside the app.")
    read_only = serializers.BooleanField(required=False, default=False)  # type: ignore[assignment]


class RestoreSerializer(serializers.Serializer[Any]):
    archive = serializers.FileField(help_text="A tar.gz, such as a backup of a volume.")
