from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from nodes import services
from nodes.models import ImageRegistry, Node, NodeOperation, SshHostKey
from paas.access import Principal

SECRET_FIELDS = ("engine_tls_key_encrypted", "ssh_credentials_encrypted")


def _each(
    request: HttpRequest,
    queryset: QuerySet[Node],
    admin_site: admin.ModelAdmin[Node],
    do: Callable[[Principal, Node], Any],
    done: str,
) -> None:
    principal = Principal(user=request.user)
    for node in queryset:
        try:
            do(principal, node)
        except ValidationError as exc:
            admin_site.message_user(
                request, f"{node.hostname}: {' '.join(exc.messages)}", messages.ERROR
            )
        else:
            admin_site.message_user(request, f"{node.hostname}: {done}")


@admin.register(Node)
class NodeAdmin(admin.ModelAdmin[Node]):
    list_display = [
        "hostname",
        "node_id",
        "role",
        "leader",
        "availability",
        "state",
        "address",
        "engine_version",
        "cpus",
        "memory_gib",
        "synced_at",
    ]
    list_filter = ["role", "availability", "state"]
    search_fields = ["hostname", "node_id", "address"]
    # Rows mirror the swarm; changes go through Berth's actions (here, the portal, the API).
    exclude = SECRET_FIELDS
    readonly_fields = [f.name for f in Node._meta.fields if f.name not in SECRET_FIELDS]
    actions = ["drain", "activate", "promote", "demote", "remove"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Node | None = None) -> bool:
        return False  # "remove" drains and makes the node leave first

    @admin.action(description="Drain (tasks move to other nodes)")
    def drain(self, request: HttpRequest, queryset: QuerySet[Node]) -> None:
        _each(
            request,
            queryset,
            self,
            lambda p, n: services.start_drain(principal=p, node=n),
            "draining (see its page)",
        )

    @admin.action(description="Activate")
    def activate(self, request: HttpRequest, queryset: QuerySet[Node]) -> None:
        _each(
            request,
            queryset,
            self,
            lambda p, n: services.set_availability(principal=p, node=n, availability="active"),
            "active",
        )

    @admin.action(description="Promote to manager")
    def promote(self, request: HttpRequest, queryset: QuerySet[Node]) -> None:
        _each(
            request,
            queryset,
            self,
            lambda p, n: services.set_role(principal=p, node=n, role="manager"),
            "manager",
        )

    @admin.action(description="Demote to worker")
    def demote(self, request: HttpRequest, queryset: QuerySet[Node]) -> None:
        _each(
            request,
            queryset,
            self,
            lambda p, n: services.set_role(principal=p, node=n, role="worker"),
            "worker",
        )

    @admin.action(description="Remove from the swarm (drain, leave, remove)")
    def remove(self, request: HttpRequest, queryset: QuerySet[Node]) -> None:
        _each(
            request,
            queryset,
            self,
            lambda p, n: services.start_remove(principal=p, node=n),
            "being removed (see its page)",
        )


@admin.register(NodeOperation)
class NodeOperationAdmin(admin.ModelAdmin[NodeOperation]):
    list_display = ["id", "kind", "status", "node_ref", "created_by", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    exclude = ["secret_encrypted"]
    readonly_fields = [f.name for f in NodeOperation._meta.fields if f.name != "secret_encrypted"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SshHostKey)
class SshHostKeyAdmin(admin.ModelAdmin[SshHostKey]):
    list_display = ["host", "port", "key_type", "fingerprint", "pinned_at"]
    readonly_fields = ["host", "port", "key_type", "key_base64", "fingerprint", "pinned_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ImageRegistry)
class ImageRegistryAdmin(admin.ModelAdmin[ImageRegistry]):
    list_display = ["mode", "server", "username", "state", "updated_at"]
    exclude = ["password_encrypted"]
    # Set on the nodes page (or PUT /api/v1/nodes/registry/), which starts the worker.
    readonly_fields = ["mode", "server", "username", "state", "last_error", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
