from django.contrib import admin

from nodes.models import Node


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
    # Rows mirror the swarm; node management comes through Berth's own actions.
    readonly_fields = [field.name for field in Node._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False
