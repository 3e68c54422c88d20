from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from paas.access import Principal, client_ip
from routing import services
from routing.models import Certificate, Domain, GatewayState


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


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin[Domain]):
    list_display = ["hostname", "app", "alias", "verified", "https", "force_https", "created_at"]
    list_filter = ["verified", "alias", "https"]
    search_fields = ["hostname", "app__name"]
    actions = ["skip_check"]
    # Domains are added and removed by their team through the portal or the API.
    readonly_fields = [field.name for field in Domain._meta.fields if field.name != "id"]

    def has_add_permission(self, request: object) -> bool:
        return False

    @admin.action(description="Route without the check (the operator vouches for the domain)")
    def skip_check(self, request: HttpRequest, queryset: QuerySet[Domain]) -> None:
        principal = Principal(user=request.user, ip=client_ip(request))
        count = 0
        for domain in queryset.filter(verified=False).select_related("app__team"):
            services.skip_verification(domain=domain, principal=principal)
            count += 1
        self.message_user(request, f"{count} domain(s) will be routed without their check.")


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin[Certificate]):
    list_display = ["domain", "source", "state", "not_after", "last_attempt_at"]
    list_filter = ["source", "state"]
    search_fields = ["domain__hostname"]
    # The key stays encrypted and out of every page.
    exclude = ["key_ciphertext"]
    readonly_fields = [
        field.name
        for field in Certificate._meta.fields
        if field.name not in ("id", "key_ciphertext")
    ]

    def has_add_permission(self, request: object) -> bool:
        return False
