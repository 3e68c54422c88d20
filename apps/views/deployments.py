"""Deploying from the portal, the deployments list and the live deployment page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render

from apps import deploy, selectors
from apps.forms import DeployForm
from apps.views.common import render_app, team_app
from paas.access import Level
from paas.portal import TeamRequest, apply_errors, team_view


@team_view(read=Level.READ, write=Level.DEPLOY, methods=("POST",))
def deploy_new(request: TeamRequest, name: str) -> HttpResponse:
    app = team_app(request, name, Level.DEPLOY)
    form = DeployForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("image"):
                deployment = deploy.deploy_image(
                    app=app, principal=request.principal, image=data["image"]
                )
            elif data.get("definition"):
                deployment = deploy.deploy_definition(
                    app=app, principal=request.principal, text=data["definition"]
                )
            else:
                upload = data["source"]
                if upload.size > settings.BERTH_UPLOAD_LIMIT_MB * 1024 * 1024:
                    raise ValidationError(
                        {
                            "source": f"The upload is larger than {settings.BERTH_UPLOAD_LIMIT_MB} MB."
                        }
                    )
                deployment = deploy.deploy_tarball(
                    app=app, principal=request.principal, upload=upload, filename=upload.name or ""
                )
        except ValidationError as exc:
            apply_errors(form, exc, fields={"definition": "definition", "source": "source"})
        else:
            return redirect(
                "deployment-detail", slug=request.team.slug, name=app.name, number=deployment.number
            )
    deployments = list(selectors.deployments_of(app)[:5])
    context = {"deployments": deployments, "deploy_form": form, "active": None}
    return render_app(request, app, "apps/detail.html", context, status=400)


@team_view(read=Level.READ, methods=("GET",))
def deployment_list(request: TeamRequest, name: str) -> HttpResponse:
    app = team_app(request, name)
    page = Paginator(selectors.deployments_of(app).select_related("rollback_of"), 50).get_page(
        request.GET.get("page")
    )
    return render_app(request, app, "apps/deployments.html", {"page": page}, tab="deployments")


@team_view(read=Level.READ, methods=("GET",))
def deployment_detail(request: TeamRequest, name: str, number: int) -> HttpResponse:
    app = team_app(request, name)
    deployment = selectors.get_deployment(app, number)
    if request.htmx:
        # The live page asks for what changed since the length of log it has.
        try:
            since = max(0, int(request.GET.get("since", "0")))
        except ValueError:
            since = 0
        log = deployment.log
        context = {
            "app": app,
            "team": request.team,
            "deployment": deployment,
            "since": len(log),
            "added": log[since:] if since <= len(log) else "",
            "replace": since > len(log),
            "log": log,
        }
        return render(request, "apps/_deployment_live.html", context)
    context = {"deployment": deployment, "since": len(deployment.log)}
    return render_app(request, app, "apps/deployment.html", context, tab="deployments")


@team_view(read=Level.READ, write=Level.DEPLOY, methods=("POST",))
def deployment_cancel(request: TeamRequest, name: str, number: int) -> HttpResponse:
    app = team_app(request, name, Level.DEPLOY)
    target = selectors.get_deployment(app, number)
    try:
        deploy.cancel(deployment=target, principal=request.principal)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Cancelling #{number}.")
    return redirect("deployment-detail", slug=request.team.slug, name=app.name, number=number)


@team_view(read=Level.READ, write=Level.DEPLOY, methods=("POST",))
def deployment_rollback(request: TeamRequest, name: str, number: int) -> HttpResponse:
    app = team_app(request, name, Level.DEPLOY)
    target = selectors.get_deployment(app, number)
    try:
        created = deploy.rollback(deployment=target, principal=request.principal)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("deployment-detail", slug=request.team.slug, name=app.name, number=number)
    return redirect(
        "deployment-detail", slug=request.team.slug, name=app.name, number=created.number
    )
