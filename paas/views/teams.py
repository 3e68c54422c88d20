"""Creating, switching, renaming and leaving teams."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from paas import services
from paas.access import Level, get_team, principal_for
from paas.forms import SwitchTeamForm, TeamForm
from paas.middleware import SESSION_KEY
from paas.models import Team
from paas.portal import TeamRequest, apply_errors, posted, render_team, safe_next, team_view

TEAM_PATH = re.compile(r"^/t/[^/]+/(?P<section>[^/?#]+/)?")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def team_new(request: HttpRequest) -> HttpResponse:
    form = TeamForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            team = services.create_team(
                name=form.cleaned_data["name"], principal=principal_for(request)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            request.session[SESSION_KEY] = team.pk
            messages.success(request, f"Team {team.name} created. You are its owner.")
            return redirect("team-dashboard", slug=team.slug)
    return render(
        request, "portal/team_new.html", {"form": form}, status=400 if form.errors else 200
    )


def _same_page_in(team: Team, path: str) -> str:
    """Where to go after switching: the same section of the new team, or its dashboard."""
    match = TEAM_PATH.match(path)
    if match is None:
        return path
    # Deeper pages name objects of the old team; its top-level section exists in every team.
    return reverse("team-dashboard", kwargs={"slug": team.slug}) + (match["section"] or "")


@login_required
@require_POST
def team_switch(request: HttpRequest) -> HttpResponse:
    form = SwitchTeamForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Choose a team.")
    team = get_team(principal_for(request), Level.READ, slug=form.cleaned_data["team"])
    request.session[SESSION_KEY] = team.pk
    home = reverse("team-dashboard", kwargs={"slug": team.slug})
    return redirect(_same_page_in(team, safe_next(request, home)))


@team_view(write=Level.ADMIN)
def team_settings(request: TeamRequest) -> HttpResponse:
    form = TeamForm(posted(request), initial={"name": request.team.name})
    if request.method == "POST" and form.is_valid():
        old = request.team.name
        try:
            team = services.rename_team(
                team=request.team, name=form.cleaned_data["name"], principal=request.principal
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Renamed {old} to {team.name}.")
            return redirect("team-settings", slug=team.slug)
    status = 400 if form.errors else 200
    return render_team(request, "portal/team_settings.html", {"form": form}, status=status)


@team_view(write=Level.READ, methods=("POST",))
def team_leave(request: TeamRequest) -> HttpResponse:
    team = request.team
    try:
        services.remove_member(membership=request.membership, principal=request.principal)
    except ValidationError as exc:
        form = TeamForm(initial={"name": team.name})
        context = {"form": form, "leave_errors": exc.messages}
        return render_team(request, "portal/team_settings.html", context, status=400)
    request.session.pop(SESSION_KEY, None)
    messages.success(request, f"You left {team.name}.")
    return redirect("dashboard")
