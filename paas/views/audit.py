"""A team's audit log, newest first."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse

from paas.access import Level
from paas.models import AuditEvent
from paas.portal import TeamRequest, render_team, team_view

PAGE_SIZE = 50


@team_view(read=Level.ADMIN, methods=("GET",))
def audit_log(request: TeamRequest) -> HttpResponse:
    events = AuditEvent.objects.filter(team=request.team).order_by("-created_at", "-id")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_team(request, "portal/audit.html", {"page": page})
