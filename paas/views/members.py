"""The members of a team: list, change a role (inline with htmx), remove."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from paas import services
from paas.access import Level
from paas.forms import RoleForm
from paas.middleware import SESSION_KEY
from paas.models import Membership, Role
from paas.portal import TeamRequest, render_team, team_view


def _row(request: TeamRequest, member: Membership, **extra: Any) -> dict[str, Any]:
    """What one member's row shows and lets this viewer do."""
    manageable = request.level >= Level.ADMIN and (
        member.role != Role.OWNER or request.level >= Level.OWNER
    )
    return {
        "member": member,
        "is_me": member.user_id == request.user.pk,
        "manageable": manageable,
        "form": RoleForm(
            initial={"role": member.role}, level=request.level, prefix=f"m{member.pk}"
        ),
        **extra,
    }


def _members_page(
    request: TeamRequest, errors: dict[int, list[str]] | None = None, status: int = 200
) -> HttpResponse:
    members = request.team.memberships.select_related("user").order_by("user__username")
    rows = [_row(request, m, errors=(errors or {}).get(m.pk, [])) for m in members]
    return render_team(request, "portal/members.html", {"rows": rows}, status=status)


def _member(request: TeamRequest, pk: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user"), team=request.team, pk=pk)


@team_view(methods=("GET",))
def member_list(request: TeamRequest) -> HttpResponse:
    return _members_page(request)


@team_view(write=Level.ADMIN, methods=("POST",))
def member_role(request: TeamRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    form = RoleForm(request.POST, level=request.level, prefix=f"m{member.pk}")
    errors: list[str] = []
    if not form.is_valid():
        errors = [str(m) for field_errors in form.errors.values() for m in field_errors]
    else:
        try:
            member = services.change_role(
                membership=member, role=form.cleaned_data["role"], principal=request.principal
            )
        except ValidationError as exc:
            errors = exc.messages
    name = member.user.get_username()
    if request.htmx:
        member.refresh_from_db()
        row = _row(request, member, errors=errors, saved=not errors)
        return render(request, "portal/member_row.html", {**row, "team": request.team})
    if errors:
        return _members_page(request, {member.pk: errors}, status=400)
    messages.success(request, f"{name} is now {member.get_role_display().lower()}.")
    return redirect("team-members", slug=request.team.slug)


@team_view(write=Level.ADMIN, methods=("POST",))
def member_remove(request: TeamRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    try:
        services.remove_member(membership=member, principal=request.principal)
    except ValidationError as exc:
        return _members_page(request, {member.pk: exc.messages}, status=400)
    if member.user_id == request.user.pk:
        request.session.pop(SESSION_KEY, None)
        messages.success(request, f"You left {request.team.name}.")
        return redirect("dashboard")
    messages.success(request, f"Removed {member.user.get_username()} from {request.team.name}.")
    return redirect("team-members", slug=request.team.slug)
