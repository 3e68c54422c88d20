"""The landing page: the current team's dashboard, or a prompt to create a first team."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from paas.forms import TeamForm
from paas.portal import TeamRequest, render_team, team_view


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = getattr(request, "membership", None)
    if membership:
        return redirect("team-dashboard", slug=membership.team.slug)
    return render(request, "portal/welcome.html", {"form": TeamForm()})


@team_view(methods=("GET",))
def team_dashboard(request: TeamRequest) -> HttpResponse:
    members = request.team.memberships.select_related("user").order_by("user__username")
    return render_team(request, "portal/dashboard.html", {"members": members})
