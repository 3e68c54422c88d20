"""Template helpers of the apps pages: status wording and the dashboard's apps section."""

from __future__ import annotations

from typing import Any

from django import template

from apps import selectors
from apps.models import Status
from paas.access import Level, principal_for

register = template.Library()
DASHBOARD_APPS = 8


@register.filter
def status_label(value: str) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return value


@register.inclusion_tag("apps/_dashboard.html", takes_context=True)
def team_apps(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    team = context["team"]
    principal = principal_for(request)
    apps = selectors.apps_for(principal, team_id=team.pk)
    return {
        "team": team,
        "apps": list(apps[:DASHBOARD_APPS]),
        "total": apps.count(),
        "can_deploy": (principal.level_in(team) or 0) >= Level.DEPLOY,
    }
