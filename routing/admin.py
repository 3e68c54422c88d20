from django.contrib import admin

from routing.models import GatewayState


@admin.register(GatewayState)
class GatewayStateAdmin(admin.ModelAdmin[GatewayState]):
    list_display = [
        "namespace",
        "mode",
        "service_name",
        "http_port",
        "https_port",
        "routes",
        "last_reload_at",
        "last_error_at",
    ]
    list_filter = ["mode"]
    # Written by bootstrap and the gateway code; shown here, never edited.
    readonly_fields = [field.name for field in GatewayState._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False
