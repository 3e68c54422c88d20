from django.contrib import admin

from paas.models import ApiToken, AuditEvent, Invitation, Membership, Team


class MembershipInline(admin.TabularInline[Membership, Team]):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "slug", "trusted", "created_at"]
    list_filter = ["trusted"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__email", "team__name"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = [
        "team",
        "role",
        "email",
        "created_by",
        "created_at",
        "expires_at",
        "accepted_by",
    ]
    list_filter = ["role", "team"]
    search_fields = ["email", "team__name"]
    exclude = ["token_hash"]
    readonly_fields = ["accepted_by", "accepted_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = [
        "name",
        "prefix",
        "team",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["team"]
    search_fields = ["name", "prefix", "team__name"]
    exclude = ["token_hash"]
    readonly_fields = ["prefix", "last_used_at", "created_by"]

    def has_add_permission(self, request: object) -> bool:
        # Tokens are made where they can be shown once: the portal or maketoken.
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ["created_at", "team", "actor_label", "action", "target_type", "target", "ip"]
    list_filter = ["action", "team"]
    search_fields = ["actor_label", "action", "target"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
