"""Invitation links: made and revoked by owners and admins, opened by the invited person."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from paas import services
from paas.access import Level, principal_for
from paas.adapters import INVITE_SESSION_KEY
from paas.forms import InvitationForm
from paas.middleware import SESSION_KEY
from paas.models import Invitation, Membership
from paas.portal import TeamRequest, apply_errors, posted, render_team, team_view


@team_view(read=Level.ADMIN, write=Level.ADMIN)
def invitation_list(request: TeamRequest) -> HttpResponse:
    form = InvitationForm(posted(request), level=request.level)
    created: tuple[Invitation, str] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            invitation, secret = services.create_invitation(
                team=request.team,
                principal=request.principal,
                role=form.cleaned_data["role"],
                email=form.cleaned_data["email"],
                days=form.cleaned_data["days"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            # The link is in this response only: the database keeps its hash.
            link = request.build_absolute_uri(reverse("invite", kwargs={"secret": secret}))
            created = (invitation, link)
            form = InvitationForm(level=request.level)
    invitations = request.team.invitations.select_related("created_by", "accepted_by")
    context = {"form": form, "created": created, "invitations": invitations}
    return render_team(
        request, "portal/invitations.html", context, status=400 if form.errors else 200
    )


@team_view(write=Level.ADMIN, methods=("POST",))
def invitation_revoke(request: TeamRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, team=request.team, pk=pk)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        messages.info(request, f"That invitation was already {invitation.state}.")
    else:
        services.revoke_invitation(invitation=invitation, principal=request.principal)
        messages.success(request, "The invitation is revoked; its link no longer works.")
    return redirect("team-invitations", slug=request.team.slug)


def _not_open(request: HttpRequest, secret: str, error: ValidationError) -> HttpResponse:
    if request.session.get(INVITE_SESSION_KEY) == secret:
        del request.session[INVITE_SESSION_KEY]
    # An unknown link is 404; one that existed but is used up is 410 Gone.
    status = 404 if error.code == "unknown" else 410
    return render(
        request, "portal/invite_invalid.html", {"reason": error.messages[0]}, status=status
    )


@require_http_methods(["GET", "HEAD", "POST"])
def invite(request: HttpRequest, secret: str) -> HttpResponse:
    """The page an invitation link opens: accept it, or sign up / sign in first."""
    try:
        invitation = services.find_open_invitation(secret)
    except ValidationError as exc:
        return _not_open(request, secret, exc)
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        # The sign-up page and the account adapter read it from here.
        request.session[INVITE_SESSION_KEY] = secret
        query = urlencode({"email": invitation.email}) if invitation.email else ""
        signup_url = reverse("account_signup") + (f"?{query}" if query else "")
        login_url = reverse("account_login") + "?" + urlencode({"next": request.path})
        context = {"invitation": invitation, "signup_url": signup_url, "login_url": login_url}
        return render(request, "portal/invite.html", context)
    user = request.user
    team = invitation.team
    existing = Membership.objects.filter(team=team, user_id=user.pk).first()
    if request.method == "POST":
        if existing is None:
            try:
                existing = services.accept_invitation(
                    secret=secret, user=user, principal=principal_for(request)
                )
            except ValidationError as exc:
                return _not_open(request, secret, exc)
            messages.success(
                request,
                f"Welcome to {team.name}: you joined as {existing.get_role_display().lower()}.",
            )
        else:
            # Leave the link open: it was meant for someone else.
            messages.info(request, f"You are already a member of {team.name}.")
        request.session.pop(INVITE_SESSION_KEY, None)
        request.session[SESSION_KEY] = team.pk
        return redirect("team-dashboard", slug=team.slug)
    return render(request, "portal/invite.html", {"invitation": invitation, "existing": existing})
