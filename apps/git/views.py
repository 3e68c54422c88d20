"""An app's Git page: the source, its webhook (secret shown once), deliveries, deploy now."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect

from apps.git import services
from apps.git.forms import GitSourceForm
from apps.git.models import GitSource
from apps.models import App
from apps.views.common import render_app, team_app
from paas.access import Level
from paas.models import AuditEvent
from paas.portal import TeamRequest, apply_errors, posted, team_view

REFUSALS_SHOWN = 5


def _page(
    request: TeamRequest,
    app: App,
    form: GitSourceForm,
    *,
    source: GitSource | None,
    secret: str | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {"form": form, "source": source, "secret": secret}
    if source is not None:
        context["webhook_url"] = request.build_absolute_uri(services.webhook_path(source, app.name))
        context["deliveries"] = app.git_deliveries.select_related("deployment")[:20]
        context["refusals"] = AuditEvent.objects.filter(
            team=app.team, action="git.webhook_refused", target=app.name
        )[:REFUSALS_SHOWN]
    return render_app(request, app, "apps/git.html", context, tab="git", status=status)


@team_view(read=Level.READ, write=Level.DEPLOY)
def git_source(request: TeamRequest, name: str) -> HttpResponse:
    app = team_app(request, name)
    source = services.source_of(app)
    form = GitSourceForm.for_source(source, posted(request))
    if request.method == "POST":
        app = team_app(request, name, Level.DEPLOY)
        if form.is_valid():
            try:
                done = services.configure(
                    app=app, principal=request.principal, **form.service_values()
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                if done.webhook_secret:
                    # Rendered, not redirected: the secret exists in this answer only.
                    messages.success(request, "Git source saved. Set up the webhook below.")
                    fresh = GitSourceForm.for_source(done.source)
                    return _page(
                        request, app, fresh, source=done.source, secret=done.webhook_secret
                    )
                messages.success(request, "Git source saved.")
                return redirect("app-git", slug=request.team.slug, name=app.name)
    return _page(request, app, form, source=source, status=400 if form.errors else 200)


@team_view(read=Level.READ, write=Level.DEPLOY, methods=("POST",))
def git_secret(request: TeamRequest, name: str) -> HttpResponse:
    app = team_app(request, name, Level.DEPLOY)
    try:
        source, secret = services.regenerate_secret(app=app, principal=request.principal)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("app-git", slug=request.team.slug, name=app.name)
    messages.success(request, "New webhook secret made; the old one no longer works.")
    return _page(request, app, GitSourceForm.for_source(source), source=source, secret=secret)


@team_view(read=Level.READ, write=Level.DEPLOY, methods=("POST",))
def git_deploy(request: TeamRequest, name: str) -> HttpResponse:
    app = team_app(request, name, Level.DEPLOY)
    try:
        deployment = services.deploy_commit(app=app, principal=request.principal)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("app-git", slug=request.team.slug, name=app.name)
    messages.success(request, f"Deploying the tip of the branch as #{deployment.number}.")
    return redirect(
        "deployment-detail", slug=request.team.slug, name=app.name, number=deployment.number
    )


@team_view(read=Level.READ, write=Level.DEPLOY, methods=("POST",))
def git_remove(request: TeamRequest, name: str) -> HttpResponse:
    app = team_app(request, name, Level.DEPLOY)
    try:
        services.remove(app=app, principal=request.principal)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Git source removed; its webhook URL no longer works.")
    return redirect("app-git", slug=request.team.slug, name=app.name)
