"""Team API tokens: made (shown once) and revoked by owners and admins."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect

from paas import services
from paas.access import Level
from paas.forms import TokenForm
from paas.models import ApiToken
from paas.portal import TeamRequest, apply_errors, posted, render_team, team_view


@team_view(read=Level.ADMIN, write=Level.ADMIN)
def token_list(request: TeamRequest) -> HttpResponse:
    form = TokenForm(posted(request))
    created: tuple[ApiToken, str] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_token(
                team=request.team,
                principal=request.principal,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.cleaned_data["expires_at"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            form = TokenForm()
    tokens = request.team.tokens.select_related("created_by")
    context = {"form": form, "created": created, "tokens": tokens}
    return render_team(request, "portal/tokens.html", context, status=400 if form.errors else 200)


@team_view(write=Level.ADMIN, methods=("POST",))
def token_revoke(request: TeamRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, team=request.team, pk=pk)
    if token.revoked_at is not None:
        messages.info(request, f"The token {token.name} was already revoked.")
    else:
        services.revoke_token(token=token, principal=request.principal)
        messages.success(request, f"The token {token.name} is revoked; it no longer works.")
    return redirect("team-tokens", slug=request.team.slug)
