"""API shapes of nodes, node operations, join commands and the registry (no secret ever)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from nodes.models import (
    Availability,
    ImageRegistry,
    Node,
    NodeOperation,
    NodeRole,
    RegistryMode,
)


class OperationSerializer(serializers.ModelSerializer[NodeOperation]):
    node_id = serializers.CharField(source="node_ref", read_only=True)
    target = serializers.CharField(read_only=True)

    class Meta:
        model = NodeOperation
        fields = [
            "id",
            "kind",
            "status",
            "node_id",
            "target",
            "log",
            "error",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class NodeSerializer(serializers.ModelSerializer[Node]):
    tasks = serializers.JSONField(source="berth_tasks", read_only=True)
    ssh_login_kept = serializers.SerializerMethodField()
    operation = serializers.SerializerMethodField()

    class Meta:
        model = Node
        fields = [
            "id",
            "node_id",
            "hostname",
            "role",
            "leader",
            "availability",
            "state",
            "address",
            "engine_version",
            "cpus",
            "memory_bytes",
            "labels",
            "tasks",
            "image_problem",
            "engine_url",
            "ssh_host",
            "ssh_user",
            "ssh_login_kept",
            "synced_at",
            "operation",
        ]
        read_only_fields = fields

    def get_ssh_login_kept(self, node: Node) -> bool:
        return bool(node.ssh_credentials_encrypted)

    def get_operation(self, node: Node) -> dict[str, Any] | None:
        active = node.operations.filter(status__in=("queued", "running")).first()
        return OperationSerializer(active).data if active else None


class NodeUpdateSerializer(serializers.Serializer[Any]):
    availability = serializers.ChoiceField(choices=Availability.values, required=False)
    role = serializers.ChoiceField(choices=NodeRole.choices, required=False)
    labels = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    engine_url = serializers.CharField(required=False, allow_blank=True)
    tls_ca = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    tls_cert = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    tls_key = serializers.CharField(
        required=False, allow_blank=True, write_only=True, trim_whitespace=False
    )


class NodeAddSerializer(serializers.Serializer[Any]):
    method = serializers.ChoiceField(choices=["ssh", "engine"])
    role = serializers.ChoiceField(choices=NodeRole.choices, default=NodeRole.WORKER)
    advertise_addr = serializers.CharField(required=False, allow_blank=True, default="")
    # over SSH
    address = serializers.CharField(required=False, allow_blank=True, default="")
    port = serializers.IntegerField(required=False, default=22)
    user = serializers.CharField(required=False, default="root")
    password = serializers.CharField(required=False, allow_blank=True, default="", write_only=True)
    private_key = serializers.CharField(
        required=False, allow_blank=True, default="", write_only=True, trim_whitespace=False
    )
    passphrase = serializers.CharField(
        required=False, allow_blank=True, default="", write_only=True
    )
    host_key_fingerprint = serializers.CharField(required=False, allow_blank=True, default="")
    remember_credentials = serializers.BooleanField(required=False, default=False)
    # through the engine API
    engine_url = serializers.CharField(required=False, allow_blank=True, default="")
    tls_ca = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    tls_cert = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    tls_key = serializers.CharField(
        required=False, allow_blank=True, default="", write_only=True, trim_whitespace=False
    )


class JoinCommandsSerializer(serializers.Serializer[Any]):
    worker = serializers.CharField()
    manager = serializers.CharField()


class RotateSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=NodeRole.choices)


class RegistrySerializer(serializers.ModelSerializer[ImageRegistry]):
    mode = serializers.ChoiceField(choices=RegistryMode.values)
    password = serializers.CharField(required=False, allow_blank=True, write_only=True, default="")

    class Meta:
        model = ImageRegistry
        fields = ["mode", "server", "username", "password", "state", "last_error", "updated_at"]
        read_only_fields = ["state", "last_error", "updated_at"]
        extra_kwargs = {"server": {"required": False}, "username": {"required": False}}
