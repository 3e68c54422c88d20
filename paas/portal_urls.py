"""Portal pages (server-rendered). Team pages live under /t/<slug>/ and use paas.portal.team_view."""

from django.urls import include, path

from apps.volumes import urls as volume_urls
from paas.views import audit, dashboard, health, invitations, members, teams, tokens

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),
    path("teams/new/", teams.team_new, name="team-new"),
    path("teams/switch/", teams.team_switch, name="team-switch"),
    path("invite/<str:secret>/", invitations.invite, name="invite"),
    path("t/<slug:slug>/", dashboard.team_dashboard, name="team-dashboard"),
    path("t/<slug:slug>/settings/", teams.team_settings, name="team-settings"),
    path("t/<slug:slug>/leave/", teams.team_leave, name="team-leave"),
    path("t/<slug:slug>/members/", members.member_list, name="team-members"),
    path("t/<slug:slug>/members/<int:pk>/role/", members.member_role, name="team-member-role"),
    path(
        "t/<slug:slug>/members/<int:pk>/remove/", members.member_remove, name="team-member-remove"
    ),
    path("t/<slug:slug>/invitations/", invitations.invitation_list, name="team-invitations"),
    path(
        "t/<slug:slug>/invitations/<int:pk>/revoke/",
        invitations.invitation_revoke,
        name="team-invitation-revoke",
    ),
    path("t/<slug:slug>/tokens/", tokens.token_list, name="team-tokens"),
    path("t/<slug:slug>/tokens/<int:pk>/revoke/", tokens.token_revoke, name="team-token-revoke"),
    path("t/<slug:slug>/audit/", audit.audit_log, name="team-audit"),
    path("t/<slug:slug>/apps/", include("apps.urls")),
    # An app's Git page (source, webhook).
    path("t/<slug:slug>/apps/", include("apps.git.urls")),
    path("t/<slug:slug>/stacks/", include("apps.compose.urls")),
    # Volumes, and an app's Volumes tab.
    path("t/<slug:slug>/volumes/", include("apps.volumes.urls")),
    path("t/<slug:slug>/apps/", include(volume_urls.app_patterns)),
    # An app's Domains and Access pages (routing).
    path("t/<slug:slug>/apps/", include("routing.portal_urls")),
    # Operator pages of the gateway and nodes.
    path("", include("routing.urls")),
    path("", include("nodes.urls")),
]
